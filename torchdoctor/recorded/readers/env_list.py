"""Labelled lists: the environment summaries of other tools, and the ones people write by hand.

- Hugging Face `transformers env` / `accelerate env` / `diffusers-cli env`:
  "- PyTorch version (GPU?): 2.1.0+cu121 (True)", "- Platform: Linux-5.15...-x86_64-with-glibc2.35",
  "- GPU type: NVIDIA A100-SXM4-80GB", "- Numpy version: 1.26.2";
- Lightning's collect_env_details: "* CUDA:" / "- GPU:" / "- NVIDIA GeForce RTX 3090" / "- version: 11.7";
- ultralytics `yolo checks`: "Ultralytics 8.3.2 🚀 Python-3.11.9 torch-2.4.1+cu121 CUDA:0 (NVIDIA ..., 24564MiB)"
  and two-column rows ("OS   Linux-...", "CUDA   12.1", "torch   ✅ 2.4.1+cu121>=1.8.0");
- hand-written lists: "- **PyTorch Version**: 2.2.0+cu121", "CUDA Version: 12.8 (Driver 570.181)".

One reading for all: a label and a value per line, the label normalised and looked up in
LABELS. What "CUDA" means depends on who printed it: yolo and Lightning print
torch.version.cuda; a person may mean the toolkit or nvidia-smi's figure, so from a
hand-written list it is kept as stated, not as the build's CUDA.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from torchdoctor.facts import PlatformFacts
from torchdoctor.recorded.evidence import Evidence, excerpt
from torchdoctor.recorded.readers._common import bool_word, gpu_from_name, platform_of, torch_from_version
from torchdoctor.recorded.paste import Paste
from torchdoctor.versions import is_driver_version

LABELS = {
    "pytorch version": "torch", "pytorch": "torch", "torch version": "torch", "torch": "torch",
    "pytorch version gpu": "torch", "pytorch version accelerator": "torch", "pytorch ver": "torch",
    "cuda version": "cuda", "cuda": "cuda", "cuda cudnn version": "cuda", "cuda toolkit version": "cuda",
    "cuda toolkit": "cuda", "cuda version nvcc": "cuda",
    "nvidia driver version": "driver", "driver version": "driver", "gpu driver version": "driver",
    "nvidia driver": "driver", "gpu driver": "driver", "driver": "driver",
    "gpu type": "gpu", "gpu": "gpu", "gpus": "gpu", "gpu models and configuration": "gpu", "gpu model": "gpu",
    "gpu models": "gpu", "graphics card": "gpu", "graphics": "gpu", "video card": "gpu", "gpu name": "gpu", "accelerator": "gpu", "gpu info": "gpu",
    "python version": "python", "python": "python",
    "platform": "platform", "python platform": "platform",
    "os": "os", "operating system": "os", "os version": "os", "os platform and distribution": "os",
    "system": "os",
    "numpy version": "numpy", "numpy": "numpy",
    "torchvision version": "torchvision", "torchvision": "torchvision",
    "torchaudio version": "torchaudio", "torchaudio": "torchaudio",
    "is cuda available": "cuda_available", "cuda available": "cuda_available", "available": "cuda_available",
    "gpu available": "cuda_available",
    "productversion": "macos_version",  # `sw_vers`
}
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])?\s*")
_PAIR = re.compile(r"^(.{1,60}?)\s*(?::|=|\s{2,}|\t)\s*(.+)$")
_PAREN = re.compile(r"\([^)]*\)")
_VERSION = re.compile(r"^v?(\d+\.\d+(?:\.\d+)?(?:[a-z]+\d*)?(?:\.dev\d+|\.post\d+)?(?:\+[\w.]+)?)")
_PY = re.compile(r"^(?:Python[- ]?)?(\d\.\d{1,2}(?:\.\d+)?)")
_YOLO = re.compile(r"Ultralytics\b.*?\bPython-(\d[\d.]*)\s+torch-(\S+)\s+(CUDA:\d+\s*\(([^)]*)\)|CPU|MPS)")


# In the order to try: diffusers-cli env also prints "Transformers version", transformers env "Accelerate version".
_FLAVOURS = (
    ("yolo_checks", re.compile(r"ultralytics\b[^\n]*(?:python-|yolo)", re.I)),
    ("diffusers_env", re.compile(r"`?diffusers`? version", re.I)),
    ("transformers_env", re.compile(r"`transformers` version|^[-* ]*transformers version", re.I | re.M)),
    ("accelerate_env", re.compile(r"`?accelerate`? version", re.I)),
    ("lightning_env", re.compile(r"^[ \t]*\*[ \t]*(?:lightning|cuda|packages|system):[ \t]*$", re.I | re.M)),
)
# A label's word followed by what ends a label (":", "(", "*", two spaces): the lines worth reading
_LABEL_WORDS = ("version:", "version (", "version*", "version  ", "version\t", "platform:", "platform*", "os:", "os  ",
                "os\t", "os*", "system:", "system*", "gpu", "driver", "numpy:", "numpy  ", "numpy*", "torch:",
                "torch  ", "torch*", "torchvision", "torchaudio", "python:", "python  ", "python*", "cuda:", "cuda  ",
                "cuda\t", "cuda*", "available", "accelerator", "graphics", "video card", "ultralytics",
                "productversion", "pytorch:", "pytorch  ", "pytorch*")
_LABEL_HINT = re.compile(r"version|platform|os\b|system|gpu|driver|numpy|torch|python|cuda|available|accelerator|"
                         r"graphics|video|productversion")


def flavour(lines: Sequence[str]) -> str:
    text = "\n".join(lines)
    return next((name for name, rx in _FLAVOURS if rx.search(text)), "markdown_list")


def read(paste: Paste) -> list[Evidence]:
    lines = paste.lines
    reader = flavour(lines)
    theirs = paste.claimed("collect_env")  # collect_env's labelled lines are its own
    found: dict[str, tuple[int, str, str]] = {}  # fact kind -> (line, value, the line)
    gpus: list[tuple[int, str]] = []
    listed: list[tuple[str, str]] = []
    unfilled: list[str] = []
    headers = 0
    section = ""
    gpu_list = False
    # Lightning's sections and GPU lists need every line in order; the other formats only their labelled lines
    indices = range(len(lines)) if reader == "lightning_env" else paste.candidates(_LABEL_WORDS)
    for i in indices:
        raw = lines[i]
        if not raw.strip() or len(raw) > 300 or raw.lstrip().startswith(("File \"", "[pip", "[conda")):
            gpu_list = False
            continue
        cut = min((x for x in (raw.find(":"), raw.find("=")) if x > 0), default=-1)
        if reader not in ("yolo_checks", "lightning_env") and (cut < 0 or not _LABEL_HINT.search(raw[:cut].lower())):
            continue  # a label needs its colon (yolo's two columns and Lightning's lists aside), and a label word
        stripped = _strip(raw)
        if i in theirs:
            continue
        if reader == "yolo_checks":
            m = _YOLO.search(raw)
            if m:
                headers += 1
                if headers > 1:
                    continue  # another environment's header: the first one is read
                found.setdefault("python", (i, m.group(1), raw))
                found.setdefault("torch", (i, m.group(2), raw))
                if m.group(4):
                    gpus.append((i, m.group(4)))
                    found.setdefault("cuda_available", (i, "True", raw))  # it runs on CUDA:0
                elif m.group(3) == "CPU":  # ultralytics picks CUDA:0 whenever torch.cuda.is_available()
                    found.setdefault("cuda_available", (i, "False", raw))
                continue
        if stripped.endswith(":") and ":" not in stripped[:-1]:
            head = _key(stripped[:-1])
            if LABELS.get(head) not in (None, "gpu") and reader != "lightning_env":
                unfilled.append(head)  # "- PyTorch Version (e.g., 1.0):" left empty
            section = head if raw[:1] in ("*", "#") or raw.lstrip().startswith("*") else section
            gpu_list = LABELS.get(head) == "gpu"
            continue
        if gpu_list and not _PAIR.match(stripped):
            gpus.append((i, stripped))
            continue
        gpu_list = False
        m = _PAIR.match(stripped)
        if not m:
            continue
        key, value = _key(m.group(1)), m.group(2).strip().strip("`*").strip()
        kind = LABELS.get(key)
        if section == "cuda" and key == "version":
            kind = "cuda"  # Lightning's "* CUDA:" / "- version: 11.7" is torch.version.cuda
        elif section == "system" and key in ("processor", "release"):
            kind = {"processor": "arch", "release": "kernel"}[key]
        if section == "packages" or (section == "lightning" and kind not in ("torch",)):
            v = _VERSION.match(value)
            if v:
                listed.append((key.replace(" ", "-"), v.group(1)))
            if kind != "torch":
                continue
        if kind is not None and (not value or re.fullmatch(r"\(?e\.g\.,?[^)]*\)?:?", value)):
            unfilled.append(key)  # an issue template's label left empty: the reporter's, not a fact
            continue
        if kind is None or not value or value.lower() in ("n/a", "na", "none", "not installed", "unknown"):
            if kind == "cuda" and value.lower() == "none" and reader == "lightning_env":
                found.setdefault(kind, (i, "None", raw))
            elif kind == "cuda" and value.lower() == "none" and reader == "yolo_checks":
                # ultralytics prints its CUDA row only when CUDA is available: None means it is not
                found.setdefault("cuda_available", (i, "False", raw))
            continue
        if kind == "cuda_available" and reader == "lightning_env" and section != "cuda":
            continue
        if kind == "gpu":
            gpus.append((i, value))
            continue
        if kind in ("torchvision", "torchaudio", "numpy"):
            v = _VERSION.match(value.lstrip("✅ "))
            if v:
                listed.append((kind, v.group(1).split(">=")[0]))
        found.setdefault(kind, (i, value, raw))
    out = _evidence(reader, found, gpus, listed)
    if headers > 1:
        out += [Evidence("report.reports", headers, reader),
                Evidence("report.notes", (f"the paste holds {headers} `yolo checks` headers (several environments): "
                                          "only the first was read",), reader)]
    if unfilled and not out:
        out.append(Evidence("report.unfilled", sorted(set(unfilled)), reader))
    return out


_LEAD = re.compile(r"^[^\w`(]+")  # emoji and symbols before the label ("🤗 Diffusers version")


def _strip(line: str) -> str:
    s = _BULLET.sub("", line.strip(), count=1)
    s = s.replace("**", "").replace("__", "")
    return _LEAD.sub("", s).strip()


def _key(label: str) -> str:
    label = _PAREN.sub(" ", label.replace("`", ""))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", label.lower()).split())


def _evidence(reader: str, found: dict, gpus: list, listed: list) -> list[Evidence]:
    out: list[Evidence] = []
    macos = False

    def ev(fact: str, value: Any, i: int, line: str) -> None:
        out.append(Evidence(fact, value, reader, i + 1, excerpt(line)))

    if "platform" in found or "os" in found:
        platform = _platform(found)
        if platform is not None:
            i, _, line = found.get("platform") or found["os"]
            macos = platform.os == "macos"
            for name in ("os", "arch", "kernel", "libc", "libc_version", "wsl", "os_version"):
                value = getattr(platform, name)
                if value not in (None, False, "unknown") or name == "os":
                    ev(f"platform.{name}", value, i, line)
    if "platform" not in found and "os" in found and ("arch" in found or "kernel" in found):
        for name in ("arch", "kernel"):
            if name in found:
                i, value, line = found[name]
                value = {"amd64": "x86_64", "i386": "x86_64", "i686": "x86", "arm": "arm64" if macos else "aarch64",
                         "arm64": "arm64" if macos else "aarch64"}.get(value.lower(), value)
                ev(f"platform.{name}", value, i, line)
    if "macos_version" in found and "os" not in found and "platform" not in found:
        i, value, line = found["macos_version"]
        if re.match(r"^\d+(\.\d+)*$", value):
            ev("platform.os", "macos", i, line)
            ev("platform.os_version", f"macOS {value}", i, line)
            macos = True
    if "python" in found:
        i, value, line = found["python"]
        m = _PY.match(value)
        if m:
            ev("python.version", m.group(1), i, line)
    available = None
    if "cuda_available" in found:
        available = bool_word(found["cuda_available"][1])
    if "torch" in found:
        i, value, line = found["torch"]
        v = _VERSION.match(value.lstrip("✅ ").strip())
        paren = re.search(r"\((True|False|CUDA|ROCm|MPS|XPU|NPU|CPU|NA)\)\s*$", value, re.I)
        if paren and available is None:
            word = paren.group(1).lower()
            available = {"true": True, "cuda": True, "rocm": True, "false": False, "cpu": False}.get(word)
        if v:
            version = v.group(1).split(">=")[0]
            claims = torch_from_version(version, reader, i + 1, line, macos=macos, cuda_available=available)
            if reader in ("yolo_checks", "lightning_env") and "cuda" in found and \
                    not any(e.fact == "runtime.version" for e in claims):
                cuda = _cuda_value(found["cuda"][1])
                if cuda is not False:  # the build's CUDA is printed: the runtime is known after all
                    claims += [Evidence("runtime.status", "ok", reader, i + 1, line),
                               Evidence("runtime.version", version, reader, i + 1, line),
                               Evidence("runtime.cuda", cuda, reader, i + 1, line)]
                    if available is not None:
                        claims.append(Evidence("runtime.cuda_available", available, reader, i + 1, line))
            out += claims
    if available is not None:
        i, _, line = found.get("cuda_available") or found["torch"]
        ev("report.cuda_available", available, i, line)
    if "cuda" in found:
        i, value, line = found["cuda"]
        cuda = _cuda_value(value)
        if reader in ("yolo_checks", "lightning_env") and cuda is not False and \
                any(e.fact == "runtime.version" for e in out):
            ev("runtime.cuda", cuda, i, line)
        elif cuda:
            ev("report.cuda_stated", cuda, i, line)
        driver = re.search(r"driver[: ]+(\d{3}\.\d+(?:\.\d+)?)", value, re.I)
        if driver and "driver" not in found:
            found["driver"] = (i, driver.group(1), line)
    if "driver" in found:
        i, value, line = found["driver"]
        m = re.match(r"^(\d{3}\.\d{1,3}(?:\.\d{1,3})?)\b", value)
        if m and is_driver_version(m.group(1)):
            ev("nvidia.driver", m.group(1), i, line)
            ev("nvidia.source", "user", i, line)
    if "numpy" in found:
        i, value, line = found["numpy"]
        v = _VERSION.match(value.lstrip("✅ "))
        if v and any(e.fact == "runtime.status" for e in out):
            ev("runtime.numpy", v.group(1).split(">=")[0], i, line)
    names = []
    for _, value in gpus:
        value = re.sub(r"\s+\d+\s+[MG]B\b", "", value)  # "GeForce GT 750M 2048 MB Intel Iris Pro 1536 MB"
        for part in re.split(r"\s*;\s*|\s*,\s*(?=NVIDIA|AMD|Intel|GeForce|Tesla|Radeon)|\s+(?=(?:Intel|AMD)\b)", value):
            part = re.sub(r"^(?:GPU\s*\d+\s*:|\d+\s*x\s*|cuda:\d+\s*)", "", part.strip(), flags=re.I).strip()
            g = gpu_from_name(part, reader)
            if g is not None:
                names.append(g)
    if names:
        out.append(Evidence("gpus", tuple(names), reader, gpus[0][0] + 1, ""))
    if listed:
        out.append(Evidence("report.listed", tuple(listed), reader))
    return out


def _cuda_value(value: str) -> Any:
    """"12.1" -> "12.1"; "None" -> None (a CPU build); anything else -> False (not a CUDA version)."""
    if value.strip().lower() == "none":
        return None
    m = re.match(r"^(?:CUDA\s*)?(\d{1,2}\.\d)", value.strip(), re.I)
    return m.group(1) if m else False


def _platform(found: dict) -> PlatformFacts | None:
    fields = {}
    if "platform" in found:
        fields["python_platform"] = found["platform"][1]
    if "os" in found:
        fields["os"] = found["os"][1]
    missing: list[str] = []
    p = platform_of(fields, [], missing)
    if p is None and "os" in found:
        low = found["os"][1].lower()
        if low.startswith("win"):
            p = PlatformFacts(os="windows", arch="unknown", os_version=found["os"][1])
        elif low.startswith(("mac", "darwin", "osx")):
            p = PlatformFacts(os="macos", arch="unknown", os_version=found["os"][1])
    return p
