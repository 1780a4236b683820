"""`torchdoctor suggest` end to end: exit codes, JSON contract, errors on stderr, the real detection path."""

import json
import subprocess
import sys

import pytest

from torchdoctor.cli import main


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(["suggest", *args])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


LINUX_AMPERE = ("--os", "linux", "--arch", "x86_64", "--python-version", "3.12")


def test_described_machine_json(capsys):
    code, out, err = run_cli(capsys, "--json", *LINUX_AMPERE, "--driver", "535.104.05", "--gpu", "RTX 3090")
    assert code == 0 and err == ""
    assert out.lstrip().startswith('{\n  "schema": 1')
    data = json.loads(out)
    assert data["plan"]["torch"] == "2.14.1" and data["plan"]["variant"] == "cu126"
    assert data["plan"]["index_url"] == "https://download.pytorch.org/whl/cu126"
    assert data["plan"]["command"] == "pip install torch==2.14.1 --index-url https://download.pytorch.org/whl/cu126"
    assert data["problems"] == [] and data["origin"] == "described"


@pytest.mark.parametrize("spec", ["8.6", "sm_86", "sm86", "RTX 3090", "NVIDIA GeForce RTX 3090"])
def test_gpu_spec_forms_agree(capsys, spec):
    code, out, _ = run_cli(capsys, "--json", *LINUX_AMPERE, "--driver", "580.95.05", "--gpu", spec)
    assert code == 0 and json.loads(out)["plan"]["variant"] == "cu132"


def test_plain_pypi_plan_has_null_index_url(capsys):
    code, out, _ = run_cli(capsys, "--json", "--os", "macos", "--python-version", "3.13")
    data = json.loads(out)
    assert code == 0 and data["plan"]["index_url"] is None and data["plan"]["command"] == "pip install torch==2.15.0"


def test_nothing_fits_exits_1_with_problems(capsys):
    code, out, err = run_cli(capsys, "--json", "--python-version", "3.6", "--os", "linux")
    data = json.loads(out)
    assert code == 1 and data["plan"] is None
    assert data["problems"][0]["id"] == "python.too_old" and "1.10.2" in data["problems"][0]["message"]


def test_amd_on_windows_human_output_shows_fallback(capsys):
    code, out, _ = run_cli(capsys, "--os", "windows", "--gpu", "gfx1100")
    assert code == 1
    assert "amd.no_rocm_on_os" in out and "CPU-only fallback" in out and "pip install torch==2.15.0" in out


def test_human_output_command_first_then_reasons(capsys):
    code, out, _ = run_cli(capsys, *LINUX_AMPERE, "--driver", "570.124.06", "--gpu", "12.0")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "Install with:"
    assert lines[1].strip() == "pip install torch==2.11.0 --index-url https://download.pytorch.org/whl/cu128"
    assert "Why:" in out and "Options not chosen (newer releases, other builds):" in out and "Driver upgrade:" in out
    assert "\x1b[" not in out  # no colour when not a terminal


def run_on_linux_without_gpu(capsys, **opts):
    """The human output for a GPU-less Linux x86_64 machine, whatever this machine has."""
    from torchdoctor.commands.suggest import run_suggest
    from torchdoctor.facts import Facts, PlatformFacts, PythonFacts

    facts = Facts(origin="described", platform=PlatformFacts(os="linux", arch="x86_64"),
                  python=PythonFacts(version="3.12"), nvidia=None, gpus=())
    code = run_suggest(facts=facts, **opts)
    return code, capsys.readouterr().out


def test_unverified_wheel_names_the_verified_command_right_under_it(capsys):
    code, out = run_on_linux_without_gpu(capsys)
    assert code == 0
    assert out.splitlines()[:3] == [
        "Install with:",
        "  pip install torch==2.15.0 --index-url https://download.pytorch.org/whl/cpu",
        'If pip says "No matching distribution", run: '
        "pip install torch==2.14.1 --index-url https://download.pytorch.org/whl/cpu",
    ]


@pytest.mark.parametrize("fmt, head", [
    ("uv", ["Install with:",
            "  uv pip install torch==2.15.0 --index-url https://download.pytorch.org/whl/cpu",
            "If uv finds no torch==2.15.0, run: uv pip install torch==2.14.1 "
            "--index-url https://download.pytorch.org/whl/cpu"]),
    ("requirements", ["requirements.txt:", "  --index-url https://download.pytorch.org/whl/cpu", "  torch==2.15.0",
                      'If pip says "No matching distribution", use instead:',
                      "  --index-url https://download.pytorch.org/whl/cpu", "  torch==2.14.1"]),
])
def test_index_url_plans_in_each_format_human(capsys, fmt, head):
    code, out = run_on_linux_without_gpu(capsys, fmt=fmt)
    assert code == 0 and out.splitlines()[:len(head)] == head


@pytest.mark.parametrize("fmt, command", [
    ("pip", "pip install torch==2.14.1 --index-url https://download.pytorch.org/whl/cu126"),
    ("uv", "uv pip install torch==2.14.1 --index-url https://download.pytorch.org/whl/cu126"),
    ("requirements", "--index-url https://download.pytorch.org/whl/cu126\ntorch==2.14.1"),
])
def test_index_url_plans_in_each_format_json(capsys, fmt, command):
    code, out, _ = run_cli(capsys, "--json", "--format", fmt, *LINUX_AMPERE, "--driver", "535.104.05", "--gpu", "8.6")
    plan = json.loads(out)["plan"]
    assert code == 0 and plan["command"] == command and plan["retry_command"] is None


@pytest.mark.parametrize("fmt, first", [("uv", "uv pip install torch==2.14.1"),
                                        ("requirements", "--index-url https://download.pytorch.org/whl/cu126")])
def test_formats(capsys, fmt, first):
    code, out, _ = run_cli(capsys, "--json", "--format", fmt, *LINUX_AMPERE, "--driver", "535.104.05", "--gpu", "8.6")
    assert json.loads(out)["plan"]["command"].startswith(first)


def test_with_companions(capsys):
    code, out, _ = run_cli(capsys, "--json", "--with", "torchvision,torchaudio", *LINUX_AMPERE,
                           "--driver", "580.95.05", "--gpu", "9.0")
    plan = json.loads(out)["plan"]
    assert plan["torch"] == "2.11.0" and "torchaudio==2.11.0" in plan["command"]


def test_index_base_option_and_env(capsys, monkeypatch):
    _, out, _ = run_cli(capsys, "--json", *LINUX_AMPERE, "--driver", "none", "--index-base", "https://mirror.test/whl")
    assert json.loads(out)["plan"]["index_url"] == "https://mirror.test/whl/cpu"
    monkeypatch.setenv("TORCHDOCTOR_INDEX_BASE", "https://env-mirror.test/whl")
    _, out, _ = run_cli(capsys, "--json", *LINUX_AMPERE, "--driver", "none")
    assert json.loads(out)["plan"]["index_url"] == "https://env-mirror.test/whl/cpu"


@pytest.mark.parametrize("args, needle", [
    (("--os", "beos"), "--os"),
    (("--arch", "sparc"), "--arch"),
    (("--gpu", "8.x"), "--gpu"),
    (("--gpu", "sm_99x"), "--gpu"),
    (("--gpu", "Matrox G200"), "unknown GPU"),
    (("--gpu", "1.0"), "does not exist"),
    (("--driver", "abc"), "--driver"),
    (("--driver", "12"), "--driver"),
    (("--torch", "3.1"), "unknown torch version"),
    (("--torch", "2.7.9"), "unknown torch version"),
    (("--torch", "2.7.1+cu999"), "no 'cu999' build"),
    (("--format", "conda"), "--format"),
    (("--with", "numpy"), "--with"),
    (("--python-version", "three"), "--python-version"),
    (("--index-base", "mirror"), "--index-base"),
])
def test_usage_errors_exit_2_with_one_line_on_stderr(capsys, args, needle):
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("torchdoctor: error:") and needle in err
    assert "Traceback" not in err


def test_real_detection_path_on_this_machine(capsys):
    """No override: the probes run. On a machine without an NVIDIA/AMD/Intel GPU this is a CPU plan."""
    from torchdoctor.probes import gather_machine

    facts = gather_machine()
    if any(g.vendor in ("nvidia", "amd", "intel") for g in facts.gpus or ()) or (facts.nvidia and facts.nvidia.driver):
        pytest.skip("this machine has a GPU: the CPU expectation does not apply")
    code, out, _ = run_cli(capsys, "--json")
    data = json.loads(out)
    if code == 1:  # e.g. a CI Python newer than every release: still a well-formed answer
        assert data["problems"]
        return
    assert data["plan"]["variant"] == "cpu"
    assert data["origin"] == "live"
    if sys.platform.startswith("linux"):
        assert data["plan"]["index_url"].endswith("/cpu")  # not the multi-GB CUDA wheel


def test_subprocess_run_never_imports_torch():
    code = ("import sys, runpy\n"
            "sys.argv = ['torchdoctor', 'suggest', '--json', '--os', 'linux', '--python-version', '3.12',"
            " '--driver', '535.104.05', '--gpu', '8.6']\n"
            "try:\n    runpy.run_module('torchdoctor', run_name='__main__')\n"
            "except SystemExit as e:\n    print('EXIT', e.code, 'torch' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().endswith("EXIT 0 False"), proc.stderr


def test_true_subprocess_python_m_torchdoctor_suggest():
    proc = subprocess.run([sys.executable, "-m", "torchdoctor", "suggest", "--json", "--os", "windows",
                           "--python-version", "3.12", "--driver", "537.13", "--gpu", "8.6"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["plan"]["variant"] == "cu126"
    bad = subprocess.run([sys.executable, "-m", "torchdoctor", "suggest", "--gpu", "banana"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stdout == "" and "banana" in bad.stderr


class _Tty:
    """A text sink that claims to be a terminal, so the rich path runs."""

    def __init__(self):
        import io

        self.buf = io.StringIO()

    def write(self, text):
        return self.buf.write(text)

    def flush(self):
        pass

    def isatty(self):
        return True


def _render_on_tty(monkeypatch, no_color):
    from torchdoctor.facts import Facts, PlatformFacts, PythonFacts
    from torchdoctor.knowledge import load
    from torchdoctor.plan import plan_install
    from torchdoctor.render.suggest import render_suggest

    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    facts = Facts(platform=PlatformFacts(os="linux", arch="x86_64"), python=PythonFacts(version="3.12"), gpus=())
    sink = _Tty()
    render_suggest(plan_install(facts, load()), file=sink)
    return sink.buf.getvalue()


def test_rich_on_a_terminal_and_no_colour_with_no_color(monkeypatch):
    pytest.importorskip("rich")
    coloured = _render_on_tty(monkeypatch, no_color=False)
    plain = _render_on_tty(monkeypatch, no_color=True)
    assert "pip install torch==2.15.0" in coloured and "pip install torch==2.15.0" in plain
    assert "\x1b[" in coloured
    assert "\x1b[3" not in plain  # NO_COLOR: no colour codes (bold may remain)


def test_machine_line_keeps_the_free_threaded_t(capsys):
    # The footer said 'Python 3.14' for a 3.14t machine: the t decides which wheels exist.
    code, out, _ = run_cli(capsys, "--os", "windows", "--python-version", "3.14t")
    assert code == 0 and "Python 3.14t, no NVIDIA driver" in out


def test_the_students_python_too_old_is_told_what_a_current_python_gets(capsys):
    # Windows 10, Python 3.6, Intel UHD 620 (issue 10): no torch fits, so say what installing the
    # recommended Python would give on this machine (the CPU build: PyPI's default on Windows).
    code, out, _ = run_cli(capsys, "--json", "--os", "windows", "--python-version", "3.6",
                           "--gpu", "Intel(R) UHD Graphics 620")
    data = json.loads(out)
    assert code == 1 and data["plan"] is None
    message = data["problems"][0]["message"]
    assert data["problems"][0]["id"] == "python.too_old"
    assert "torch 1.10.2 was the last release for Python 3.6" in message
    assert "this machine gets torch" in message and "(cpu)" in message and "--index-url" not in message
