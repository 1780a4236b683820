"""`smoke --compile`'s judge: the compile child's answer in, the compile entry and its findings out.

A failure is named by the `check` finding id whose cause the error text shows (the same id, the same
words: "InvalidCxxCompiler" is compile.no_cxx whichever command met it), with the compiler's first error
line. What no check foresees is compile.failed; a run past its own deadline is compile.timeout.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from torchdoctor.checks.areas import SMOKE
from torchdoctor.findings import ERROR, INFO, Finding, finding

# Every id smoke --compile can report, with what it verifies (docs/findings.md lists them).
COMPILE_IDS = {
    "compile.no_cxx": "a C++ compiler for torch.compile is on PATH",
    "compile.cc_env_broken": "CC and CXX name working compilers",
    "compile.no_python_headers": "Python.h is installed for this interpreter",
    "compile.triton_missing": "Triton is installed for the GPU build",
    "compile.gpu_too_old": "the GPU is new enough for Triton",
    "compile.python_unsupported": "torch.compile supports this Python",
    "compile.windows_unsupported": "torch.compile supports Windows in this release",
    "compile.disabled_by_env": "torch.compile is not switched off",
    "compile.failed": "torch.compile compiles the smoke's function and training step",
    "compile.wrong_result": "compiled results equal eager ones",
    "compile.no_proof": "compiling really happened (a cache artifact and a Dynamo graph)",
    "compile.timeout": "the first compile finishes within --compile-timeout",
}

# (pattern, id): the first match decides; the error text and its traceback are searched.
_CAUSES = (
    (r"InvalidCxxCompiler: No working C\+\+ compiler found in [^\n]*\(None, '(/[^']*|[^']*[\\/][^']*)'\)",
     "compile.cc_env_broken"),
    (r"InvalidCxxCompiler|No working C\+\+ compiler|Compiler: cl is not found|Failed to find C compiler",
     "compile.no_cxx"),
    (r"Python\.h: No such file|include file 'Python\.h' not found|Failed to find Python libs",
     "compile.no_python_headers"),
    (r"Cannot find a working triton installation|TritonMissing", "compile.triton_missing"),
    (r"too old to be supported by the triton GPU compiler", "compile.gpu_too_old"),
    (r"Dynamo is not supported on Python|Python 3\.\d+\+ not yet supported for torch\.compile",
     "compile.python_unsupported"),
    (r"Windows not yet supported for torch\.compile", "compile.windows_unsupported"),
)
_COMPILER_LINE = re.compile(r"(?:^|: )((?:fatal error|error|#error)\b.*)")
_FIRST_LINE = re.compile(r"(fatal error: .*|error: .*|InvalidCxxCompiler: .*|RuntimeError: .*|\w+Error: .*)")


def cause(text: str) -> str:
    for pattern, fid in _CAUSES:
        if re.search(pattern, text or ""):
            return fid
    return "compile.failed"


def first_error_line(text: str) -> str:
    """The compiler's first error line ("fatal error: Python.h: No such file or directory"), else the
    exception's first line."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    for ln in lines:  # a compiler's own line: "x.c:6:10: fatal error: ...", "error: ..."
        m = _COMPILER_LINE.search(ln)
        if m:
            return m.group(1)[:300]
    for ln in lines:
        if "error:" in ln.lower() and not ln.startswith(("InductorError: ", "BackendCompilerFailed")):
            m = _FIRST_LINE.search(ln)
            return (m.group(1) if m else ln)[:300]
    return lines[0][:300] if lines else ""


def judge(device: str, status: str, detail: str, data: Mapping[str, Any] | None, timeout: float) -> tuple[dict, list[Finding]]:
    """The compile entry for the device's JSON and its findings (empty when it compiled and agreed)."""
    data = data or {}
    entry = dict(data.get("compile") or {}) if isinstance(data.get("compile"), Mapping) else {}
    traceback_text = str(entry.pop("traceback", "") or "")
    found: list[Finding] = []

    def add(fid: str, text: str, severity: str = ERROR) -> None:
        found.append(finding(fid, severity, f"{device}: {text}", area=SMOKE, title=COMPILE_IDS[fid]))

    for switch in entry.get("unset") or ():
        add("compile.disabled_by_env", f"{switch} was set: the compile run unset it to test torch.compile "
                                       "(your scripts run uncompiled while it is set)", INFO)
    if data.get("import_error"):
        add("compile.failed", f"torch failed to import: {data['import_error']}")
    elif status == "timeout":
        phase = entry.get("phase") or "import"
        add("compile.timeout", f"the first compile did not finish within {timeout:g} s (during the {phase} "
                               "phase); raise --compile-timeout if this machine is just slow")
    elif entry.get("error"):
        text = str(entry["error"]) + "\n" + traceback_text
        fid = cause(text)
        add(fid, f"torch.compile failed in the {entry.get('phase') or 'first'} phase: {first_error_line(text)} "
                 f"(run `torchdoctor check` for the fix)")
    elif status != "ok" or entry.get("phase") != "done":
        add("compile.failed", f"the compile child ended early ({detail or status}) during the "
                              f"{entry.get('phase') or 'import'} phase")
    else:
        if not entry.get("function_ok") or not entry.get("train_ok"):
            which = "the compiled function" if not entry.get("function_ok") else "the compiled training step"
            add("compile.wrong_result", f"{which} disagrees with eager (function max abs err "
                                        f"{entry.get('function_max_abs_err')}, gradient max rel err "
                                        f"{entry.get('train_grad_max_rel_err')})")
        graphs, artifacts = entry.get("graphs"), entry.get("artifacts")
        if not artifacts or (graphs is not None and graphs < 1):
            add("compile.no_proof", f"nothing was compiled (Dynamo graphs: {graphs}, new cache artifacts: "
                                    f"{artifacts}): torch.compile fell back to eager")
    entry["ok"] = not any(f.severity == ERROR for f in found)
    return entry, found
