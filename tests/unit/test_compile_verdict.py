"""smoke --compile's judge: real error texts (the ones torch 2.13 printed on this machine and the ones in
public threads) mapped to the compile.* id check uses, with the compiler's first error line."""

from torchdoctor.verdicts.compile import COMPILE_IDS, cause, first_error_line, judge

DONE = {"phase": "done", "function_ok": True, "train_ok": True, "graphs": 2, "artifacts": 24, "unset": [],
        "first_call_seconds": 11.4, "steady_seconds": 5e-05}
NO_CXX = ("InductorError: InvalidCxxCompiler: No working C++ compiler found in torch._inductor.config.cpp.cxx: "
          "(None, 'g++')\n\nSet TORCHDYNAMO_VERBOSE=1 for the internal stack trace")
BROKEN = "InductorError: InvalidCxxCompiler: No working C++ compiler found in torch._inductor.config.cpp.cxx: (None, '/nonexistent')"
HEADERS = ("BackendCompilerFailed: backend='inductor' raised:\nCalledProcessError: Command '['/usr/bin/gcc', "
           "'/tmp/x/cuda_utils.c']' returned non-zero exit status 1.\n/tmp/x/cuda_utils.c:6:10: fatal error: "
           "Python.h: No such file or directory\n    6 | #include <Python.h>")


def test_causes_are_checks_ids():
    assert cause(NO_CXX) == "compile.no_cxx"
    assert cause(BROKEN) == "compile.cc_env_broken"
    assert cause(HEADERS) == "compile.no_python_headers"
    assert cause("RuntimeError: Failed to find C compiler. Please specify via CC environment variable.") == \
        "compile.no_cxx"
    assert cause("Cannot find a working triton installation. Either the package is not installed") == \
        "compile.triton_missing"
    assert cause("Found Tesla P100 which is too old to be supported by the triton GPU compiler") == \
        "compile.gpu_too_old"
    assert cause("RuntimeError: Dynamo is not supported on Python 3.12+") == "compile.python_unsupported"
    assert cause("RuntimeError: Windows not yet supported for torch.compile") == "compile.windows_unsupported"
    assert cause("SomethingNew: boom") == "compile.failed"
    assert set(map(cause, (NO_CXX, HEADERS))) <= set(COMPILE_IDS)


def test_the_compilers_first_error_line():
    assert first_error_line(HEADERS) == "fatal error: Python.h: No such file or directory"
    assert "InvalidCxxCompiler" in first_error_line(NO_CXX)


def test_a_pass_is_quiet_and_proved():
    entry, found = judge("cpu", "ok", "", {"compile": dict(DONE)}, 180)
    assert entry["ok"] and found == []


def test_failures_timeouts_no_proof_and_switches():
    entry, found = judge("cpu", "ok", "", {"compile": {"error": NO_CXX, "phase": "function", "unset": []}}, 180)
    assert not entry["ok"] and [f.id for f in found] == ["compile.no_cxx"] and found[0].severity == "error"
    entry, found = judge("cpu", "timeout", "no answer within 1.0 s", {"compile": {"phase": "function"}}, 1.0)
    assert [f.id for f in found] == ["compile.timeout"] and "within 1 s" in found[0].message
    entry, found = judge("cpu", "ok", "", {"compile": dict(DONE, graphs=0, artifacts=0)}, 180)
    assert [f.id for f in found] == ["compile.no_proof"]
    entry, found = judge("cpu", "ok", "", {"compile": dict(DONE, train_ok=False)}, 180)
    assert [f.id for f in found] == ["compile.wrong_result"]
    entry, found = judge("cpu", "ok", "", {"compile": dict(DONE, unset=["TORCHDYNAMO_DISABLE=1"])}, 180)
    assert entry["ok"] and [(f.id, f.severity) for f in found] == [("compile.disabled_by_env", "info")]


def test_the_documented_table_is_the_code():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "findings.md").read_text()
    section = text.split("## `smoke --compile`", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([\w.]+)` \| ([^|]+) \|$", section, re.M)
    assert [(i, t.strip()) for i, t in rows] == list(COMPILE_IDS.items())


def test_installs_proof_compiles_on_a_linux_gpu():
    from types import SimpleNamespace

    from torchdoctor import install as ins

    assert ins.compile_devices(SimpleNamespace(device="cuda"), "linux") == ("cuda",)
    assert ins.compile_devices(SimpleNamespace(device="rocm"), "linux") == ("cuda",)
    assert ins.compile_devices(SimpleNamespace(device="cuda"), "windows") == ()
    assert ins.compile_devices(SimpleNamespace(device="cpu"), "linux") == ()
    calls = []

    def run(argv, timeout):
        calls.append(argv)
        return SimpleNamespace(stdout='{"ok": true, "findings": []}', returncode=0, timed_out=False)

    ins.verify("/x/python", ("cpu", "cuda"), run, compile_on=("cuda",))
    smokes = [c for c in calls if "smoke" in c]
    assert "--compile" not in smokes[0] and smokes[1][-1] == "--compile"
