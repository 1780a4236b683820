"""Recorded machines: a `torchdoctor check --json` report, or whatever people paste -> Facts.

`check --from FILE` judges these facts with the same checks as a live run. Two
doors: `load_report(text, origin)` for text already in hand, and
`read_source(path)` which reads a file or "-" (stdin) with a size cap, never
raising anything but UsageError.

A paste (an issue body, a log, a comment) goes through every reader in
`recorded.readers` (collect_env, HF/Lightning/yolo summaries, nvidia-smi, pip,
conda, rocminfo, tracebacks and messages, ...; docs/pastes.md), and `recorded.merge` turns their
evidence into one Facts with the provenance of each fact.
"""

from __future__ import annotations

import json
from typing import Any

from torchdoctor.errors import UsageError
from torchdoctor.facts import SCHEMA, Facts
from torchdoctor.recorded.text import MAX_REPORT_BYTES, is_binary


def load_report(text: str, origin: str) -> Facts:
    """Facts from a `check --json` report or collect_env output; UsageError (exit 2) for anything else."""
    cut = len(text) > MAX_REPORT_BYTES
    if cut:
        text = text[:MAX_REPORT_BYTES]
    if not text.strip():
        raise UsageError(f"{origin} is empty: expected a torchdoctor --json report or collect_env output")
    if not is_binary(text):
        facts = _json_report(text, origin)
        if facts is None:
            facts = read_paste(text, origin)
        if facts is not None:
            if cut:
                _note(facts, f"only the first {MAX_REPORT_BYTES // (1024 * 1024)} MiB of the input were read")
            return facts
    raise UsageError(f"{origin} is not a torchdoctor --json report nor collect_env output, and holds nothing "
                     "else torchdoctor reads (environment reports, nvidia-smi, pip/conda lists, tracebacks)")


def read_source(source: str) -> tuple[str, str]:
    """(text, origin name) of a file path or "-" for stdin, at most MAX_REPORT_BYTES (+1 to notice more)."""
    from torchdoctor.recorded.source import read_input

    return read_input(source)


def load_source(source: str) -> Facts:
    """`check --from SOURCE`: read it, then load_report."""
    text, origin = read_source(source)
    return load_report(text, origin)


def _json_report(text: str, origin: str) -> Facts | None:
    start = text.find("{")
    if start >= 0 and text[:start].strip() in ("", "```", "```json"):
        data = _decode(text, start)
    else:
        # a `check --format markdown` reply (or an issue quoting one): its facts are in a ```json block
        at = text.find('```json\n{\n "schema"')
        data = _decode(text, at + len("```json\n")) if at >= 0 else None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("facts"), dict) and "schema" in data:
        schema, facts_dict = data.get("schema"), data["facts"]
    elif "origin" in data and "schema" in data:  # bare Facts.to_dict()
        schema, facts_dict = data.get("schema"), data
    else:
        return None
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise UsageError(f"{origin} looks like a torchdoctor report but its schema is {schema!r}, not a number")
    try:
        facts = Facts.from_dict(facts_dict)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        newer = f" (schema {schema}; this torchdoctor reads schema {SCHEMA}: upgrade it)" if schema > SCHEMA else ""
        raise UsageError(f"{origin} is a torchdoctor report whose facts cannot be read{newer}: {exc}") from None
    report: dict[str, Any] = {"kind": "json", "schema": schema, "recorded_origin": facts.origin, "notes": []}
    if schema > SCHEMA:
        report["notes"].append(f"the report has schema {schema}, newer than this torchdoctor's {SCHEMA}: "
                               "facts it does not know were ignored; upgrade torchdoctor to judge them all")
    extra = dict(facts.extra)
    recorded = extra.get("report") if isinstance(extra.get("report"), dict) else {}
    for key in ("packages_cut", "packages_partial"):  # what the recorded list could not show stays unknown
        if recorded.get(key):
            report[key] = True
    extra["report"] = report
    return facts.with_(origin=f"json:{origin}", schema=SCHEMA, extra=extra)


def _decode(text: str, start: int) -> object:
    try:
        return json.JSONDecoder().raw_decode(text, start)[0]
    except (ValueError, RecursionError):
        return None


def read_paste(text: str, origin: str) -> Facts | None:
    """Every reader over the paste, merged; None when no reader recognised anything."""
    from torchdoctor.recorded.merge import merge
    from torchdoctor.recorded.readers import paste_of, read_all
    from torchdoctor.recorded.text import clean_lines

    evidence, failed = read_all(paste_of(clean_lines(text)))
    if not evidence:
        if failed:
            raise failed[-1][1]  # nothing read because of a doctor bug: not the input's fault (exit 3)
        return None
    facts = merge(evidence, origin)
    for name, exc in failed:
        _note(facts, f"the {name} reader failed ({type(exc).__name__}: {exc}); please report it")
    return facts


def _note(facts: Facts, note: str) -> None:
    report = facts.extra.setdefault("report", {})
    report.setdefault("notes", []).append(note)
