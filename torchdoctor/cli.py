"""The Typer app: parse options, call gather -> judge -> render, map to an exit code.

This is the only place that exits. Heavy modules are imported inside the command
that needs them, so `torchdoctor --help` and `suggest` stay fast.
"""

from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer

from torchdoctor._version import __version__
from torchdoctor.errors import EXIT_INTERNAL, EXIT_USAGE, DoctorError, UsageError

app = typer.Typer(
    name="torchdoctor",
    help="A doctor for PyTorch installs: what is wrong, the exact fix, and proof that it trains.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version_callback(value: bool) -> None:
    if value:
        print(f"torchdoctor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Exit codes: 0 healthy / plan found / all devices passed; 1 problems found; 2 usage error."""


@app.command()
def suggest(
    torch: Optional[str] = typer.Option(None, "--torch", help="Plan for this torch release (e.g. 2.7.1 or 2.7)."),
    with_: Optional[str] = typer.Option(None, "--with", help="Companions to install too: torchvision,torchaudio."),
    json_out: bool = typer.Option(False, "--json", help="Print the plan as JSON (schema 1)."),
    fmt: str = typer.Option("pip", "--format", help="pip | uv | requirements"),
    os_: Optional[str] = typer.Option(None, "--os", help="Describe another machine: linux | windows | macos."),
    arch: Optional[str] = typer.Option(None, "--arch", help="x86_64 | aarch64 | arm64 | x86"),
    python_version: Optional[str] = typer.Option(None, "--python-version", help="e.g. 3.12"),
    driver: Optional[str] = typer.Option(None, "--driver", help="NVIDIA driver version, or 'none'."),
    gpu: List[str] = typer.Option([], "--gpu", help="A GPU: 8.6, sm_86, gfx1100, xpu, or a name as a tool prints it (repeatable)."),
    index_base: Optional[str] = typer.Option(None, "--index-base", envvar="TORCHDOCTOR_INDEX_BASE",
                                             help="A mirror of https://download.pytorch.org/whl."),
    python: Optional[str] = typer.Option(None, "--python", help="Plan for another interpreter or virtualenv."),
    mirror: Optional[str] = typer.Option(None, "--mirror", envvar="TORCHDOCTOR_MIRROR",
                                         help="Install from a known mirror: official | nju | sjtu | aliyun."),
    online: bool = typer.Option(False, "--online", help="Confirm the planned wheel on its index page (3 s, cached)."),
) -> None:
    """The right `pip install torch ...` command for this machine (or a described one), and why."""
    from torchdoctor.commands.suggest import run_suggest

    _exit(_guard(run_suggest, torch=torch, with_=with_, json_out=json_out, fmt=fmt, os_=os_, arch=arch,
                 python_version=python_version, driver=driver, gpus=gpu, index_base=index_base, python=python,
                 mirror=mirror, online=online))


@app.command()
def check(
    json_out: bool = typer.Option(False, "--json", help="Print facts and findings as JSON (schema 1)."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Every fact and probe timing."),
    fmt: str = typer.Option("human", "--format", help="human | markdown | nhc | slurm-reason"),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too (exit 1)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Seconds allowed for the torch import probe "
                                            "(default 60; 40 with --format nhc or slurm-reason)."),
    python: Optional[str] = typer.Option(None, "--python", help="Diagnose another interpreter or virtualenv."),
    list_checks: bool = typer.Option(False, "--list-checks", help="List every check id and exit."),
    from_: Optional[str] = typer.Option(None, "--from", help="Diagnose a recorded machine: a check --json "
                                        "report or collect_env text; '-' reads stdin."),
    json_line: bool = typer.Option(False, "--json-line", help="Print the JSON report on one line (for fleets)."),
    node_label: Optional[str] = typer.Option(None, "--node-label", help="Add \"node\" to the JSON: auto (the "
                                             "scheduler's, Kubernetes' or the host's name) or a NAME. Off by default."),
    exit_style: str = typer.Option("doctor", "--exit-style", help="doctor (0 ok, 1 problems, 2 usage) | nagios "
                                   "(0 OK, 1 WARN, 2 CRITICAL, 3 UNKNOWN)."),
    build: bool = typer.Option(False, "--build", help="Judge the C++/CUDA extension build toolchain even "
                               "when no toolkit or source package is present."),
) -> None:
    """Diagnose the PyTorch install: every problem with its cause and the exact fix."""
    from torchdoctor.commands.check import run_check

    _check_python(python)

    _exit(_guard(run_check, json_out=json_out, verbose=verbose, fmt=fmt, strict=strict, timeout=timeout,
                    python=python, list_checks=list_checks, from_=from_, json_line=json_line,
                    node_label=node_label, exit_style=exit_style, build=build))


@app.command()
def smoke(
    device: str = typer.Option("all", "--device", help="cpu | cuda | cuda:N | mps | xpu | all"),
    json_out: bool = typer.Option(False, "--json", help="Print results as JSON (schema 1)."),
    epochs: int = typer.Option(100, "--epochs", help="Epochs of the classic loop."),
    seed: int = typer.Option(0, "--seed", help="Random seed for the network workloads."),
    plot: Optional[str] = typer.Option(None, "--plot", help="Write the loss curves to this PNG (needs matplotlib)."),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds allowed per device."),
    python: Optional[str] = typer.Option(None, "--python", help="Run with another interpreter."),
    distributed: bool = typer.Option(False, "--distributed", help="Data-parallel run on torch.distributed."),
    nproc: Optional[int] = typer.Option(None, "--nproc", help="Local workers for --distributed."),
    backend: Optional[str] = typer.Option(None, "--backend", help="gloo | nccl (for --distributed)."),
    nnodes: Optional[int] = typer.Option(None, "--nnodes", help="--distributed across N machines: run on each."),
    node_rank: Optional[int] = typer.Option(None, "--node-rank", help="This machine's node, 0 to N-1 (0 hosts "
                                            "the rendezvous)."),
    rdzv_endpoint: Optional[str] = typer.Option(None, "--rdzv-endpoint", help="HOST:PORT of node rank 0."),
    json_line: bool = typer.Option(False, "--json-line", help="Print the JSON report on one line (for fleets)."),
    node_label: Optional[str] = typer.Option(None, "--node-label", help="Add \"node\" to the JSON: auto (the "
                                             "scheduler's, Kubernetes' or the host's name) or a NAME. Off by default."),
    bandwidth_max: Optional[str] = typer.Option(None, "--bandwidth-max", help="--distributed: time all-reduce up "
                                                "to this size too (16G, as nccl-tests' floors use)."),
    compile: bool = typer.Option(False, "--compile", help="Also prove torch.compile on each device (fresh "
                                 "caches, compared with eager)."),
    compile_timeout: float = typer.Option(180.0, "--compile-timeout", help="Seconds allowed for each device's "
                                          "first compile."),
) -> None:
    """Prove the install trains: the classic backprop loop on every device, verified and timed."""
    if not distributed and (nnodes, node_rank, rdzv_endpoint) != (None, None, None):
        raise UsageError("--nnodes, --node-rank and --rdzv-endpoint need --distributed")
    if not distributed and bandwidth_max is not None:
        raise UsageError("--bandwidth-max needs --distributed")
    _check_python(python)
    if distributed:
        if plot:
            raise UsageError("--plot is not available with --distributed")
        if compile:
            raise UsageError("--compile is not available with --distributed")
        from torchdoctor.commands.distributed import run_distributed

        _exit(_guard(run_distributed, device=device, json_out=json_out, nproc=nproc, backend=backend,
                     timeout=timeout, python=python, epochs=epochs, seed=seed, nnodes=nnodes,
                     node_rank=node_rank, rdzv_endpoint=rdzv_endpoint, json_line=json_line,
                     node_label=node_label, bandwidth_max=bandwidth_max))
    from torchdoctor.commands.smoke import run_smoke

    _exit(_guard(run_smoke, device=device, json_out=json_out, epochs=epochs, seed=seed, plot=plot,
                    timeout=timeout, python=python, nproc=nproc, backend=backend, json_line=json_line,
                    node_label=node_label, compile=compile, compile_timeout=compile_timeout))


def _check_python(python: str | None) -> None:
    """A path with a newline or NUL cannot be shown in one line or put into a fix command."""
    if python is not None:
        from torchdoctor.shell import check_arg

        check_arg(python, "--python")


@app.command()
def install(
    torch: Optional[str] = typer.Option(None, "--torch", help="Install this torch release (e.g. 2.7.1 or 2.7)."),
    with_: Optional[str] = typer.Option(None, "--with", help="Companions too: torchvision,torchaudio "
                                        "(installed ones always move with torch)."),
    python: Optional[str] = typer.Option(None, "--python", help="Install into this interpreter or virtualenv."),
    index_base: Optional[str] = typer.Option(None, "--index-base", envvar="TORCHDOCTOR_INDEX_BASE",
                                             help="A mirror of https://download.pytorch.org/whl."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Run without asking (needed without a terminal)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and the commands; change nothing."),
    json_out: bool = typer.Option(False, "--json", help="Print the outcome as JSON (schema 1)."),
    no_verify: bool = typer.Option(False, "--no-verify", help="Skip the proof (check and smoke) afterwards."),
    replace_conda: bool = typer.Option(False, "--replace-conda", help="Remove conda's torch, then install with pip."),
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds allowed for each proof step (check, smoke)."),
    mirror: Optional[str] = typer.Option(None, "--mirror", envvar="TORCHDOCTOR_MIRROR",
                                         help="Install from a known mirror: official | nju | sjtu | aliyun."),
    no_probe: bool = typer.Option(False, "--no-probe", help="Do not look at the index page before installing."),
    break_companions: bool = typer.Option(False, "--break-companions", help="Change torch even where an "
                                          "installed companion (xformers, flash-attn, ...) would break."),
) -> None:
    """Install the build `suggest` plans, replacing a wrong one without losing it, then prove it trains."""
    from torchdoctor.commands.install import run_install

    _check_python(python)
    _exit(_guard(run_install, torch=torch, with_=with_, python=python, index_base=index_base, yes=yes, dry_run=dry_run,
                      json_out=json_out, verify=not no_verify, replace_conda=replace_conda, timeout=timeout,
                      mirror=mirror, probe=not no_probe, break_companions=break_companions))


@app.command(context_settings={"allow_interspersed_args": False})
def preview(
    command: List[str] = typer.Argument(..., help="The install command, after `--`: pip install ... | "
                                        "python -m pip install ... | uv pip install ..."),
    python: Optional[str] = typer.Option(None, "--python", help="The interpreter the command installs into "
                                         "(chosen as check chooses it)."),
    json_out: bool = typer.Option(False, "--json", help="Print the preview as JSON (schema 1)."),
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds allowed for pip's dry run."),
) -> None:
    """What an install command would do to torch and its companions, from pip's dry run; installs nothing."""
    from torchdoctor.commands.preview import run_preview

    _check_python(python)
    _exit(_guard(run_preview, command=command, python=python, json_out=json_out, timeout=timeout))


fleet_app = typer.Typer(name="fleet", help="Many nodes: join their reports, or run check on each through "
                        "srun, pdsh or ssh.", no_args_is_help=True, add_completion=False, rich_markup_mode=None)
app.add_typer(fleet_app, name="fleet")


@fleet_app.command("report")
def fleet_report(
    files: List[str] = typer.Argument(None, help="Reports as nodes printed them (--json-line, pdsh/clush, srun "
                                      "--label, kubectl logs); '-' or none reads stdin."),
    expect: Optional[int] = typer.Option(None, "--expect", help="This many nodes must report."),
    expect_nodes: Optional[str] = typer.Option(None, "--expect-nodes", help="These nodes must report: a Slurm "
                                               "host list, node[01-16],gpu7."),
    busbw_floor: List[str] = typer.Option([], "--busbw-floor", help="A site's all-reduce floor: GBPS[@SIZE] or "
                                          "COUNTxMODEL=GBPS@SIZE, 8xH100=460@16G (repeatable)."),
    json_out: bool = typer.Option(False, "--json", help="Print the fleet as JSON (schema 1)."),
    fmt: str = typer.Option("human", "--format", help="human | markdown"),
) -> None:
    """Join many nodes' reports: groups of identical nodes, outliers, missing nodes, smoke, bus bandwidth."""
    from torchdoctor.commands.fleet import run_fleet_report

    _exit(_guard(run_fleet_report, files=list(files or []), expect=expect, expect_nodes=expect_nodes,
                 floors=busbw_floor, json_out=json_out, fmt=fmt))


@fleet_app.command("run", context_settings={"allow_interspersed_args": False})
def fleet_run(
    command: List[str] = typer.Argument(None, help="After --: what each node runs, check [OPTIONS] or smoke "
                                        "[OPTIONS]."),
    via: str = typer.Option(..., "--via", help="srun | pdsh | ssh: the engine that starts it on every node."),
    nodes: Optional[str] = typer.Option(None, "--nodes", help="A host list, node[01-16] (with srun also a count)."),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds allowed per node."),
    fanout: int = typer.Option(32, "--fanout", help="Nodes at a time for pdsh and ssh."),
    program: str = typer.Option("torchdoctor", "--program", help="The doctor's command on the nodes."),
    busbw_floor: List[str] = typer.Option([], "--busbw-floor", help="As for fleet report (repeatable)."),
    json_out: bool = typer.Option(False, "--json", help="Print the fleet as JSON (schema 1)."),
    fmt: str = typer.Option("human", "--format", help="human | markdown"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the engine's command and run nothing."),
) -> None:
    """Run check (or smoke) on every node through srun, pdsh or ssh, and report the fleet."""
    from torchdoctor.commands.fleet import run_fleet_run

    _exit(_guard(run_fleet_run, via=via, nodes=nodes, args=list(command or []), timeout=timeout, fanout=fanout,
                 program=program, floors=busbw_floor, json_out=json_out, fmt=fmt, dry_run=dry_run))


def _exit(code: int) -> None:
    raise typer.Exit(code)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one line on stderr for every user error, never a traceback."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args:
        args = ["--help"]  # no arguments: the help, exit 0
    elif args == ["fleet"]:
        args = ["fleet", "--help"]  # the group alone: its help, exit 0 (as the doctor alone)
    _on_ctrl_c()
    try:
        if sys.stdout is None:  # started with stdout closed (`>&-`)
            raise UsageError("standard output is closed: nothing can be printed")
        code = app(args=args, prog_name="torchdoctor", standalone_mode=False)
        sys.stdout.flush()
    except DoctorError as exc:
        _fail(exc.message)
        code = _nagios_unknown(args, exc.exit_code)
    except KeyboardInterrupt:
        _interrupted()
    except OSError as exc:
        code = _output_failed(exc)
    except _OutputError as exc:
        code = _output_failed(exc.os_error)
    except Exception as exc:  # noqa: BLE001 - the edge where everything becomes an exit code
        if type(exc).__name__ == "Abort" or isinstance(exc.__cause__, KeyboardInterrupt):
            _interrupted()  # Typer/Click turned the Ctrl-C into Exit(130) or Abort
        code = _nagios_unknown(args, _exit_code_for(exc))
    sys.exit(code if isinstance(code, int) else 0)


def _nagios_unknown(args: list[str], code: int) -> int:
    """`--exit-style nagios`: a usage error raised before the command ran (a mistyped flag) is UNKNOWN
    (3), not the doctor's 2, which Nagios would read as CRITICAL (a CRITICAL result returns normally)."""
    if code not in (EXIT_USAGE, EXIT_INTERNAL):
        return code
    for i, arg in enumerate(args):
        if arg == "--exit-style=nagios" or (arg == "--exit-style" and args[i + 1:i + 2] == ["nagios"]):
            return 3
    return code


def _on_ctrl_c() -> None:
    """Ctrl-C kills every child's process group at once and exits 130 from the handler itself: the
    torch child waits in a worker thread, which unwinding a KeyboardInterrupt would join first."""
    import signal

    try:
        signal.signal(signal.SIGINT, lambda signum, frame: _interrupted())
    except (ValueError, OSError):  # not the main thread (embedded use): keep Python's default
        pass


def _interrupted() -> None:
    from torchdoctor import runner

    runner.kill_all()
    try:
        sys.stderr.write("torchdoctor: interrupted\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
    # Not sys.exit: it would wait for worker threads still joined to a killed child.
    os._exit(130)


_OUTPUT_ERRNOS = ("EPIPE", "ENOSPC", "EBADF", "EIO", "EDQUOT")


def _output_failed(exc: OSError) -> int:
    """stdout closed, a broken pipe, a full disk: one line, exit 2 (not a doctor bug)."""
    import errno

    if exc.errno not in {getattr(errno, name, None) for name in _OUTPUT_ERRNOS}:
        return _exit_code_for(exc)
    _fail(f"cannot write the output: {exc.strerror or exc}")
    try:  # nothing more to stdout: Python's own flush at exit would fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    return EXIT_USAGE


def _guard(fn, **kwargs) -> int:
    """Run a command; a write that fails reaches main() as itself (Typer would make it exit 1)."""
    try:
        return fn(**kwargs)
    except OSError as exc:
        raise _OutputError(exc) from None


class _OutputError(Exception):
    def __init__(self, exc: OSError):
        super().__init__(str(exc))
        self.os_error = exc


def _exit_code_for(exc: Exception) -> int:
    """Map Typer/Click's own exceptions (their module moved between Typer versions) to exit codes."""
    name = type(exc).__name__
    if name == "Exit":
        return int(getattr(exc, "exit_code", 0) or 0)
    if name == "Abort":
        return 130
    if hasattr(exc, "format_message"):  # UsageError, BadParameter, NoSuchOption, ...
        _fail(exc.format_message())
        return EXIT_USAGE
    # A bug in the doctor itself: one line, the traceback only on request.
    if os.environ.get("TORCHDOCTOR_DEBUG"):
        import traceback

        traceback.print_exc()
    _fail(f"internal error ({name}: {exc}); run with TORCHDOCTOR_DEBUG=1 for the traceback "
          "and please report it")
    return EXIT_INTERNAL


def _fail(message: str) -> None:
    from torchdoctor.sanitize import clean

    line = " ".join(clean(message).split())  # paths as ~, no escape sequence from a bad value
    try:
        sys.stderr.write(f"torchdoctor: error: {line}\n")
    except (OSError, ValueError, AttributeError):  # stderr closed too: the exit code still says it
        pass
