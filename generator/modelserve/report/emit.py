"""Reporters: text (yamllint's parsable form), json, github annotations and SARIF.

All share one summary, computed once; the output stream is passed in.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from modelserve import __version__
from modelserve.findings import Finding, Severity, Summary
from modelserve.report.console import write_trusted
from modelserve.report.display import json_safe, json_text, neutralize_workflow_commands, one_line
from modelserve.report.ruledocs import REPOSITORY, rule_doc

FORMATS = ("auto", "text", "json", "github", "sarif")
# Findings a configuration or a waiver took away, each with why: reported, never dropped.
Suppressed = Sequence[tuple[Finding, str]]


@dataclass(frozen=True)
class Run:
    """What a report says beside its findings: the summary's text (``extra``) and numbers
    (``stats``, fields in JSON), colour for a terminal, and the findings taken away."""

    extra: str = ""
    colour: bool = False
    stats: dict[str, Any] | None = None
    suppressed: Suppressed = ()


_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}


def summary_line(summary: Summary, extra: str = "", suppressed: int = 0) -> str:
    text = f"{summary.errors} error(s), {summary.warnings} warning(s)"
    if suppressed:
        text += f", {suppressed} suppressed (listed in --format json and sarif)"
    return text + (f"; {extra}" if extra else "")


def _location(f: Finding) -> str:
    return f"{f.file}:{f.line}:{f.col}" if f.line else f.file


def write_text(findings: list[Finding], out: IO[str], run: Run) -> None:
    for f in findings:
        level = str(f.severity)
        rest = f" {f.rule} {f.message}" + (f" (fix: {f.hint})" if f.hint else "")
        if (
            run.colour
        ):  # the colour codes are ours; the other parts are Finding fields, clean already
            coloured = f"{_COLOURS[f.severity]}{level}\033[0m"
            write_trusted(
                out,
                neutralize_workflow_commands(f"{_location(f)}: ")
                + coloured
                + neutralize_workflow_commands(rest)
                + "\n",
            )
        else:
            out.write(f"{_location(f)}: {level}{rest}\n")
    out.write(summary_line(Summary.of(findings), run.extra, len(run.suppressed)) + "\n")


def emit_json(data: Any, out: IO[str]) -> None:
    """``data`` as JSON: scrubbed, no lone surrogates, nothing a CI runner reads as a command."""
    write_trusted(out, json_text(json.dumps(json_safe(data), indent=2)) + "\n")


def findings_document(
    findings: list[Finding],
    extra: str = "",
    stats: dict[str, Any] | None = None,
    suppressed: Suppressed = (),
) -> dict[str, Any]:
    """Findings and a summary whose numbers are fields (``stats``: files, objects, seconds...),
    with the text line kept as ``note``; suppressed findings listed with their justification."""
    s = Summary.of(findings)
    document: dict[str, Any] = {
        "findings": [f.to_dict() for f in findings],
        "summary": {
            "errors": s.errors,
            "warnings": s.warnings,
            "infos": s.infos,
            "suppressed": len(suppressed),
            **(stats or {}),
            "note": extra,
        },
    }
    if suppressed:
        document["suppressed"] = [
            {**f.to_dict(), "justification": why} for f, why in sorted(suppressed)
        ]
    return document


def write_json(findings: list[Finding], out: IO[str], run: Run) -> None:
    emit_json(findings_document(findings, run.extra, run.stats, run.suppressed), out)


def _escape(text: str, prop: bool = False) -> str:
    # GitHub workflow-command escaping (actions/toolkit: escapeData / escapeProperty).
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def annotation(
    severity: Severity, file: str, message: str, *, line: int = 0, col: int = 0, title: str = ""
) -> str:
    """One GitHub workflow annotation (``::error file=...::message``), every part escaped.

    The parts are cleaned (``display.one_line``: no credential, control character or newline) and
    escaped as actions/toolkit's ``escapeData``/``escapeProperty`` do, so a catalog value can
    neither end the annotation early nor start a command of its own.
    """
    level = {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(severity, "notice")
    props = [f"file={_escape(one_line(file), True)}"]
    if line:
        props += [f"line={line}", f"col={col}"]
    if title:
        props.append(f"title={_escape(one_line(title), True)}")
    return f"::{level} {','.join(props)}::{_escape(one_line(message, 4000))}\n"


def write_github(findings: list[Finding], out: IO[str], run: Run) -> None:
    for f in findings:
        message = f.message + (f" (fix: {f.hint})" if f.hint else "")
        write_trusted(
            out, annotation(f.severity, f.file, message, line=f.line, col=f.col, title=f.rule)
        )
    out.write(summary_line(Summary.of(findings), run.extra, len(run.suppressed)) + "\n")


def fingerprint(f: Finding) -> str:
    """What identifies a finding across commits: its rule, file, field and object, not its line
    (an edit above it moves it) nor its message (which quotes values that change)."""
    key = "\0".join((f.rule, f.file, f.path, f.subject or ("" if f.path else f.message)))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _sarif_rule(rule_id: str) -> dict[str, Any]:
    doc = rule_doc(rule_id)
    return {
        "id": rule_id,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.description},
        "help": {
            "text": f"{doc.description}\n\nFix: {doc.fix}.",
            "markdown": f"{doc.description}\n\n**Fix:** {doc.fix}. [Documentation]({doc.help_uri})",
        },
        "helpUri": doc.help_uri,
    }


def write_sarif(findings: list[Finding], out: IO[str], run: Run) -> None:
    rules = sorted({f.rule for f in findings} | {f.rule for f, _ in run.suppressed})
    index = {rule: i for i, rule in enumerate(rules)}
    results = []
    waived: list[tuple[Finding, str | None]] = sorted(run.suppressed)
    for f, why in [*((f, None) for f in findings), *waived]:
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": f.file}}}
        if f.line:
            location["physicalLocation"]["region"] = {
                "startLine": f.line,
                "startColumn": max(f.col, 1),
            }
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "partialFingerprints": {"modelserveFinding/v1": fingerprint(f)},
                "level": {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(
                    f.severity, "note"
                ),
                "message": {"text": f.message + (f" (fix: {f.hint})" if f.hint else "")},
                "locations": [location],
                **(
                    {"suppressions": [{"kind": "inSource", "justification": why}]}
                    if why is not None
                    else {}
                ),
            }
        )
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "modelserve",
                        "version": __version__,
                        "informationUri": REPOSITORY,
                        "rules": [_sarif_rule(r) for r in rules],
                    }
                },
                "results": results,
            }
        ],
    }
    emit_json(doc, out)


WRITERS: dict[str, Callable[[list[Finding], IO[str], Run], None]] = {
    "text": write_text,
    "json": write_json,
    "github": write_github,
    "sarif": write_sarif,
}


def resolve_format(name: str) -> str:
    if name == "auto":
        return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    return name


def report(
    findings: list[Finding],
    out: IO[str],
    fmt: str = "auto",
    extra: str = "",
    stats: dict[str, Any] | None = None,
    suppressed: Suppressed = (),
) -> None:
    """Write ``findings`` in ``fmt``; ``stats`` (numbers of the run) are fields in JSON, and
    ``suppressed`` findings are listed in JSON and SARIF with their justification."""
    # Findings are clean by construction (Finding.__post_init__: scrubbed, escaped, bounded).
    fmt = resolve_format(fmt)
    colour = fmt == "text" and out.isatty() and "NO_COLOR" not in os.environ
    WRITERS[fmt](sorted(findings), out, Run(extra, colour, stats, suppressed))
