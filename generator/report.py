"""Reporters: text (yamllint's parsable form), json, github annotations and SARIF.

All share one summary, computed once; the output stream is passed in.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import IO, Callable

from . import __version__
from .findings import Finding, Severity, Summary
from .secrets import scrub

FORMATS = ("auto", "text", "json", "github", "sarif")
_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}


def summary_line(summary: Summary, extra: str = "") -> str:
    text = f"{summary.errors} error(s), {summary.warnings} warning(s)"
    return text + (f"; {extra}" if extra else "")


def _location(f: Finding) -> str:
    return f"{f.file}:{f.line}:{f.col}" if f.line else f.file


def write_text(findings: list[Finding], out: IO[str], extra: str, colour: bool = False) -> None:
    for f in findings:
        level = str(f.severity)
        if colour:
            level = f"{_COLOURS[f.severity]}{level}\033[0m"
        line = f"{_location(f)}: {level} {f.rule} {f.message}"
        if f.hint:
            line += f" (fix: {f.hint})"
        out.write(line + "\n")
    out.write(summary_line(Summary.of(findings), extra) + "\n")


def write_json(findings: list[Finding], out: IO[str], extra: str, colour: bool = False) -> None:
    s = Summary.of(findings)
    json.dump({"findings": [f.to_dict() for f in findings],
               "summary": {"errors": s.errors, "warnings": s.warnings, "infos": s.infos, "note": extra}},
              out, indent=2)
    out.write("\n")


def _escape(text: str, prop: bool = False) -> str:
    # GitHub workflow-command escaping (actions/toolkit: escapeData / escapeProperty).
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def write_github(findings: list[Finding], out: IO[str], extra: str, colour: bool = False) -> None:
    for f in findings:
        level = {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(f.severity, "notice")
        props = [f"file={_escape(f.file, True)}"]
        if f.line:
            props += [f"line={f.line}", f"col={f.col}"]
        props.append(f"title={_escape(f.rule, True)}")
        message = f.message + (f" (fix: {f.hint})" if f.hint else "")
        out.write(f"::{level} {','.join(props)}::{_escape(message)}\n")
    out.write(summary_line(Summary.of(findings), extra) + "\n")


def write_sarif(findings: list[Finding], out: IO[str], extra: str, colour: bool = False) -> None:
    rules = sorted({f.rule for f in findings})
    results = []
    for f in findings:
        location: dict = {"physicalLocation": {"artifactLocation": {"uri": f.file}}}
        if f.line:
            location["physicalLocation"]["region"] = {"startLine": f.line, "startColumn": max(f.col, 1)}
        results.append({
            "ruleId": f.rule,
            "level": {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(f.severity, "note"),
            "message": {"text": f.message + (f" (fix: {f.hint})" if f.hint else "")},
            "locations": [location],
        })
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "modelserve", "version": __version__,
                                "informationUri": "https://github.com/modelserve/modelserve",
                                "rules": [{"id": r} for r in rules]}},
            "results": results,
        }],
    }
    json.dump(doc, out, indent=2)
    out.write("\n")


WRITERS: dict[str, Callable[[list[Finding], IO[str], str, bool], None]] = {
    "text": write_text, "json": write_json, "github": write_github, "sarif": write_sarif,
}


def resolve_format(name: str) -> str:
    if name == "auto":
        return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    return name


def report(findings: list[Finding], out: IO[str], fmt: str = "auto", extra: str = "") -> None:
    fmt = resolve_format(fmt)
    # Schema errors quote the offending value: never let a credential reach a log whole.
    findings = [replace(f, message=scrub(f.message), hint=scrub(f.hint), path=scrub(f.path), obj=scrub(f.obj))
                for f in findings]
    colour = fmt == "text" and out.isatty() and "NO_COLOR" not in os.environ
    WRITERS[fmt](sorted(findings), out, extra, colour)
