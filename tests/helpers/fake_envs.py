"""Throwaway environments for real fault injection: a venv with a fake torch, a fake nvidia-smi.

The venv is made with `python -m venv --without-pip` (fast, no torch download); its
`torch` package behaves as FAKE_TORCH_MODE says (tests/fixtures/fake_torch/torch_init.py)
and a hand-written torch-*.dist-info gives it real metadata.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

FAKES = Path(__file__).parents[1] / "fixtures" / "fake_torch"
ROOT = Path(__file__).resolve().parents[2]


def base_python() -> str:
    """A Python that can make venvs: the base interpreter of our venv."""
    exe = Path(sys.executable)
    return str(exe)


def make_venv(where: Path) -> tuple[Path, Path]:
    """(python, site-packages) of a fresh venv with a fake torch package (no dist-info yet)."""
    subprocess.run([base_python(), "-m", "venv", "--without-pip", str(where)], check=True, timeout=120)
    python = where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True, timeout=60).stdout.strip())
    (site / "torch").mkdir(parents=True)
    shutil.copy(FAKES / "torch_init.py", site / "torch" / "__init__.py")
    return python, site


def wheel_tag(python: Path) -> str:
    code = ("import sys, sysconfig; v=sys.version_info; "
            "print(f'cp{v.major}{v.minor}-cp{v.major}{v.minor}-' + "
            "sysconfig.get_platform().replace('-', '_').replace('.', '_').replace('linux_', 'manylinux_2_28_'))")
    return subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True,
                          timeout=60).stdout.strip()


def write_dist(site: Path, name: str, version: str, tag: str, requires: tuple[str, ...] = (),
               installer: str = "pip") -> Path:
    """A hand-written *.dist-info, as pip leaves it."""
    for old in site.glob(f"{name}-*.dist-info"):
        shutil.rmtree(old)
    d = site / f"{name}-{version}.dist-info"
    d.mkdir()
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", *(f"Requires-Dist: {r}" for r in requires)]
    (d / "METADATA").write_text("\n".join(meta) + "\n\nlong description\nVersion: 0.0.0\n", encoding="utf-8")
    (d / "WHEEL").write_text(f"Wheel-Version: 1.0\nGenerator: bdist_wheel\nRoot-Is-Purelib: false\nTag: {tag}\n",
                             encoding="utf-8")
    (d / "INSTALLER").write_text(installer + "\n", encoding="utf-8")
    return d


def fake_smi_dir(where: Path) -> Path:
    """A folder holding an executable `nvidia-smi` that replays the H200 capture (FAKE_SMI_MODE)."""
    where.mkdir(parents=True, exist_ok=True)
    smi = where / "nvidia-smi"
    smi.write_text(f"#!/bin/sh\nexec {sys.executable} {FAKES / 'nvidia_smi.py'} \"$@\"\n", encoding="utf-8")
    smi.chmod(0o755)
    return where


def doctor_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAKE_", "CUDA_VISIBLE"))}
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


def without_pip_config(env: dict[str, str]) -> dict[str, str]:
    """The environment without the machine's pip/uv configuration (PIP_*/UV_* variables and files): a
    check of 'this machine' then judges the install, not the test machine's pip.conf."""
    out = {k: v for k, v in env.items() if not k.startswith(("PIP_", "UV_"))}
    out.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1")
    return out


def doctor(args: list[str], env: dict[str, str], cwd: str | Path | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess:
    """The real CLI in a real process (the console script of our venv)."""
    return subprocess.run([sys.executable, "-m", "torchdoctor", *args], env=env, cwd=str(cwd) if cwd else None,
                          capture_output=True, text=True, timeout=timeout, encoding="utf-8", errors="replace")


