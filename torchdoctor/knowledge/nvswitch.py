"""NVSwitch systems (nvswitch.json): the GPU names of HGX/DGX boards, where CUDA waits for the Fabric
Manager. The table lists names; this module turns them into the one pattern it describes.

Read on first use: only `cuda.fabric_manager` needs it.
"""

from __future__ import annotations

import functools
import re

from torchdoctor.knowledge import _read_cached


def _words(names: list[str]) -> str:
    return "|".join(re.escape(n) for n in names)


@functools.lru_cache(maxsize=1)
def nvswitch_pattern() -> re.Pattern[str]:
    """A product then a board kind ('A100-SXM4-80GB'), a board kind then a product ('HGX A100'), a system
    name ('DGX'), or a product sold on NVSwitch boards only ('H200'); whole words, any case."""
    t = _read_cached("nvswitch.json")
    kinds = _words(t["board_kinds"])
    return re.compile(rf"\b({_words(t['products_before_board'])})\b.*\b({kinds})"
                      rf"|\b({kinds})\w*\b.*\b({_words(t['products_after_board'])})"
                      rf"|\b({_words(t['systems'] + t['products'])})\b", re.I)


def is_nvswitch_system(gpu_name: str | None) -> bool:
    """Does this GPU name mark an NVSwitch (HGX/DGX) system? 'NVIDIA A100-SXM4-80GB' -> True,
    'NVIDIA A100 80GB PCIe' -> False."""
    return bool(gpu_name) and nvswitch_pattern().search(gpu_name or "") is not None


def nvswitch_sources() -> tuple[str, ...]:
    return tuple(_read_cached("nvswitch.json")["source"])
