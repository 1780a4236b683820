"""Apple Silicon's GPU (used by torch through MPS): one per machine, named after the chip."""

from __future__ import annotations

from torchdoctor.facts import Gpu
from torchdoctor.probes.platform import Sysctl, sysctl, sysctl_int, sysctl_str


def apple_gpu(get_sysctl: Sysctl = sysctl) -> Gpu | None:
    """The chip's GPU on Apple Silicon, also when this Python runs under Rosetta; None on Intel Macs.

    hw.optional.arm64 is 1 on Apple Silicon whatever the calling process's arch is.
    """
    if sysctl_int(get_sysctl, "hw.optional.arm64") != 1:
        return None
    brand = sysctl_str(get_sysctl, "machdep.cpu.brand_string")
    return Gpu(vendor="apple", name=brand if brand and brand.startswith("Apple") else None, source="sysctl")
