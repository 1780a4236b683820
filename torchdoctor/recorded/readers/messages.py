"""Messages are evidence: tracebacks, warnings and log lines, wherever they are in a paste.

torch says most of what went wrong in its own words, and the checks already know
those words (they read the same texts from the live torch child): this reader
hands them over as runtime.warnings, and turns the few that state a fact into
that fact:
- "found version 11040" -> nvidia.cuda_driver 11.4 (the driver's CUDA);
- "<GPU> with CUDA capability sm_120 is not compatible" -> that GPU's capability,
  "supports CUDA capabilities sm_50 ..." -> the build's arch list;
- a traceback through `import torch` -> an import failure with its exact error;
- "NVIDIA-SMI has failed ...", "Failed to initialize NVML: ..." -> the driver's errors;
- HSA_OVERRIDE_GFX_VERSION=..., CUDA_VISIBLE_DEVICES=... -> those variables;
- a WSL kernel string ("4.4.0-19041-Microsoft" is WSL 1) -> the platform.
"""

from __future__ import annotations

import re
from typing import Sequence

from torchdoctor.facts import Gpu
from torchdoctor.recorded.evidence import Evidence, excerpt, private
from torchdoctor.recorded.readers._common import warning_blocks
from torchdoctor.recorded.paste import Paste

READER = "messages"

_TB = re.compile(r"^\s*Traceback \(most recent call last\):")
_TB_WORDS = ("traceback (most recent call last)",)
_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+')
_EXC = re.compile(r"^\s*((?:[A-Za-z_]\w*\.)*(?:[A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt)|KeyboardInterrupt))"
                  r"(?::\s?(.*))?$")
_TORCH_INIT = re.compile(r"[\\/]torch[\\/]__init__\.py$")
_TORCH_FILE = re.compile(r"[\\/]torch[\\/]")
# pip building a package in an isolated environment, where torch is missing by design (flash-attn, ...)
_ISOLATION_WORDS = ("getting requirements to build", "subprocess-exited-with-error", "build_meta", "_vendor",
                    "setup.py", "pyproject_hooks")
_RELEVANT = re.compile(r"torch|cuda|nvidia|\bgpu\b|numpy|\bhip\b|rocm|\.dll|\bmps\b|nccl|cudnn|driver|triton|"
                       r"nvml|libc10|\bsm_\d+", re.I)
_CUDA_WORDS = re.compile(r"cuda|nvidia|driver|\bhip\b|\bgpu\b|nvml|device", re.I)

_FOUND_VERSION = re.compile(r"found version (\d{4,5})\b")
_NUMPY_IN_BANNER = re.compile(r"cannot be run in\s+NumPy (\d+\.\d+\.\d+)")
_NVML_LIB = re.compile(r"NVML library version:\s*(\d{3}\.\d+(?:\.\d+)?)")
_PROMPT = re.compile(r"^\s*(?:\([\w.-]+\)\s*)?[\w.-]+@([\w.-]+):[~/][^\s$#]*[$#]")
_DRIVER_EQ = re.compile(r"\bdriver[ =:]+(\d{4,5})\b.*runtime")  # "cuda version: driver=12040, runtime=12040"
_SM = re.compile(r"(?:^|:\s)([^:\n]+?) with CUDA capability sm_(\d+)(\d) is not compatible")
_ARCHES = re.compile(r"supports CUDA capabilities ((?:(?:sm|compute)_\d+a?\s*)+)")
_SMI_FAILED = re.compile(r"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver")
_NO_DRIVER = re.compile(r"Found no NVIDIA driver on your system")
_NVML = re.compile(r"Failed to initialize NVML: ([^\n]+)")
_ENV = re.compile(r"(?:^|[\s;&(])(?:export\s+|set\s+|\$env:)?(HSA_OVERRIDE_GFX_VERSION|CUDA_VISIBLE_DEVICES|"
                  r"HIP_VISIBLE_DEVICES)\s*=\s*[\"']?([\w.,-]*)[\"']?")
_ENV_PY = re.compile(r"os\.environ\[[\"'](HSA_OVERRIDE_GFX_VERSION|CUDA_VISIBLE_DEVICES|HIP_VISIBLE_DEVICES)"
                     r"[\"']\]\s*=\s*[\"']([\w.,-]*)[\"']")
_WSL1 = re.compile(r"\b(4\.4\.0-\d+-Microsoft)\b")
_WSL2 = re.compile(r"\b(\d+\.\d+\.\d+(?:\.\d+)?-microsoft-standard(?:-WSL2)?)\b", re.I)
# Lines that are an import failure of torch even without their traceback.
_DLL = re.compile(r"(\[WinError (?:126|127|1114)\].*)$")
# pip: "ERROR: Could not find a version that satisfies the requirement torch==1.13.1 (from versions: 2.0.0, ...)"
_PIP_VERSIONS = re.compile(r"Could not find a version that satisfies the requirement (torch\b\S*) \(from versions: ([^)]*)\)")
_PIP_NONE = re.compile(r"No matching distribution found for (torch\b\S*)")
# Every line-level pattern below contains one of these words: only such lines are looked at.
_TRIGGER = ("found version", "driver", "with cuda capability", "supports cuda", "nvidia-smi has failed", "nvml",
            "hsa_override", "_visible_devices", "microsoft", "winerror", "from versions", "no matching distribution",
            "numpy 1.x", "not compiled with cuda", "no kernel image", "hip error", "hiperror", "tensilelibrary",
            "error 80", "error 999", "unknown error", "not yet initiali", "mps backend", "no cuda gpus",
            "cuda_error_", "nvml library version", "cannot be run in numpy", "@",
            # torch.compile and extension builds (checks/compile.py, checks/build.py read these texts)
            "invalidcxxcompiler", "failed to find c compiler", "python.h", "working triton installation",
            "triton gpu compiler", "dynamo is not supported", "supported for torch.compile", "cl is not found",
            "cuda_home", "nvcc was not found", "mismatches the version that was used to compile",
            "unsupported gnu version", "ninja is required")
# the words collect_env's warning pattern needs (a warning block starts on such a line)
_WARN_WORDS = ("warning", "error", "not compatible", "failed to initialize numpy", "too old",
               "forward compatibility")
_BANNERS = (re.compile(r"A module that was compiled using NumPy 1\.x cannot be run in"),
            re.compile(r"Torch not compiled with CUDA enabled"),
            re.compile(r"no kernel image is available for execution on the device"),
            re.compile(r"HIP error: invalid device function|hipErrorNoBinaryForGpu|TensileLibrary\w*_gfx\w+\.dat"),
            re.compile(r"The MPS backend is supported on mac ?OS \d+(?:\.\d+)?\+", re.I),
            re.compile(r"No CUDA GPUs are available", re.I),
            re.compile(r"\bCUDA_ERROR_[A-Z_]+(?: \(\d+\))?"),
            re.compile(r"Error 80[2-4]\b|Error 999\b|CUDA unknown error|system not yet initialized"),
            re.compile(r"InvalidCxxCompiler|Failed to find C compiler|Python\.h: No such file|include file 'Python\.h'|"
                       r"Cannot find a working triton installation|too old to be supported by the triton GPU compiler|"
                       r"Dynamo is not supported on Python|not yet supported for torch\.compile|Compiler: cl is not found|"
                       r"CUDA_HOME environment variable is not set|nvcc was not found|The detected CUDA version \(|"
                       r"unsupported GNU version|Ninja is required to load C\+\+ extensions"))


# "detect_worker_1  | ..." (docker compose), "2024-05-01 10:11:12,123 INFO ..." / "[2024-05-01 ...]" (logs)
_COMPOSE = re.compile(r"^([\w.-]{1,60}?)\s+\|\s?")
_STAMP = re.compile(r"^\s*\[?\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[\d.,:]*(?:Z|[+-]\d\d:?\d\d)?\]?\s*"
                    r"(?:\[?(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\]?\s*[:-]?\s*)?")


def _unprefix(lines: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """Log lines without their per-line prefix (kept when a prefix is rare: then it is text)."""
    names: dict[str, int] = {}
    for line in lines:
        m = _COMPOSE.match(line) if "|" in line else None
        if m:
            names[m.group(1)] = names.get(m.group(1), 0) + 1
    compose = {n for n, c in names.items() if c >= 3}
    out = []
    if not compose and not any(line[:1] in "[0123456789" for line in lines):
        return lines, False
    for line in lines:
        m = _COMPOSE.match(line) if compose and "|" in line else None
        if m and m.group(1) in compose:
            line = line[m.end():]
        out.append(_STAMP.sub("", line) if line[:1] in "[0123456789" else line)
    if tuple(out) == lines:
        return lines, False  # nothing to strip: the paste as it is
    return tuple(out), bool(compose)


def read(paste: Paste) -> list[Evidence]:
    out: list[Evidence] = []
    lines, compose = _unprefix(paste.lines)
    if lines is not paste.lines:
        paste = Paste.of(lines, paste.claims)  # messages read the log lines without their prefixes
    if compose:  # docker compose prefixes each service's output: this ran in a container
        out += [Evidence("platform.container", "docker", READER), Evidence("platform.os", "linux", READER)]
    isolation = bool(paste.candidates(_ISOLATION_WORDS))
    texts: list[tuple[int, str]] = []  # (line, text) of every message, for runtime.warnings
    ran = False  # torch was imported: it printed these
    import_failure = False

    for tb in _tracebacks(paste):
        start, frames, exc_type, message, _ = tb
        said = f"{exc_type}: {message}" if message else exc_type
        line_text = lines[start]
        in_import = any(_TORCH_INIT.search(f) for f, _ in frames) or any(
            re.match(r"\s*(import torch\b|from torch\b)", src) for _, src in frames[-1:])
        # `import torch` that loads ./torch/__init__.py: a local folder named torch (a source checkout)
        shadow = next((f for f, _ in frames if re.fullmatch(r"(?:\.[\\/])?torch[\\/]__init__\.py", f)), None)
        torch_missing = re.search(r"No module named '?torch'?\s*$", message or "")
        if torch_missing and not isolation and (in_import or len(frames) <= 2):
            out.append(Evidence("runtime.status", "not_installed", READER, start + 1, said))
            import_failure = True
        elif shadow:
            out.append(Evidence("shadowing", (shadow,), READER, start + 1, line_text))
            out += _import_failed(exc_type, message, tb, lines, start, kind="shadowed")
            import_failure = True
        elif in_import and _short(exc_type) in ("ImportError", "ModuleNotFoundError", "OSError", "AttributeError",
                                                "RuntimeError", "NameError"):
            out += _import_failed(exc_type, message, tb, lines, start)
            import_failure = True
        elif any(_TORCH_FILE.search(f) for f, _ in frames) or _CUDA_WORDS.search(message or ""):
            ran = ran or any(_TORCH_FILE.search(f) for f, _ in frames)
            if _CUDA_WORDS.search(said) and _RELEVANT.search(said):
                out.append(Evidence("runtime.cuda_init_error", private(said)[:2000], READER, start + 1, line_text))
        if any(re.search(r"collect_env\.py$", f) for f, _ in frames):
            out.append(Evidence("report.collect_env_crashed", True, READER, start + 1, line_text))
        if _RELEVANT.search(said) or any(_TORCH_FILE.search(f) for f, _ in frames):
            texts.append((start + 1, said))

    for i in paste.candidates(_TRIGGER):
        line = lines[i]
        low = line.lower()
        m = (_FOUND_VERSION.search(line) if "found version" in low else None) or \
            (_DRIVER_EQ.search(line) if "driver=" in low else None)
        if m and (re.search(r"driver", line, re.I) or (i and re.search(r"driver", lines[i - 1], re.I))):
            n = int(m.group(1))
            out.append(Evidence("nvidia.cuda_driver", f"{n // 1000}.{n % 1000 // 10}", READER, i + 1, line))
            ran = True
        m = _SM.search(line) if "with cuda capability" in low else None
        if m:
            name = m.group(1).strip().split("Warning: ")[-1].strip()
            out.append(Evidence("gpus", (Gpu(vendor="nvidia", name=name, capability=(int(m.group(2)), int(m.group(3))),
                                            source=READER),), READER, i + 1, line))
            ran = True
        m = _ARCHES.search(line) if "supports cuda" in low else None
        if m:
            out.append(Evidence("runtime.arch_list", tuple(m.group(1).split()), READER, i + 1, line))
        if "found no nvidia" in low and _NO_DRIVER.search(line):  # torch asked the driver and none answered
            out += [Evidence("nvidia.errors", ("torch: " + _NO_DRIVER.search(line).group(0),), READER, i + 1, line),
                    Evidence("nvidia.driver", None, READER, i + 1, line)]
        if "nvidia-smi has failed" in low and _SMI_FAILED.search(line):
            out.append(Evidence("nvidia.errors", ("nvidia-smi: " + _SMI_FAILED.search(line).group(0),), READER, i + 1, line))
            out.append(Evidence("nvidia.driver", None, READER, i + 1, line))
        m = _NVML.search(line) if "nvml" in low else None
        if m:
            out.append(Evidence("nvidia.errors", (f"NVML: {m.group(1).strip()}",), READER, i + 1, line))
        for m in (list(_ENV.finditer(line)) + list(_ENV_PY.finditer(line))
                  if "hsa_override" in low or "_visible_devices" in low else ()):
            out.append(Evidence(f"env.{m.group(1)}", m.group(2), READER, i + 1, line))
        m = (_WSL1.search(line) or _WSL2.search(line)) if "microsoft" in low else None
        if m:
            out += [Evidence("platform.wsl", True, READER, i + 1, line),
                    Evidence("platform.kernel", m.group(1), READER, i + 1, line)]
        m = _DLL.search(line) if "winerror" in low else None
        if m and not import_failure:
            message = _continued(lines, i, m.group(1))
            if re.search(r"torch|c10\.dll|fbgemm|caffe2", message + line, re.I):
                out += _import_failed("OSError", message, None, lines, i)
                import_failure = True
        m = _PIP_VERSIONS.search(line) if "from versions" in low else None
        if m:
            versions = [v.strip() for v in m.group(2).split(",") if v.strip() and v.strip() != "none"]
            out.append(Evidence("report.available_versions", [versions[0], versions[-1]] if versions else [],
                                READER, i + 1, line))
            if not versions:  # pip sees no torch at all for this interpreter (why, the paste rarely says)
                out.append(Evidence("report.pip_found_none", True, READER, i + 1, line))
        m = _NUMPY_IN_BANNER.search(_with_next(lines, i, 1)) if "cannot be run in" in low else None
        if m:  # "... compiled using NumPy 1.x cannot be run in NumPy 2.0.0": the numpy torch's interpreter has
            out.append(Evidence("runtime.numpy", m.group(1), READER, i + 1, line))
        m = _NVML_LIB.search(line) if "nvml library version" in low else None
        if m:
            out.append(Evidence("report.nvml_library", m.group(1), READER, i + 1, line))
        m = _PROMPT.match(line) if "@" in line else None
        if m:  # a shell prompt: "user@host:~$" is Linux; a 12-hex host is a docker container's id
            out.append(Evidence("platform.os", "linux", "paths", i + 1, line))
            if re.fullmatch(r"[0-9a-f]{12}", m.group(1)):
                out.append(Evidence("platform.container", "docker", "paths", i + 1, line))
        m = _PIP_NONE.search(line) if "no matching distribution" in low else None
        if m:
            out.append(Evidence("report.pip_error", m.group(0), READER, i + 1, line))
        for banner in _BANNERS:
            if banner.search(line):
                texts.append((i + 1, _with_next(lines, i)))
                ran = True
        if "Torch not compiled with CUDA enabled" in line:
            out.append(Evidence("runtime.cuda_available", False, READER, i + 1, line))

    near = sorted({j for i in paste.candidates(_WARN_WORDS) for j in range(i, min(i + 4, len(lines)))})
    for block in warning_blocks([(i, lines[i]) for i in near if lines[i]]):
        if _RELEVANT.search(block):
            texts.append((0, block))
    if texts:
        out.append(Evidence("runtime.warnings", tuple(private(t)[:2000] for _, t in texts), READER,
                            texts[0][0], texts[0][1]))
        ran = True
    out += _paths(paste)
    catalogued, loader = _catalogued(paste, bool(out))
    out += catalogued
    if loader is not None and not import_failure and not any(e.fact == "runtime.status" for e in out):
        # "ImportError: .../libtorch_cuda.so: undefined symbol: ..." pasted without its Traceback header
        i, exc_type, message = loader
        out += _import_failed(exc_type, message, None, lines, i)
        import_failure = True
    if ran and not import_failure:
        out.append(Evidence("runtime.status", "ok", READER, texts[0][0] if texts else 0, texts[0][1] if texts else ""))
    return out


_ERROR_WORDS = ("error", "failed", "cannot", "could not", "unable to", "exception")
_TAG_OS = (("macosx_", "macos"), ("win_", "windows"), ("manylinux", "linux"), ("musllinux", "linux"))


_LOADER_KINDS = ("undefined_symbol", "missing_library", "dll_load", "libc_too_old")
_TORCH_LIB = re.compile(r"[\\/]torch[\\/]|libtorch|libc10|c10\.dll|torch_\w+\.dll|_C\.cpython", re.I)
_LEADING_EXC = re.compile(r"^\s*((?:ImportError|OSError|ModuleNotFoundError)):\s*(.*)$")


def _catalogued(paste: Paste, found: bool) -> tuple[list[Evidence], tuple[int, str, str] | None]:
    """Every line a message-catalogue row knows (knowledge/messages/*.json), wherever it is (a sentence,
    a log line, a quote): report.messages, so the checks read them as they read torch's warnings; the facts
    a few of them state; and, beside other evidence, the error-looking lines no row knows (report.unclassified)."""
    from torchdoctor.messages import candidate_lines, classify, unclassified

    lines = paste.lines
    picked = sorted(candidate_lines(paste.lower, paste.starts, paste.line_of, paste.candidates))
    out: list[Evidence] = []
    said: list[str] = []
    loader = None
    seen: set[str] = set()
    for i in picked:
        line = lines[i].strip()[:2000]
        if line in seen:  # an issue thread quotes the same message again and again: once is evidence
            continue
        seen.add(line)
        msgs = classify(line)
        if not msgs:
            continue
        said.append(private(line))
        exc = _LEADING_EXC.match(line)
        if loader is None and exc and any(m.kind in _LOADER_KINDS for m in msgs) and _TORCH_LIB.search(line):
            loader = (i, exc.group(1), exc.group(2))
        for m in msgs:
            if m.emitter == "container_toolkit":
                out += [Evidence("platform.container", "docker", READER, i + 1, line),
                        Evidence("platform.os", "linux", READER, i + 1, line)]
                if m.kind == "container_wsl_no_adapters":
                    out.append(Evidence("platform.wsl", True, READER, i + 1, line))
            if m.kind == "python_build" and m.fields.get("bits"):  # CPython's banner / a python.org 32-bit folder
                version = m.fields.get("version") or (f"{m.fields['major']}.{m.fields['minor']}"
                                                      if m.fields.get("major") else None)
                out += [Evidence("python.bits", m.fields["bits"], READER, i + 1, line),
                        Evidence("platform.os", m.fields["os"], READER, i + 1, line)]
                if version:
                    out.append(Evidence("python.version", version, READER, i + 1, line))
            tag = m.fields.get("platform_tag")
            if tag:
                os_name = next((o for prefix, o in _TAG_OS if tag.startswith(prefix)), None)
                if os_name:
                    out.append(Evidence("platform.os", os_name, READER, i + 1, line))
                arch = next((a for a in ("x86_64", "arm64", "aarch64", "amd64") if tag.endswith(a)), None)
                if arch:
                    out.append(Evidence("platform.arch", arch, READER, i + 1, line))
    if said:
        out.append(Evidence("report.messages", tuple(said), READER, picked[0] + 1, said[0]))
    if said or found:
        rest = unclassified(lines[i] for i in paste.candidates(_ERROR_WORDS)[:200])
        if rest:
            out.append(Evidence("report.unclassified", tuple(private(t) for t in rest), READER))
    return out, loader


_PATH = re.compile(r"(?:^|[\s\"'(=`])((?:[A-Za-z]:\\|/)[^\s\"'`]{3,})")
_PY_DIR = re.compile(r"[\\/]python(\d)\.?(\d{1,2})t?[\\/]|[\\/]Python(\d)(\d{1,2})[\\/]", re.I)
_CONDA_DIR = re.compile(r"anaconda\d?|miniconda\d?|miniforge\d?|mambaforge|[\\/]opt[\\/]conda|[\\/]envs[\\/]", re.I)
_VENV_DIR = re.compile(r"[\\/]\.?venv\w*[\\/]|[\\/]virtualenvs[\\/]|[\\/]\.?env[\\/]lib", re.I)


def _paths(paste: Paste) -> list[Evidence]:
    """Paths in messages tell the OS, the Python series and the kind of environment:
    ".../envs/x/lib/python3.10/site-packages/torch/...", "C:\\...\\venv\\Lib\\site-packages\\..."."""
    lines = paste.lines
    found: dict[str, Evidence] = {}

    def add(fact: str, value: str, i: int, line: str) -> None:
        found.setdefault(fact, Evidence(fact, value, "paths", i + 1, line))

    for i in paste.candidates(("site-packages", "dist-packages", "conda", "venv", "envs", ":\\", "/bin/")):
        line = lines[i]
        if len(found) == 3:
            break
        for m in _PATH.finditer(line):
            path = m.group(1)
            if re.match(r"^[A-Za-z]:\\", path):
                add("platform.os", "windows", i, line)
            elif path.startswith("/Users/"):
                add("platform.os", "macos", i, line)
            elif path.startswith(("/usr/", "/home/", "/opt/", "/root/", "/app/", "/workspace/", "/mnt/")) and \
                    re.search(r"(site|dist)-packages|/bin/python", path):
                add("platform.os", "linux", i, line)
            if re.search(r"(site|dist)-packages", path):
                py = _PY_DIR.search(path)
                if py:
                    major, minor = (py.group(1), py.group(2)) if py.group(1) else (py.group(3), py.group(4))
                    add("python.version", f"{major}.{minor}", i, line)
            if _CONDA_DIR.search(path):
                add("python.env_kind", "conda", i, line)
            elif _VENV_DIR.search(path):
                add("python.env_kind", "venv", i, line)
    return list(found.values())


def _short(exc_type: str) -> str:
    return exc_type.rsplit(".", 1)[-1]


def _import_failed(exc_type: str, message: str | None, tb: tuple | None, lines: Sequence[str], start: int,
                   kind: str | None = None) -> list[Evidence]:
    from torchdoctor.knowledge.import_errors import classify

    error = private(message or "")[:2000]
    kind = kind or classify(exc_type, error)
    tail = None
    if tb is not None:
        end = tb[4]
        tail = private("\n".join(x.strip() for x in lines[max(start, end - 12): end + 1] if x.strip()))[:4000]
    ex = excerpt(lines[start])
    out = [Evidence("runtime.status", "import_failed", READER, start + 1, ex),
           Evidence("runtime.error", error, READER, start + 1, ex),
           Evidence("runtime.error_type", _short(exc_type), READER, start + 1, ex),
           Evidence("runtime.error_kind", kind, READER, start + 1, ex)]
    if tail:
        out.append(Evidence("runtime.traceback_tail", tail, READER, start + 1, ex))
    return out


def _continued(lines: Sequence[str], i: int, text: str) -> str:
    """A log message wrapped onto indented lines ("Error loading\n      "...fbgemm.dll" or one of ...")."""
    for line in lines[i + 1: i + 4]:
        if not line.strip() or not line[:1].isspace():
            break
        text += " " + line.strip()
    return text


def _with_next(lines: Sequence[str], i: int, most: int = 4) -> str:
    """A banner goes on over the next lines until a blank one (numpy's is five lines)."""
    block = [lines[i].strip()]
    for line in lines[i + 1: i + 1 + most]:
        if not line.strip() or _TB.match(line):
            break
        block.append(line.strip())
    return " ".join(block)


def _tracebacks(paste: Paste) -> list[tuple]:
    """(start, [(file, source line)], exception type, message, end) of each traceback."""
    lines = paste.lines
    found = []
    n = len(lines)
    done = -1
    for i in paste.candidates(_TB_WORDS):
        if i <= done or not _TB.match(lines[i]):
            continue
        start = i
        indent = len(lines[i]) - len(lines[i].lstrip())
        frames: list[tuple[str, str]] = []
        j = i + 1
        while j < n and j - start < 400:
            line = lines[j]
            fm = _FRAME.match(line)
            if fm:
                src = lines[j + 1] if j + 1 < n and not _FRAME.match(lines[j + 1]) else ""
                frames.append((fm.group(1), src))
                j += 1
                continue
            em = _EXC.match(line)
            if em and len(line) - len(line.lstrip()) <= indent + 1:
                message = (em.group(2) or "").strip()
                end = j
                # the message may go on (OSError's "Error loading ...", CUDA's hints) until a blank line
                while end + 1 < n and lines[end + 1].strip() and not _TB.match(lines[end + 1]) and \
                        end - j < 6 and not _EXC.match(lines[end + 1]):
                    end += 1
                    message += " " + lines[end].strip()
                found.append((start, frames, em.group(1), message, end))
                break
            if _TB.match(line):
                j -= 1  # a new traceback starts here: read it next
                break
            j += 1
        done = j
    return found
