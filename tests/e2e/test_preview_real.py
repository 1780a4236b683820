"""preview for real: pip's dry run against a local index on 127.0.0.1 holding the real torch 2.13.0 CPU wheel and
small fake wheels that pin torch (an older pin, a satisfied pin, a +cu tag). Each is previewed, then installed for
real, and the preview must have said exactly what happened (the distributions before and after)."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.fake_envs import doctor
from helpers.local_index import LocalIndex, make_env, pip_install, repack_installed, stand_in_torch, user_pip_env, \
    write_wheel

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")]
DEPS = ("filelock", "typing_extensions", "setuptools", "sympy", "mpmath", "networkx", "jinja2", "MarkupSafe",
        "fsspec")


def installed(python: Path) -> dict[str, str]:
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps({d.metadata['Name'].lower().replace('_', '-'): d.version for d in m.distributions()}))")
    return json.loads(subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=60,
                                     check=True).stdout)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    found = sorted(glob.glob("/opt/wheels/torch-2.13.0+cpu-*.whl"))
    if not found:
        pytest.skip("the torch 2.13.0 CPU wheel is not on this machine's disk")
    root = tmp_path_factory.mktemp("preview")
    folder = root / "index" / "simple"
    folder.mkdir(parents=True)
    os.symlink(found[0], folder / os.path.basename(found[0]))
    for dep in DEPS:
        repack_installed(dep, folder)
    stand_in_torch(folder, "2.12.0")  # an older torch, as PyPI would serve it (no local tag)
    write_wheel(folder, "oldpin", "1.0", {"oldpin/__init__.py": ""}, requires=("torch==2.12.0",))
    write_wheel(folder, "goodpin", "1.0", {"goodpin/__init__.py": ""}, requires=("torch==2.13.0",))
    write_wheel(folder, "torch-scatter", "2.1.2+pt213cu130", {"torch_scatter/__init__.py": ""})
    with LocalIndex(root / "index") as idx:
        env = user_pip_env(PIP_INDEX_URL=f"{idx.base}/simple/")
        python = make_env(root / "venv")
        res = pip_install(python, "torch==2.13.0+cpu", env=env)
        assert res.returncode == 0, res.stderr[-2000:]
        yield {"python": python, "env": env}


def preview(world, *command):
    res = doctor(["preview", "--json", "--python", str(world["python"]), "--", *command], env=world["env"],
                 timeout=600)
    assert res.stdout.lstrip().startswith("{"), res.stderr[-2000:]
    return res.returncode, json.loads(res.stdout)


def real(world, *args):
    res = pip_install(world["python"], *args, env=world["env"])
    assert res.returncode == 0, res.stderr[-2000:]


def said_what_happened(out, before, after):
    """Every distribution pip changed is in the preview's would_install, with the version it got."""
    changed = {n: v for n, v in after.items() if before.get(n) != v}
    assert {w["name"]: w["version"] for w in out["would_install"]} == changed


def test_a_satisfied_pin_keeps_torch(world):
    before = installed(world["python"])
    code, out = preview(world, "pip", "install", "goodpin")
    assert code == 0 and out["torch"]["changes"] is False and not out["findings"]
    assert installed(world["python"]) == before  # the preview installed nothing
    real(world, "goodpin")
    after = installed(world["python"])
    said_what_happened(out, before, after)
    assert after["torch"] == "2.13.0+cpu"


def test_a_cuda_tagged_companion_on_the_cpu_torch_breaks(world):
    before = installed(world["python"])
    code, out = preview(world, "python", "-m", "pip", "install", "torch-scatter")
    found = {f["id"]: f for f in out["findings"]}
    assert code == 1 and "+cu130" in found["preview.companion_breaks"]["message"]
    real(world, "torch-scatter")
    after = installed(world["python"])
    said_what_happened(out, before, after)
    check = doctor(["check", "--json", "--python", str(world["python"])], env=world["env"], timeout=300)
    ids = {f["id"]: f for f in json.loads(check.stdout)["findings"]}
    assert ids["companion.variant_mismatch"]["severity"] == "error"


def test_an_older_pin_would_replace_torch_and_does(world):
    before = installed(world["python"])
    code, out = preview(world, "pip", "install", "oldpin")
    found = {f["id"]: f for f in out["findings"]}
    assert code == 1
    msg = found["preview.torch_replaced"]["message"]
    assert "torch 2.13.0+cpu would be replaced by torch 2.12.0" in msg and "oldpin 1.0 (requires torch==2.12.0)" in msg
    breaks = found["preview.companion_breaks"]["message"]
    assert "goodpin 1.0 requires torch==2.13.0" in breaks
    keep = out["keep_torch"]
    assert keep["ok"] is False and "torch==2.13.0+cpu" in keep["command"]  # oldpin cannot fit: said, not hidden
    assert installed(world["python"]) == before
    real(world, "oldpin")
    after = installed(world["python"])
    said_what_happened(out, before, after)
    assert after["torch"] == "2.12.0"
    assert out["seconds"]["overhead"] < out["seconds"]["dry_run"] + 10
