"""What people write around their pastes: "I am running an RTX 2060 Super", "Ubuntu 21.04",
"torch.__version__ = "2.1.0"", "python 3.11".

The weakest evidence (merge ranks it last): it fills a fact no tool output in the paste
states, and names the GPU as the person wrote it.
"""

from __future__ import annotations

import re

from torchdoctor.facts import Gpu
from torchdoctor.recorded.evidence import Evidence
from torchdoctor.recorded.readers._common import gpu_from_name, platform_of
from torchdoctor.recorded.paste import Paste
from torchdoctor.versions import is_driver_version

READER = "prose"
_GPU = re.compile(
    r"(?<![\w.-])("
    r"(?:NVIDIA\s+|Nvidia\s+|nvidia\s+)?(?:GeForce\s+)?(?:RTX|GTX)\s?\d{3,4}(?:\s?(?:Ti|TI|ti|Super|SUPER))?"
    r"(?:\s+(?:Laptop|laptop|Mobile|Max-Q)(?:\s+GPU)?)?"
    r"|(?:NVIDIA\s+)?(?:Tesla\s+)?(?:A10|A30|A40|A100|A800|H100|H200|H800|H20|B200|B300|GB200|L4|L40S?|T4|V100|"
    r"P100|P40|P4|K80|M40|M60|RTX\s?A\d{4})(?:[- ](?:SXM\d?|PCIE|PCIe)[-\w]*)?(?:\s\d+GB)?"
    r"|(?:AMD\s+)?(?:Radeon\s+)?RX\s?\d{3,4}(?:\s?(?:XT|XTX|GRE))?"
    r"|\d{4}\s?(?:Ti|ti|TI|Super|SUPER)"
    r")(?![\w-])")
_OS = re.compile(r"\b(Ubuntu\s+\d{2}\.\d{2}(?:\.\d+)?(?:\s+LTS)?|Windows\s+(?:10|11)|Fedora\s+\d{2}|Debian\s+\d{1,2}|"
                 r"macOS\s+(?:\d{2}(?:\.\d+){0,2})|CentOS\s+\d|Arch Linux)\b")
_TORCH = re.compile(r"(?:torch\.__version__\s*=?\s*[\"']|\b(?:py)?torch(?:==|\s+version\s*:?\s*|\s+|-))"
                    r"(\d+\.\d+\.\d+(?:\.dev\d+)?(?:\+[\w.]+)?)\b", re.I)
_PYTHON = re.compile(r"\bpython\s*(?:[=:]|==)?\s*v?(3\.\d{1,2}(?:\.\d+)?)\b", re.I)
_MODEL_NUMBERS = re.compile(r"^\d{4}")
# words each pattern needs (lower case): only lines holding one are read (speed: see Paste.candidates)
_GPU_WORDS = ("rtx", "gtx", "geforce", "nvidia", "tesla", "radeon", "rx", "a100", "a800", "h100", "h200", "h800",
              "h20", "v100", "p100", "p40", "p4", "t4", "l4", "l40", "a10", "a30", "a40", "k80", "m40", "m60", "b200",
              "b300", "super", "ti")
_BARE = re.compile(r"\d{4}\s?(?:ti|super)\b")  # "2080ti", "2060 super" (on the lower-cased paste)
_GPU_HINT = re.compile("|".join(_GPU_WORDS))
_OS_WORDS = ("ubuntu", "windows", "fedora", "debian", "macos", "centos", "arch linux")
# common two-letter words ("ti", "rx", "t4") would select every line: bare model numbers are found by _BARE
_WORDS = tuple(w for w in _GPU_WORDS if len(w) > 2 and w not in ("h20", "a10", "a30", "a40", "p40", "l40")) + \
    ("rx 5", "rx 6", "rx 7", "rx 9", "rx5", "rx6", "rx7", "rx9", " t4", " l4", "a10", "a30", "a40", "h20",
     "p40", "l40") + _OS_WORDS + ("gfx", "wsl", "driver", "apple", "macbook", "mac ", "linux-", "macos-",
                                   "windows-")
_DRIVER = re.compile(r"\b(?:nvidia\s+)?driver(?:\s+version)?\s*[:=]?\s*v?(\d{3}\.\d{1,3}(?:\.\d{1,3})?)\b", re.I)
_WSL = re.compile(r"\bWSL\s?2\b|\b(?:in|on|under|using)\s+WSL\b")
_GFX = re.compile(r"(?<![A-Za-z0-9])(gfx\d{3,4}[a-z]?)(?![0-9a-z])")
_URL = re.compile(r"https?://\S+|\S+\.(?:png|jpe?g|py)\b")
# a Python platform string in a sentence: "macOS-12.7.6-arm64-arm-64bit", "Linux-5.15.0-88-generic-x86_64-with-glibc2.35"
_PLATFORM = re.compile(r"\b((?:macOS|Linux|Windows)-[\w.+-]*?(?:x86_64|arm64|aarch64|AMD64|i386)[\w.+-]*)")
_APPLE_SILICON = re.compile(r"\b(?:Apple\s+)?M[1-5](?:\s+(?:Pro|Max|Ultra))?\b(?=.*\b(?:Mac|MacBook|chip|Apple)\b)|"
                            r"\b(?:MacBook|Mac)\b.*\bM[1-5]\b|\bApple\s+M[1-5]\b")


def _first(paste: Paste, word: str, rx: re.Pattern) -> tuple[int, re.Match] | None:
    """The first line holding `word` where `rx` matches."""
    lines, text, starts = paste.lines, paste.lower, paste.starts
    at = text.find(word)
    while at >= 0:
        i = paste.line_of(at)
        line = lines[i]
        if not line.lstrip().startswith(("[pip", "[conda", "|", "File ")) and len(line) <= 600:
            m = rx.search(line)
            if m:
                return i, m
        at = text.find(word, starts[i + 1] if i + 1 < len(starts) else len(text))
    return None


def read(paste: Paste) -> list[Evidence]:
    lines = paste.lines
    out: list[Evidence] = []
    gpus: list[Gpu] = []
    seen_os = seen_platform = apple = wsl = driver = False
    gfx = None
    theirs = paste.claimed("collect_env")
    text = paste.lower
    bare = {text.count("\n", 0, m.start()) for m in _BARE.finditer(text)} if "ti" in text or "super" in text else set()
    for i in sorted(set(paste.candidates(_WORDS)) | bare):
        line = lines[i]
        if len(line) > 600 or line.lstrip().startswith(("[pip", "[conda", "|", "File ")):
            continue
        if i in theirs:
            continue  # collect_env's own fields (a cut "Nvidia driver version: 580.1" among them) are its
        low = line.lower()
        if "://" in line or ".png" in low or ".jp" in low or ".py" in low:
            line = _URL.sub(" ", line)
            low = line.lower()
        if not apple and ("apple" in low or " m" in low) and _APPLE_SILICON.search(line):
            apple = True
            out.append(Evidence("report.apple_silicon", True, READER, i + 1, line))
        if not wsl and "wsl" in low and not re.search(r"\[\s\]", line):  # "- [ ] WSL 1" is an unticked box
            w = _WSL.search(line)
            if w:
                wsl = True
                out += [Evidence("platform.wsl", True, READER, i + 1, line),
                        Evidence("platform.os", "linux", READER, i + 1, line)]
        if not driver and "driver" in low:
            d = _DRIVER.search(line)
            if d and is_driver_version(d.group(1)):
                driver = True
                out += [Evidence("nvidia.driver", d.group(1), READER, i + 1, line),
                        Evidence("nvidia.source", "user", READER, i + 1, line)]
        m = _GFX.search(line) if "gfx" in low else None
        if m and not gfx:
            gfx = m.group(1)
            out.append(Evidence("report.gfx", gfx, READER, i + 1, line))
        m = _PLATFORM.search(line) if not seen_platform and "-" in low else None
        if m and not seen_platform:
            p = platform_of({"python_platform": m.group(1)}, [], [])
            if p is not None:
                seen_platform = seen_os = True
                for name in ("os", "arch", "kernel"):
                    if getattr(p, name) not in (None, "unknown"):
                        out.append(Evidence(f"platform.{name}", getattr(p, name), READER, i + 1, line))
        for m in (_GPU.finditer(line) if _GPU_HINT.search(low) else ()):
            name = m.group(1).strip()
            if _MODEL_NUMBERS.match(name) and not re.search(r"\d{4}\s?(?:Ti|ti|TI|Super|SUPER)$", name):
                continue
            whole = line.strip()
            # a line that is just the GPU ("Nvidia GeForce RTX 3050 laptop GPU") is kept whole
            if len(whole) <= 60 and whole.lower().startswith(("nvidia", "geforce", "rtx", "gtx", "amd", "radeon")) \
                    and m.start(1) <= line.index(whole[0]) + 16:
                name = whole
            g = gpu_from_name(name, READER)
            if g is None and re.match(r"^(?:RX|Radeon)", name):
                g = gpu_from_name("AMD " + name, READER)
                g = g.__class__(**{**g.__dict__, "name": name}) if g else None
            if g is None and re.match(r"^\d{4}", name):
                g = gpu_from_name("GeForce " + name, READER)
                g = g.__class__(**{**g.__dict__, "name": name}) if g else None
            if g is not None and all(x.name != g.name for x in gpus):
                gpus.append(g)
                if len(gpus) == 1:
                    first_gpu = (i, line)
        if not seen_os and any(w in low for w in _OS_WORDS):
            m = _OS.search(line)
            if m:
                seen_os = True
                name = m.group(1)
                os_ = "windows" if name.startswith("Windows") else "macos" if name.startswith("macOS") else "linux"
                out += [Evidence("platform.os", os_, READER, i + 1, line),
                        Evidence("platform.os_version", name, READER, i + 1, line)]

    for word, rx, fact in (("torch", _TORCH, "report.torch_version"), ("python", _PYTHON, "python.version")):
        found = _first(paste, word, rx)
        if found:
            i, m = found
            out.append(Evidence(fact, m.group(1), READER, i + 1, lines[i]))
    if gpus:
        out.append(Evidence("gpus", tuple(gpus[:8]), READER, first_gpu[0] + 1, first_gpu[1]))
    return out
