"""The live path of the message catalogue: a real child interpreter whose (fake) torch warns every sample of
every row during CUDA init; the probe's TorchRuntime carries them and the classifier finds every row in them,
as it does in a paste (tests/unit/test_messages.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from helpers.fake_envs import make_venv, wheel_tag, write_dist
from torchdoctor import messages
from torchdoctor.checks import run_checks
from torchdoctor.facts import Facts
from torchdoctor.knowledge import load
from torchdoctor.probes.torch_runtime import probe_target

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")]


def test_every_sample_warned_by_a_live_torch_is_classified(tmp_path, monkeypatch):
    python, site = make_venv(tmp_path / "v")
    write_dist(site, "torch", "2.7.1+cu128", wheel_tag(python))
    # rows anchored to a whole line (`python --version`, nvidia-smi's "No devices were found") are other
    # programs' output, never a torch warning (which Python prints after "file:line: UserWarning: ")
    rows = [r for p in sorted(Path(messages.folder()).glob("*.json"))
            for r in json.loads(p.read_text("utf-8"))["rows"] if not r["pattern"].startswith("^")]
    samples = {r["id"]: r["samples"][0]["text"] for r in rows}
    texts = tmp_path / "messages.txt"
    texts.write_text("\n\x1e\n".join(samples.values()), encoding="utf-8")
    monkeypatch.setenv("FAKE_TORCH_MODE", "messages")
    monkeypatch.setenv("FAKE_TORCH_MESSAGES", str(texts))
    probe = probe_target(python=str(python), timeout=60.0, with_dists=True)
    assert probe.runtime is not None and probe.runtime.status == "ok", probe.runtime
    facts = Facts(origin="live", runtime=probe.runtime)
    found = {m.row for m in messages.classify_all(messages.texts_of(facts))}
    missing = sorted(set(samples) - found)
    assert not missing, missing
    assert not [f for f in run_checks(facts, load()) if f.severity == "crashed"]
