"""`torchdoctor install`: options -> InstallRequest -> operations.install (lines shown as they come) -> exit.

Exit codes: 0 installed and proven, 1 refused / failed / not proven, 2 usage.
"""

from __future__ import annotations

import sys

from torchdoctor.errors import UsageError


def run_install(torch: str | None = None, with_: str | None = None, python: str | None = None,
                index_base: str | None = None, yes: bool = False, dry_run: bool = False, json_out: bool = False,
                verify: bool = True, replace_conda: bool = False, timeout: float = 300.0,
                mirror: str | None = None, probe: bool = True, break_companions: bool = False) -> int:
    from torchdoctor.operations.install import install_report
    from torchdoctor.render.emit import emit
    from torchdoctor.requests.install import InstallRequest

    request = InstallRequest.build(torch=torch, with_=with_, python=python, index_base=index_base, yes=yes,
                                   dry_run=dry_run, verify=verify, replace_conda=replace_conda, timeout=timeout,
                                   mirror=mirror, probe=probe, break_companions=break_companions)
    if not (yes or dry_run or _interactive()):
        raise UsageError("install runs pip, and there is no terminal to ask: pass --yes to run it, "
                         "or --dry-run to see the commands")
    report = install_report(request, say=None if json_out else _say, confirm=_confirm)
    if json_out:
        emit(report, "json", sys.stdout)
    return report.exit_code


def _say(text: str) -> None:
    from torchdoctor.sanitize import clean

    sys.stdout.write(clean(text) + "\n")
    sys.stdout.flush()


def _interactive() -> bool:
    try:
        return bool(sys.stdin and sys.stdin.isatty())
    except (ValueError, OSError):  # stdin closed
        return False


def _confirm(count: int) -> bool:
    sys.stderr.write(f"Run {'this command' if count == 1 else f'these {count} commands'}? [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")
