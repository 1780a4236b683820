"""GPU name -> what it can run: NVIDIA compute capability, AMD gfx target, Intel XPU class.

Names come as NVML, nvidia-smi, collect_env, Windows (Win32_VideoController, registry),
pci.ids/lspci, rocminfo and people print them. A name is reduced to a canonical product
string (`canonical`) and must equal one of the table's names exactly: an extra word the
table does not know ("RTX 3050 A") makes the name unknown instead of matching a shorter
row ("RTX 3050"), because a wrong answer yields a wrong install command. Where a pci.ids
name gives the chip ("AD106M [GeForce RTX 3050 A Laptop GPU]"), the chip decides.

`identify` is the one resolver: `suggest --gpu`, the paste merge (recorded/merge.py), the probes
and Knowledge's GPU accessors all ask it, so a name gets one answer everywhere.

The table (gpu_names.json) is read on the first lookup, not at import: expanding it into a
dict costs about a millisecond, and exact lookups need no regex compilation.
"""

from __future__ import annotations

import functools
import json
import os.path
import re
from dataclasses import dataclass

VENDOR_LABEL = {"nvidia": "NVIDIA", "amd": "AMD", "intel": "Intel"}


@dataclass(frozen=True)
class GpuIdentity:
    """What the tables say about one GPU name; `known` is False with a `reason` otherwise."""

    name: str
    vendor: str | None = None  # "nvidia" | "amd" | "intel"; None when the name does not say
    capability: tuple[int, int] | None = None  # NVIDIA
    gfx: str | None = None  # AMD
    kind: str | None = None  # Intel: arc | integrated-arc | datacenter | integrated | discrete
    via: str = ""  # "name" | "chip" | "pci id": what decided
    source: tuple[str, ...] = ()
    reason: str | None = None  # why unknown

    @property
    def known(self) -> bool:
        return self.capability is not None or self.gfx is not None or self.kind is not None

    @property
    def value(self) -> str | None:
        if self.capability:
            return f"{self.capability[0]}.{self.capability[1]}"
        return self.gfx or self.kind


@dataclass(frozen=True)
class _Row:
    vendor: str
    value: str | None  # "8.6" | "gfx1100" | "arc"; None: an ambiguous name
    source: tuple[str, ...]
    reason: str | None = None
    vendor_required: bool = False


# -------------------------------------------------------------------------------- canonical names
_PREFIX = re.compile(
    r"^\s*(?:gpu models and configuration:\s*|gpu\[\d+\]\s*:\s*)?"
    r"(?:[-*] )?(?:gpu \d+:\s*|(?:marketing|device|product|board) name\s*:\s*|name:\s*|gpu (?:type|model):\s*"
    r"|card (?:series|model):\s*)?"
    r"(?:(?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]\s+)?"  # lspci bus address
    r"(?:(?:vga compatible|3d|display) controller(?: \[[0-9a-f]{4}\])?:\s*)?")
_NOISE = re.compile(r"\((?:r|tm|c)\)|[®™©]|\(rev\.? [0-9a-f]+\)|\[(?:[0-9a-f]{4}:[0-9a-f]{4}|0x[0-9a-f]{4})\]"
                    r"|\(uuid:[^)]*\)|\(prog-if[^)]*\)|\bgpu-[0-9a-f-]{8,}|\(bus[^)]*\)"
                    # OpenGL/Vulkan renderer strings: "(navi21, LLVM 15.0.7, DRM 3.49)", "(RADV NAVI31)", "(KBL GT2)"
                    r"|\([^)]*\b(?:llvm|drm|radv)\b[^)]*\)|\([a-z]{2,4}[ -]gt\d\w*\)")
_COMPANY = re.compile(r"\[amd/ati\]|\bamd/ati\b|advanced micro devices,? inc\.?|ati technologies,? inc\.?"
                      r"|nvidia corporation|intel corporation|\bcorporation\b")
_VENDOR_WORDS = (
    ("nvidia", re.compile(r"\b(?:nvidia|geforce|quadro|tesla|titan|jetson|tegra|grid|[gr]tx)\b")),
    ("amd", re.compile(r"\b(?:amd|ati|radeon|instinct|firepro)\b")),
    ("intel", re.compile(r"\b(?:intel|arc|iris|uhd)\b")),
)
# Words that do not change what a GPU runs: form factor, memory, bus, edition, marketing, brand.
# Dropped token by token (a set and one small regex, cheaper to build than one big alternation).
_DROP_WORDS = frozenset(
    "laptop mobile notebook maxq with design oem lhr founders workstation server edition generation series graphics "
    "gpu vf nvgpu pcie embedded mac refresh mxgpu dgxs fhhl cnx hgx oam lp ac grid developer kit family processor mesa sse2 sse opengl engine collectors collector's "
    "nvidia geforce tesla amd ati radeon instinct intel inc".split())
_DROP_PHRASES = ("max q", "lite hash rate", "dual slot", "liquid cooled", "50th anniversary")
_DROP_TOKEN = re.compile(r"sxm\d?|nvl\d*|hbm\d?e?|\d+gb|\d+g|\d+mb|g?ddr\d+x?|\d+bit|\d{1,2}[abcq]|rev\.?|0x[0-9a-f]{4}"
                         r"|[^a-z0-9]*|mig|\d+g\.\d+gb|\d+c\.\d+g\.\d+gb")


def _keep(words: list[str]) -> list[str]:
    out: list[str] = []
    for i, w in enumerate(words):
        if w in _DROP_WORDS or (_DROP_TOKEN.fullmatch(w) and not (w.endswith("gb") and out[-1:] == ["gre"])):
            continue
        if i and words[i - 1] in ("rev", "rev.") and len(w) <= 2:
            continue  # "Rev. 2", "Rev A"
        out.append(w)
    return out


def canonical(text: str) -> str:
    """One product name, canonical: 'NVIDIA GeForce RTX 3060 Laptop GPU' -> 'rtx 3060'."""
    t = re.sub(r"[()\-_,:;+*\"']", " ", text.lower())
    t = re.sub(r"\b(rx|gtx|rtx|gt|mx)(\d)", r"\1 \2", t)  # "RTX3090" -> "rtx 3090"
    t = re.sub(r"(\d)(ti|super|xtx|xt|gre)\b", r"\1 \2", t)  # "1050Ti" -> "1050 ti"
    t = re.sub(r"\b(\d{4})d\b", r"\1 d", t)  # "4090D" -> "4090 d" (China variants)
    t = re.sub(r"\b(\d+) (gb|bit)\b", r"\1\2", t)
    for phrase in _DROP_PHRASES:
        t = t.replace(phrase, " ")
    t = " ".join(_keep(t.split()))
    t = re.sub(r"^(?=\d{4} (?:xtx?|gre)\b)", "rx ", t)  # "Radeon 7900 XTX": the XT/XTX/GRE suffix is AMD's
    return re.sub(r"\bmx (\d{3})\b", r"mx\1", t)  # "MX 150" -> "mx150"


def split_name(name: str) -> tuple[str | None, str | None, list[str]]:
    """(vendor the words name, chip, canonical product names): a pci.ids name
    'Navi 31 [Radeon RX 7900 XT/7900 XTX/7900M]' gives chip 'navi 31' and three products."""
    t = _PREFIX.sub("", name.lower(), count=1)
    t = _NOISE.sub(" ", t)
    company = _COMPANY.search(t)
    vendor = None
    if company:
        word = company.group(0)
        vendor = next((v for k, v in (("nvidia", "nvidia"), ("intel", "intel"), ("amd", "amd"), ("ati ", "amd"),
                                       ("micro", "amd")) if k in word), None)
    t = _COMPANY.sub(" ", t)
    chip = None
    bracket = re.search(r"\[([^\]]+)\]", t)
    if bracket:
        chip = " ".join(re.sub(r"[\-_]", " ", t[:bracket.start()]).split()) or None
        if chip:  # inxi: "NVIDIA TU116M [GeForce GTX 1660 Ti Mobile]", "Intel CometLake-H GT2 [UHD Graphics]"
            chip = re.sub(r"^(?:nvidia|amd|ati|intel)\s+", "", chip) or None
        t = bracket.group(1)
    if vendor is None:
        found = {v for v, rx in _VENDOR_WORDS if rx.search(t) or (chip and rx.search(chip))}
        vendor = found.pop() if len(found) == 1 else None
    products: list[str] = []
    head = ""
    # "RX 460/560D / Pro 450/455", "Arc Pro A40/A50": a part without the family words borrows
    # those of the part before it ("rx 560d", "pro 455", "arc pro a50").
    for i, p in enumerate(canonical(p) for p in t.split("/")):
        if i and not p:
            continue  # "GeForce RTX 3060 Mobile / Max-Q": the second part was all decoration
        if i and head and (p[:1].isdigit() or re.fullmatch(r"[a-z]{1,2}\d+[a-z0-9]*", p)):
            p = head + p
        m = re.match(r"^((?:[a-z]+ )+)(?=\S*\d)", p)
        head = m.group(1) if m else head
        products.append(p)
    return vendor, chip, products


# -------------------------------------------------------------------------------- the table
def _expand(text: str) -> list[str]:
    """'rtx {3060|3060 ti}' -> ['rtx 3060', 'rtx 3060 ti']."""
    m = re.search(r"\{([^{}]*)\}", text)
    if not m:
        return [" ".join(text.split())]
    out: list[str] = []
    for alt in m.group(1).split("|"):
        out.extend(_expand(text[:m.start()] + alt + text[m.end():]))
    return out


@dataclass(frozen=True)
class _Table:
    names: dict[str, tuple[_Row, ...]]
    chips: dict[str, tuple[_Row, ...]]
    patterns: tuple[tuple[str, _Row], ...]  # (full-match regex, row), compiled on first use
    as_of: str


@functools.lru_cache(maxsize=1)
def table() -> _Table:
    with open(os.path.join(os.path.dirname(__file__), "gpu_names.json"), encoding="utf-8") as fh:
        data = json.load(fh)
    names: dict[str, list[_Row]] = {}
    chips: dict[str, list[_Row]] = {}
    patterns: list[tuple[str, _Row]] = []
    value_key = {"nvidia": "cc", "amd": "gfx", "intel": "class"}
    for vendor in ("nvidia", "amd", "intel", "ambiguous"):
        for r in data[vendor]:
            v = r.get("vendor", vendor)
            row = _Row(v, r.get(value_key.get(vendor, ""), None) if vendor != "ambiguous" else None,
                       tuple(r["source"]), r.get("reason"), bool(r.get("vendor_required")))
            for n in r.get("names", ()):
                for key in _expand(n):
                    names.setdefault(key, []).append(row)
            for c in r.get("chips", ()):
                chips.setdefault(c, []).append(row)
            patterns.extend((p, row) for p in r.get("patterns", ()))
    return _Table({k: tuple(v) for k, v in names.items()}, {k: tuple(v) for k, v in chips.items()},
                  tuple(patterns), data["as_of"])


@functools.lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_GFX = re.compile(r"\(?\b(?:radv )?(gfx[0-9a-f]{3,4})(?::[a-z0-9+:-]*)?\b\)?", re.I)
_NV_CHIP = re.compile(r"((?:gk|gm|gp|gv|tu|ga|ad|gh|gb|gf|g)\d{2,3}b?)[a-z]*")


def chip_rows(chip: str) -> tuple[tuple[_Row, ...], str | None]:
    """Rows for a pci.ids chip name ('GA106M', 'Navi 31', 'Alder Lake-P GT2'), and a reason
    when the chip is an NVIDIA code the table does not hold (Fermi): then the product name
    must not decide either."""
    t = table()
    first = chip.split()[0]
    key = _chip_key(chip)
    if key in t.chips:
        return t.chips[key], None
    m = _NV_CHIP.fullmatch(first)
    if m:
        fermi = m.group(1).startswith("gf")
        return (), f"chip {first.upper()} is " + ("a Fermi chip (compute capability 2.x), which no PyTorch build "
                                                   "supports" if fermi else "not in the tables")
    return (), None


def _name_rows(key: str) -> tuple[_Row, ...]:
    t = table()
    rows = t.names.get(key)
    if rows:
        return rows
    return tuple(row for p, row in t.patterns if _compiled(p).fullmatch(key))


def _decide(rows: tuple[_Row, ...], vendor: str | None) -> tuple[_Row | None, str | None]:
    """One row's value when all candidate rows agree, else None with the reason."""
    if vendor:
        rows = tuple(r for r in rows if r.vendor == vendor)
    else:
        rows = tuple(r for r in rows if not r.vendor_required)
    if not rows:
        return None, None
    ambiguous = next((r for r in rows if r.value is None), None)
    if ambiguous:
        return None, ambiguous.reason
    values = {(r.vendor, r.value) for r in rows}
    if len(values) > 1:
        return None, "the tables give it " + " and ".join(sorted(f"{VENDOR_LABEL[v]} {x}" for v, x in values))
    return rows[0], None


def _identity(name: str, row: _Row, via: str) -> GpuIdentity:
    value = row.value or ""
    if row.vendor == "nvidia":
        major, minor = value.split(".")
        return GpuIdentity(name, "nvidia", capability=(int(major), int(minor)), via=via, source=row.source)
    if row.vendor == "amd":
        return GpuIdentity(name, "amd", gfx=value, via=via, source=row.source)
    return GpuIdentity(name, "intel", kind=value, via=via, source=row.source)


@functools.lru_cache(maxsize=4096)
def identify(name: str) -> GpuIdentity:
    """The GPU a name describes, or unknown with the reason. Never a guess."""
    text = (name or "")[:300]
    if re.search(r"(\.\.\.|…)\s*$", text):  # nvidia-smi cuts long names: "GeForce GTX 105..."
        return GpuIdentity(text, None, reason="the name is cut short ('...'): the model is not all there")
    target = _GFX.search(text)  # "Radeon 8060S Graphics (RADV GFX1151)": the tool says the target
    if target:
        gfx = target.group(1).lower()
        by_name = identify(_GFX.sub(" ", text))
        if by_name.known and by_name.value != gfx:
            return GpuIdentity(text, "amd", reason=f"the name says {gfx} but names a {by_name.value} GPU")
        return GpuIdentity(text, "amd", gfx=gfx, via="name", source=("NAME-GFX",))
    vendor, chip, products = split_name(text)
    found = _identify_split(text, vendor, chip, products)
    if found.known or vendor is None:
        return found
    # No model in the name but a PCI id ("Intel(R) Graphics [0xb080]" from torch.xpu, lspci's
    # "NVIDIA Corporation Device 2b85"): the bundled pci.ids table names the device.
    pci = re.search(r"\[0x([0-9a-f]{4})\]|\bdevice ([0-9a-f]{4})\b", text.lower())
    if pci:
        from torchdoctor.knowledge.pci_ids import lookup_pci

        named = lookup_pci(_VENDOR_IDS[vendor], pci.group(1) or pci.group(2))
        by_id = identify(named.name) if named is not None else None
        if by_id is not None and by_id.known and by_id.vendor == vendor:
            return GpuIdentity(text, vendor, capability=by_id.capability, gfx=by_id.gfx, kind=by_id.kind,
                               via="pci id", source=by_id.source + ("PCI-IDS",))
    return found


_VENDOR_IDS = {"nvidia": "10de", "amd": "1002", "intel": "8086"}


def _identify_split(text: str, vendor: str | None, chip: str | None, products: list[str]) -> GpuIdentity:
    chip_row = None
    if chip:
        rows, reason = chip_rows(chip)
        if reason:
            return GpuIdentity(text, vendor or "nvidia", reason=reason)
        chip_row, _ = _decide(rows, vendor)
        # NVIDIA chip codes and Intel platform names are exact; AMD codenames are looser (pci.ids
        # calls the MI350X "Aqua Vanjaram" too), so there the product must not disagree.
        if chip_row is not None and chip_row.vendor != "amd":
            return _identity(text, chip_row, "chip")
    by_name = _by_name(text, vendor, products)
    if chip_row is None:
        return by_name
    if by_name.known and by_name.value != chip_row.value:
        return GpuIdentity(text, "amd", reason=f"the chip says {chip_row.value}, the product {by_name.value}")
    return _identity(text, chip_row, "chip")


def _by_name(text: str, vendor: str | None, products: list[str]) -> GpuIdentity:
    chosen: list[_Row] = []
    for product in products:
        row, reason = _decide(_name_rows(product), vendor)
        if row is None:
            what = f"an {VENDOR_LABEL[vendor]} " if vendor else "a "
            if reason:
                return GpuIdentity(text, vendor, reason=f"'{product}' {reason}" if product else f"it {reason}")
            return GpuIdentity(text, vendor, reason=f"not {what}GPU model the tables know" if len(products) == 1
                               else f"'{product}' (one of the products this name lists) is not in the tables")
        chosen.append(row)
    if not chosen:
        return GpuIdentity(text, vendor, reason="no GPU model in the name")
    if len({(r.vendor, r.value) for r in chosen}) > 1:
        return GpuIdentity(text, vendor, reason="the name lists products with different "
                           + ("compute capabilities" if chosen[0].vendor == "nvidia" else "targets"))
    return _identity(text, chosen[0], "name")


def all_rows() -> list[tuple[str, str, _Row]]:
    """Every (kind, key, row) of the table: for tests that run every name against every row."""
    t = table()
    out = [("name", k, r) for k, rows in t.names.items() for r in rows]
    out += [("chip", k, r) for k, rows in t.chips.items() for r in rows]
    out += [("pattern", p, r) for p, r in t.patterns]
    return out


def _chip_key(chip: str) -> str | None:
    """The table key a chip name is looked up by ('ga106m' -> 'ga106', 'strix halo' before 'strix')."""
    t = table()
    m = _NV_CHIP.fullmatch(chip.split()[0])
    if m:
        base = m.group(1)
        return base if base in t.chips or not re.search(r"\d{3}b$", base) else base[:-1]
    words = chip.split()
    return next((" ".join(words[:n]) for n in range(len(words), 0, -1) if " ".join(words[:n]) in t.chips), None)


def row_matches(kind: str, key: str, split: tuple[str | None, str | None, list[str]]) -> bool:
    """Does this one row match a name, given split_name(name)? (For tests that run every name
    against every row.)"""
    _, chip, products = split
    if kind == "chip":
        return bool(chip) and _chip_key(chip) == key
    if kind == "pattern":
        return any(_compiled(key).fullmatch(p) for p in products)
    return key in products
