"""The beginner's classic mistakes (issue 10): a CUDA build on a machine without an NVIDIA GPU, a ROCm build
without an AMD GPU, an end-of-life Python, and ticks that only mean "works" — on recorded facts, on the
student's fixtures (collect_env text and check --json) and live on this GPU-less machine with a fake torch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.fake_envs import doctor, doctor_env, make_venv, wheel_tag, write_dist
from helpers.fake_probes import FakeRun, fake_nvml

from torchdoctor.checks import run_checks
from torchdoctor.facts import Distribution, Facts, Gpu, NvidiaFacts, PciDevice, PlatformFacts, ProbeNote, \
    PythonFacts, TorchRuntime
from torchdoctor.knowledge import load, python_life
from torchdoctor.recorded import load_report

K = load()
STUDENT = Path(__file__).parents[1] / "fixtures" / "student"
NO_DRIVER = ("Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a "
             "driver from http://www.nvidia.com/Download/index.aspx")
LINUX = PlatformFacts(os="linux", arch="x86_64", os_version="Ubuntu 24.04.3 LTS", libc="glibc", libc_version="2.39")
WINDOWS = PlatformFacts(os="windows", arch="x86_64", os_version="Windows 10 (10.0.19044)")
UHD620_PCI = PciDevice("0000:00:02.0", "8086", "5917", "0x030000", "i915")
UHD620 = Gpu("intel", "UHD Graphics 620", pci_id="8086:5917", kind="integrated", pci_bus_id="0000:00:02.0",
             source="pci")
RX6700 = Gpu("amd", "AMD Radeon RX 6700 XT", gfx="gfx1031", pci_id="1002:73df", pci_bus_id="0000:03:00.0", source="kfd")
RTX3060 = Gpu("nvidia", "NVIDIA GeForce RTX 3060", capability=(8, 6), pci_bus_id="0000:01:00.0", source="nvml")


def runtime(version="2.13.0+cu130", cuda="13.0", hip=None, available=False, **kw):
    said = {"cuda_init_error": "RuntimeError: " + NO_DRIVER} if cuda and not available else {}
    return TorchRuntime(status="ok", version=version, cuda=cuda, hip=hip, cuda_available=available,
                        device_count=1 if available else 0, **{**said, **kw})


def machine(gpus=(UHD620,), pci=(UHD620_PCI,), platform=LINUX, rt=None, nvidia=None, python="3.12.3",
            container=None, nodes=(), probes=(), origin="live"):
    if container:
        platform = PlatformFacts(**{**platform.__dict__, "container": container})
    torch = (rt or runtime()).version
    return Facts(origin=origin, platform=platform, python=PythonFacts(version=python),
                 nvidia=nvidia or NvidiaFacts(errors=("kernel: the nvidia kernel module is not loaded",)),
                 gpus=gpus, pci=pci, runtime=rt or runtime(),
                 distributions=(Distribution("torch", torch.split("+")[0], "~/venv/site-packages", "pip"),)
                 if torch else (),
                 shadowing=(), env={}, device_nodes=nodes, probes=probes)


def findings(f):
    return {x.id: x for x in run_checks(f, K)}


def problems(f):
    return {i: x for i, x in findings(f).items() if x.severity in ("warning", "error")}


# ---- torch.cuda_build_without_gpu / torch.rocm_build_without_gpu ---------------------------------------------------

def test_cuda_build_on_an_intel_only_linux_laptop():
    got = problems(machine())
    assert set(got) == {"torch.cuda_build_without_gpu"}, got
    f = got["torch.cuda_build_without_gpu"]
    assert f.severity == "warning" and f.area == "PyTorch"
    for words in ("torch 2.13.0+cu130 is a CUDA 13.0 build", "this machine has no NVIDIA GPU", "UHD Graphics 620",
                  "torch.cuda.is_available() will always be False", "everything runs on the CPU",
                  "multi-GB download for nothing"):
        assert words in f.message
    assert f.fix.commands == ("python -m pip uninstall -y torch",
                              "python -m pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu")


def test_cuda_build_on_windows_names_the_registry_adapter_and_pypi_default():
    registry = Gpu("intel", "Intel(R) UHD Graphics 620", pci_id="8086:5917", kind="integrated", source="registry")
    f = machine(gpus=(registry,), pci=None, platform=WINDOWS, probes=(ProbeNote("registry", True, 0.0),))
    found = problems(f)["torch.cuda_build_without_gpu"]
    assert "Intel(R) UHD Graphics 620" in found.message and "Windows display adapters" in found.message
    assert found.fix.commands[-1] == "python -m pip install torch==2.13.0"  # Windows: PyPI's torch is the CPU build


def test_cuda_build_with_an_amd_gpu_on_linux_gets_the_rocm_build():
    rx6800 = Gpu("amd", "AMD Radeon RX 6800", gfx="gfx1030", pci_id="1002:73bf", pci_bus_id="0000:03:00.0", source="kfd")
    bus = (PciDevice("0000:03:00.0", "1002", "73bf", "0x030000", "amdgpu"),)
    found = problems(machine(gpus=(rx6800,), pci=bus))["torch.cuda_build_without_gpu"]
    assert "AMD Radeon RX 6800" in found.message and "ROCm" in found.fix.summary
    assert "/whl/rocm" in found.fix.commands[-1], found.fix
    # gfx1031 (RX 6700 XT) is in no ROCm build: the planner says why, and the CPU build runs meanwhile
    found = problems(machine(gpus=(RX6700,), pci=bus))["torch.cuda_build_without_gpu"]
    assert "AMD Radeon RX 6700 XT" in found.message and "gfx1031" in found.fix.summary
    assert found.fix.commands[-1].endswith("--index-url https://download.pytorch.org/whl/cpu"), found.fix


def test_cuda_build_with_an_arc_gpu_gets_the_xpu_build():
    arc = Gpu("intel", "Intel Arc A770", pci_id="8086:56a0", kind="arc", pci_bus_id="0000:03:00.0", source="pci")
    found = problems(machine(gpus=(arc,), pci=(PciDevice("0000:03:00.0", "8086", "56a0", "0x030000", "i915"),)))
    fix = found["torch.cuda_build_without_gpu"].fix
    assert fix.commands[-1].endswith("--index-url https://download.pytorch.org/whl/xpu"), fix


def test_nothing_at_all_says_none():
    found = problems(machine(gpus=(), pci=()))["torch.cuda_build_without_gpu"]
    assert "it has no other GPU either" in found.message


@pytest.mark.parametrize("why, facts", [
    ("an NVIDIA GPU without its driver is cuda.no_driver's", lambda: machine(
        gpus=(RTX3060,), pci=(UHD620_PCI, PciDevice("0000:01:00.0", "10de", "2504", "0x030000", None)))),
    ("CUDA works", lambda: machine(gpus=(RTX3060,), rt=runtime(available=True),
                                   nvidia=NvidiaFacts(driver="580.95.05", source="nvml"))),
    ("a CPU build", lambda: machine(rt=runtime("2.13.0+cpu", cuda=None))),
    ("nobody looked and torch said nothing", lambda: machine(gpus=None, pci=None, rt=runtime(cuda_init_error=None))),
])
def test_cuda_build_without_gpu_stays_quiet(why, facts):
    assert "torch.cuda_build_without_gpu" not in problems(facts()), why


def test_torch_saying_no_driver_is_enough_when_nobody_scanned_the_hardware():
    found = problems(machine(gpus=None, pci=None))["torch.cuda_build_without_gpu"]
    assert "Found no NVIDIA driver on your system" in found.message
    assert "no NVIDIA GPU shows on this machine" in found.message and "install the NVIDIA driver instead" in found.message
    assert "If it has none: CUDA runs only on NVIDIA GPUs" in found.message


def test_rocm_build_without_an_amd_gpu():
    f = machine(rt=runtime("2.13.0+rocm7.2", cuda=None, hip="7.2.0"))
    found = problems(f)["torch.rocm_build_without_gpu"]
    assert "torch 2.13.0+rocm7.2 is a ROCm 7.2.0 build" in found.message
    assert "no AMD GPU" in found.message and "UHD Graphics 620" in found.message
    assert found.fix.commands[-1].endswith("--index-url https://download.pytorch.org/whl/cpu")
    assert "torch.rocm_build_without_gpu" not in problems(machine(gpus=(RX6700,), rt=runtime(
        "2.13.0+rocm7.2", cuda=None, hip="7.2.0")))


def test_container_note_does_not_point_the_wrong_way():
    # a GPU-less docker container (this machine): the PCI bus shows no NVIDIA GPU at all, so "pass the GPUs in"
    # would be wrong; the CUDA-build warning says what is really going on.
    f = machine(gpus=(), pci=(), container="docker", nodes=())
    got = findings(f)
    assert got["container.gpu_devices"].severity == "ok"
    assert got["torch.cuda_build_without_gpu"].severity == "warning"
    assert got["cuda.init_failed"].severity == "ok"
    # with the host's NVIDIA GPU on the bus it still says: start the container with the GPUs
    host_gpu = (PciDevice("0000:01:00.0", "10de", "2335", "0x030200", None),)
    assert findings(machine(gpus=(), pci=host_gpu, container="docker", nodes=()))["container.gpu_devices"].severity \
        == "error"


# ---- python.end_of_life ------------------------------------------------------------------------------------------

def test_python_table_has_sources_and_an_as_of_date():
    data = json.loads((Path(__file__).parents[2] / "torchdoctor/knowledge/pythons.json").read_text())
    assert data["as_of"] and all(set(p["source"]) <= set(data["sources"]) for p in data["pythons"])
    life = python_life("3.6.3")
    assert life.end_of_life == "2021-12-23" and life.last_torch["windows"] == "1.10.2" and life.ended()
    assert python_life("3.13").ended() is False and python_life("4.0") is None


def test_python_363_with_torch_1102_is_a_dead_end():
    f = machine(platform=WINDOWS, python="3.6.3", gpus=(), pci=None, rt=runtime("1.10.2+cu113", cuda="11.3"))
    found = problems(f)["python.end_of_life"]
    for words in ("Python 3.6.3", "2021-12-23", "torch 1.10.2 (January 2022) was the last", "no newer torch",
                  f"current torch {K.releases[0].versions[-1]} needs Python {K.releases[0].pythons[0]}"):
        assert words in found.message, found.message
    rec = K.recommended_python()
    assert "python.org installer" in found.fix.summary and f"pyenv install {rec}" in found.fix.summary
    assert found.fix.commands[:3] == (f"uv python install {rec}", f"uv venv --python {rec} .venv",
                                      ".venv\\Scripts\\activate")
    assert found.fix.commands[3].startswith("uv pip install torch==") and "gets torch" in found.fix.summary


def test_python_without_any_torch_is_python_unsupported_with_the_dates_once():
    f = machine(python="3.6.3", rt=TorchRuntime(status="not_installed"))
    got = problems(f)
    assert got["python.unsupported"].severity == "error" and "2021-12-23" in got["python.unsupported"].message
    assert "python.end_of_life" not in got


@pytest.mark.parametrize("python, expected", [("3.12.3", None), ("3.13.1", None), ("3.10.12", "October 2026"),
                                              ("3.9.18", "2025-10-31")])
def test_end_of_life_by_the_tables(python, expected):
    found = problems(machine(python=python, rt=runtime("2.8.0+cpu", cuda=None))).get("python.end_of_life")
    assert (found is None) if expected is None else (expected in found.message), found


# ---- honest ticks ------------------------------------------------------------------------------------------------

TICKS = [
    # (facts, area, status, headline starts with)
    (lambda: machine(), "CUDA", "skipped", "CUDA 13.0: not available"),
    (lambda: machine(), "NVIDIA driver", "skipped", "NVIDIA: no GPU found"),
    (lambda: machine(), "ROCm", "skipped", "ROCm: no AMD GPU"),
    (lambda: machine(), "Apple MPS", "skipped", "Apple MPS: not macOS"),
    (lambda: machine(), "PyTorch", "warning", "PyTorch 2.13.0+cu130"),
    (lambda: machine(), "Python", "ok", "Python 3.12.3"),
    (lambda: machine(rt=runtime("2.13.0+cpu", cuda=None)), "CUDA", "skipped", "CUDA: not in this build"),
    (lambda: machine(rt=runtime("2.13.0+cpu", cuda=None)), "PyTorch", "ok", "PyTorch 2.13.0+cpu"),
    (lambda: machine(gpus=(RTX3060,), rt=runtime("2.13.0+cu130", available=True),
                     nvidia=NvidiaFacts(driver="580.95.05", cuda_driver="13.0", source="nvml")),
     "CUDA", "ok", "CUDA 13.0: available"),
    (lambda: machine(gpus=(RTX3060,), rt=runtime("2.13.0+cu130", available=True),
                     nvidia=NvidiaFacts(driver="580.95.05", cuda_driver="13.0", source="nvml")),
     "NVIDIA driver", "ok", "NVIDIA driver 580.95.05"),
    (lambda: machine(rt=TorchRuntime(status="not_installed")), "PyTorch", "error",
     "PyTorch: not installed"),
    (lambda: machine(rt=TorchRuntime(status="not_installed")), "CUDA", "skipped", "CUDA: unknown"),
    (lambda: machine(gpus=None, pci=None, nvidia=NvidiaFacts(errors=("nvidia probe did not answer within 5.0 s",))),
     "NVIDIA driver", "skipped", "NVIDIA: no driver answered (nvidia probe did not answer"),
    (lambda: machine(gpus=(RX6700,), rt=runtime("2.13.0+rocm7.2", cuda=None, hip="7.2.0", available=True)),
     "ROCm", "ok", "ROCm: AMD Radeon RX 6700 XT"),
    (lambda: machine(gpus=(RX6700,), rt=runtime("2.13.0+cpu", cuda=None)), "ROCm", "skipped", "ROCm: AMD Radeon"),
    (lambda: machine().with_(python=None), "Python", "skipped", "Python: not probed"),
    (lambda: machine().with_(distributions=None), "Packages", "skipped", "Packages: not listed"),
]


@pytest.mark.parametrize("make, area, status, headline", TICKS)
def test_a_tick_only_where_it_works(make, area, status, headline):
    from torchdoctor.render.check_areas import area_lines

    facts = make()
    line = next(a for a in area_lines(facts, run_checks(facts, K)) if a.area == area)
    assert (line.status, line.headline[:len(headline)]) == (status, headline), line


def test_no_tick_beside_a_failed_probe_in_the_rendered_report():
    from torchdoctor.render.check_human import render

    import io

    out = io.StringIO()
    facts = machine()
    render(facts, run_checks(facts, K), out, {"NO_COLOR": "1"}, False, None)
    text = out.getvalue()
    for line in ("CUDA 13.0: not available", "NVIDIA: no GPU found", "ROCm: no AMD GPU"):
        row = next(r for r in text.splitlines() if line in r)
        assert "✓" not in row and "OK" not in row, row


# ---- the student's fixtures through --from -----------------------------------------------------------------------

CASES = [
    ("win10-py363-torch1.10.2-cu113-uhd620", "python -m pip install torch==1.10.2", "2021-12-23"),
    ("win10-py379-torch1.11.0-cu113-uhd620", "python -m pip install torch==1.13.1", "2023-06-27"),
    ("ubuntu24-intel-laptop-torch2.13.0-cu130",
     "python -m pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu", None),
]


@pytest.mark.parametrize("name, install, eol", CASES)
@pytest.mark.parametrize("kind", ["collect_env.txt", "facts.json"])
def test_student_fixtures_from_a_report(name, install, eol, kind):
    path = STUDENT / f"{name}.{kind}"
    got = problems(load_report(path.read_text(encoding="utf-8"), path.name))
    assert "torch.cuda_build_without_gpu" in got, got
    found = got["torch.cuda_build_without_gpu"]
    assert found.fix.commands[-1].endswith(install.split(" -m pip ", 1)[1]), found.fix
    assert "uninstall -y torch" in found.fix.commands[0]
    assert ("Intel(R) UHD Graphics 620" in found.message or "UHD Graphics 620" in found.message
            or "the report lists no other GPU" in found.message)
    assert not {"cuda.init_failed", "cuda.no_driver", "container.gpu_devices", "torch.wheel_mismatch"} & set(got)
    if eol:
        assert eol in got["python.end_of_life"].message
    else:
        assert "python.end_of_life" not in got


def test_student_fixture_through_the_cli():
    done = doctor(["check", "--from", str(STUDENT / "win10-py363-torch1.10.2-cu113-uhd620.collect_env.txt"),
                   "--json"], doctor_env())
    assert done.returncode == 0, done.stderr  # warnings only: exit 0 (README exit codes)
    data = json.loads(done.stdout)
    ids = {f["id"]: f for f in data["findings"] if f["severity"] == "warning"}
    assert {"python.end_of_life", "torch.cuda_build_without_gpu"} <= set(ids)
    strict = doctor(["check", "--strict", "--from", str(STUDENT / "win10-py363-torch1.10.2-cu113-uhd620.facts.json")],
                    doctor_env())
    assert strict.returncode == 1 and "torch.cuda_build_without_gpu" in strict.stdout


# ---- live, on this GPU-less machine, with a fake CUDA torch ----------------------------------------------------

@pytest.fixture(scope="module")
def fake_cuda_venv(tmp_path_factory):
    py, site = make_venv(tmp_path_factory.mktemp("cuda-venv") / "v")
    write_dist(site, "torch", "2.13.0+cu130", wheel_tag(py))
    return py


FAKE = {"FAKE_TORCH_MODE": "no_driver", "FAKE_TORCH_VERSION": "2.13.0+cu130", "FAKE_TORCH_CUDA": "13.0"}


def _no_nvidia_here():
    from torchdoctor.probes import gather_machine

    facts = gather_machine(timeout=5.0)
    if facts.gpus is None or any(g.vendor == "nvidia" for g in facts.gpus) or (facts.nvidia and facts.nvidia.driver):
        pytest.skip("this machine has (or may have) an NVIDIA GPU")


def test_live_check_python_on_this_gpu_less_machine(fake_cuda_venv):
    _no_nvidia_here()
    done = doctor(["check", "--python", str(fake_cuda_venv), "--json"], doctor_env(**FAKE))
    data = json.loads(done.stdout)
    assert data["facts"]["runtime"]["cuda_init_error"].endswith(NO_DRIVER)
    by_id = {f["id"]: f for f in data["findings"]}
    found = by_id["torch.cuda_build_without_gpu"]
    assert found["severity"] == "warning" and "no NVIDIA GPU" in found["message"]
    assert found["fix"]["commands"][-1].endswith("install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu")
    assert by_id["container.gpu_devices"]["severity"] in ("ok", "skipped")  # never "pass the GPUs in"
    human = doctor(["check", "--python", str(fake_cuda_venv)], doctor_env(**FAKE, LANG="C.UTF-8"))
    assert "No issues found" not in human.stdout
    assert not [r for r in human.stdout.splitlines() if "CUDA 13.0: not available" in r and "✓" in r]


def test_live_check_on_windows_facts(fake_cuda_venv, monkeypatch, capsys, tmp_path):
    """The real torch child (fake CUDA torch) with the Windows machine probes (registry: UHD 620, no NVML)."""
    from torchdoctor.operations import check as check_cmd
    from torchdoctor.probes import gather_machine

    adapters = [{"DriverDesc": "Intel(R) UHD Graphics 620", "MatchingDeviceId": "PCI\\VEN_8086&DEV_5917&SUBSYS_1"}]
    windows = gather_machine(root=tmp_path, run=FakeRun({}), which=lambda n: None, windows_adapters=lambda: adapters,
                             nvml=fake_nvml(init_error="NVML Shared Library Not Found"),
                             platform_overrides={"system": "Windows", "machine": "AMD64", "kernel": "10.0.19044",
                                                 "bits": 64, "environ": {}, "confstr": lambda n: None})
    monkeypatch.setattr(check_cmd, "machine", lambda: windows)
    for k, v in FAKE.items():
        monkeypatch.setenv(k, v)
    site = next(Path(fake_cuda_venv).parents[1].glob("lib/python*/site-packages"))
    py_tag = wheel_tag(fake_cuda_venv).rsplit("-", 1)[0]
    write_dist(site, "torch", "2.13.0+cu130", f"{py_tag}-win_amd64")  # the wheel a Windows pip would have put there
    try:
        from torchdoctor.commands.check import run_check
        code = run_check(json_out=True, python=str(fake_cuda_venv))
    finally:
        write_dist(site, "torch", "2.13.0+cu130", wheel_tag(fake_cuda_venv))
    data = json.loads(capsys.readouterr().out)
    found = {f["id"]: f for f in data["findings"]}["torch.cuda_build_without_gpu"]
    assert code == 0 and found["severity"] == "warning"
    assert "Intel(R) UHD Graphics 620" in found["message"]
    assert found["fix"]["commands"][-1].endswith("-m pip install torch==2.13.0")  # PyPI's Windows default: CPU


def test_smoke_says_what_check_says(fake_cuda_venv):
    _no_nvidia_here()
    smoke = doctor(["smoke", "--device", "cuda", "--python", str(fake_cuda_venv), "--json"], doctor_env(**FAKE))
    assert smoke.returncode == 1
    reason = json.loads(smoke.stdout)["unavailable"][0]["reason"]
    check = json.loads(doctor(["check", "--python", str(fake_cuda_venv), "--json"], doctor_env(**FAKE)).stdout)
    found = {f["id"]: f for f in check["findings"]}["torch.cuda_build_without_gpu"]
    assert found["message"] in reason and found["fix"]["commands"][-1] in reason
    assert "run `torchdoctor check`" not in reason
    every = doctor(["smoke", "--device", "all", "--python", str(fake_cuda_venv), "--json"], doctor_env(**FAKE))
    cuda = [u for u in json.loads(every.stdout)["unavailable"] if u["device"] == "cuda"]
    assert cuda and found["message"] in cuda[0]["reason"]


def test_suggest_for_the_student():
    """`suggest --os windows --python-version 3.6 --gpu "Intel(R) UHD Graphics 620"` says what to do."""
    done = doctor(["suggest", "--os", "windows", "--python-version", "3.6", "--gpu", "Intel(R) UHD Graphics 620"],
                  doctor_env())
    if done.returncode == 2 and "malformed --gpu" in done.stderr:
        pytest.skip("Intel GPU names are not in the GPU tables yet (gpunames)")
    out = done.stdout + done.stderr
    assert "1.10.2" in out and K.recommended_python() in out


# ---- smoke runs the student's loop exactly -----------------------------------------------------------------------

def test_smoke_classic_loop_is_the_students_loop_bit_for_bit():
    torch = pytest.importorskip("torch")
    from torchdoctor.patient.workloads import classic_loop

    # the student's code, as written in the exercise
    x_data = [1.0, 2.0, 3.0]
    y_data = [2.0, 4.0, 6.0]
    w = torch.tensor([3.0], requires_grad=True)
    curve = []
    for _epoch in range(100):
        for x_val, y_val in zip(x_data, y_data):
            y_pred = w * x_val
            l = (y_pred - y_val) ** 2
            l.backward()
            w.data = w.data - 0.01 * w.grad.data
            w.grad.data.zero_()
        curve.append(l.item())

    got = classic_loop(torch, "cpu", epochs=100)
    assert got["w"] == w.item() and got["final_loss"] == l.item()
    assert got["loss_curve"] == curve and got["w_curve"][-1] == w.item()
    assert got["converged_epoch"] is not None and got["seconds"] > 0 and got["dtype"] == "float32"


def test_a_real_paste_cuda_build_on_a_radeon_laptop_without_nvidia():
    """vllm-project/vllm#4858 (real collect_env, see reports/pastes/SOURCES.md): 2.1.2+cu121, 'No CUDA'
    everywhere, an AMD Ryzen 5 6600H with Radeon Graphics."""
    path = Path(__file__).parents[1] / "fixtures/reports/pastes/vllm4858-collect-env-cu121-ryzen-radeon-no-nvidia.txt"
    if not path.exists():
        pytest.skip("the pastes corpus is not in this tree")
    found = problems(load_report(path.read_text(encoding="utf-8"), path.name))["torch.cuda_build_without_gpu"]
    assert "no NVIDIA GPU shows on this machine" in found.message and "install the NVIDIA driver" in found.message
    assert found.fix.commands == ("python -m pip uninstall -y torch",
                                  "python -m pip install torch==2.1.2 --index-url https://download.pytorch.org/whl/cpu")
