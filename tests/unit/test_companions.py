"""companion.*: the metadata pass (pins, local tags, REQUESTED) and the import pass's classified failures."""

from __future__ import annotations

from helpers.check_machines import H200, judge, machine, rt_ok, torch_dist

from torchdoctor.facts import CompanionImport, Distribution, NvidiaFacts
from torchdoctor.knowledge.companions import companion, read_tag
from torchdoctor.knowledge.import_errors import built_for, companion_kind

COMPANION_IDS = ("companion.abi_mismatch", "companion.built_for_other_torch", "companion.pinned_other_torch",
                 "companion.variant_mismatch", "companion.cpu_only", "companion.replaced_torch")


def dist(name, version, *requires, requested=True):
    return Distribution(name, version, location="~/venv/lib/python3.11/site-packages", installer="pip",
                        requires=tuple(requires), requested=requested)


def cuda_machine(torch="2.5.1+cu124", *others, torch_requested=True, imports=None):
    return machine(distributions=(torch_dist(torch, requested=torch_requested), *others),
                   runtime=rt_ok(torch, cuda="12.4", cuda_available=True), gpus=(H200,),
                   nvidia=NvidiaFacts(driver="580.1", cuda_driver="13.0"), companion_imports=imports)


def problems(facts):
    return {i: f for i, f in judge(facts).items() if i.startswith("companion.") and f.problem}


def test_a_healthy_env_has_no_companion_problem_and_a_headline():
    found = judge(machine())
    assert all(found[i].severity == "ok" for i in COMPANION_IDS)


def test_an_exact_pin_the_installed_torch_does_not_satisfy():
    facts = cuda_machine("2.0.1+cu118", dist("xformers", "0.0.19", "torch ==2.0.0", "numpy"))
    p = problems(facts)
    f = p["companion.pinned_other_torch"]
    assert f.severity == "error"
    assert "xformers 0.0.19 requires torch==2.0.0" in f.message and "2.0.1+cu118" in f.message
    # the fix keeps torch (with its local tag) and its index: pip then picks the xformers built for it
    line = str(f.fix.commands[0])
    assert "torch==2.0.1+cu118" in line and "https://download.pytorch.org/whl/cu118" in line and "xformers" in line


def test_a_satisfied_pin_is_fine_even_with_a_local_tag_on_torch():
    facts = cuda_machine("2.4.0+cu124", dist("xformers", "0.0.27.post2", "torch==2.4.0"))
    assert "companion.pinned_other_torch" not in problems(facts)


def test_a_range_pin_outside_is_a_warning_and_an_extra_only_pin_is_ignored():
    facts = cuda_machine("2.5.1+cu124", dist("somepkg", "1.0", "torch<2.5"),
                         dist("other", "1.0", "torch==1.13.0; extra == 'legacy'"))
    f = problems(facts)["companion.pinned_other_torch"]
    assert f.severity == "warning" and "somepkg" in f.message and "other" not in f.message


def test_a_pyg_tag_for_another_torch_series():
    facts = cuda_machine("2.5.1+cu124", dist("torch-scatter", "2.1.2+pt21cu121"))
    p = problems(facts)
    f = p["companion.built_for_other_torch"]
    assert "torch 2.1" in f.message and "+pt21cu121" in f.message
    assert "https://data.pyg.org/whl/torch-2.5.0+cu124.html" in str(f.fix.commands[0])
    assert "companion.variant_mismatch" not in p  # one finding for one wheel: the other series says it all


def test_same_series_other_cuda_minor_is_a_warning():
    facts = cuda_machine("2.5.1+cu124", dist("torch-scatter", "2.1.2+pt25cu121"))
    p = problems(facts)
    assert p["companion.variant_mismatch"].severity == "warning" and "companion.built_for_other_torch" not in p


def test_a_cuda_companion_on_a_cpu_torch_is_a_variant_error():
    facts = machine(distributions=(torch_dist("2.13.0+cpu"), dist("torch-scatter", "2.1.2+pt213cu130")))
    f = problems(facts)["companion.variant_mismatch"]
    assert f.severity == "error" and "+cu130" in f.message and "+cpu" in f.message
    assert "companion.built_for_other_torch" not in problems(facts)


def test_flash_attn_wheel_tag_and_rebuild_fix():
    facts = cuda_machine("2.5.1+cu124", dist("flash-attn", "2.6.0+cu122torch2.4cxx11abiFALSE", "torch", "einops"))
    f = problems(facts)["companion.built_for_other_torch"]
    assert "torch 2.4" in f.message
    assert "--no-build-isolation" in str(f.fix.commands[0]) and "flash-attn==2.6.0" in str(f.fix.commands[0])


def test_torch_not_requested_while_a_companion_pins_it():
    facts = cuda_machine("2.0.0", dist("xformers", "0.0.19", "torch==2.0.0"), torch_requested=False)
    facts = facts.with_(runtime=rt_ok("2.0.0"))  # the plain PyPI pull-in, here a CPU torch on a GPU box
    f = problems(facts)["companion.replaced_torch"]
    assert "came in as a dependency of xformers 0.0.19" in f.message
    assert f.severity == "warning"


def test_torch_requested_is_not_replaced_and_unknown_is_silent():
    assert "companion.replaced_torch" not in problems(cuda_machine("2.0.0", dist("xformers", "0.0.19", "torch==2.0.0")))
    unknown = cuda_machine("2.0.0", dist("xformers", "0.0.19", "torch==2.0.0"), torch_requested=None)
    assert "companion.replaced_torch" not in problems(unknown)


def test_import_pass_kinds_become_findings():
    imports = (
        CompanionImport("flash-attn", "flash_attn_2_cuda", "import_failed",
                        error="flash_attn_2_cuda.so: undefined symbol: _ZN3c104cuda9SetDeviceEi", kind="abi"),
        CompanionImport("xformers", "xformers.ops", "ok", kind="built_for",
                        built_for="PyTorch 2.1.2+cu121 with CUDA 1201 (you have 2.5.1+cu124)"),
        CompanionImport("bitsandbytes", "bitsandbytes", "ok", kind="cpu_only",
                        warnings=("The installed version of bitsandbytes was compiled without GPU support.",)),
    )
    facts = cuda_machine("2.5.1+cu124", dist("flash-attn", "2.6.3", "torch"), dist("xformers", "0.0.23", "torch"),
                         dist("bitsandbytes", "0.41.0", "torch"), imports=imports)
    p = problems(facts)
    assert "flash-attn" in p["companion.abi_mismatch"].message
    assert "PyTorch 2.1.2+cu121" in p["companion.built_for_other_torch"].message
    assert p["companion.cpu_only"].severity == "error" and "bitsandbytes" in p["companion.cpu_only"].message


def test_the_catalogue_classifies_the_real_texts():
    assert companion_kind("ImportError: /x/flash_attn_2_cuda.cpython-310-x86_64-linux-gnu.so: undefined symbol: "
                          "_ZN3c105ErrorC2ENS_14SourceLocationENSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE") \
        == "abi"
    assert companion_kind("torch_scatter/_scatter_cuda.so: undefined symbol: _ZNK2at6Tensor7is_cudaEv") == "abi"
    assert companion_kind("libcudart.so.11.0: cannot open shared object file: No such file or directory") == \
        "missing_library"
    text = ("WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions. xFormers was built for:\n"
            "    PyTorch 2.1.2+cu121 with CUDA 1201 (you have 2.1.2+cpu)")
    assert companion_kind(text) == "built_for" and built_for(text) == ("2.1.2+cu121", "1201", "2.1.2+cpu")
    assert companion_kind("The installed version of bitsandbytes was compiled without GPU support.") == "cpu_only"


def test_tags_and_table():
    assert read_tag("pt212cu130").series == "2.12" and read_tag("pt212cu130").variant == "cu130"
    assert read_tag("cu118").series is None and read_tag("cu118").variant == "cu118"
    assert read_tag("git1234") is None
    assert companion("flash-attn").modules[0] == "flash_attn_2_cuda"


def test_a_paste_of_pips_conflict_and_xformers_banner():
    """check --from: the torch in the fix is the one pip and xFormers name ("you have 2.0.1+cu118"), never the
    pinned 2.0.0 another reader guesses from the same lines (that fix would downgrade torch)."""
    from pathlib import Path

    from torchdoctor.operations.check import recorded

    facts = recorded(str(Path(__file__).resolve().parents[1] / "fixtures" / "companions" / "pip_conflict_paste.txt"))
    p = problems(facts)
    pin = p["companion.pinned_other_torch"]
    assert "xformers 0.0.19 requires torch==2.0.0, but torch 2.0.1+cu118 is installed" in pin.message
    for f in (pin, p["companion.built_for_other_torch"]):
        line = str(f.fix.commands[0])
        assert "torch==2.0.1+cu118" in line and "download.pytorch.org/whl/cu118" in line
        assert "torch==2.0.0 " not in line + " "
    assert "PyTorch 2.0.0+cu118" in p["companion.built_for_other_torch"].message
