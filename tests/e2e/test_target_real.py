"""Run from anywhere, with real processes: a torch-less "tool" venv (as pipx / uv tool / uvx make)
runs torchdoctor and examines the user's env; a notebook cell shows the report as HTML.

"The torch env" is the test interpreter's own venv (it has torch); "the tool env" is a venv made
with `--without-pip` whose site-packages holds only torchdoctor's dependencies and torchdoctor
(a .pth file: nothing of it leaks into the children it starts).
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_VENV = sys.prefix != getattr(sys, "base_prefix", sys.prefix)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.name == "nt", reason="POSIX venv layout"),
    pytest.mark.skipif(not IN_VENV, reason="the test interpreter must live in a venv (it is the torch env)"),
]


def _has_torch() -> bool:
    try:
        metadata.distribution("torch")
        return True
    except metadata.PackageNotFoundError:
        return False


needs_torch = pytest.mark.skipif(not _has_torch(), reason="the test venv has no torch")


def _closure(name: str) -> set[str]:
    """torchdoctor's runtime dependencies, recursively (markers evaluated, no extras)."""
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = [name]
    while todo:
        dist = metadata.distribution(todo.pop())
        for text in dist.requires or ():
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            key = req.name.lower()
            if key not in seen:
                seen.add(key)
                todo.append(key)
    return seen


@pytest.fixture(scope="session")
def tool_env(tmp_path_factory) -> Path:
    """A venv with torchdoctor and its dependencies, and no torch."""
    root = tmp_path_factory.mktemp("tool") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    deps = root / "deps"
    deps.mkdir()
    for name in _closure("torchdoctor"):
        dist = metadata.distribution(name)
        tops = {Path(str(f)).parts[0] for f in dist.files or () if not str(f).startswith("..")}
        for top in tops - {"__pycache__"}:
            src = Path(str(dist.locate_file(top)))
            if src.exists() and not (deps / top).exists():
                (deps / top).symlink_to(src)
    site = Path(glob.glob(str(root / "lib" / "python*" / "site-packages"))[0])
    (site / "torchdoctor-test.pth").write_text(f"{deps}\n{ROOT}\n")
    probe = run_tool(root, ["-c", "import torchdoctor, typer, rich; import importlib.util as u; "
                                  "print(u.find_spec('torch') is None)"], {"PATH": os.defpath})
    assert probe.stdout.strip() == "True", probe.stderr  # really torch-less
    return root


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "NO_COLOR")
           and not k.startswith(("FAKE_", "CUDA_VISIBLE"))}
    env.update(extra)
    return env


def run_tool(tool: Path, args: list[str], env: dict[str, str], timeout: float = 240,
             cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(tool / "bin" / "python"), *args], env=clean_env(**env), capture_output=True,
                          text=True, timeout=timeout, cwd=str(cwd) if cwd else None, encoding="utf-8",
                          errors="replace")


def torch_env() -> Path:
    return Path(sys.prefix)


def activated(prefix: Path, tool: Path) -> dict[str, str]:
    """What `source prefix/bin/activate` leaves, with a runner (uvx) putting the tool's bin first."""
    return {"VIRTUAL_ENV": str(prefix),
            "PATH": os.pathsep.join([str(tool / "bin"), str(prefix / "bin"), os.defpath])}


@needs_torch
def test_tool_env_examines_the_activated_torch_venv(tool_env, tmp_path):
    out = run_tool(tool_env, ["-m", "torchdoctor", "check", "--json"], activated(torch_env(), tool_env), cwd=tmp_path)
    data = json.loads(out.stdout)
    assert data["target"]["source"] == "virtualenv", data["target"]
    assert data["target"]["reason"].startswith("the active virtualenv ")
    assert data["target"]["executable"].endswith(os.path.join(torch_env().name, "bin", "python"))
    runtime = data["facts"]["runtime"]
    assert runtime["status"] == "ok" and runtime["version"] == metadata.version("torch"), runtime
    ids = {f["id"]: f["severity"] for f in data["findings"]}
    assert ids.get("torch.not_installed") in (None, "ok", "skipped")
    # the human report says which interpreter and why, on its first line
    human = run_tool(tool_env, ["-m", "torchdoctor", "check"], activated(torch_env(), tool_env), cwd=tmp_path)
    first = human.stdout.splitlines()[0]
    assert first.startswith("Examining ") and "(the active virtualenv " in first, human.stdout


@needs_torch
def test_python3_with_torch_first_on_path(tool_env, tmp_path):
    """No env active: the first python3 on PATH after the tool's own bin (which uvx puts first)."""
    path = os.pathsep.join([str(tool_env / "bin"), str(torch_env() / "bin"), os.defpath])
    out = run_tool(tool_env, ["-m", "torchdoctor", "check", "--json"], {"PATH": path}, cwd=tmp_path)
    data = json.loads(out.stdout)
    assert data["target"]["source"] == "path"
    assert data["target"]["executable"].endswith(os.path.join(torch_env().name, "bin", "python3"))
    assert data["facts"]["runtime"]["status"] == "ok"
    # with nothing but the tool on PATH, the tool examines itself, and says torch is missing there
    alone = run_tool(tool_env, ["-m", "torchdoctor", "check", "--json"], {"PATH": str(tool_env / "bin")}, cwd=tmp_path)
    data = json.loads(alone.stdout)
    assert data["target"]["source"] == "self" and alone.returncode == 1
    assert data["facts"]["runtime"]["status"] == "not_installed"


@pytest.fixture(scope="session")
def py313_env(tmp_path_factory) -> Path:
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13.*/bin/python3.13")))
    if not found:
        pytest.skip("no Python 3.13 in ~/.pyenv/versions")
    root = tmp_path_factory.mktemp("py313") / "venv"
    subprocess.run([found[-1], "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    return root


def test_suggest_plans_for_the_activated_313_venv(tool_env, py313_env, tmp_path):
    out = run_tool(tool_env, ["-m", "torchdoctor", "suggest", "--json"], activated(py313_env, tool_env), cwd=tmp_path)
    data = json.loads(out.stdout)
    own = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert own != "3.13"  # otherwise this test could not tell the two apart
    assert data["machine"]["python"] == "3.13" and data["target"]["source"] == "virtualenv"
    assert out.returncode == 0 and data["plan"]["torch"], out.stderr  # torch has Linux wheels for 3.13
    # --python-version still describes a Python without asking anyone
    out = run_tool(tool_env, ["-m", "torchdoctor", "suggest", "--json", "--python-version", "3.12"],
                   activated(py313_env, tool_env), cwd=tmp_path)
    data = json.loads(out.stdout)
    assert data["machine"]["python"] == "3.12" and data["target"] is None


@needs_torch
def test_smoke_trains_in_the_activated_env(tool_env, tmp_path):
    out = run_tool(tool_env, ["-m", "torchdoctor", "smoke", "--device", "cpu", "--json"],
                   activated(torch_env(), tool_env), cwd=tmp_path)
    data = json.loads(out.stdout)
    assert data["target"]["source"] == "virtualenv"
    assert out.returncode == 0 and data["ok"] is True, out.stderr
    assert data["torch"]["torch_version"] == metadata.version("torch")
    assert [d["device"] for d in data["devices"]] == ["cpu"]


@needs_torch
def test_notebook_cell_shows_the_report_as_html(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import torchdoctor\ntorchdoctor.check(timeout=240)"),
                nbformat.v4.new_code_cell("import sys\nprint('torch' in sys.modules)")]
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = nb.cells[0].outputs
    html = next(o["data"]["text/html"] for o in outputs if o.get("output_type") == "execute_result")
    assert 'class="torchdoctor-report"' in html and "torchdoctor check" in html
    assert "Examining " in html and "torchdoctor&#x27;s own interpreter" in html  # the kernel's interpreter
    assert "PyTorch" in html
    assert nb.cells[1].outputs[0]["text"].strip() == "False"  # the report never imported torch into the kernel


def test_an_activated_python27_is_named_not_examined(tmp_path):
    """A Python too old for the probe: check says which env and what to install; suggest says no torch fits."""
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/2.7.*")))
    if not found:
        pytest.skip("no Python 2.7 in ~/.pyenv/versions")
    env = clean_env(VIRTUAL_ENV=found[-1], PATH=os.defpath)
    run = lambda *a: subprocess.run([sys.executable, "-m", "torchdoctor", *a], env=env, capture_output=True,  # noqa: E731
                                    text=True, timeout=120, cwd=str(tmp_path))
    out = run("check")
    assert out.returncode == 2 and "the active virtualenv" in out.stderr and "is Python 2.7" in out.stderr
    data = json.loads(run("suggest", "--json").stdout)
    assert data["plan"] is None and data["problems"][0]["id"] == "python.too_old"
    assert data["machine"]["python"] == "2.7"
