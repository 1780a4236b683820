"""GPU names -> compute capability / gfx target / Intel XPU class, against real names with their sources.

tests/fixtures/gpu_names/*.tsv: name, expected value ("unknown" where the name must not resolve),
vendor, the tool shape, and where the name was seen (README.md there says how each file was built).
"""

import json
import re
from pathlib import Path

import pytest

from torchdoctor.knowledge import gpu_names, load
from torchdoctor.knowledge.gpu_names import all_rows, canonical, identify, row_matches, split_name

FIX = Path(__file__).parents[1] / "fixtures" / "gpu_names"
KDIR = Path(__file__).parents[2] / "torchdoctor" / "knowledge"


def _rows(name):
    out = []
    for line in (FIX / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        gpu, expected, vendor, shape, source = line.split("\t")
        out.append((gpu, expected, vendor, shape, source))
    return out


FILES = ("threads.tsv", "traps.tsv", "torch_names.tsv", "pciids.tsv", "amdgpu_ids.tsv")
ALL = [r for f in FILES for r in _rows(f)]


def test_the_list_is_large_sourced_and_covers_every_vendor_and_shape():
    assert len(ALL) >= 1500
    assert all(r[4].strip() for r in ALL), "every name carries its source"
    by_vendor = {v: sum(1 for r in ALL if r[2] == v and r[1] != "unknown") for v in ("nvidia", "amd", "intel")}
    assert by_vendor["nvidia"] >= 1000 and by_vendor["amd"] >= 250 and by_vendor["intel"] >= 140, by_vendor
    shapes = {r[3].split(" ")[0] for r in ALL}
    assert {"NVML", "Windows", "pci.ids", "rocminfo", "lspci", "collect_env", "amdgpu.ids"} <= shapes


@pytest.mark.parametrize("fixture", FILES)
def test_every_name_resolves_to_its_expected_value(fixture):
    wrong = []
    for name, expected, vendor, _, _ in _rows(fixture):
        got = identify(name)
        if (got.value or "unknown") != expected or (got.known and got.vendor != vendor):
            wrong.append(f"{name!r}: expected {expected}, got {got.value or 'unknown'} ({got.reason})")
    assert not wrong, "\n".join(wrong[:30])


def test_unknown_always_says_why():
    for name, expected, *_ in ALL:
        if expected == "unknown":
            assert identify(name).reason, name


def test_no_two_rows_match_one_real_name_with_different_values():
    """Every test name against every row: rows of one kind (names and patterns; chips) never disagree.
    A chip row may differ from a product row: the chip decides, on purpose (RTX 3050 A Laptop: AD106)."""
    rows = all_rows()
    conflicts = []
    for name, *_ in ALL:
        split = split_name(name)
        vendor = split[0]  # a vendor word in the name ("GeForce 840M", "Radeon 840M") picks that vendor's rows
        for kinds in (("name", "pattern"), ("chip",)):
            values = {(r.vendor, r.value) for kind, key, r in rows
                      if kind in kinds and r.value is not None and (vendor is None or r.vendor == vendor)
                      and row_matches(kind, key, split)}
            if len(values) > 1:
                conflicts.append(f"{name!r}: {sorted(values)}")
    assert not conflicts, "\n".join(conflicts[:20])


def test_every_row_key_is_reachable_and_sourced():
    sources = json.loads((KDIR / "sources.json").read_text())["sources"]
    data = json.loads((KDIR / "gpu_names.json").read_text())
    for kind, key, row in all_rows():
        if kind == "name":
            assert canonical(key) == key, f"{key!r} can never match: its canonical form is {canonical(key)!r}"
        assert row.source and all(s in sources for s in row.source), (key, row.source)
    assert data["as_of"]
    assert all(r.get("source") for v in ("nvidia", "amd", "intel", "ambiguous") for r in data[v])


@pytest.mark.parametrize("name, vendor, value", [
    ("Radeon RX 7900 XTX", "amd", "gfx1100"), ("NVIDIA GeForce RTX 3060 Laptop GPU", "nvidia", "8.6"),
    ("GA106M [GeForce RTX 3060 Mobile / Max-Q]", "nvidia", "8.6"), ("Intel(R) Arc(TM) A770 Graphics", "intel", "arc"),
    ("01:00.0 VGA compatible controller: NVIDIA Corporation GA102 [GeForce RTX 3090] (rev a1)", "nvidia", "8.6"),
    ("03:00.0 VGA compatible controller [0300]: Advanced Micro Devices, Inc. [AMD/ATI] Navi 31 "
     "[Radeon RX 7900 XT/7900 XTX/7900M] [1002:744c] (rev c8)", "amd", "gfx1100"),
    ("GPU 0: NVIDIA H200 (UUID: GPU-0b0e5c5a-1b7a-4a77-9c0e-1f0a0d3f1111)", "nvidia", "9.0"),
    ("NVIDIA A100-SXM4-40GB MIG 1g.5gb", "nvidia", "8.0"),
    ("AMD Instinct MI300X (gfx942:sramecc+:xnack-)", "amd", "gfx942"),
    ("NVIDIA GeForce RTX 4090D", "nvidia", "8.9"), ("NVIDIA GeForce GTX 1050Ti", "nvidia", "6.1"),
    # OpenGL / Vulkan renderer strings
    ("NVIDIA GeForce RTX 3060/PCIe/SSE2", "nvidia", "8.6"), ("AMD Radeon RX 7900 XTX (RADV NAVI31)", "amd", "gfx1100"),
    ("AMD Radeon RX 6800 XT (navi21, LLVM 15.0.7, DRM 3.49, 6.1.0-13-amd64)", "amd", "gfx1030"),
    ("Mesa Intel(R) UHD Graphics 620 (KBL GT2)", "intel", "integrated"),
    # no model in the name, a PCI id instead: the bundled pci.ids table names it
    ("Intel(R) Graphics [0x56a5]", "intel", "arc"), ("NVIDIA Corporation Device 2b85 (rev a1)", "nvidia", "12.0"),
    # Hugging Face env prints, rocm-smi
    ("- GPU type: NVIDIA GeForce RTX 3060 Laptop GPU", "nvidia", "8.6"),
    ("Card Series:            Navi 31 [Radeon RX 7900 XT/7900 XTX]", "amd", "gfx1100"),
])
def test_name_shapes(name, vendor, value):
    got = identify(name)
    assert (got.vendor, got.value) == (vendor, value), got


@pytest.mark.parametrize("name, needle", [
    ("NVIDIA GeForce GT 730", "Kepler and Fermi"), ("AMD Radeon(TM) Graphics", "names no model"),
    ("NVIDIA Graphics Device", "names no model"), ("GF108 [GeForce GT 730]", "Fermi"),
    ("NVIDIA GeForce RTX 3060 ...", "cut short"), ("AMD Radeon RX 7900 XTX (gfx1030)", "says gfx1030"),
    ("NVIDIA GeForce RTX 3050 B Laptop GPU", "not an NVIDIA GPU model"),
])
def test_ambiguous_or_unknown_names_give_the_reason(name, needle):
    got = identify(name)
    assert not got.known and needle in got.reason


def test_lookup_is_lazy_and_cached():
    """Importing the knowledge package reads no GPU table; the first lookup does, once."""
    import subprocess
    import sys

    code = ("import sys, torchdoctor.knowledge as k; k.load(); "
            "assert 'torchdoctor.knowledge.gpu_names' not in sys.modules; "
            "print(k.load().gpu_capability('NVIDIA GeForce RTX 3090'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "(8, 6)", out.stderr
    assert gpu_names.table() is gpu_names.table()


def test_knowledge_accessors_route_through_the_resolver():
    k = load()
    assert k.gpu_capability("AD106M [GeForce RTX 3050 A Laptop GPU]") == (8, 9)
    assert k.gpu_capability("AMD Radeon RX 7900 XTX") is None  # not an NVIDIA GPU
    assert k.identify_gpu("AMD Radeon RX 7900 XTX").gfx == "gfx1100"
    assert k.identify_gpu("Intel(R) Arc(TM) 140V GPU (16GB)").kind == "integrated-arc"


@pytest.mark.parametrize("version, macos", [("1.12.1", "12.3"), ("2.4.1", "12.3"), ("2.5.0", "13.0"),
                                            ("2.8.0", "13.0"), ("2.9.1+cpu", "14.0"), ("2.14.1", "14.0")])
def test_mps_macos_floor_per_release(version, macos):
    floor, source, confidence = load().mps_macos_minimum(version)
    assert floor == macos and source and confidence in ("confirmed", "inferred")


def test_no_mps_floor_before_mps_existed():
    assert load().mps_macos_minimum("1.11.0") is None and load().mps_macos_minimum("nonsense") is None


def test_table_names_have_no_stray_whitespace_or_duplicates_within_a_row():
    data = json.loads((KDIR / "gpu_names.json").read_text())
    for vendor in ("nvidia", "amd", "intel", "ambiguous"):
        for row in data[vendor]:
            expanded = [k for n in row.get("names", ()) for k in gpu_names._expand(n)]
            assert len(expanded) == len(set(expanded)), row
            assert all(not re.search(r"\s{2}|^\s|\s$", k) for k in expanded), row


# ------------------------------------------------------------------------------ `suggest --gpu NAME`
def _suggest(capsys, *args):
    from torchdoctor.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["suggest", "--os", "linux", "--arch", "x86_64", "--python-version", "3.12", *args])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def _plan(capsys, gpu):
    code, out, err = _suggest(capsys, "--json", "--driver", "580.95.05", "--gpu", gpu)
    assert code == 0, err
    return json.loads(out)["plan"]


@pytest.mark.parametrize("name, same_as", [
    ("Radeon RX 7900 XTX", "gfx1100"), ("AMD Radeon(TM) RX 7900 XTX", "gfx1100"),
    ("Navi 31 [Radeon RX 7900 XT/7900 XTX/7900M]", "gfx1100"), ("AMD Instinct MI300X", "gfx942"),
    ("NVIDIA GeForce RTX 3050 A Laptop GPU", "8.9"), ("GA106M [GeForce RTX 3060 Mobile / Max-Q]", "8.6"),
    ("GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-513536b6-7d19-9063-b049-1e69664bb298)", "8.0"),
    ("Intel(R) Arc(TM) A770 Graphics", "xpu"),
])
def test_a_printed_name_plans_like_what_it_runs(capsys, name, same_as):
    assert _plan(capsys, name)["command"] == _plan(capsys, same_as)["command"]


def test_core_ultra_arc_graphics_get_the_xpu_build_and_older_graphics_the_cpu_build(capsys):
    assert _plan(capsys, "Intel(R) Arc(TM) 140V GPU (16GB)")["variant"] == "xpu"
    assert _plan(capsys, "Intel(R) Arc(TM) Graphics")["variant"] == "xpu"
    assert _plan(capsys, "Intel(R) UHD Graphics 620")["variant"] == "cpu"
    assert _plan(capsys, "Intel(R) Iris(R) Xe MAX Graphics")["variant"] == "cpu"


@pytest.mark.parametrize("spec, needle", [
    ("AMD Radeon(TM) Graphics", "names no model"), ("NVIDIA GeForce GT 730", "Kepler and Fermi"),
    ("Matrox G200eW", "unknown GPU"), ("x" * 201, "at most 200 characters"), ("RTX\t3090", "malformed"),
])
def test_names_that_do_not_resolve_are_one_line_usage_errors(capsys, spec, needle):
    code, out, err = _suggest(capsys, "--gpu", spec)
    assert code == 2 and out == "" and err.count("\n") == 1 and needle in err


def test_windows_adapters_take_their_class_and_target_from_the_driver_name():
    """Registry DriverDesc names: the PCI id ranges call a Meteor Lake iGPU 'integrated'; its name says Arc."""
    from torchdoctor.probes.windows import gpus_from_adapters

    gpus = gpus_from_adapters([
        {"DriverDesc": "Intel(R) Arc(TM) Graphics", "MatchingDeviceId": "PCI\\VEN_8086&DEV_7D55&SUBSYS_0C9B1028"},
        {"DriverDesc": "Intel(R) UHD Graphics 770", "MatchingDeviceId": "PCI\\VEN_8086&DEV_A780"},
        {"DriverDesc": "AMD Radeon RX 7900 XTX", "MatchingDeviceId": "PCI\\VEN_1002&DEV_744C"},
        {"DriverDesc": "AMD Radeon(TM) Graphics", "MatchingDeviceId": "PCI\\VEN_1002&DEV_1681"},
    ])
    assert [(g.vendor, g.kind, g.gfx) for g in gpus] == [
        ("intel", "integrated-arc", None), ("intel", "integrated", None), ("amd", None, "gfx1100"), ("amd", None, None)]


def test_suggest_json_says_what_each_named_gpu_runs(capsys):
    code, out, _ = _suggest(capsys, "--json", "--gpu", "AMD Radeon RX 7900 XTX",
                            "--gpu", "Intel(R) Arc(TM) 140V GPU (16GB)", "--gpu", "NVIDIA GeForce RTX 3050 A Laptop GPU")
    details = json.loads(out)["machine"]["gpu_details"]
    assert [(d["vendor"], d["capability"], d["gfx"], d["kind"]) for d in details] == [
        ("amd", None, "gfx1100", None), ("intel", None, None, "integrated-arc"), ("nvidia", "8.9", None, None)]


def test_a_rocm_report_with_a_bare_pci_id_gets_its_target():
    """pytorch/pytorch#44106: collect_env on ROCm 3.7 printed 'Device 66a1' (Vega 20: Radeon Pro VII / MI50)."""
    from torchdoctor.recorded import load_report

    path = Path(__file__).parents[1] / "fixtures" / "reports" / "pt44106-rocm3.7-torch1.7.txt"
    gpus = load_report(path.read_text(encoding="utf-8"), path.name).gpus
    assert [(g.vendor, g.name, g.gfx) for g in gpus] == [("amd", "Device 66a1", "gfx906")]


def test_any_text_gives_an_answer_or_a_reason_never_an_exception():
    import random
    import string

    rnd = random.Random(11)
    alphabet = string.ascii_letters + string.digits + " []()/-_.:,+*'\"®™…"
    texts = ["", "[", "]]", "GA102 []", "[GeForce RTX 3090", "(gfx1100)", "...", "Device 0000", "x" * 1000,
             "Intel(R) Graphics [0xzzzz]", "NVIDIA GeForce RTX 3090 / AMD Radeon RX 7900 XTX"]
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 80))) for _ in range(2000)]
    for text in texts:
        got = identify(text)
        assert got.known or got.reason, text
