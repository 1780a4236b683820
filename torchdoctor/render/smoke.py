"""How a smoke report looks to a person: one table per device; progress lines on stderr;
the loss-curve plot. Only formatting here (rich is imported inside the functions)."""

from __future__ import annotations

import os
from typing import Any, TextIO

_STATUS_STYLE = {"passed": "green", "failed": "red", "error": "red", "timeout": "red", "crashed": "red"}


class Progress:
    """`smoke: cuda:0 ...` then `smoke: cuda:0 passed (2.1 s)`, on stderr."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def __call__(self, event: str, name: str, verdict: Any = None, seconds: float | None = None) -> None:
        if event == "start":
            what = "finding devices" if name == "discovery" else f"{name} running"
            self._write(f"smoke: {what} ...")
        elif event == "done":
            self._write(f"smoke: {name} {verdict.status} ({seconds:.1f} s)")

    def note(self, text: str) -> None:
        self._write(f"smoke: {text}")

    def _write(self, line: str) -> None:
        from torchdoctor.sanitize import clean

        try:
            self.stream.write(clean(line) + "\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed stderr must not stop the run


def _num(v: Any, fmt: str = ".3g") -> str:
    return format(v, fmt) if isinstance(v, (int, float)) else "n/a"


def _seconds(v: Any) -> str:
    if not isinstance(v, (int, float)):
        return "n/a"
    return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"


_STACK_LABELS = {"conv": "conv2d fwd/bwd", "matmul": "matmul fp32", "tf32": "matmul tf32", "bf16": "matmul bf16",
                 "sdpa": "attention (SDPA)", "autocast": "autocast step", "dataloader": "DataLoader x2"}


def stack_details(v: dict) -> str:
    if v.get("skipped"):
        return str(v["skipped"])
    if v.get("error"):
        return str(v["error"]).splitlines()[0][:200]
    bits = []
    if "max_rel_err" in v:
        bits.append(f"max rel err {_num(v['max_rel_err'], '.2g')}")
    if v.get("library"):
        bits.append(str(v["library"]))
    if v.get("dtype"):
        bits.append(str(v["dtype"]))
    if "mib" in v:
        bits.append(f"{_num(v['mib'], '.1f')} MiB through {v.get('workers')} workers")
    if "finite" in v:
        bits.append("finite" if v["finite"] else "NOT finite")
    return ", ".join(bits) + f" ({_seconds(v.get('seconds'))})"


def _fine(v: Any) -> str:
    return f"{v * 1e6:.0f} µs" if isinstance(v, (int, float)) and v < 1e-3 else _seconds(v)


def compile_details(k: dict) -> str:
    """The compile run in one line: first compile apart from steady state, and the proof."""
    if k.get("phase") != "done" or k.get("error"):
        return f"stopped in the {k.get('phase') or 'import'} phase (see the problem below)"
    return (f"first compile {_seconds(k.get('first_call_seconds'))} (function), "
            f"{_seconds(k.get('train_first_seconds'))} (training step fwd+bwd); steady state "
            f"{_fine(k.get('steady_seconds'))} per call; {k.get('graphs')} Dynamo graph(s), "
            f"{k.get('artifacts')} new cache artifact(s); vs eager: function max abs err "
            f"{_num(k.get('function_max_abs_err'), '.2g')}, gradients max rel err "
            f"{_num(k.get('train_grad_max_rel_err'), '.2g')}")


def device_rows(entry: dict) -> list[tuple[str, str, str]]:
    """(what, status, details) rows for one device; plain text, no markup."""
    checks = entry.get("checks") or {}
    rows = []
    c = entry.get("classic") or {}
    if "w" in c:
        conv = (f"converged at epoch {c['converged_epoch']}" if c.get("converged_epoch")
                else "did not converge")
        rows.append(("Classic loop", checks.get("classic", ""),
                     f"w = {_num(c.get('w'), '.7g')} after {c.get('epochs')} epochs ({conv}); final loss "
                     f"{_num(c.get('final_loss'))}; prediction at x = 4: {_num(c.get('prediction_at_4'), '.6g')}"))
    g = entry.get("gradcheck") or {}
    if g.get("max_rel_err"):
        parts = [f"{dtype} max rel err {_num(max(errs.values(), default=float('nan')), '.2g')}"
                 for dtype, errs in g["max_rel_err"].items()]
        rows.append(("Gradient check", checks.get("gradcheck", ""),
                     "autograd vs hand-derived (dl/dw, dJ/dW1, dJ/dW2, dJ/dh, dJ/do): " + "; ".join(parts)))
    a = entry.get("agreement") or {}
    if a.get("max_rel_err"):
        parts = ", ".join(f"{k} {_num(v, '.2g')}" for k, v in a["max_rel_err"].items())
        rows.append(("Agreement", checks.get("agreement", ""),
                     f"{a.get('dtype')} weights vs {a.get('reference')}: max rel err {parts}"))
    t = entry.get("throughput") or {}
    if "steps_per_s" in t:
        sizes = t.get("sizes") or {}
        rows.append(("Throughput", checks.get("throughput", ""),
                     f"{_num(t['steps_per_s'], '.1f')} steps/s, {_num(t.get('samples_per_s'), ',.0f')} samples/s, "
                     f"{_num(t.get('tflops'), '.2f')} TFLOP/s {t.get('dtype', '')} "
                     f"(batch {sizes.get('n')}, {sizes.get('d_in')}-{sizes.get('d_hidden')}-{sizes.get('d_out')})"))
    for name, value in (entry.get("stack") or {}).items():
        rows.append((_STACK_LABELS.get(name, name), checks.get(f"stack.{name}", ""), stack_details(value)))
    k = entry.get("compile") or {}
    if k:
        rows.append(("torch.compile", checks.get("compile", ""), compile_details(k)))
    tm = entry.get("timings") or {}
    rows.append(("Timings", "",
                 f"import torch {_seconds(tm.get('import_seconds'))}; first op (device init) "
                 f"{_seconds(tm.get('first_op_seconds'))}; classic loop {_seconds(tm.get('classic_seconds'))}; "
                 f"whole child {_seconds(tm.get('child_seconds'))}"))
    for problem in entry.get("problems") or []:
        rows.append(("Problem", "", problem))
    for warning in (entry.get("warnings") or [])[:3]:
        rows.append(("Warning", "", warning))
    return rows


def render_report(report: dict, console: Any = None) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from torchdoctor.sanitize import clean_tree

    report = clean_tree(report)  # the child's answers: no escape sequence reaches the terminal
    console = console or Console(highlight=False, no_color=bool(os.environ.get("NO_COLOR")) or None)
    if report.get("target"):
        console.print(Text(headline(report["target"]), style="bold"), soft_wrap=True)
    t = report.get("torch") or {}
    if t:
        console.print(Text(f"torch {t.get('torch_version')} ({t.get('build')}) on Python {t.get('python')}: "
                           f"{t.get('executable')}"))
    for entry in report.get("devices") or []:
        status = entry.get("status", "?")
        title = Text(f"{entry['device']}  {status.upper()}")
        title.stylize("bold " + _STATUS_STYLE.get(status, ""), len(entry["device"]) + 2)
        if entry.get("name"):
            title.append(f"  ({entry['name']})")
        table = Table(title=title, title_justify="left", box=box.SIMPLE, show_header=False,
                      safe_box=True, pad_edge=False)
        table.add_column("what", style="bold", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("details", overflow="fold")
        for what, st, details in device_rows(entry):
            table.add_row(Text(what), Text(st, style=_STATUS_STYLE.get(st, "")), Text(details))
        console.print(table)
    for item in report.get("unavailable") or []:
        console.print(Text(f"not available: {item['reason']}", style="dim"))
    devices = report.get("devices") or []
    failed = [d["device"] for d in devices if not d.get("ok")]
    if not devices:
        return
    if failed:
        console.print(Text(f"{len(failed)} of {len(devices)} device(s) failed: {', '.join(failed)}",
                           style="bold red"))
    else:
        console.print(Text(f"All {len(devices)} device(s) passed: the install trains.", style="bold green"))


def headline(target: dict) -> str:
    """The first line: which interpreter and why (as Target.headline, from the JSON form)."""
    from torchdoctor.target import headline as line

    return line(str(target.get("executable", "?")), str(target.get("reason", "")))


def report_lines(report: dict) -> list[tuple[str, str | None]]:
    """The report as (text, style) lines (notebooks, `str()`): the tables' content, one row a line."""
    out: list[tuple[str, str | None]] = []
    if report.get("target"):
        out.append((headline(report["target"]), "bold"))
    t = report.get("torch") or {}
    if t:
        out.append((f"torch {t.get('torch_version')} ({t.get('build')}) on Python {t.get('python')}: "
                    f"{t.get('executable')}", None))
    for entry in report.get("devices") or []:
        status = entry.get("status", "?")
        name = f"  ({entry['name']})" if entry.get("name") else ""
        out += [("", None), (f"{entry['device']}  {status.upper()}{name}", "bold " + _STATUS_STYLE.get(status, ""))]
        out += [(f"  {what:<15} {st:<8} {details}", _STATUS_STYLE.get(st)) for what, st, details in device_rows(entry)]
    out += [(f"not available: {item['reason']}", "dim") for item in report.get("unavailable") or []]
    devices = report.get("devices") or []
    failed = [d["device"] for d in devices if not d.get("ok")]
    if report.get("error"):
        out.append((f"Error: {report['error']}", "bold red"))
    if failed:
        out.append((f"{len(failed)} of {len(devices)} device(s) failed: {', '.join(failed)}", "bold red"))
    elif devices:
        out.append((f"All {len(devices)} device(s) passed: the install trains.", "bold green"))
    return out


def write_plot(report: dict, path: str) -> None:
    """Epoch vs loss per device (log scale: the loss falls by ~12 orders), PNG via Agg."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    try:
        for entry in report.get("devices") or []:
            curve = (entry.get("classic") or {}).get("loss_curve") or []
            points = [(i + 1, v) for i, v in enumerate(curve) if isinstance(v, (int, float)) and v == v]
            if points:
                ax.plot([p[0] for p in points], [max(p[1], 1e-30) for p in points], label=entry["device"])
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss (last sample of the epoch)")
        ax.set_title("torchdoctor smoke: y = w*x, per-sample SGD")
        if ax.lines:
            ax.legend()
        fig.tight_layout()
        fig.savefig(os.fspath(path), format="png", dpi=100)
    finally:
        plt.close(fig)


__all__ = ["Progress", "render_report", "report_lines", "headline", "write_plot", "device_rows"]
