"""The check renderers on recorded facts: area headlines, report notes under the origin line."""

from __future__ import annotations

from pathlib import Path

from torchdoctor.checks import run_checks
from torchdoctor.facts import Facts, PlatformFacts, PythonFacts, TorchRuntime
from torchdoctor.knowledge import load
from torchdoctor.render.check_areas import area_lines
from torchdoctor.render.check_human import lines
from torchdoctor.sanitize import clean_markdown
from torchdoctor.recorded import load_report

REPORTS = Path(__file__).parents[1] / "fixtures" / "reports"
K = load()


def headline(facts: Facts, area: str) -> str:
    return next(a.headline for a in area_lines(facts, run_checks(facts, K)) if a.area == area)


def test_cuda_device_count_unknown_is_not_zero():
    facts = Facts(platform=PlatformFacts("linux", "x86_64"), python=PythonFacts("3.12.3"),
                  runtime=TorchRuntime("ok", version="2.11.0+cu130", cuda="13.0", cuda_available=True))
    assert headline(facts, "CUDA") == "CUDA 13.0: available"
    counted = facts.with_(runtime=TorchRuntime("ok", version="2.11.0+cu130", cuda="13.0", cuda_available=True,
                                               device_count=0))
    assert headline(counted, "CUDA") == "CUDA 13.0: available, 0 devices"


def test_cuda_headline_of_a_real_collect_env_report():
    path = REPORTS / "h200-torch2.11-cu130.txt"
    facts = load_report(path.read_text(encoding="utf-8"), path.name)
    text = "\n".join(t for t, _ in lines(facts, run_checks(facts, K)))
    assert "CUDA 13.0: available" in text and "0 devices" not in text


def _report(name: str) -> Facts:
    path = REPORTS / name
    return load_report(path.read_text(encoding="utf-8"), path.name)


def test_report_notes_follow_the_origin_line_in_human_and_markdown():
    from torchdoctor.render.check_markdown import render as markdown

    facts = _report("pt37320-fullwidth-p100x4.txt")  # two reports pasted into one issue
    notes = facts.extra["report"]["notes"]
    assert notes and any("more than one report" in n for n in notes)
    origin = f"Diagnosing a recorded machine: {facts.origin}"
    findings = run_checks(facts, K)
    text = [t for t, _ in lines(facts, findings, origin_note=origin)]
    assert text[0] == origin
    assert [t.strip() for t in text[1:1 + len(notes)]] == [f"Note: {n}" for n in notes]
    md = markdown(facts, findings, origin_note=origin).splitlines()
    at = md.index(f"**{clean_markdown(origin)}**")  # report text is escaped for markdown
    assert [m.rstrip() for m in md[at + 2: at + 2 + len(notes)]] == [f"> Note: {clean_markdown(n)}" for n in notes]


def test_a_cut_off_report_says_so_at_the_top():
    facts = _report("espnet5629-a100-driver460-cu121.txt")
    top = [t for t, _ in lines(facts, run_checks(facts, K), origin_note="origin")][:4]
    assert any("cut off" in t for t in top), top


def test_a_complete_report_has_no_note():
    facts = _report("h200-torch2.11-cu130.txt")
    assert not any("Note:" in t for t, _ in lines(facts, run_checks(facts, K), origin_note="origin"))


def test_headlines_say_unknown_when_a_report_lacks_the_facts():
    facts = _report("lhotse793-found-version-9010.txt")  # no OS, GPU or CUDA-available lines
    text = [t for t, _ in lines(facts, run_checks(facts, K))]
    assert any("CUDA 10.2: availability not reported" in t for t in text), text
    # the OS is known from the warning's /root/anaconda3/... path (linux), the GPUs are not
    assert not any("no AMD GPU" in t for t in text), text


def test_torch_headline_without_a_version_has_no_stray_space():
    facts = Facts(python=PythonFacts("3.11.7"), runtime=TorchRuntime("crashed", error="x"))
    assert headline(facts, "PyTorch") == "PyTorch: import crashed"


def test_unknown_arch_is_not_printed_and_the_summary_stands_apart():
    facts = _report("pt28321-conda-pip-duplicate.txt")
    text = [t for t, _ in lines(facts, run_checks(facts, K))]
    assert any(t.endswith("Debian GNU/Linux 9.11 (stretch)") for t in text), text
    healthy = _report("h200-torch2.11-cu130.txt")
    out = [t for t, _ in lines(healthy, run_checks(healthy, K))]
    assert out[-1].startswith("No issues found") and out[-2] == ""


def test_verbose_report_has_no_empty_probes_section():
    facts = _report("h200-torch2.11-cu130.txt")
    text = [t for t, _ in lines(facts, run_checks(facts, K), verbose=True)]
    assert "Facts:" in text and "Probes:" not in text


def test_h200_headline_shows_cudnn_and_nccl_as_versions():
    # torch-probe.txt on the H200: cudnn 91900, nccl [2, 28, 9]
    facts = Facts(platform=PlatformFacts("linux", "x86_64"), python=PythonFacts("3.12.3"),
                  runtime=TorchRuntime("ok", version="2.11.0+cu130", cuda="13.0", cuda_available=True,
                                       device_count=1, cudnn=91900, nccl="2.28.9"))
    assert headline(facts, "CUDA") == "CUDA 13.0: available, 1 device, cuDNN 9.19.0, NCCL 2.28.9"
    old = facts.with_(runtime=TorchRuntime("ok", version="1.13.1+cu117", cuda="11.7", cuda_available=True,
                                           device_count=1, cudnn=8500))
    assert "cuDNN 8.5.0" in headline(old, "CUDA")


def test_a_shadowing_module_is_not_called_a_cpu_only_pytorch():
    # `import torch` found ./torch.py: it imports, but it has no __version__
    facts = Facts(platform=PlatformFacts("linux", "x86_64"), python=PythonFacts("3.11.7"),
                  runtime=TorchRuntime("ok", file="~/project/torch.py"), shadowing=("~/project/torch.py",))
    assert headline(facts, "PyTorch") == "PyTorch: `import torch` loaded ~/project/torch.py, which is not PyTorch"
    assert headline(facts, "CUDA") == "CUDA: unknown (torch did not import)"


def test_cuda_area_is_not_ticked_when_torch_did_not_import():
    facts = Facts(platform=PlatformFacts("linux", "x86_64"), python=PythonFacts("3.12.3"),
                  runtime=TorchRuntime("not_installed"))
    cuda = next(a for a in area_lines(facts, run_checks(facts, K)) if a.area == "CUDA")
    assert cuda.status == "skipped" and "unknown" in cuda.headline


def test_python_36_points_to_the_recommended_python_not_the_newest_preview():
    facts = Facts(platform=PlatformFacts("linux", "x86_64"), python=PythonFacts("3.6.15"),
                  runtime=TorchRuntime("not_installed"))
    found = next(f for f in run_checks(facts, K) if f.id == "python.unsupported")
    assert found.severity == "error" and "torch 1.10.2" in found.message
    assert f"Install Python {K.recommended_python()}" in found.fix.summary
    assert K.recommended_python() != K.releases[0].pythons[-1]
