"""The fleet reader: every engine's prefixes, multi-line JSON, the engines' own exit lines, noise."""

import json
from pathlib import Path

from torchdoctor.recorded.fleet_lines import LineFeed, read_lines

FLEET = Path(__file__).resolve().parents[1] / "fixtures" / "fleet"
LINES = (FLEET / "check-8-nodes.jsonl").read_text(encoding="utf-8").splitlines()
UNLABELLED = json.dumps({k: v for k, v in json.loads(LINES[0]).items() if k != "node"}, separators=(",", ":"))


def test_plain_lines_name_themselves():
    got = read_lines(LINES, "f")
    assert [d.node for d in got.documents] == [f"node0{i}" for i in range(1, 9)]
    assert {d.kind for d in got.documents} == {"check"} and got.ignored == 0 and not got.broken


def test_every_prefix():
    lines = [f"gpu01: {UNLABELLED}", f"  3: {UNLABELLED}", f"[pod/td-x7k2p/doctor] {UNLABELLED}",
             f"[pod/td-a/doctor] 2026-12-08T01:02:03.123456789Z {UNLABELLED}",
             f"2026-12-08T01:02:03Z {UNLABELLED}", f"gpu02: {LINES[1]}"]
    got = read_lines(lines, "f")
    assert [d.node for d in got.documents] == ["gpu01", "task 3", "td-x7k2p", "td-a", "f:5", "gpu02"]
    # pdsh's host wins over the report's own label: it is the name --expect-nodes lists
    assert [d.labelled for d in got.documents] == [True, False, True, True, False, True]


def test_a_document_over_many_lines_per_prefix_interleaved():
    doc = json.loads(LINES[0])
    pretty = json.dumps(doc, indent=2).splitlines()
    other = json.dumps(json.loads(LINES[6]), indent=2).splitlines()
    lines = []
    for a, b in zip(pretty, other):
        lines += [f"h1: {a}", f"h2: {b}"]
    lines += [f"h1: {a}" for a in pretty[len(other):]] + [f"h2: {b}" for b in other[len(pretty):]]
    got = read_lines(lines, "f")
    assert sorted(d.node for d in got.documents) == ["h1", "h2"] and not got.broken
    assert next(d for d in got.documents if d.node == "h2").document["facts"]["nvidia"]["driver"] == "460.32.03"


def test_engine_lines():
    lines = ["pdsh@login1: gpu05: ssh exited with exit code 255",
             "srun: error: gpu06: task 5: Exited with exit code 1",
             "srun: error: gpu07: tasks 6-7: Killed",
             "pdsh@login1: gpu08: command timeout",
             "ssh@fleet: gpu09: exited with exit code 3"]
    got = read_lines(lines, "f")
    assert [(e.node, e.exit_code) for e in got.events] == [("gpu05", 255), ("gpu06", 1), ("gpu07", None),
                                                           ("gpu08", None), ("gpu09", 3)]


def test_noise_broken_and_cut():
    lines = ["torchdoctor: running check", "gpu01: torchdoctor: error: bad", "", "{not json", "[1, 2]",
             f"h: {LINES[0][:500]}"]
    got = read_lines(lines, "f")
    assert not got.documents and got.ignored == 3
    assert len(got.broken) == 2 and got.broken[0].startswith("f:4")


def test_line_feed_reads_chunks():
    feed = LineFeed("srun")
    text = "".join(f"{i}: {line}\n" for i, line in enumerate(LINES))
    for start in range(0, len(text), 997):
        feed.write(text[start:start + 997])
    got = feed.close()
    assert len(got.documents) == 8 and got.lines == 8
