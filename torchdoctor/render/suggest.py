"""Human output of `suggest`: the command first, then what was chosen, why, and what was not.

rich on a terminal (no colour with NO_COLOR), plain text when piped or when rich is missing:
off a terminal rich would print the same plain text, and not importing it keeps `suggest`
fast in scripts. Data text is never parsed as markup.
"""

from __future__ import annotations

import os
import sys

from torchdoctor.sanitize import clean

MAX_REJECTED = 8


def lines_for(result, fmt: str = "pip", target=None, hints=()) -> list[tuple[str, str]]:
    """(style, text) lines: the same content for rich and for plain output. The command stays first:
    the interpreter planned for (a torchdoctor.target.Target) is said last, with the machine."""
    out: list[tuple[str, str]] = []
    plan = result.plan
    if plan is not None:
        out.append(("heading", "Install with:" if fmt != "requirements" else "requirements.txt:"))
        out.extend(("command", "  " + line) for line in plan.command.splitlines())
        if plan.retry_command:
            out.extend(_retry_lines(plan, fmt))
        via = plan.index_url or "PyPI"
        if getattr(plan, "find_links", None):
            via = f"{plan.find_links} (-f; dependencies from {plan.index_url or 'PyPI'})"
        out.append(("", ""))
        out.append(("bold", f"torch {plan.torch}, variant {plan.variant} ({plan.device}), from {via}"
                    + (" [inferred data: see notes]" if plan.confidence != "confirmed" else "")))
        for w in plan.warnings:
            out.append(("warning", f"! {w}"))
        out.append(("heading", "Why:"))
        out.extend(("", f"  - {r}") for r in plan.reasons)
    else:
        out.append(("error", "No install fits this machine:"))
        for p in result.problems:
            out.append(("error", f"  [{p.id}] {p.message}"))
        if result.fallback is not None:
            out.append(("", ""))
            out.append(("warning", "CPU-only fallback (the GPU will NOT be used):"))
            out.extend(("command", "  " + line) for line in result.fallback.command.splitlines())
    if result.upgrades:
        out.append(("heading", "Driver upgrade:"))
        out.extend(("", f"  - {u}") for u in result.upgrades)
    if result.rejected:
        out.append(("heading", "Options not chosen (newer releases, other builds):"))
        shown = result.rejected[:MAX_REJECTED]
        out.extend(("dim", f"  - {r}") for r in shown)
        if len(result.rejected) > len(shown):
            out.append(("dim", f"  ... and {len(result.rejected) - len(shown)} older (see --json)"))
    out.extend(("bold", f"Note: {h}") for h in hints)
    out.append(("dim", f"(knowledge as of {result.as_of}; machine: {_machine_line(result.machine)})"))
    if target is not None:
        out.append(("dim", f"(planned for {target.display}: {target.why})"))
    # GPU names and probe text come from the machine: escape sequences shown, UUIDs masked. Commands
    # are already refused any control character (shell.check_arg) and keep their paths as they are.
    return [(style, text if style == "command" else clean(text)) for style, text in out]


def _retry_lines(plan, fmt: str) -> list[tuple[str, str]]:
    """Right under the command: what to run if the unverified wheel is not on the index."""
    if fmt == "requirements":
        return ([("warning", 'If pip says "No matching distribution", use instead:')]
                + [("command", "  " + line) for line in plan.retry_command.splitlines()])
    when = f"uv finds no torch=={plan.torch}" if fmt == "uv" else 'pip says "No matching distribution"'
    return [("warning", f"If {when}, run: {plan.retry_command}")]


def _machine_line(m: dict) -> str:
    parts = [f"{m.get('os')}-{m.get('arch')}", f"Python {m.get('python')}{'t' if m.get('free_threaded') else ''}"]
    if m.get("wsl"):
        parts.append("WSL2")
    parts.append(f"driver {m['driver']}" if m.get("driver") else "no NVIDIA driver")
    if m.get("gpus"):
        parts.append("GPUs: " + ", ".join(m["gpus"]))
    return ", ".join(parts)


STYLES = {"heading": "bold", "command": "bold cyan", "bold": "bold", "warning": "bold yellow",
          "error": "bold red", "dim": "dim", "": ""}


def render_suggest(result, fmt: str = "pip", file=None, target=None, hints=()) -> None:
    file = file or sys.stdout
    lines = lines_for(result, fmt, target, hints)
    isatty = getattr(file, "isatty", None)
    if not (isatty and isatty()):
        file.write("\n".join(text for _, text in lines) + "\n")
        return
    try:
        from rich.console import Console
        from rich.text import Text
    except ImportError:  # plain text fallback
        file.write("\n".join(text for _, text in lines) + "\n")
        return
    console = Console(file=file, no_color=bool(os.environ.get("NO_COLOR")), highlight=False,
                      soft_wrap=True, emoji=False)
    for style, text in lines:
        console.print(Text(text, style=STYLES.get(style, "")))
