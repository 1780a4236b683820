"""Python REPL sessions and one-liners: what torch answered about itself.

    >>> torch.cuda.is_available()
    False
    $ python -c "import torch; print(torch.__version__, torch.cuda.is_available())"
    2.1.0+cu121 False

Each question torch answers (its version, its CUDA, availability, device count and
names, MPS) becomes that fact; a traceback after `>>> import torch` is the messages
reader's.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Sequence

from torchdoctor.recorded.evidence import Evidence
from torchdoctor.recorded.readers._common import bool_word, gpu_from_name, torch_from_version
from torchdoctor.recorded.paste import Paste

READER = "repl"
_PROMPT = re.compile(r"^\s*(?:>>>|In \[\d+\]:)\s?(.*)$")
_ONE_LINER = re.compile(r"""python[\d.]*(?:\.exe)?\s+-c\s+(["'])(.*?)\1""")
_PRINT = re.compile(r"print\((.*?)\)\s*(?:;|$)")
# expression (as typed, spaces removed) -> fact
_QUESTIONS = {
    "torch.__version__": "version", "torch.version.__version__": "version",
    "torch.cuda.is_available()": "cuda_available", "torch.version.cuda": "cuda", "torch.version.hip": "hip",
    "torch.cuda.device_count()": "device_count", "torch.backends.mps.is_available()": "mps_available",
    "torch.backends.mps.is_built()": "mps_built", "torch.backends.cudnn.version()": "cudnn",
    "torch.cuda.get_arch_list()": "arch_list",
}


_BANNER = re.compile(r"^\s*Python (\d+\.\d+\.\d+\S*) (.*?)(?: on (linux|darwin|win32))?\s*$")
_SYSTEMS = {"linux": "linux", "darwin": "macos", "win32": "windows"}


def read(paste: Paste) -> list[Evidence]:
    lines = paste.lines
    answers: dict[str, tuple[int, str, str]] = {}
    gpus: list[tuple[int, str]] = []
    banner = []
    for i in paste.candidates(("python", ">>>", "in [")):
        line = lines[i]
        m = _BANNER.match(line)
        if m and (m.group(3) or (i + 1 < len(lines) and re.search(r"\bon (linux|darwin|win32)\s*$", lines[i + 1]))):
            system = m.group(3) or re.search(r"\bon (linux|darwin|win32)\s*$", lines[i + 1]).group(1)
            banner += [Evidence("python.version", m.group(1), READER, i + 1, line),
                       Evidence("platform.os", _SYSTEMS[system], READER, i + 1, line)]
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if re.search(r"anaconda|conda-forge|continuum|packaged by conda", line + " " + nxt, re.I):
                banner.append(Evidence("python.env_kind", "conda", READER, i + 1, line))
            bits = re.search(r"\b(32|64) bit\b|\((32|64)-bit\)", line + " " + (lines[i + 1] if i + 1 < len(lines) else ""))
            if bits:
                banner.append(Evidence("python.bits", int(bits.group(1) or bits.group(2)), READER, i + 1, line))
            continue
        m = _PROMPT.match(line)
        if m:
            expr = _expr(m.group(1))
            answer = _answer(lines, i)
            if answer is not None:
                _note(expr, answer, i, line, answers, gpus)
            continue
        m = _ONE_LINER.search(line)
        if m and "torch" in m.group(2):
            exprs = [p for call in _PRINT.findall(m.group(2) + ";") for p in _split_args(call)]
            outputs = []
            for nxt in lines[i + 1: i + 1 + len(exprs) + 2]:
                if nxt.strip():
                    outputs.append(nxt.strip())
            if not exprs or not outputs:
                continue
            # one print per line; several arguments of one print share a line, space-separated
            calls = [_split_args(call) for call in _PRINT.findall(m.group(2) + ";")]
            for call, out in zip(calls, outputs):
                values = out.split() if len(call) > 1 else [out]
                if len(values) != len(call):
                    continue
                for expr, value in zip(call, values):
                    _note(_expr(expr), value, i, line, answers, gpus)
    return banner + _evidence(answers, gpus, lines)


_FSTRING = re.compile(r"""^print\(f(["'])(.*?)\{([^{}]+)\}\1\)$""")


def _expr(text: str) -> str:
    text = text.strip().rstrip(";")
    m = _FSTRING.match(text)
    if m:  # print(f"Is MPS available? {torch.backends.mps.is_available()}"): the text before is echoed
        return "\x00" + m.group(2) + "\x00" + re.sub(r"\s+", "", m.group(3))
    m = re.fullmatch(r"print\((.*)\)", text)
    return re.sub(r"\s+", "", m.group(1) if m else text)


def _split_args(call: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in call:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _answer(lines: Sequence[str], i: int) -> str | None:
    if i + 1 >= len(lines):
        return None
    nxt = lines[i + 1].strip()
    if not nxt or _PROMPT.match(lines[i + 1]) or nxt.startswith("Traceback"):
        return None
    return nxt


def _note(expr: str, answer: str, i: int, line: str, answers: dict, gpus: list) -> None:
    if expr.startswith("\x00"):
        _, prefix, expr = expr.split("\x00")
        if not answer.startswith(prefix):
            return
        answer = answer[len(prefix):].strip()
    if expr.startswith("torch.cuda.get_device_name("):
        gpus.append((i, _literal(answer)))
        return
    fact = _QUESTIONS.get(expr)
    if fact:
        answers.setdefault(fact, (i, answer, line))


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, RecursionError, MemoryError):
        return text.strip("'\"")


def _evidence(answers: dict, gpus: list, lines: Sequence[str]) -> list[Evidence]:
    out: list[Evidence] = []

    def ev(fact: str, value: Any, i: int, line: str) -> None:
        out.append(Evidence(fact, value, READER, i + 1, line))

    available = None
    if "cuda_available" in answers:
        i, value, line = answers["cuda_available"]
        available = bool_word(value)
        if available is not None:
            ev("runtime.cuda_available", available, i, line)
    explicit = {}
    for fact in ("cuda", "hip"):
        if fact in answers:
            i, value, line = answers[fact]
            v = _literal(value)
            if v is None or isinstance(v, str):
                explicit[fact] = v
                ev(f"runtime.{fact}", v, i, line)
    if "version" in answers:
        i, value, line = answers["version"]
        version = str(_literal(value))
        claims = torch_from_version(version, READER, i + 1, line, cuda_available=available)
        if not any(e.fact == "runtime.version" for e in claims) and "cuda" in explicit:
            claims.append(Evidence("runtime.version", version, READER, i + 1, line))
        out += [e for e in claims if not (e.fact in ("runtime.cuda", "runtime.hip") and e.fact[8:] in explicit)]
    for fact in ("device_count", "cudnn"):
        if fact in answers:
            i, value, line = answers[fact]
            v = _literal(value)
            if isinstance(v, int) and not isinstance(v, bool):
                ev(f"runtime.{fact}", v, i, line)
    for fact in ("mps_available", "mps_built"):
        if fact in answers:
            i, value, line = answers[fact]
            b = bool_word(value)
            if b is not None:
                ev(f"runtime.{fact}", b, i, line)
    if "arch_list" in answers:
        i, value, line = answers["arch_list"]
        v = _literal(value)
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            ev("runtime.arch_list", tuple(v), i, line)
    named = [gpu_from_name(str(n), READER) for _, n in gpus]
    named = [g for g in named if g is not None]
    if named:
        ev("gpus", tuple(named), gpus[0][0], lines[gpus[0][0]])
    if out and not any(e.fact == "runtime.status" for e in out):
        i = min(e.line for e in out) - 1
        ev("runtime.status", "ok", i, lines[i] if 0 <= i < len(lines) else "")
    return out
