"""The user's own pip/uv configuration against the plan (`pip.index_overrides`, registered in checks/pip.py).

The target's effective index settings (facts.index_config, read by
probes/pip_config.py) would make `pip install torch` give another build than the plan: a PyPI mirror as
the index where a download.pytorch.org build is needed, an extra index or find-links that can outrank
the plan, a constraint that pins torch, `no-index`, or a known-wrong mirror URL (TUNA's /pytorch-wheels).
`suggest` calls `overrides` with its plan and prints the command that holds under the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from torchdoctor.facts import IndexConfig, IndexSetting
from torchdoctor.findings import Finding, Fix, warning
from torchdoctor.shell import Command, argv_of, shell_for_os

ID = "pip.index_overrides"
TITLE = "the pip/uv configuration does not override the planned build"
AREA = "Packages"  # checks.areas.PACKAGES (the judges' areas live above this module)


@dataclass(frozen=True)
class Override:
    setting: IndexSetting
    why: str


def _same_index(a: str, b: str | None) -> bool:
    return bool(b) and a.rstrip("/").split("@")[-1] == b.rstrip("/").split("@")[-1]


def _allows(pin: str, plan: Any) -> bool:
    """Whether a constraint line on torch (torch<=2.14.1, torch==2.3.1) admits the planned version."""
    import re

    if plan is None:
        return False
    m = re.match(r"torch(===?|~=|<=?|>=?|!=)(\S+)", pin.replace(" ", ""))
    if not m:
        return False
    op, text = m.groups()

    def key(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", v.split("+")[0])[:3])

    have, want = key(plan.torch), key(text)
    if op in ("==", "==="):
        return have == want and ("+" not in text or text.split("+", 1)[1] == plan.variant)
    return {"<=": have <= want, "<": have < want, ">=": have >= want, ">": have > want, "!=": have != want,
            "~=": have >= want and have[:max(len(want) - 1, 1)] == want[:max(len(want) - 1, 1)]}[op]


def overrides(config: IndexConfig, plan: Any, tool: str | None = None) -> list[Override]:
    """The settings of `tool` ("pip", "uv"; None: both) that would change what the plan installs."""
    found: list[Override] = []
    if not config.settings:
        return found
    from torchdoctor.knowledge import mirrors as mk  # mirrors.json: on first use, with settings to judge
    needs_variant = plan is not None and (plan.index_url is not None or plan.find_links is not None) \
        and not (plan.find_links is None and plan.index_url and mk.is_pypi_mirror(plan.index_url))
    for s in config.settings:
        if tool is not None and s.tool != tool:
            continue
        if s.key in ("index-url", "default-index", "extra-index-url", "find-links"):
            wrong = mk.wrong_url(s.value)
            if wrong is not None:
                found.append(Override(s, f"no PyTorch wheels are served there ({wrong.name}: see `torchdoctor "
                                         f"suggest --mirror {wrong.instead}`)"))
                continue
        if s.key in ("index-url", "default-index") and needs_variant and mk.is_pypi_mirror(s.value):
            what = plan.variant if plan is not None else "the planned"
            found.append(Override(s, f"it is a PyPI mirror: a plain `{s.tool} install torch` gets PyPI's "
                                     f"build there (the CPU build on Windows and macOS), not the {what} build"))
        elif s.key in ("extra-index-url", "find-links"):
            if plan is not None and (_same_index(s.value, plan.index_url) or _same_index(s.value, plan.find_links)):
                continue
            how = ("uv looks at an extra index before the default one" if s.tool == "uv"
                   else "pip takes the highest version from every index, and a local build tag ranks higher")
            found.append(Override(s, f"it stays in effect beside the printed command's index ({how}), so "
                                     "another build of torch can win"))
        elif s.key == "constraint" and s.torch_pin and not _allows(s.torch_pin, plan):
            want = f"the planned torch {plan.torch}" if plan is not None else "another torch"
            found.append(Override(s, f"it constrains {s.torch_pin}, which {want} breaks: the install fails "
                                     "(or pip picks another build)"))
        elif s.key == "no-index":
            found.append(Override(s, "no-index is set: pip looks at no index at all"))
    return found


def holding_command(plan: Any, found: list[Override], os_name: str | None) -> tuple[Command | str, ...]:
    """The plan's command made to hold under the configuration. POSIX: `env -u VAR` drops exactly the
    variables that override, `PIP_CONFIG_FILE=/dev/null` every pip file (uv: --no-config). Windows: pip's
    --isolated drops PIP_* variables and the user's files; a global/site file has no one-line override
    there (the fix says to remove the setting)."""
    argv = argv_of(plan.command) if plan is not None else None
    if not argv or argv[:1] not in (["pip"], ["uv"]):
        return ()
    shell = shell_for_os(os_name)
    posix = shell == "posix"
    tool = argv[0]
    has_index = "--index-url" in argv or "--default-index" in argv
    # the command's own --index-url already overrides an index-url setting: only the others need more
    mine = [o.setting for o in found if o.setting.tool == tool
            and not (has_index and o.setting.key in ("index-url", "default-index"))]
    env_vars = sorted({s.origin for s in mine if s.kind == "env"})
    in_files = any(s.kind != "env" for s in mine)
    lines: list[Command | str] = []
    prefix: list[str] = []
    head, rest = (argv[:2], argv[2:]) if tool == "pip" else (argv[:3], argv[3:])
    flags: list[str] = []
    if posix:
        prefix = [a for v in env_vars for a in ("-u", v)]
        if tool == "pip" and in_files:
            prefix.append("PIP_CONFIG_FILE=/dev/null")
        prefix = ["env", *prefix] if prefix else []
    elif tool == "pip":
        if env_vars or any(s.kind == "user" for s in mine):
            flags.append("--isolated")
    else:
        lines += [f"Remove-Item Env:{v}" if shell == "powershell" else f"set {v}=" for v in env_vars]
    if tool == "uv" and in_files:
        flags.append("--no-config")
    new = prefix + head + flags + rest
    if new == argv:
        return ()
    return (*lines, Command(tuple(new), shell))


def finding_for(config: IndexConfig, plan: Any, os_name: str | None, tool: str | None = None) -> Finding | None:
    found = overrides(config, plan, tool)
    if not found:
        return None
    grouped: dict[tuple[str, str], list[str]] = {}
    for o in found:
        grouped.setdefault((o.setting.key, o.why), []).append(f"{o.setting.value} ({o.setting.origin})")
    said = "; ".join(f"{key} {', '.join(where)}: {why}" for (key, why), where in grouped.items())
    commands = holding_command(plan, found, os_name)
    files = sorted({o.setting.origin for o in found if o.setting.kind in ("global", "site", "file")})
    if commands:
        what = ", ".join(sorted({o.setting.origin for o in found}))
        summary = f"Run the planned command in this form: it overrides {what}."
        if any(isinstance(c, Command) and "PIP_CONFIG_FILE=/dev/null" in c.argv for c in commands):
            summary += " PIP_CONFIG_FILE=/dev/null skips every pip configuration file for this one command."
        if files and shell_for_os(os_name) != "posix":
            summary += f" Remove the setting from {', '.join(files)} first (a file has no one-line override here)."
    elif plan is not None:
        argv = argv_of(plan.command) or []
        residual = [o for o in found if not (("--index-url" in argv or "--default-index" in argv)
                                             and o.setting.key in ("index-url", "default-index"))]
        if not residual:
            what = ", ".join(sorted({o.setting.origin for o in found}))
            summary = f"The planned command's own --index-url overrides {what}: run it as printed."
        else:
            summary = f"Remove the setting from {', '.join(files) or 'the configuration'}, then run the planned command."
        commands = (plan.command,) if argv else ()
    else:
        summary = "Remove the setting, or run `torchdoctor suggest` for a command that overrides it."
    return replace(warning(f"The pip/uv configuration changes what `pip install torch` gets: {said}.",
                           Fix(summary, tuple(commands))), id=ID, area=AREA, title=TITLE)
