"""Hostile input and faults, with real processes: a pasted fix in a real `sh`, escape sequences on a
real pty and on a pipe, SIGINT to a real `check`, a real FIFO, a real flood, closed and full streams."""

from __future__ import annotations

import json
import os
import pty
import select
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.fake_envs import FAKES, ROOT, doctor, doctor_env, make_venv, wheel_tag, write_dist
from helpers.check_machines import judge, machine, torch_dist
from torchdoctor.facts import NvidiaFacts, PlatformFacts, TorchRuntime

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes, shells and ptys")

REPORTS = Path(__file__).parents[1] / "fixtures" / "reports"
# Window title, clear screen, OSC 8 hyperlink, OSC 52 clipboard write, DCS, a C1 CSI.
HOSTILE = ("\x1b]0;pwned\x07", "\x1b[2J", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
           "\x1b]52;c;cHduZWQ=\x07", "\x1bP+q544e\x1b\\", "\u009b31m")
ESCAPES = "".join(HOSTILE)
UUID = "GPU-4a5b9c3e-1f2d-4e6a-8b7c-9d0e1f2a3b4c"


# ------------------------------------------------------------------------------ helpers
def _stub(path: Path, log: Path) -> Path:
    """An executable that appends its argv (as JSON, one line per run) to `log` and does nothing else."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\nimport json, sys\n"
                    f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def _runs(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _sh(line: str, cwd: Path, path_dir: Path) -> subprocess.CompletedProcess:
    env = {"PATH": f"{path_dir}:/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(["sh", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def _report(tmp_path: Path, name: str = "report.json", **edits) -> Path:
    """A real `check --json` report of a recorded H200 machine, with hostile text put into its fields."""
    out = doctor(["check", "--from", str(REPORTS / "h200-torch2.11-cu130.txt"), "--json"], doctor_env())
    data = json.loads(out.stdout)
    facts = data["facts"]
    for dotted, value in edits.items():
        node = facts
        *parents, leaf = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {}) if isinstance(node, dict) else node[int(p)]
        node[leaf] = value
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _on_pty(args: list[str], env: dict, timeout: float = 120) -> bytes:
    """The real CLI with stdout and stderr on a pseudo-terminal: what a terminal would receive."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "torchdoctor", *args], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(master)
    return b"".join(chunks)


def _assert_no_raw_sequence(out: bytes | str) -> None:
    text = out.decode("utf-8", "replace") if isinstance(out, bytes) else out
    for seq in HOSTILE:
        assert seq not in text, (seq, text[:2000])
    assert "\x1b]" not in text and "\x1bP" not in text and "\u009b" not in text  # no OSC, DCS, C1 CSI at all


# ------------------------------------------------------------------------------ commands safe to paste
HOSTILE_DIR = "my env; touch pwned && $(touch pwned2) `touch pwned3` | x"


def test_a_pasted_check_fix_runs_exactly_the_one_command_it_shows(tmp_path):
    log = tmp_path / "argv.log"
    python = _stub(tmp_path / HOSTILE_DIR / "python", log)
    crashed = TorchRuntime("crashed", error="was killed by SIGSEGV", error_kind="signal")
    f = judge(machine(runtime=crashed, extra={"target_python": str(python)}))["torch.import_failed"]
    lines = list(f.fix.commands)
    assert len(lines) == 3 and all(argv is not None for argv in f.fix.argv)
    for line, argv in zip(lines, f.fix.argv):
        before = len(_runs(log))
        res = _sh(line, tmp_path, tmp_path / "nothing-on-path")
        assert res.returncode == 0, res.stderr
        runs = _runs(log)
        assert len(runs) == before + 1 and runs[-1] == argv[1:], (line, runs)  # one run, exactly its argv
    assert _runs(log)[0] == ["-X", "faulthandler", "-c", "import torch"]
    assert not list(tmp_path.glob("pwned*"))


def test_a_pasted_suggest_line_with_a_hostile_mirror_runs_only_pip(tmp_path):
    log = tmp_path / "argv.log"
    bin_dir = tmp_path / "bin"
    _stub(bin_dir / "pip", log)
    _stub(bin_dir / "touch", tmp_path / "touch.log")  # if anything ran `touch`, it would be recorded
    mirror = "https://mirror.example/whl?token=a&user=b;$(touch${IFS}pwned)`touch${IFS}pwned`|touch${IFS}x"
    out = doctor(["suggest", "--os", "linux", "--arch", "x86_64", "--python-version", "3.12", "--driver", "none",
                  "--index-base", mirror], doctor_env())
    assert out.returncode == 0, out.stderr
    line = out.stdout.splitlines()[1].strip()
    res = _sh(line, tmp_path, bin_dir)
    assert res.returncode == 0, res.stderr
    assert _runs(log) == [shlex.split(line)[1:]] and _runs(log)[0][-1] == mirror + "/cpu"
    assert not (tmp_path / "touch.log").exists() and not list(tmp_path.glob("pwned*"))
    # JSON keeps the line where it was and the argument list beside it
    data = json.loads(doctor(["suggest", "--os", "linux", "--python-version", "3.12", "--driver", "none",
                              "--index-base", mirror, "--json"], doctor_env()).stdout)
    assert data["plan"]["command"] == line and data["plan"]["argv"] == shlex.split(line)


def test_windows_target_gets_powershell_quoting():
    f = judge(machine(platform=PlatformFacts("windows", "x86_64"), runtime=TorchRuntime("crashed", error="x"),
                      extra={"target_python": r"C:\Users\me\my env\Scripts\python.exe"}))["torch.import_failed"]
    assert f.fix.commands[0] == r"& 'C:\Users\me\my env\Scripts\python.exe' -X faulthandler -c 'import torch'"


@pytest.mark.parametrize("where", ["flag", "env"])
@pytest.mark.parametrize("bad", ["https://m/whl\n; touch pwned", "https://m/whl\r", "https://m/\x1b]0;t\x07"])
def test_an_index_base_that_cannot_be_quoted_is_a_usage_error(where, bad):
    args, env = (["suggest", "--index-base", bad], doctor_env()) if where == "flag" else \
        (["suggest"], doctor_env(TORCHDOCTOR_INDEX_BASE=bad))
    out = doctor(args, env)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "\x1b" not in out.stderr, out.stderr


def test_a_nul_in_the_index_base_is_a_usage_error():
    from torchdoctor.commands.suggest import run_suggest
    from torchdoctor.errors import UsageError

    with pytest.raises(UsageError):  # (no argv or environment can carry a NUL: only the Python API)
        run_suggest(index_base="https://m/whl\x00x")


def test_a_python_path_with_a_newline_is_a_usage_error(tmp_path):
    out = doctor(["check", "--python", str(tmp_path / "a\nb")], doctor_env())
    assert out.returncode == 2 and "torchdoctor: error: --python" in out.stderr and out.stderr.count("\n") == 1


def test_check_json_has_fix_argv_beside_the_commands(tmp_path):
    out = doctor(["check", "--from", str(REPORTS / "espnet5629-a100-driver460-cu121.txt"), "--json"], doctor_env())
    fixes = [f["fix"] for f in json.loads(out.stdout)["findings"] if f["fix"] and f["fix"]["commands"]]
    assert fixes
    for fix in fixes:
        assert len(fix["argv"]) == len(fix["commands"])
        for line, argv in zip(fix["commands"], fix["argv"]):
            assert argv is None or shlex.split(line) == argv


# ------------------------------------------------------------------------------ clean terminals
def _hostile_report(tmp_path: Path) -> Path:
    return _report(tmp_path, name=f"report{HOSTILE[0]}.json",
                   **{"python.executable": "/opt/py" + ESCAPES + "/python", "platform.os_version": ESCAPES,
                      "runtime.error": "boom " + ESCAPES, "runtime.status": "import_failed",
                      "runtime.error_type": "ImportError" + HOSTILE[3]})


@pytest.mark.parametrize("fmt", [[], ["-v"], ["--format", "markdown"]])
def test_escape_sequences_in_a_report_never_reach_a_pipe(tmp_path, fmt):
    path = _hostile_report(tmp_path)
    out = subprocess.run([sys.executable, "-m", "torchdoctor", "check", "--from", str(path), *fmt],
                         env=doctor_env(), capture_output=True, timeout=120)
    assert out.returncode in (0, 1), out.stderr
    _assert_no_raw_sequence(out.stdout + out.stderr)
    assert b"\x1b" not in out.stdout  # piped: no colour, so no ESC byte at all
    shown = b"x1b" if fmt else b"\\x1b]0;pwned\\x07"  # markdown escapes the backslash too
    assert shown in out.stdout  # shown, as a visible escape


@pytest.mark.parametrize("no_color", [False, True])
def test_escape_sequences_in_a_report_never_reach_a_terminal(tmp_path, no_color):
    path = _hostile_report(tmp_path)
    env = doctor_env(LANG="C.UTF-8", TERM="xterm-256color", **({"NO_COLOR": "1"} if no_color else {}))
    out = _on_pty(["check", "--from", str(path), "-v"], env)
    _assert_no_raw_sequence(out)
    assert b"\\x1b]0;pwned\\x07" in out
    if no_color:
        assert b"\x1b" not in out
    # rich markup in data stays text
    marked = _report(tmp_path, name="m.json", **{"platform.os_version": "[bold red]x[/bold red]"})
    assert b"[bold red]x[/bold red]" in _on_pty(["check", "--from", str(marked), "-v"], env)


def _venv_whose_torch_says(tmp_path: Path, message: str) -> Path:
    python, site = make_venv(tmp_path / "venv")
    (site / "torch" / "__init__.py").write_text(f"raise ImportError({message!r})\n", encoding="utf-8")
    write_dist(site, "torch", "2.7.1", wheel_tag(python))
    return python


def test_a_hostile_interpreter_answer_is_shown_escaped(tmp_path):
    python = _venv_whose_torch_says(tmp_path, "libfoo.so: cannot open " + ESCAPES)
    for args in (["check", "--python", str(python)], ["check", "--python", str(python), "--format", "markdown"]):
        out = subprocess.run([sys.executable, "-m", "torchdoctor", *args], env=doctor_env(), capture_output=True,
                             timeout=180)
        assert out.returncode == 1, out.stderr
        _assert_no_raw_sequence(out.stdout + out.stderr)
        assert b"x1b" in out.stdout and b"cHduZWQ=" in out.stdout  # shown as visible escapes
    tty = _on_pty(["check", "--python", str(python)], doctor_env(TERM="xterm"))
    _assert_no_raw_sequence(tty)


def test_a_hostile_smoke_interpreter_answer_is_shown_escaped(tmp_path):
    python = _venv_whose_torch_says(tmp_path, "no torch here " + ESCAPES)
    out = subprocess.run([sys.executable, "-m", "torchdoctor", "smoke", "--device", "cpu", "--python", str(python),
                          "--timeout", "60"], env=doctor_env(), capture_output=True, timeout=180)
    assert out.returncode == 1
    _assert_no_raw_sequence(out.stdout + out.stderr)
    _assert_no_raw_sequence(_on_pty(["smoke", "--device", "cpu", "--python", str(python), "--timeout", "60"],
                                    doctor_env(TERM="xterm")))


# ------------------------------------------------------------------------------ private data
def test_gpu_uuids_in_visible_devices_are_masked_in_every_output(tmp_path):
    env = doctor_env(CUDA_VISIBLE_DEVICES=f"{UUID},MIG-{UUID[4:]}", NVIDIA_VISIBLE_DEVICES=UUID)
    for fmt in (["--json"], ["-v"], ["--format", "markdown"]):
        out = doctor(["check", "--timeout", "120", *fmt], env)
        assert UUID[4:] not in out.stdout and "4a5b9c3e" not in out.stdout, fmt
    data = json.loads(doctor(["check", "--json"], env).stdout)
    assert data["facts"]["env"]["CUDA_VISIBLE_DEVICES"] == "<masked>,<masked>"


def test_nvidia_smi_error_text_is_masked_and_its_path_shows_tilde(tmp_path):
    from torchdoctor.probes.nvidia import probe_nvidia
    from torchdoctor.runner import RunResult

    home = Path.home()
    exe = str(home / "drivers" / "nvidia-smi")

    def run(argv, timeout, **kw):
        return RunResult(tuple(argv), 9, f"Unable to determine the device handle for GPU {UUID}: Unknown Error\n",
                         "", 0.1)

    probe = probe_nvidia("linux", wsl=True, run=run, use_nvml=False, which=lambda n: exe, exists=lambda p: False)
    text = " ".join(probe.facts.errors) + " ".join(n.detail or "" for n in probe.notes)
    assert UUID not in text and "<masked>" in text
    assert str(home) + os.sep not in text and "~/drivers/nvidia-smi" in text


def test_from_path_and_python_usage_errors_show_tilde(tmp_path):
    env = doctor_env(HOME=str(tmp_path))
    missing = tmp_path / "secret" / "report.json"
    for args in (["check", "--from", str(missing)], ["check", "--python", str(tmp_path / "nope" / "python")]):
        out = doctor(args, env)
        assert out.returncode == 2 and str(tmp_path) not in out.stderr and "~/" in out.stderr, out.stderr
    report = _report(tmp_path)
    out = doctor(["check", "--from", str(report)], env)
    assert str(tmp_path) not in out.stdout and "~/report.json" in out.stdout


# ------------------------------------------------------------------------------ Ctrl-C
def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_ctrl_c_during_check_kills_the_torch_child_and_exits_130(tmp_path):
    python, site = make_venv(tmp_path / "venv")
    write_dist(site, "torch", "2.7.1", wheel_tag(python))
    proc = subprocess.Popen([sys.executable, "-m", "torchdoctor", "check", "--python", str(python)],
                            env=doctor_env(FAKE_TORCH_MODE="sleep"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    kids: list[int] = []
    while time.monotonic() < deadline and not kids:
        time.sleep(0.2)
        kids = [k for k in _children(proc.pid) if "torch_child" in Path(f"/proc/{k}/cmdline").read_text()]
    assert kids, "the torch child never started"
    time.sleep(1.0)  # it is now sleeping inside `import torch`
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and time.monotonic() - started < 10
    assert err.decode().strip().splitlines() == ["torchdoctor: interrupted"]
    time.sleep(0.5)
    assert not any(_alive(k) for k in kids)
    with pytest.raises(ProcessLookupError):
        os.killpg(kids[0], 0)  # the child's whole process group is gone


# ------------------------------------------------------------------------------ limits
def test_runner_keeps_only_the_first_mib_of_a_flood_and_does_not_block():
    from torchdoctor import runner

    res = runner.run([sys.executable, "-c", "import sys; sys.stdout.write('x' * (64 << 20))"], timeout=60)
    assert res.returncode == 0 and not res.timed_out
    assert runner.MAX_OUTPUT <= len(res.stdout) < runner.MAX_OUTPUT + 200 and "more bytes not kept" in res.stdout


def test_a_daemon_holding_the_pipe_is_not_a_timeout():
    from torchdoctor import runner

    started = time.monotonic()
    res = runner.run(["sh", "-c", "sleep 60 & echo answered"], timeout=30)
    assert res.ok and res.stdout.strip() == "answered" and time.monotonic() - started < 10


def test_a_python_that_prints_a_gigabyte_stays_small_and_in_time(tmp_path):
    flood = tmp_path / "python"
    flood.write_text("#!/bin/sh\nhead -c 1000000000 /dev/zero\n", encoding="utf-8")
    flood.chmod(0o755)
    script = ("import resource, subprocess, sys, time; t = time.monotonic(); "
              "r = subprocess.run([sys.executable, '-m', 'torchdoctor', 'check', '--python', sys.argv[1], "
              "'--timeout', '30'], capture_output=True); "
              "print(r.returncode, time.monotonic() - t, "
              "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", script, str(flood)], capture_output=True, text=True, timeout=300,
                         env=doctor_env())
    code, seconds, maxrss_kib = out.stdout.split()
    assert code == "2" and float(seconds) < 90  # "did not run as a Python interpreter", within the timeout
    assert int(maxrss_kib) < 150 * 1024, maxrss_kib  # the whole doctor, not a copy of the gigabyte


@pytest.mark.parametrize("value", ["inf", "1e300", "nan", "0", "0.5", "3601", "-5"])
@pytest.mark.parametrize("command", [["check"], ["smoke", "--device", "cpu"],
                                     ["smoke", "--distributed", "--device", "cpu"]])
def test_timeout_must_be_finite_and_in_range(command, value):
    out = doctor([*command, "--timeout", value], doctor_env())
    assert out.returncode == 2 and out.stderr.startswith("torchdoctor: error: --timeout"), out.stderr


def test_nproc_and_seed_are_bounded_before_anything_runs():
    from torchdoctor.limits import cpu_ranks_max

    out = doctor(["smoke", "--distributed", "--device", "cpu", "--nproc", "1000"], doctor_env())
    assert out.returncode == 2 and "--nproc 1000" in out.stderr and "torch.distributed.run" not in out.stderr
    out = doctor(["smoke", "--distributed", "--device", "cpu", "--nproc", str(cpu_ranks_max() + 1)], doctor_env())
    assert out.returncode == 2 and "CPU ranks" in out.stderr
    for args in (["smoke", "--device", "cpu"], ["smoke", "--distributed", "--device", "cpu"]):
        out = doctor([*args, "--seed", str(2 ** 64)], doctor_env())
        assert out.returncode == 2 and "--seed" in out.stderr and "CPU" not in out.stderr, out.stderr


def test_cuda_nproc_is_capped_at_the_visible_gpus():
    from torchdoctor.errors import UsageError
    from torchdoctor.limits import check_nproc

    assert check_nproc(8, "cuda", 8) == 8
    with pytest.raises(UsageError, match="8 are visible"):
        check_nproc(9, "cuda", 8)


def test_sixteen_thousand_nvidia_smi_rows_stay_within_the_deadline():
    from torchdoctor.probes import gather_machine
    from torchdoctor.runner import RunResult

    rows = "".join(f"NVIDIA H200, 580.95.05, 9.0, 143771 MiB, 00000000:{i // 256:02X}:{i % 256:02X}.0\n"
                   for i in range(16000))

    def run(argv, timeout, **kw):
        if any(a.startswith("--query-gpu") for a in argv):
            return RunResult(tuple(argv), 0, rows, "", 0.1)
        if os.path.basename(argv[0]) == "nvidia-smi":
            return RunResult(tuple(argv), 0, "Driver Version: 580.95.05   CUDA Version: 13.0\n", "", 0.1)
        return RunResult(tuple(argv), None, "", "", 0.0, error="not found")

    started = time.monotonic()
    facts = gather_machine(timeout=5.0, run=run, nvml=None, which=lambda n: "/usr/bin/nvidia-smi" if n == "nvidia-smi"
                           else None)
    from torchdoctor.knowledge import load
    from torchdoctor.plan import plan_install

    plan_install(facts, load())
    assert time.monotonic() - started < 10
    assert len(facts.gpus) <= 256 and any("only the first 256" in e for e in facts.nvidia.errors)


# ------------------------------------------------------------------------------ --from, stdin, stdout
def test_from_refuses_a_fifo_with_no_writer_a_device_and_a_directory(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, words in ((fifo, "FIFO"), ("/dev/zero", "device"), (tmp_path, "directory")):
        started = time.monotonic()
        out = doctor(["check", "--from", str(path)], doctor_env(), timeout=30)
        assert out.returncode == 2 and words in out.stderr and time.monotonic() - started < 20, out.stderr
        assert out.stderr.count("\n") == 1


def test_closed_stdin_closed_stdout_and_a_full_disk_are_one_line_exit_2(tmp_path):
    cmd = [sys.executable, "-m", "torchdoctor"]
    closed_in = subprocess.run(" ".join(map(shlex.quote, cmd + ["check", "--from", "-"])) + " <&-", shell=True,
                               capture_output=True, text=True, env=doctor_env(), timeout=60)
    closed_out = subprocess.run(" ".join(map(shlex.quote, cmd + ["suggest"])) + " >&-", shell=True,
                                capture_output=True, text=True, env=doctor_env(), timeout=60)
    with open("/dev/full", "w") as full:
        full_disk = subprocess.run(cmd + ["check", "--from", str(REPORTS / "h200-torch2.11-cu130.txt")],
                                   stdout=full, stderr=subprocess.PIPE, text=True, env=doctor_env(), timeout=60)
    for res, words in ((closed_in, "standard input is closed"), (closed_out, "standard output is closed"),
                       (full_disk, "No space left")):
        assert res.returncode == 2 and words in res.stderr and res.stderr.count("\n") == 1, res.stderr


# ------------------------------------------------------------------------------ the driver finding
@pytest.mark.parametrize("mode", ["fail", "hang"])
def test_a_failing_or_hanging_nvidia_smi_is_a_warning_never_a_tick(tmp_path, mode):
    smi = tmp_path / "bin" / "nvidia-smi"
    smi.parent.mkdir()
    smi.write_text(f"#!/bin/sh\nexec {sys.executable} {FAKES / 'nvidia_smi.py'} \"$@\"\n", encoding="utf-8")
    smi.chmod(0o755)
    env = doctor_env(PATH=f"{smi.parent}:{os.environ['PATH']}", FAKE_SMI_MODE=mode)
    out = doctor(["check"], env, timeout=180)
    assert "[✓] NVIDIA" not in out.stdout and "cuda.no_driver" in out.stdout, out.stdout
    assert "No issues found" not in out.stdout and "Fix:" in out.stdout
    data = json.loads(doctor(["check", "--json"], env, timeout=180).stdout)
    nd = next(f for f in data["findings"] if f["id"] == "cuda.no_driver")
    assert nd["severity"] == "warning" and ("hangs" if mode == "hang" else "fails") in nd["message"]
    if mode == "hang":  # suggest must not leave the hung nvidia-smi behind
        before = {p.name for p in Path("/proc").iterdir() if p.name.isdigit()}
        doctor(["suggest"], env, timeout=60)
        time.sleep(0.5)
        for p in Path("/proc").iterdir():
            if p.name.isdigit() and p.name not in before and _alive(int(p.name)):
                try:
                    assert str(FAKES / "nvidia_smi.py") not in (p / "cmdline").read_text().replace("\0", " ")
                except OSError:
                    pass


def test_no_driver_finding_is_quiet_without_nvidia_smi():
    f = judge(machine(nvidia=NvidiaFacts(errors=("nvidia-smi: not found",))))["cuda.no_driver"]
    assert f.severity == "ok"


# ------------------------------------------------------------------------------ wording
def test_wording_of_a_failed_or_hung_import():
    from torchdoctor.render.check_areas import area_lines

    facts = machine(runtime=TorchRuntime("import_failed", error="No module named 'typing_extensions'",
                                         error_type="ModuleNotFoundError"))
    heads = [a.headline for a in area_lines(facts, list(judge(facts).values()))]
    assert "PyTorch 2.13.0+cpu: import failed" in heads and not any("import import" in h for h in heads)
    from torchdoctor.probes.torch_runtime import from_child
    from torchdoctor.child import ChildResult

    hung = from_child(ChildResult("timeout", {"stage": "importing"}, "", "", None, 60.0), 60.0)
    msg = judge(machine(runtime=hung.runtime))["torch.import_failed"].message
    assert msg.startswith("`import torch` did not finish within 60 s") and "import torch import" not in msg


def test_cpu_plan_gets_a_cpu_headline():
    rt = TorchRuntime("import_failed", error="libcudnn.so.9: cannot open shared object file: No such file or "
                      "directory", error_type="ImportError", error_kind="missing_library")
    f = judge(machine(runtime=rt, distributions=(torch_dist("2.7.1+cu128"),)))["torch.import_failed"]
    assert "/cpu" in f.fix.commands[-1] and "CUDA library wheels" not in f.fix.summary


def test_a_deleted_working_directory_is_not_blamed_on_torch(tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    proc = subprocess.run(f"cd {shlex.quote(str(gone))} && rmdir {shlex.quote(str(gone))} && "
                          f"{shlex.quote(sys.executable)} -m torchdoctor check", shell=True, capture_output=True,
                          text=True, env=doctor_env(PYTHONPATH=str(ROOT)), timeout=120)
    assert proc.returncode == 2 and "current directory no longer exists" in proc.stderr
    assert "reinstall" not in proc.stdout + proc.stderr


PY27 = Path.home() / ".pyenv" / "versions" / "2.7.18" / "bin" / "python"


@pytest.mark.skipif(not PY27.exists(), reason="no Python 2.7 in ~/.pyenv")
def test_python_27_is_named_with_what_to_install():
    for args in (["check"], ["smoke", "--device", "cpu"], ["smoke", "--distributed", "--device", "cpu"]):
        out = doctor([*args, "--python", str(PY27)], doctor_env())
        assert out.returncode == 2 and "is Python 2.7.18" in out.stderr and "Install Python 3." in out.stderr
        assert "did not run as a Python interpreter" not in out.stderr and out.stderr.count("\n") == 1


# ------------------------------------------------------------------------------ strict JSON, sane values
def _strict(text: str):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def test_json_never_carries_nan_or_infinity(tmp_path):
    path = _report(tmp_path, **{"runtime.seconds": float("nan"), "python.bits": 64})
    raw = path.read_text().replace('"seconds": NaN', '"seconds": Infinity')
    path.write_text(raw)
    out = doctor(["check", "--from", str(path), "--json"], doctor_env())
    data = _strict(out.stdout)
    assert data["facts"]["runtime"]["seconds"] is None


@pytest.mark.parametrize("field, value", [("python.version", "three"), ("python.version", "3." + "9" * 5000),
                                          ("runtime.version", "9" * 5000), ("nvidia.driver", "5" * 5000)])
def test_nonsense_versions_in_a_report_are_refused_in_one_line(tmp_path, field, value):
    out = doctor(["check", "--from", str(_report(tmp_path, **{field: value}))], doctor_env())
    assert out.returncode == 2 and field in out.stderr and out.stderr.count("\n") == 1 and len(out.stderr) < 400


def test_an_interpreter_that_answers_and_leaves_a_daemon_is_not_a_stuck_file_system(tmp_path):
    python, site = make_venv(tmp_path / "venv")
    write_dist(site, "torch", "2.7.1", wheel_tag(python))
    # torch imports fine, but leaves a process behind that holds the child's stdout and stderr open
    (site / "torch" / "__init__.py").write_text(
        "import subprocess\nsubprocess.Popen(['sleep', '120'])\n" + (FAKES / "torch_init.py").read_text(),
        encoding="utf-8")
    started = time.monotonic()
    out = doctor(["check", "--python", str(python), "--json", "--timeout", "60"], doctor_env(FAKE_TORCH_MODE="cpu"))
    data = json.loads(out.stdout)
    assert data["facts"]["runtime"]["status"] == "ok" and time.monotonic() - started < 45
    assert not any("stuck file system" in f["message"] for f in data["findings"])
