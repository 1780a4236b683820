"""The message catalogue (knowledge/messages/*.json) and its one classifier (torchdoctor/messages.py).

Table-driven: every row has samples; each sample is classified as its row, read through the paste path
(`check --from`'s load_report: never refused, exit 2 is for unreadable input) and through the live path
(the torch child's warnings, as TorchRuntime carries them), and the checks run on both without crashing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from torchdoctor import messages
from torchdoctor.checks import run_checks
from torchdoctor.checks.views import build, said, said_code, torch_version
from torchdoctor.facts import Facts, Gpu, TorchRuntime
from torchdoctor.knowledge import load
from torchdoctor.recorded import load_report

FOLDER = Path(messages.folder())
ROWS = [(p.stem, r) for p in sorted(FOLDER.glob("*.json")) for r in json.loads(p.read_text("utf-8"))["rows"]]
SAMPLES = [pytest.param(group, row, s["text"], id=f"{row['id']}#{i}")
           for group, row in ROWS for i, s in enumerate(row["samples"])]


def test_every_emitter_group_is_there_with_rows():
    counts = messages.counts()
    assert set(counts) == {"torch", "numpy", "pip_uv", "conda", "nvml_smi", "cuda_runtime", "container_toolkit",
                           "hip_rocm", "loaders", "cpython", "toolchain", "companions"}
    assert all(n >= 4 for n in counts.values()), counts
    assert sum(counts.values()) == len(ROWS) >= 90


def test_each_row_has_a_sample_an_origin_and_versions():
    for _, row in ROWS:
        assert row["samples"] and row["origin"] and row["versions"] and row["source"], row["id"]


@pytest.mark.parametrize("group,row,text", SAMPLES)
def test_sample_is_classified_as_its_row(group, row, text):
    found = {m.row: m for m in messages.classify(text)}
    assert row["id"] in found
    m = found[row["id"]]
    assert m.kind == row["yields"]["kind"] and m.emitter == group
    for k, v in row["yields"]["fields"].items():
        assert m.fields[k] == v


@pytest.mark.parametrize("group,row,text", SAMPLES)
def test_sample_through_the_paste_path(group, row, text):
    facts = load_report(text + "\n", "sample.txt")  # a UsageError (exit 2) would fail the test
    assert row["id"] in {m.row for m in messages.classify_all(messages.texts_of(facts))}
    assert not [f for f in run_checks(facts, load()) if f.severity == "crashed"]


@pytest.mark.parametrize("group,row,text", SAMPLES)
def test_sample_through_the_live_path(group, row, text):
    facts = Facts(origin="live", runtime=TorchRuntime(status="ok", version="2.7.1+cu126", cuda="12.6",
                                                      warnings=(text,)))
    assert row["id"] in {m.row for m in messages.classify_all(messages.texts_of(facts))}
    assert not [f for f in run_checks(facts, load()) if f.severity == "crashed"]


def test_typed_fields():
    (m,) = [x for x in messages.classify("RuntimeError: module compiled against API version 0x10 but this version "
                                         "of numpy is 0xf") if x.kind == "numpy_api"]
    assert (m.fields["built"], m.fields["have"]) == (0x10, 0xF)
    m = next(x for x in messages.classify("The NVIDIA driver on your system is too old (found version 11040).")
             if x.kind == "driver_too_old")
    assert m.fields["driver_cuda"] == "11.4"
    assert [x.fields["code"] for x in messages.classify("it fails with Error 804 in my container")
            if x.kind == "cuda_error"] == [804]
    m = next(x for x in messages.classify("ERROR: Could not find a version that satisfies the requirement torch "
                                          "(from versions: none)"))
    assert m.kind == "no_matching_wheel" and m.fields["versions"] == ()


def test_unmatched_error_lines_are_kept_as_unclassified():
    facts = Facts(origin="live", runtime=TorchRuntime(status="ok", warnings=("FooError: the frobnicator failed",)))
    assert messages.unclassified_of(facts) == ("FooError: the frobnicator failed",)
    assert messages.classify("all good here") == ()


def _ids(text: str) -> set[str]:
    return {f.id for f in run_checks(load_report(text, "paste.txt"), load()) if f.severity in ("error", "warning")}


def test_error_804_in_a_sentence():
    assert "cuda.init_failed" in _ids("In the container torch 2.2.0+cu121 stops with Error 804 at startup.\n")


def test_undefined_symbol_without_its_traceback_header():
    assert "torch.import_failed" in _ids(
        "ImportError: /env/lib/python3.10/site-packages/torch/lib/libtorch_cuda.so: undefined symbol: ncclCommRegister\n")


def test_container_toolkit_messages():
    assert "container.gpu_devices" in _ids(
        'docker: Error response from daemon: could not select device driver "" with capabilities: [[gpu]].\n')
    assert "container.gpu_devices" in _ids(
        "nvidia-container-cli: initialization error: WSL environment detected but no adapters were found: unknown\n")


def test_a_rocm_tag_in_an_application_log_names_the_build():
    facts = load_report("2025-01-02 10:00:00 INFO starting, torch version: 2.7.1+rocm6.4\n"
                        "RuntimeError: HIP error: invalid device function\n", "log.txt")
    assert build(facts) == ("rocm", "6.4") and torch_version(facts) == "2.7.1+rocm6.4"


def test_the_gpu_vendor_decides_what_a_driver_message_means():
    facts = Facts(origin="json:x", gpus=(Gpu(vendor="amd", name="Radeon RX 7900 XTX"),),
                  runtime=TorchRuntime(status="ok", version="2.1.0+cu118", cuda="11.8", cuda_available=False,
                                       warnings=("CUDA initialization: The NVIDIA driver on your system is too old "
                                                 "(found version 10010).",)))
    found = {f.id: f for f in run_checks(facts, load())}
    assert found["torch.cuda_build_without_gpu"].severity == "warning"
    assert found["cuda.driver_too_old"].severity == "ok"
    assert said(facts, "driver_too_old") is not None and said_code(facts, 804) is None


def test_a_known_release_without_an_arch_list_is_judged_from_the_tables():
    found = {f.id: f for f in run_checks(load_report("torch 2.2.0+cu121\nGPU: NVIDIA GeForce RTX 5090\n", "p.txt"),
                                          load())}
    f = found["cuda.gpu_arch_unsupported"]
    assert f.severity == "error" and "from the release tables" in f.message and "not from this machine" in f.message


def test_numpy_older_than_the_build_is_an_upgrade():
    f = {x.id: x for x in run_checks(load_report(
        "RuntimeError: module compiled against API version 0x10 but this version of numpy is 0xf\n", "p.txt"), load())}
    assert f["numpy.abi"].severity == "error" and "--upgrade numpy" in " ".join(f["numpy.abi"].fix.commands)


def test_numpy_1x_abi_module_on_numpy_2_pins_numpy_below_2():
    f = {x.id: x for x in run_checks(load_report(
        "ImportError: module compiled against ABI version 0x1000009 but this version of numpy is 0x2000000\n",
        "p.txt"), load())}
    assert "numpy<2" in " ".join(f["numpy.abi"].fix.commands)


def test_a_32_bit_cpython_banner_is_a_32_bit_python():
    facts = load_report("Python 3.10.6 (tags/v3.10.6:9c7b4bd, Aug  1 2022, 21:38:17) [MSC v.1932 32 bit (Intel)]\n"
                        "ERROR: Could not find a version that satisfies the requirement torch (from versions: none)\n",
                        "p.txt")
    assert facts.python.bits == 32 and facts.python.version == "3.10.6"
    assert "python.unsupported" in {f.id for f in run_checks(facts, load()) if f.severity == "error"}


def test_uv_on_an_intel_mac_finds_no_wheel_for_the_platform():
    text = ("Because torch==2.6.0 has no wheels with a matching platform tag (e.g., `macosx_15_0_x86_64`) and you "
            "require torch==2.6.0, we can conclude that your requirements are unsatisfiable.\n")
    found = {f.id: f for f in run_checks(load_report(text, "p.txt"), load())}
    f = found["torch.no_wheel_for_platform"]
    assert f.severity == "error" and "macos-x86_64" in f.message and "2.2.2" in f.message
    # a platform PyTorch does publish for: no such finding (the resolver failed for another reason)
    other = text.replace("macosx_15_0_x86_64", "macosx_14_0_arm64")
    assert {f.id: f for f in run_checks(load_report(other, "p.txt"), load())}[
        "torch.no_wheel_for_platform"].severity == "ok"


def test_an_image_needing_a_newer_cuda_than_the_host_driver():
    f = {x.id: x for x in run_checks(load_report(
        "nvidia-container-cli: requirement error: unsatisfied condition: cuda>=12.8, please update your driver to a "
        "newer version, or use an earlier cuda container: unknown\n", "p.txt"), load())}
    assert f["container.gpu_devices"].severity == "error" and "12.8" in f["container.gpu_devices"].message


def test_an_untagged_companion_is_pypis_default_build():
    from torchdoctor.facts import Distribution, PlatformFacts

    def facts(torch: str) -> Facts:
        return Facts(origin="json:x", platform=PlatformFacts(os="linux", arch="x86_64"),
                     distributions=(Distribution(name="torch", version=torch),
                                    Distribution(name="torchvision", version="0.20.1")))

    found = {f.id: f for f in run_checks(facts("2.5.1+cu118"), load())}
    assert found["torchvision.mismatch"].severity == "error" and "cu124" in found["torchvision.mismatch"].message
    # the same CUDA major as PyPI's cu124: torchvision accepts it
    assert {f.id: f for f in run_checks(facts("2.5.1+cu121"), load())}["torchvision.mismatch"].severity == "ok"


def test_torchvisions_own_cuda_mismatch_words():
    text = ("torch==2.1.0+cu118\ntorchvision==0.16.0+cu118\nRuntimeError: Detected that PyTorch and torchvision were "
            "compiled with different CUDA major versions. PyTorch has CUDA Version=11.8 and torchvision has CUDA "
            "Version=12.1. Please reinstall the torchvision that matches your PyTorch install.\n")
    found = {f.id: f for f in run_checks(load_report(text, "p.txt"), load())}
    assert found["torchvision.mismatch"].severity == "error"
