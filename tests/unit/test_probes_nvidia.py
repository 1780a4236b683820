"""NVIDIA probe: parsers on real captured output, sources in order, failures kept as facts."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.fake_probes import FakeRun, build_h200, captured, failed, fake_nvml, ok, timed_out, write

from torchdoctor.facts import Gpu
from torchdoctor.probes import nvidia

H200_GPU = Gpu(vendor="nvidia", name="NVIDIA H200", capability=(9, 0), memory_mib=143771,
               pci_bus_id="0000:00:06.0", pci_id="10de:2335", source="nvml")


# ---------------------------------------------------------------- parsers on real output


def test_smi_header_of_the_h200():
    assert nvidia.parse_smi_header(captured("h200/nvidia-smi.txt")) == ("580.159.04", "13.0")


def test_smi_header_of_driver_610_renamed_fields():
    # 610 prints "KMD Version" / "CUDA UMD Version" (a regex for "CUDA Version:" misses it).
    assert nvidia.parse_smi_header(captured("probes/nvidia-smi-610.txt")) == ("610.43.02", "13.3")


def test_smi_q_report_has_the_same_header_fields():
    assert nvidia.parse_smi_header(captured("h200/nvidia-smi-q.txt")) == ("580.159.04", "13.0")


def test_smi_header_of_a_failed_run_is_empty():
    assert nvidia.parse_smi_header(captured("probes/nvidia-smi-mismatch.txt")) == (None, None)


def test_smi_query_with_header_maps_columns_by_name():
    # The H200 capture asked for 12 fields in another order, with a header line.
    (gpu,) = nvidia.parse_smi_query(captured("h200/nvidia-smi-query.txt"))
    assert gpu == nvidia.SmiGpu("NVIDIA H200", "580.159.04", (9, 0), 143771, "0000:00:06.0")


def test_smi_query_noheader_in_our_field_order():
    text = "NVIDIA H200, 580.159.04, 9.0, 143771 MiB, 00000000:00:06.0\n" \
           "NVIDIA GeForce GTX 1080 Ti, 580.159.04, 6.1, 11264 MiB, 00000000:81:00.0\n"
    gpus = nvidia.parse_smi_query(text)
    assert [g.capability for g in gpus] == [(9, 0), (6, 1)]
    assert gpus[1].bus_id == "0000:81:00.0" and gpus[1].memory_mib == 11264


def test_smi_query_old_driver_fields_and_not_available_cells():
    text = "Tesla K80, 470.182.03, [N/A], 00000000:04:00.0\n"
    (gpu,) = nvidia.parse_smi_query(text, nvidia.QUERY_FIELDS_OLD)
    assert gpu == nvidia.SmiGpu("Tesla K80", "470.182.03", None, None, "0000:04:00.0")


@pytest.mark.parametrize("garbage", ["", "\n\n", "No devices were found\n", "a, b\n", "\x00\x01binary"])
def test_smi_query_garbage_gives_nothing(garbage):
    assert nvidia.parse_smi_query(garbage) == ()


def test_proc_version_open_module_on_the_h200():
    assert nvidia.parse_proc_version(captured("h200/proc-driver-version.txt")) == ("580.159.04", True)


def test_proc_version_proprietary_module():
    assert nvidia.parse_proc_version(captured("probes/proc-driver-version-proprietary.txt")) == ("384.98", False)


def test_proc_version_older_open_wording():
    assert nvidia.parse_proc_version(captured("probes/proc-driver-version-open-old.txt")) == ("590.48.01", True)


def test_proc_version_garbage():
    assert nvidia.parse_proc_version("GCC version: 12\n") == (None, None)


def test_module_version_file():
    assert nvidia.parse_module_version(captured("h200/sys-module-version.txt")) == "580.159.04"
    assert nvidia.parse_module_version("") is None


@pytest.mark.parametrize("value, expected", [(13000, "13.0"), (12020, "12.2"), (12080, "12.8"),
                                             (11040, "11.4"), (0, None), (None, None)])
def test_cuda_version_from_int(value, expected):
    assert nvidia.cuda_version_from_int(value) == expected


@pytest.mark.parametrize("text, expected", [
    ("00000000:00:06.0", "0000:00:06.0"), ("0000:81:00.0", "0000:81:00.0"), ("00000001:3B:00.1", "0001:3b:00.1"),
    ("81:00.0", "0000:81:00.0"), ("N/A", None), ("", None), (None, None)])
def test_bus_ids_are_normalised_to_the_sysfs_form(text, expected):
    assert nvidia.normalise_bus_id(text) == expected


def test_gpu_information_file():
    text = "Model: \t\t NVIDIA GeForce RTX 3090\nIRQ:   \t\t 186\nBus Location: \t 0000:01:00.0\nDevice Minor: \t 0\n"
    assert nvidia.parse_gpu_information(text) == ("NVIDIA GeForce RTX 3090", "0000:01:00.0")


# ---------------------------------------------------------------- NVML


def test_nvml_reads_what_the_real_h200_answered():
    fake = fake_nvml()
    reading = nvidia.read_nvml(fake)
    assert reading.ok and reading.errors == ()
    assert (reading.driver, reading.cuda_driver) == ("580.159.04", "13.0")
    assert reading.gpus == (H200_GPU,)
    assert fake.state == {"init": 1, "shutdown": 1}


def test_nvml_init_failure_is_recorded_verbatim():
    reading = nvidia.read_nvml(fake_nvml(init_error="Driver/library version mismatch"))
    assert not reading.ok
    assert reading.errors == ("NVML: Driver/library version mismatch",)


def test_nvml_one_failing_query_keeps_the_rest():
    reading = nvidia.read_nvml(fake_nvml(fail={"name": "GPU is lost"}))
    assert reading.ok and reading.gpus[0].name is None and reading.gpus[0].capability == (9, 0)
    assert reading.errors == ("NVML: GPU 0 name: GPU is lost",)


def test_real_pynvml_without_a_driver_says_so():
    pytest.importorskip("pynvml")
    if Path("/proc/driver/nvidia/version").exists() or Path("C:/Windows/System32/nvml.dll").exists():
        pytest.skip("this machine has an NVIDIA driver")
    reading = nvidia.read_nvml()
    assert not reading.ok and len(reading.errors) == 1 and reading.errors[0].startswith("NVML: ")


# ---------------------------------------------------------------- nvidia-smi through the runner


def smi_script(query=None, banner=None):
    return {
        "nvidia-smi --query-gpu=*": query or (lambda argv: ok(argv, "NVIDIA H200, 580.159.04, 9.0, 143771 MiB, 00000000:00:06.0\n")),
        "nvidia-smi": banner or (lambda argv: ok(argv, captured("h200/nvidia-smi.txt"))),
    }


def test_smi_ok():
    run = FakeRun(smi_script())
    reading = nvidia.read_smi("/usr/bin/nvidia-smi", run, 5.0)
    assert reading.driver == "580.159.04" and reading.cuda_driver == "13.0" and reading.errors == ()
    assert run.calls[0][1] == "--query-gpu=name,driver_version,compute_cap,memory.total,pci.bus_id"
    assert run.calls[0][2] == "--format=csv,noheader"


def test_smi_old_driver_is_asked_again_without_compute_cap():
    def query(argv):
        if "compute_cap" in argv[1]:
            return failed(argv, 2, 'Field "compute_cap" is not a valid field to query.\n')
        return ok(argv, "Tesla K80, 470.182.03, 11441 MiB, 00000000:04:00.0\n")
    run = FakeRun(smi_script(query=query))
    reading = nvidia.read_smi("nvidia-smi", run, 5.0)
    assert [g.name for g in reading.gpus] == ["Tesla K80"] and reading.gpus[0].capability is None
    assert len([c for c in run.calls if c[1:2] and c[1].startswith("--query-gpu")]) == 2


def test_smi_driver_mismatch_keeps_nvmls_words():
    def query(argv):
        return failed(argv, 18, captured("probes/nvidia-smi-mismatch.txt"))
    reading = nvidia.read_smi("nvidia-smi", FakeRun(smi_script(query=query)), 5.0)
    assert reading.gpus == () and reading.driver is None
    assert reading.errors == ("nvidia-smi exited with status 18: Failed to initialize NVML: "
                              "Driver/library version mismatch (NVML library version: 570.124)",)


def test_smi_timeout_is_a_fact():
    reading = nvidia.read_smi("nvidia-smi", FakeRun(smi_script(query=lambda argv: timed_out(argv))), 5.0)
    assert reading.gpus == () and reading.errors == ("nvidia-smi timed out after 5.0 s",)


def test_smi_garbage_is_reported_not_guessed():
    reading = nvidia.read_smi("nvidia-smi", FakeRun(smi_script(query=lambda argv: ok(argv, "Segmentation fault\n"))), 5.0)
    assert reading.gpus == () and reading.driver is None
    assert reading.errors == ("nvidia-smi: unreadable --query-gpu output: 'Segmentation fault'",)


def test_smi_banner_without_cuda_version():
    run = FakeRun(smi_script(banner=lambda argv: ok(argv, "| NVIDIA-SMI 999.1 |\n")))
    reading = nvidia.read_smi("nvidia-smi", run, 5.0)
    assert reading.cuda_driver is None and reading.errors == ("nvidia-smi: no CUDA version in its banner",)


def test_smi_candidates_only_existing_paths():
    assert nvidia.smi_candidates("linux", False, which=lambda n: None) == ()
    assert nvidia.smi_candidates("linux", True, which=lambda n: None, exists=lambda p: True) == (nvidia.WSL_SMI,)
    assert nvidia.smi_candidates("windows", False, which=lambda n: None,
                                 exists=lambda p: "NVSMI" in p) == (nvidia.WINDOWS_SMI[1],)
    assert nvidia.smi_candidates("linux", False, which=lambda n: "/usr/bin/nvidia-smi") == ("/usr/bin/nvidia-smi",)


# ---------------------------------------------------------------- the whole probe, sources in order


def test_h200_via_nvml_does_not_run_nvidia_smi(tmp_path):
    build_h200(tmp_path)
    run = FakeRun(smi_script())
    probe = nvidia.probe_nvidia("linux", root=tmp_path, run=run, nvml=fake_nvml(), which=lambda n: "/usr/bin/" + n)
    f = probe.facts
    assert (f.driver, f.cuda_driver, f.source) == ("580.159.04", "13.0", "nvml")
    assert (f.kernel_module, f.open_kernel_module, f.errors) == ("580.159.04", True, ())
    assert probe.gpus == (H200_GPU,)
    assert run.calls == []


def test_nvml_mismatch_falls_back_to_sysfs_and_nvidia_smi(tmp_path):
    build_h200(tmp_path)
    run = FakeRun(smi_script())
    probe = nvidia.probe_nvidia("linux", root=tmp_path, run=run, which=lambda n: "/usr/bin/" + n,
                                nvml=fake_nvml(init_error="Driver/library version mismatch"))
    f = probe.facts
    assert (f.driver, f.source, f.cuda_driver) == ("580.159.04", "sysfs", "13.0")
    assert f.errors == ("NVML: Driver/library version mismatch",)
    assert [(g.name, g.capability, g.source) for g in probe.gpus] == [("NVIDIA H200", (9, 0), "nvidia-smi")]


def test_procfs_when_sysfs_is_missing_and_gpu_names_from_procfs(tmp_path):
    write(tmp_path / "proc/driver/nvidia/version", captured("probes/proc-driver-version-proprietary.txt"))
    write(tmp_path / "proc/driver/nvidia/gpus/0000:01:00.0/information",
          "Model: \t\t NVIDIA GeForce GTX 1080\nBus Location: \t 0000:01:00.0\n")
    probe = nvidia.probe_nvidia("linux", root=tmp_path, run=FakeRun({}), which=lambda n: None,
                                nvml=fake_nvml(init_error="NVML Shared Library Not Found"))
    assert (probe.facts.driver, probe.facts.source, probe.facts.open_kernel_module) == ("384.98", "procfs", False)
    assert probe.gpus == (Gpu(vendor="nvidia", name="NVIDIA GeForce GTX 1080", pci_bus_id="0000:01:00.0", source="procfs"),)
    assert probe.facts.errors == ("NVML: NVML Shared Library Not Found", "nvidia-smi: not found")


def test_no_kernel_module_skips_nvml_and_says_why(tmp_path):
    fake = fake_nvml()
    probe = nvidia.probe_nvidia("linux", root=tmp_path, run=FakeRun({}), nvml=fake, which=lambda n: None)
    assert probe.facts.driver is None and probe.gpus == ()
    assert probe.facts.errors == ("kernel: the nvidia kernel module is not loaded (no /sys/module/nvidia)",)
    assert fake.state["init"] == 0
    assert [n.name for n in probe.notes] == ["nvidia-kernel", "nvml", "nvidia-smi"]


def test_wsl_uses_nvml_without_kernel_files(tmp_path):
    probe = nvidia.probe_nvidia("linux", wsl=True, root=tmp_path, run=FakeRun({}), nvml=fake_nvml(),
                                which=lambda n: None)
    assert probe.facts.source == "nvml" and probe.facts.kernel_module is None and probe.gpus == (H200_GPU,)


def test_wsl_nvidia_smi_outside_path(tmp_path):
    run = FakeRun(smi_script())
    probe = nvidia.probe_nvidia("linux", wsl=True, root=tmp_path, run=run, which=lambda n: None,
                                nvml=fake_nvml(init_error="NVML Shared Library Not Found"),
                                exists=lambda p: p == nvidia.WSL_SMI)
    assert probe.facts.driver == "580.159.04" and probe.facts.source == "nvidia-smi"
    assert run.calls[0][0] == nvidia.WSL_SMI


def test_macos_has_no_nvidia_probe(tmp_path):
    run = FakeRun(smi_script())
    fake = fake_nvml()
    probe = nvidia.probe_nvidia("macos", root=tmp_path, run=run, nvml=fake, which=lambda n: "/x/" + n)
    assert probe.facts.driver is None and run.calls == [] and fake.state["init"] == 0
