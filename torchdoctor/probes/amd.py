"""AMD GPU targets (gfx1100, gfx90a, ...): what ROCm wheels are built for.

Source order: the amdgpu driver's KFD topology in sysfs (no ROCm install needed, cannot
hang), then `rocm_agent_enumerator` / `rocminfo` when present (they need the ROCm userspace).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Callable, NamedTuple

from torchdoctor import runner
from torchdoctor.probes._util import read_text, under

ROCM_BIN = "/opt/rocm/bin"


class AmdAgent(NamedTuple):
    gfx: str
    pci_bus_id: str | None = None
    name: str | None = None
    pci_id: str | None = None  # "1002:744c"


def gfx_from_target_version(value: int) -> str | None:
    """KFD's gfx_target_version is major*10000 + minor*100 + stepping, the last two in hex
    in the target name: 110000 -> gfx1100, 90010 -> gfx90a, 90402 -> gfx942."""
    if value <= 0:
        return None
    major, minor, stepping = value // 10000, (value // 100) % 100, value % 100
    if minor > 15 or stepping > 15:
        return None
    return f"gfx{major}{minor:x}{stepping:x}"


def parse_kfd_properties(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = int(parts[1])
            except ValueError:
                continue
    return out


def location_to_address(domain: int, location_id: int) -> str:
    """KFD's location_id is (bus << 8) | devfn, devfn = (device << 3) | function."""
    bus, devfn = location_id >> 8, location_id & 0xFF
    return f"{domain:04x}:{bus:02x}:{devfn >> 3:02x}.{devfn & 7}"


def read_kfd(root: Path = Path("/")) -> tuple[AmdAgent, ...] | None:
    """GPU nodes of the KFD topology; None when there is no KFD (no amdgpu driver with compute)."""
    base = under(root, "/sys/class/kfd/kfd/topology/nodes")
    try:
        nodes = sorted(os.listdir(base), key=lambda n: int(n) if n.isdigit() else 1 << 30)
    except OSError:
        return None
    agents = []
    for node in nodes:
        props = parse_kfd_properties(read_text(base / node / "properties", 1 << 16) or "")
        gfx = gfx_from_target_version(props.get("gfx_target_version", 0))
        if gfx is None:  # CPU nodes say 0
            continue
        address = location_to_address(props.get("domain", 0), props["location_id"]) if "location_id" in props else None
        vendor, device = props.get("vendor_id"), props.get("device_id")
        pci_id = f"{vendor:04x}:{device:04x}" if vendor and device else None
        agents.append(AmdAgent(gfx=gfx, pci_bus_id=address, pci_id=pci_id))
    return tuple(agents)


def parse_rocminfo(text: str) -> tuple[AmdAgent, ...]:
    """GPU agents of `rocminfo`: "Name: gfx1100", "Marketing Name: Radeon RX 7900 XTX", "Device Type: GPU"."""
    agents = []
    for block in re.split(r"\n\*+\s*\n\s*Agent \d+\s*\n\*+", text):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() not in fields:
                fields[key.strip()] = value.strip()
        if fields.get("Device Type") != "GPU":
            continue
        gfx = fields.get("Name", "")
        if re.fullmatch(r"gfx[0-9a-f]+", gfx) and gfx != "gfx000":
            agents.append(AmdAgent(gfx=gfx, name=fields.get("Marketing Name") or None))
    return tuple(agents)


def parse_agent_enumerator(text: str) -> tuple[AmdAgent, ...]:
    """`rocm_agent_enumerator`: one target per line, gfx000 being the CPU."""
    return tuple(AmdAgent(gfx=ln.strip()) for ln in text.splitlines()
                 if re.fullmatch(r"gfx[0-9a-f]+", ln.strip()) and ln.strip() != "gfx000")


def read_rocm_tools(
    run: Callable[..., runner.RunResult] = runner.run,
    timeout: float = 5.0,
    which: Callable[[str], "str | None"] = shutil.which,
    exists: Callable[[str], bool] = lambda p: Path(p).is_file(),
) -> tuple[tuple[AmdAgent, ...], list[str]]:
    """Ask the ROCm tools that exist (cheapest first); ([], errors) when none answers."""
    errors = []
    for tool, parse in (("rocm_agent_enumerator", parse_agent_enumerator), ("rocminfo", parse_rocminfo)):
        exe = which(tool) or (f"{ROCM_BIN}/{tool}" if exists(f"{ROCM_BIN}/{tool}") else None)
        if exe is None:
            continue
        result = run([exe], timeout=timeout)
        if not result.ok:
            errors.append(result.describe_failure())
            continue
        agents = parse(result.stdout)
        if agents:
            return agents, errors
        errors.append(f"{tool}: no GPU agent in its output")
    return (), errors
