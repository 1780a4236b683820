"""The planner over described machines. Each expectation follows from the knowledge tables;
the comment/reason says which row decides it."""

import pytest

from torchdoctor.facts import Gpu
from torchdoctor.knowledge import gpu_runs_on

from helpers.plan_machines import CPU_IDX, K, machine, nv, plan  # noqa: F401


# (id, machine, expected torch, variant, index variant or None for plain PyPI, why)
PLANS = [
    ("no-gpu-linux", machine(), "2.15.0", "cpu", "cpu",
     "no GPU on Linux -> /whl/cpu (cpu for 2.15 is 'inferred', offered)"),
    ("no-gpu-linux-py310", machine(py="3.10"), "2.14.1", "cpu", "cpu", "2.15 needs Python >= 3.11"),
    ("no-gpu-windows", machine(os="windows"), "2.15.0", "cpu", None, "Windows PyPI default is the CPU build"),
    ("no-gpu-aarch64", machine(arch="aarch64"), "2.15.0", "cpu", "cpu",
     "aarch64 PyPI default is CUDA from 2.11, so the CPU build comes from /whl/cpu"),
    ("apple-silicon", machine(os="macos", arch="arm64", os_version="macOS 15.1"), "2.15.0", "cpu", None,
     "macOS arm64: PyPI wheel (MPS)"),
    ("apple-silicon-macos13", machine(os="macos", arch="arm64", os_version="macOS 13.6"), "2.11.0", "cpu", None,
     "2.12+ wheels are tagged macosx_14_0"),
    ("intel-mac", machine(os="macos", arch="x86_64"), "2.2.2", "cpu", None, "2.2.2: last macOS x86_64 wheels"),
    ("intel-mac-py313", machine(os="macos", arch="x86_64", py="3.13"), None, None, None,
     "2.2.2 has no cp313 wheel: nothing fits"),
    ("ampere-535", machine(driver="535.104.05", gpus=[nv((8, 6), "NVIDIA GeForce RTX 3090")]), "2.14.1", "cu126", "cu126",
     "13.x needs >= 580.65.06; cu126 (12.x MVC floor 525.60.13) of 2.14 is the newest 12.x"),
    ("ampere-525", machine(driver="525.60.13", gpus=[nv((8, 6))]), "2.14.1", "cu126", "cu126",
     "exactly the CUDA 12.x MVC floor"),
    ("ampere-520", machine(driver="520.61.05", gpus=[nv((8, 6))]), "2.7.1", "cu118", "cu118",
     "below the 12.x floor: the newest cu118 is 2.7"),
    ("turing-470", machine(driver="470.82.01", gpus=[nv((7, 5), "Tesla T4")]), "2.7.1", "cu118", "cu118",
     "11.x MVC floor 450.80.02; cu118 ends with 2.7"),
    ("ampere-450", machine(driver="450.80.02", gpus=[nv((8, 0))]), "2.7.1", "cu118", "cu118", "11.x floor met exactly"),
    ("hopper-580", machine(driver="580.95.05", gpus=[nv((9, 0), "NVIDIA H100 80GB HBM3")]), "2.15.0", "cu132", None,
     "2.15 PyPI default cu132 passes the 13.x MVC floor"),
    ("hopper-600", machine(driver="600.10", gpus=[nv((9, 0))]), "2.15.0", "cu132", None, "native 13.2"),
    ("h200-fixture-driver", machine(driver="580.159.04", gpus=[nv((9, 0), "NVIDIA H200")]), "2.15.0", "cu132", None,
     "the captured H200 driver (580.159.04) is R580"),
    ("pascal-580", machine(driver="580.95.05", gpus=[nv((6, 1), "NVIDIA GeForce GTX 1080 Ti")]), "2.14.1", "cu126", "cu126",
     "CUDA 13 dropped Pascal; 2.14 is the last cu126"),
    ("maxwell-580", machine(driver="580.95.05", gpus=[nv((5, 2), "GTX 970")]), "2.14.1", "cu126", "cu126",
     "cu126 has sm_50 (runs 5.2)"),
    ("volta-580", machine(driver="580.95.05", gpus=[nv((7, 0), "Tesla V100")]), "2.14.1", "cu126", "cu126",
     "cu126 has sm_70; cu130+ does not"),
    ("volta-570", machine(driver="570.124.06", gpus=[nv((7, 0))]), "2.14.1", "cu126", "cu126",
     "cu126 12.x; native (570 >= 560.28.03)"),
    ("blackwell-570", machine(driver="570.124.06", gpus=[nv((12, 0), "NVIDIA GeForce RTX 5090")]), "2.11.0", "cu128", "cu128",
     "sm_120 needs CUDA >= 12.8; cu128 ends with 2.11; cu130 needs 580"),
    ("blackwell-580", machine(driver="580.95.05", gpus=[nv((12, 0))]), "2.15.0", "cu132", None, "13.x has sm_120"),
    ("blackwell-535", machine(driver="535.104.05", gpus=[nv((12, 0))]), None, None, None,
     "R535 does not drive Blackwell at all (first branch R570), whatever 12.x MVC allows"),
    ("blackwell-560", machine(driver="560.35.03", gpus=[nv((12, 0), "NVIDIA GeForce RTX 5090")]), None, None, None,
     "R560 does not drive an RTX 5090: update the driver, not a cu128 plan"),
    ("blackwell-570.26", machine(driver="570.26", gpus=[nv((12, 0))]), "2.11.0", "cu128", "cu128",
     "the first R570 driver drives Blackwell; cu128 ends with 2.11"),
    ("gb10-580-aarch64", machine(arch="aarch64", driver="580.95.05", gpus=[nv((12, 1), "NVIDIA GB10")]), "2.15.0", "cu132", None,
     "aarch64 PyPI default cu132 has sm_120, runs 12.1"),
    ("gh200-aarch64-570", machine(arch="aarch64", driver="570.124.06", gpus=[nv((9, 0), "NVIDIA GH200 480GB")]),
     "2.14.1", "cu126", "cu126", "aarch64 cu126 = sm_80;sm_90; 13.x needs 580"),
    ("t4-aarch64-570", machine(arch="aarch64", driver="570.124.06", gpus=[nv((7, 5))]), None, None, None,
     "aarch64 CUDA lists start at sm_80 (2.7 cu128 aarch64: 9.0;10.0;12.0): no build for a T4 on aarch64"),
    ("mixed-3060-1060", machine(driver="580.95.05", gpus=[nv((8, 6)), nv((6, 1))]), "2.14.1", "cu126", "cu126",
     "every GPU must run: sm_61 rules out CUDA 13"),
    ("mixed-5090-1080", machine(driver="580.95.05", gpus=[nv((12, 0)), nv((6, 1))]), None, None, None,
     "no Linux build has both sm_61 (needs CUDA <= 12.x, cu128 drops sm_60) and sm_120 (needs cu128+)"),
    ("mixed-5090-1080-windows", machine(os="windows", driver="581.57", gpus=[nv((12, 0)), nv((6, 1))]), "2.8.0", "cu128",
     "cu128", "Windows 2.8 cu128 is 6.1;7.0;...;12.0: both GPUs (Linux lacks sm_61)"),
    ("wsl2-566", machine(wsl=True, driver="566.36", gpus=[nv((8, 9))]), "2.14.1", "cu126", "cu126",
     "WSL2 driver is the Windows driver: 566.36 >= 527.41, < 580"),
    ("windows-ampere-537", machine(os="windows", driver="537.13", gpus=[nv((8, 6))]), "2.14.1", "cu126", "cu126",
     "Windows 12.x floor 527.41"),
    ("windows-ampere-581", machine(os="windows", driver="581.57", gpus=[nv((8, 6))]), "2.14.1", "cu130", "cu130",
     "2.15 Windows CUDA unconfirmed; Windows cu132 arch list unknown -> cu130"),
    ("windows-maxwell-2_8", machine(os="windows", driver="581.57", gpus=[nv((5, 0))]), "2.14.1", "cu126", "cu126",
     "Windows cu126 has sm_50 except in 2.8.0"),
    ("amd-gfx1100", machine(gpus=[Gpu(vendor="amd", gfx="gfx1100")]), "2.14.1", "rocm7.14", "rocm7.14",
     "ROCm 2.15 unconfirmed; 2.14 rocm7.14 has gfx1100"),
    ("amd-gfx906", machine(gpus=[Gpu(vendor="amd", gfx="gfx906")]), "2.14.1", "rocm7.2", "rocm7.2",
     "rocm7.14 dropped gfx900/906; rocm7.2 keeps them"),
    ("amd-gfx1151", machine(gpus=[Gpu(vendor="amd", gfx="gfx1151")]), "2.14.1", "rocm7.14", "rocm7.14", "in both lists"),
    ("intel-arc-linux", machine(gpus=[Gpu(vendor="intel", kind="arc", name="Intel Arc A770")]), "2.14.1", "xpu", "xpu",
     "xpu for 2.15 unconfirmed"),
    ("intel-arc-windows", machine(os="windows", gpus=[Gpu(vendor="intel", kind="arc")]), "2.14.1", "xpu", "xpu",
     "XPU wheels exist for Windows x86_64"),
    ("intel-igpu", machine(gpus=[Gpu(vendor="intel", kind="integrated")]), "2.15.0", "cpu", "cpu",
     "integrated Intel graphics: CPU plan with a note"),
    ("intel-datacenter-linux", machine(gpus=[Gpu(vendor="intel", kind="datacenter", name="Data Center GPU Max 1550")]),
     "2.14.1", "xpu", "xpu", "XPU docs: Data Center GPU Max on Linux"),
    ("intel-dg1-linux", machine(gpus=[Gpu(vendor="intel", kind="discrete", name="DG1 [Iris Xe MAX Graphics]")]),
     "2.15.0", "cpu", "cpu", "DG1 / unknown discrete ids are not on the XPU hardware list: CPU plan, XPU to try"),
    ("intel-discrete-windows", machine(os="windows", gpus=[Gpu(vendor="intel", kind="discrete")]), "2.15.0", "cpu", None,
     "as on Linux; Windows CPU build from PyPI"),
    ("laptop-nvidia-plus-igpu", machine(driver="580.95.05", gpus=[nv((8, 9)), Gpu(vendor="intel", kind="integrated")]),
     "2.15.0", "cu132", None, "the NVIDIA GPU is the target"),
    ("py39-ampere-535", machine(py="3.9", driver="535.104.05", gpus=[nv((8, 6))]), "2.8.0", "cu126", "cu126",
     "Python 3.9 ends with 2.8; driver 535 runs 12.x only via MVC, so the CUDA closest to it (12.6)"),
    ("py38-cpu", machine(py="3.8"), "2.4.1", "cpu", "cpu", "Python 3.8 ends with 2.4"),
    ("py37-cpu", machine(py="3.7"), "1.13.1", "cpu", "cpu", "Python 3.7 ends with 1.13"),
    ("py315-cpu", machine(py="3.15"), "2.15.0", "cpu", "cpu", "only 2.15 has cp315"),
    ("py314t-ampere-580", machine(py="3.14", ft=True, driver="580.95.05", gpus=[nv((8, 6))]), "2.15.0", "cu132", None,
     "3.14t wheels from 2.9"),
    ("py313t-2.6-cpu", machine(py="3.13", ft=True, os="windows"), "2.12.0", "cpu", None,
     "Windows 3.13t wheels on PyPI: 2.7-2.11 and 2.12.0 (2.12.1+ has 3.14t only)"),
    ("old-glibc", machine(libc="glibc", libc_version="2.17"), "2.6.0", "cpu", "cpu",
     "manylinux_2_28 from 2.7 on x86_64"),
    ("kepler-k80-470-py310", machine(py="3.10", driver="470.82.01", gpus=[nv((3, 7), "Tesla K80")]), "2.7.1", "cu118", "cu118",
     "cu118 keeps sm_37 up to 2.7 (2.6/2.7 list inferred); Kepler needs CUDA <= 11.8"),
]


@pytest.mark.parametrize("name, facts, torch, variant, index, why", PLANS, ids=[p[0] for p in PLANS])
def test_plan_table(name, facts, torch, variant, index, why):
    res = plan(facts)
    if torch is None:
        assert res.plan is None, why
        assert res.problems, why
        return
    assert res.plan is not None, (why, res.problems)
    got = (res.plan.torch, res.plan.variant,
           res.plan.index_url.rsplit("/", 1)[1] if res.plan.index_url else None)
    assert got == (torch, variant, index), why


def test_confidence_and_notes_follow_the_data():
    res = plan(machine(py="3.10", driver="470.82.01", gpus=[nv((3, 7))]))
    assert res.plan.confidence == "inferred"  # 2.7 cu118 arch list is inferred
    assert any("inferred" in r for r in res.plan.reasons)
    cpu = plan(machine())
    assert cpu.plan.confidence == "inferred"
    assert cpu.plan.retry_torch == "2.14.1"
    assert cpu.plan.retry_command == "pip install torch==2.14.1 --index-url https://download.pytorch.org/whl/cpu"


def test_retry_command_follows_the_format_and_a_pinned_release():
    assert plan(machine(), fmt="uv").plan.retry_command == (
        "uv pip install torch==2.14.1 --index-url https://download.pytorch.org/whl/cpu")
    assert plan(machine(), fmt="requirements").plan.retry_command.splitlines() == [
        "--index-url https://download.pytorch.org/whl/cpu", "torch==2.14.1"]
    assert plan(machine(), torch="2.15").plan.retry_torch == "2.14.1"  # the pin does not hide it


def test_retry_for_a_python_only_2_15_supports_is_the_verified_pypi_wheel():
    res = plan(machine(py="3.15")).plan
    assert res.index_url.endswith("/cpu") and res.retry_command == "pip install torch==2.15.0"
    assert any("cu132 build" in r for r in res.reasons)  # says what that fallback costs


def test_verified_plans_have_no_retry():
    assert plan(machine(driver="580.95.05", gpus=[nv((9, 0))])).plan.retry_command is None  # PyPI 2.15 cu132
    assert plan(machine(), torch="2.14").plan.retry_command is None


def test_pypi_default_is_verified_even_where_the_index_variant_is_inferred():
    """2.15's /whl/cpu is inferred; the Windows CPU wheel on PyPI was read from PyPI itself."""
    win = plan(machine(os="windows")).plan
    assert (win.index_url, win.confidence, win.retry_command) == (None, "confirmed", None)
    assert not any("inferred" in r or "not verified" in r for r in win.reasons)


def test_every_plan_gpu_really_runs_on_the_chosen_build():
    """The gate itself, checked independently against the tables for every table row with a GPU."""
    for name, facts, torch, variant, _, _ in PLANS:
        res = plan(facts)
        if res.plan is None or res.plan.device != "cuda":
            continue
        key = f"{facts.platform.os}-{facts.platform.arch}"
        archs = K.arch_list(res.plan.torch, res.plan.variant, key)
        for g in facts.gpus:
            if g.vendor == "nvidia":
                assert gpu_runs_on(g.capability, archs), name


def test_last_cu126_warning_names_the_old_gpu_of_a_mixed_machine():
    res = plan(machine(driver="580.95.05", gpus=[nv((8, 6), "RTX 3060"), nv((6, 1), "GTX 1060")]))
    warning = next(w for w in res.plan.warnings if "last release" in w)
    assert "GTX 1060 (sm_61, Pascal)" in warning and "RTX 3060" not in warning


def test_driver_floor_is_the_minor_version_compat_floor_and_said_so():
    res = plan(machine(driver="535.104.05", gpus=[nv((8, 6))]))
    text = " ".join(res.plan.reasons)
    assert "525.60.13" in text and "minor-version compatibility" in text
    assert "560.28.03" in text  # the toolkit's own driver, for the native feature set
    assert res.upgrades[0].startswith("A driver >= 580.65.06 would unlock torch 2.15.0+cu132")
    assert any(line.startswith("torch 2.15.0") and "580.65.06" in line for line in res.rejected)


def test_old_driver_lists_the_cheapest_upgrade():
    res = plan(machine(driver="470.82.01", gpus=[nv((7, 5))]))
    assert any("525.60.13" in u and "2.14.1+cu126" in u for u in res.upgrades)


def test_kepler_upgrade_respects_last_driver_branch():
    res = plan(machine(py="3.10", driver="455.32", gpus=[nv((3, 7))]))
    assert all("580" not in u for u in res.upgrades)


def test_gpu_too_old_for_every_build():
    res = plan(machine(driver="470.82.01", gpus=[nv((3, 5), "Tesla K40m")]))
    assert res.plan is None
    assert res.problems[0].id == "gpu.no_build"
    assert "sm_35" in res.problems[0].message
    assert res.fallback is not None and res.fallback.variant == "cpu"  # shown as a CPU-only fallback


def test_driver_too_old_for_everything():
    res = plan(machine(driver="418.39", gpus=[nv((7, 5))]))
    assert res.plan is None and res.problems[0].id == "gpu.driver_too_old"
    assert "450.80.02" in res.problems[0].message


def test_no_driver_with_an_nvidia_gpu_is_loud():
    res = plan(machine(gpus=[nv((8, 6))]))
    assert res.plan.variant.startswith("cu")
    assert any("NO NVIDIA DRIVER" in w for w in res.plan.warnings)


def test_driver_without_a_known_gpu_warns_that_arch_is_unchecked():
    res = plan(machine(driver="535.104.05"))
    assert res.plan.variant == "cu126"
    assert any("COMPUTE CAPABILITY UNKNOWN" in w for w in res.plan.warnings)


def test_unknown_gpu_name_resolves_through_the_table():
    res = plan(machine(driver="580.95.05", gpus=[Gpu(vendor="nvidia", name="NVIDIA GeForce GTX 1070")]))
    assert (res.plan.torch, res.plan.variant) == ("2.14.1", "cu126")  # 6.1 from the name table


@pytest.mark.parametrize("facts, problem", [
    (machine(py="3.6"), "python.too_old"),
    (machine(py="3.16"), "python.too_new"),
    (machine(os="windows", arch="x86", bits=32), "python.32bit"),
    (machine(bits=32), "python.32bit"),
    (machine(impl="pypy"), "python.implementation"),
    (machine(libc="musl", libc_version="1.2.4"), "platform.musl"),
    (machine(os="freebsd"), "platform.unsupported_os"),
    (machine(os="windows", arch="aarch64"), "platform.unsupported_arch"),
    # 32-bit ARM userland on a 64-bit kernel, and big-endian ARM: no torch wheel runs there
    (machine(arch="armv8l"), "platform.unsupported_arch"),
    (machine(arch="aarch64_be"), "platform.unsupported_arch"),
    (machine(os="macos", arch="x86_64", rosetta=True), "python.rosetta"),
    (machine(os="windows", gpus=[Gpu(vendor="amd", gfx="gfx1100")]), "amd.no_rocm_on_os"),
    (machine(arch="aarch64", driver="540.4.0", gpus=[nv((8, 7), "Orin")]), "gpu.jetson"),
    (machine(py="3.13", ft=True, os="macos", arch="x86_64"), "python.free_threaded"),
])
def test_nothing_fits(facts, problem):
    res = plan(facts)
    assert res.plan is None
    assert res.problems[0].id == problem, res.problems


def test_python_36_says_what_to_install_instead():
    msg = plan(machine(py="3.6")).problems[0].message
    assert "1.10.2" in msg and "3.6" in msg


def test_intel_datacenter_gpu_on_windows_has_no_xpu_build():
    res = plan(machine(os="windows", gpus=[Gpu(vendor="intel", kind="datacenter", name="Data Center GPU Max 1100")]))
    assert res.plan is None and res.problems[0].id == "intel.no_xpu_on_os"
    assert "Linux x86_64 only" in res.problems[0].message
    assert res.fallback.variant == "cpu"


@pytest.mark.parametrize("kind, which", [("discrete", "a newer Arc card"), ("integrated", "Core Ultra")])
def test_intel_gpu_off_the_xpu_list_plans_cpu_and_spells_out_the_xpu_try(kind, which):
    res = plan(machine(gpus=[Gpu(vendor="intel", kind=kind)]))
    assert res.plan.variant == "cpu"
    text = " ".join(res.plan.reasons)
    assert which in text
    assert "pip install torch==2.14.1 --index-url https://download.pytorch.org/whl/xpu" in text
    assert ("discrete GPU" in text) == (kind == "discrete")


def test_intel_flex_gets_xpu_on_linux_with_a_caveat():
    res = plan(machine(gpus=[Gpu(vendor="intel", kind="datacenter", name="Data Center GPU Flex 170")]))
    assert res.plan.variant == "xpu" and any("Flex Series is not on that list" in r for r in res.plan.reasons)


def test_amd_on_windows_offers_cpu_fallback_loudly():
    res = plan(machine(os="windows", gpus=[Gpu(vendor="amd", gfx="gfx1100")]))
    assert res.fallback.variant == "cpu" and res.fallback.index_url is None


def test_pinned_release_and_variant():
    m = machine(driver="580.95.05", gpus=[nv((8, 6))])
    assert plan(m, torch="2.7").plan.torch == "2.7.1"
    assert plan(m, torch="2.7.0").plan.torch == "2.7.0"
    assert plan(m, torch="2.7.1+cu118").plan.variant == "cu118"
    res = plan(machine(driver="580.95.05", gpus=[nv((12, 0))]), torch="2.6")
    assert res.plan is None and res.problems[0].id == "gpu.no_build"  # Blackwell needs cu128+ (2.7+)
    assert "2.15.0+cu132" in res.problems[0].message  # and says what works without the pin
    with pytest.raises(ValueError):
        plan(m, torch="9.9")


def test_companions_pin_matching_versions_and_hold_back_for_torchaudio():
    m = machine(driver="580.95.05", gpus=[nv((9, 0))])
    vision = plan(m, with_=("torchvision",)).plan
    assert vision.torch == "2.14.1" and "torchvision==0.29.1" in vision.packages  # no torchvision for 2.15 yet
    audio = plan(m, with_=("torchvision", "torchaudio")).plan
    assert audio.torch == "2.11.0" and "torchaudio==2.11.0" in audio.packages
    assert any("torchaudio" in r and "Trade-off" in r for r in audio.reasons)


def test_1_13_uses_local_versions_and_extra_index():
    res = plan(machine(py="3.7", driver="470.82.01", gpus=[nv((8, 6))]), with_=("torchvision",))
    assert res.plan.torch == "1.13.1" and res.plan.variant == "cu116"
    assert res.plan.command == ("pip install torch==1.13.1+cu116 torchvision==0.14.1+cu116 "
                                "--extra-index-url https://download.pytorch.org/whl/cu116")


def test_formats_and_index_base():
    m = machine(driver="535.104.05", gpus=[nv((8, 6))])
    assert plan(m, fmt="uv").plan.command.startswith("uv pip install torch==2.14.1 --index-url")
    req = plan(m, fmt="requirements", index_base="https://mirror.example/whl/").plan.command
    assert req.splitlines() == ["--index-url https://mirror.example/whl/cu126", "torch==2.14.1"]
    assert plan(machine(os="windows"), fmt="requirements").plan.command == "torch==2.15.0"


def test_rejected_lines_explain_each_newer_release():
    res = plan(machine(driver="570.124.06", gpus=[nv((12, 0))]))
    newer = [line for line in res.rejected if not line.startswith("torch 2.11.0")]
    assert any("2.15.0" in line for line in newer)
    assert any("sm_120 needs CUDA >= 12.8" in line for line in newer)  # cu126 of 2.12-2.14
    assert all(line.startswith("torch ") for line in res.rejected)


def test_result_to_dict_is_json_ready():
    import json

    d = plan(machine()).to_dict()
    assert json.loads(json.dumps(d))["plan"]["variant"] == "cpu"
    assert set(d["plan"]) >= {"torch", "variant", "index_url", "command"}


# ------------------------------------------------------------------------------ adversarial review 2026-11-27
def test_blackwell_on_a_pre_r570_driver_says_update_the_driver():
    # An R560 driver does not drive an RTX 5090: a cu128 plan through 12.x MVC would not see the GPU.
    res = plan(machine(driver="560.35.03", gpus=[nv((12, 0), "NVIDIA GeForce RTX 5090")]))
    assert res.plan is None and res.problems[0].id == "gpu.driver_too_old"
    assert "driver >= 570 runs torch 2.11.0+cu128" in res.problems[0].message
    assert res.fallback is not None and res.fallback.variant == "cpu"


def test_2_6_free_threaded_comes_from_the_index_not_pypi():
    # PyPI has no cp313t wheel of 2.6.0 (PyPI file list); download.pytorch.org has them for Linux x86_64.
    res = plan(machine(py="3.13", ft=True, driver="550.54.15", gpus=[nv((8, 6))]), torch="2.6")
    assert res.plan is not None and res.plan.index_url is not None
    assert res.plan.variant == "cu124" and "/cu124" in res.plan.command


def test_2_5_python_3_13_has_no_torchvision_wheel():
    # torch 2.5.x has cp313 on Linux x86_64, torchvision 0.20.x / torchaudio 2.5.x do not (PyPI file lists).
    res = plan(machine(py="3.13", driver="550.54.15", gpus=[nv((8, 6))]), torch="2.5", with_=("torchvision",))
    assert res.plan is None and res.problems[0].id == "companion.unavailable"
    assert plan(machine(py="3.13", driver="550.54.15", gpus=[nv((8, 6))]), torch="2.5").plan is not None


@pytest.mark.parametrize("torch,py,ft", [("2.10", "3.14", False), ("2.10", "3.13", True), ("2.8", "3.13", True)])
def test_macos_14_tagged_wheels_of_single_pythons(torch, py, ft):
    # 2.10.0 cp314/cp313t/cp314t and 2.7/2.8 cp313t are macosx_14_0 while the rest are 11.0 (PyPI file lists).
    mac13 = machine(os="macos", arch="arm64", py=py, ft=ft, os_version="macOS 13.6")
    res = plan(mac13, torch=torch)
    assert res.plan is None, res.plan and res.plan.command
    assert plan(machine(os="macos", arch="arm64", py="3.12", os_version="macOS 13.6"), torch=torch).plan is not None


def test_macos_unknown_version_names_the_older_release_only_when_it_helps():
    res = plan(machine(os="macos", arch="arm64", py="3.12"), torch="2.2")
    assert not any("2.11.0" in r for r in res.plan.reasons)  # 2.2.2 already needs only macOS 11
    res = plan(machine(os="macos", arch="arm64", py="3.14"), torch="2.10")
    assert any("needs macOS >= 14.0; on older macOS use torch 2.11.0" in r for r in res.plan.reasons)


def test_intel_mac_on_a_too_new_python_names_the_platforms_last_release():
    # 2.2.2 is the last macOS x86_64 release (cp38-cp312): Python 3.13 there means "install 3.12", not a list.
    res = plan(machine(os="macos", arch="x86_64", py="3.13"))
    assert res.plan is None and res.problems[0].id == "python.too_new"
    assert "torch 2.2.2 is the last release for macos-x86_64" in res.problems[0].message
    assert "Install Python 3.12" in res.problems[0].message


def test_2_5_xpu_on_windows_is_torch_only():
    # 2.5 XPU docs: Windows has torch only (torchvision/torchaudio from source); Linux has all three.
    intel = Gpu(vendor="intel", name="Intel Arc A770", kind="arc")
    res = plan(machine(os="windows", gpus=[intel]), torch="2.5", with_=("torchvision",))
    assert res.plan is None and res.problems[0].id == "companion.unavailable"
    assert plan(machine(os="windows", gpus=[intel]), torch="2.5").plan.variant == "xpu"
    assert plan(machine(gpus=[intel]), torch="2.5", with_=("torchvision",)).plan.variant == "xpu"


def test_pinned_release_without_kernels_names_a_definite_reason():
    # Windows 2.8.0: cu126/cu128 start at sm_61, cu129's list is unknown; the problem must say the former.
    res = plan(machine(os="windows", driver="560.94", gpus=[nv((5, 0))]), torch="2.8")
    assert res.plan is None and res.problems[0].id == "gpu.no_build"
    assert "no kernels for sm_50" in res.problems[0].message and "unknown" not in res.problems[0].message
    assert res.fallback is not None and res.fallback.variant == "cpu"
