"""The floor plan holds: no import runs from a lower layer to a higher one, and there is no import circle.

The import graph is read from the code (imports inside functions included), as docs/architecture.md states.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "torchdoctor"

# Top to bottom (docs/architecture.md). A module's layer is the first entry whose prefix names it.
LAYERS = (
    ("faces", ("torchdoctor", "torchdoctor.__main__", "torchdoctor.cli", "torchdoctor.api")),
    ("commands", ("torchdoctor.commands",)),
    ("operations", ("torchdoctor.operations",)),
    ("report", ("torchdoctor.report",)),
    ("render", ("torchdoctor.render",)),
    ("judges", ("torchdoctor.checks", "torchdoctor.plan", "torchdoctor.verdicts",
                "torchdoctor.install")),
    ("intake", ("torchdoctor.probes", "torchdoctor.recorded", "torchdoctor.distributed",
                "torchdoctor.target")),
    ("patient", ("torchdoctor.patient",)),
    ("model", ("torchdoctor.facts", "torchdoctor.findings", "torchdoctor.requests", "torchdoctor.serial",
               "torchdoctor.gpus", "torchdoctor.messages")),
    ("knowledge", ("torchdoctor.knowledge",)),
    ("base", ("torchdoctor.runner", "torchdoctor.child", "torchdoctor.shell", "torchdoctor.privacy",
              "torchdoctor.sanitize", "torchdoctor.errors", "torchdoctor.limits", "torchdoctor.versions",
              "torchdoctor._version", "torchdoctor.hostlist")),
)
RANK = {name: i for i, (name, _) in enumerate(LAYERS)}


def layer_of(module: str) -> str:
    best, length = None, -1
    for name, prefixes in LAYERS:
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > length and (p != "torchdoctor" or module == p):
                best, length = name, len(p)
    assert best is not None, f"{module} is in no layer of docs/architecture.md: add it there and here"
    return best


def modules() -> dict[str, Path]:
    out = {}
    for d, _, files in os.walk(PACKAGE):
        for f in files:
            if f.endswith(".py"):
                p = Path(d) / f
                rel = p.relative_to(PACKAGE.parent).with_suffix("")
                name = ".".join(rel.parts)
                out[name[: -len(".__init__")] if name.endswith(".__init__") else name] = p
    return out


def imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    here = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = here
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            mod = (base + "." + node.module if node.module else base) if node.level else (node.module or "")
            found.add(mod)
            found |= {mod + "." + a.name for a in node.names}
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        for target in imports(p, m):
            while target and target not in mods:
                target = target.rpartition(".")[0]
            if target and target != m and not m.startswith(target + "."):
                edges[m].add(target)
    return edges


def test_every_module_has_a_layer():
    for m in modules():
        layer_of(m)


def test_no_import_runs_upward():
    upward = [f"{m} ({layer_of(m)}) imports {t} ({layer_of(t)})"
              for m, targets in graph().items() for t in sorted(targets)
              if t != "torchdoctor" and RANK[layer_of(t)] < RANK[layer_of(m)]]
    assert upward == []


def test_no_import_circle():
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                circles.append(sorted(part))

    for v in edges:
        if v not in index:
            visit(v)
    assert circles == []


def test_patient_code_imports_only_the_standard_library():
    import sys

    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    for m, p in modules().items():
        if layer_of(m) != "patient":
            continue
        foreign = {i.split(".")[0] for i in imports(p, m)} - stdlib - {"torch", "numpy", "torchdoctor"}
        doctor = {i for i in imports(p, m) if i.startswith("torchdoctor")}
        assert not foreign and not doctor, (m, foreign, doctor)
