"""Held-out real pastes (tests/fixtures/heldout/): threads outside tests/fixtures/reports, to see whether the
message catalogue generalises. Each paste must get its expected finding ids from `check --from`'s path.

    python tests/corpus/test_heldout.py      # prints the score (run it with another tree on PYTHONPATH to compare)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HELDOUT = Path(__file__).resolve().parents[1] / "fixtures" / "heldout"
INDEX = json.loads((HELDOUT / "index.json").read_text(encoding="utf-8"))["pastes"]
FLOOR = 0.9  # issue #21: held-out real pastes must reach 90%


def diagnosed(name: str) -> tuple[bool, set[str]]:
    from torchdoctor.checks import run_checks
    from torchdoctor.errors import UsageError
    from torchdoctor.knowledge import load
    from torchdoctor.recorded import load_report

    text = (HELDOUT / f"{name}.txt").read_text(encoding="utf-8")
    try:
        found = {f.id for f in run_checks(load_report(text, f"{name}.txt"), load())
                 if f.severity in ("error", "warning", "info")}
    except UsageError:
        return False, {"(exit 2)"}
    return set(INDEX[name]["expect"]) <= found, found


def score() -> tuple[int, int, list[str]]:
    misses = []
    for name in sorted(INDEX):
        ok, found = diagnosed(name)
        if not ok:
            misses.append(f"{name}: expected {INDEX[name]['expect']}, got {sorted(found)}")
    return len(INDEX) - len(misses), len(INDEX), misses


def test_every_heldout_paste_has_its_source_and_text():
    for name, entry in INDEX.items():
        assert entry["source"].startswith("https://") and entry["expect"], name
        assert (HELDOUT / f"{name}.txt").is_file(), name
    assert not any(p.stem not in INDEX for p in HELDOUT.glob("*.txt"))


def test_heldout_score_reaches_the_floor():
    hit, total, misses = score()
    assert hit / total >= FLOOR, f"{hit}/{total}: " + "; ".join(misses)


if __name__ == "__main__":
    hit, total, misses = score()
    print("\n".join(misses))
    for s in sorted({e.get("set", "a") for e in INDEX.values()}):
        names = [n for n, e in INDEX.items() if e.get("set", "a") == s]
        missed = sum(1 for m in misses if m.split(":")[0] in names)
        print(f"set {s}: {len(names) - missed}/{len(names)}")
    print(f"held-out: {hit}/{total} = {100 * hit / total:.1f}%")
    sys.exit(0)
