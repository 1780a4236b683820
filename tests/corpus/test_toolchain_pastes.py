"""`check --from` on pastes with the torch.compile / extension-build messages of the public threads
(field research sections 1, 2): each message is read into the text the compile.* / build.* checks judge."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "toolchain" / "build_and_compile_errors.txt"


def check_from(tmp_path, text):
    paste = tmp_path / "paste.txt"
    paste.write_text(text)
    res = subprocess.run([sys.executable, "-m", "torchdoctor", "check", "--from", str(paste), "--json"],
                         capture_output=True, text=True, timeout=120)
    doc = json.loads(res.stdout)
    return {f["id"]: f for f in doc["findings"] if f["severity"] not in ("ok", "skipped")}


def test_the_build_and_compile_fixture(tmp_path):
    found = check_from(tmp_path, FIXTURE.read_text())
    assert {"compile.no_cxx", "compile.no_python_headers", "build.cuda_home_missing", "build.nvcc_mismatch",
            "build.gcc_unsupported", "build.ninja_missing"} <= set(found)
    assert found["build.nvcc_mismatch"]["severity"] == "error"
    assert "later than 12" in found["build.gcc_unsupported"]["message"]


@pytest.mark.parametrize("text,fid", [
    ("torch 2.3.1\nRuntimeError: Dynamo is not supported on Python 3.12+\n", "compile.python_unsupported"),
    ("torch 2.2.0 on Windows 11\nRuntimeError: Windows not yet supported for torch.compile\n",
     "compile.windows_unsupported"),
    ("torch 2.4.0+cu121\ntorch._dynamo.exc.BackendCompilerFailed: backend='inductor' raised:\n"
     "RuntimeError: Cannot find a working triton installation. Either the package is not installed or it is too "
     "old. More information on installing Triton can be found at https://github.com/openai/triton\n",
     "compile.triton_missing"),
    ("torch 2.1.0+cu118\nRuntimeError: Found Tesla P100-PCIE-16GB which is too old to be supported by the triton "
     "GPU compiler, which is used as the backend. Triton only supports devices of CUDA Capability >= 7.0, but your "
     "device is of CUDA capability 6.0\n", "compile.gpu_too_old"),
    ("torch 2.6.0+cu124\nRuntimeError: Failed to find C compiler. Please specify via CC environment variable.\n",
     "compile.no_cxx"),
])
def test_each_message_is_diagnosed(tmp_path, text, fid):
    assert fid in check_from(tmp_path, text)
