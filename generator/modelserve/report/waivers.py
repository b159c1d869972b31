"""The repository's say over findings: ``.modelserve.yaml`` and inline waivers.

As yamllint and kube-linter users expect: the configuration sets a rule's severity, disables
it, or excludes paths; a comment ``# modelserve: ignore[rule-id,...] reason`` waives those rules
on its line, or on the whole mapping or list item whose first line it is on. Nothing is dropped
silently: what the configuration or a waiver takes away is reported as suppressed (JSON,
SARIF), a waiver without a reason and a waiver that matches nothing are warnings, and the
configuration file is validated like every other input.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelserve.findings import Finding, Severity
from modelserve.load.yamlio import Document, YamlError, load_file

if TYPE_CHECKING:
    from modelserve.model import Catalog

CONFIG_FILE = ".modelserve.yaml"
SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}
MAX_CONFIG_BYTES = 256 * 1024

CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "modelserve configuration (.modelserve.yaml)",
    "description": "Severities, disabled rules, excluded paths and defaults for this repository.",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "rules": {
            "type": "object",
            "description": "Per rule id: its severity, or disable: true.",
            "propertyNames": {"pattern": "^[a-z][a-z0-9]*(-[a-z0-9]+)*$"},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "description": "One rule's settings.",
                "properties": {
                    "severity": {"enum": sorted(SEVERITIES), "description": "Its severity."},
                    "disable": {"type": "boolean", "description": "Suppress it everywhere."},
                },
            },
        },
        "exclude": {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "description": "e.g. catalog/models/x-*"},
            "description": "Path patterns (fnmatch, from the root) whose findings are suppressed.",
        },
        "warningsAsErrors": {
            "type": "boolean",
            "description": "Exit 1 on warnings too (as --warnings-as-errors).",
        },
    },
}


@dataclass(frozen=True)
class Config:
    severities: dict[str, Severity] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    exclude: tuple[str, ...] = ()
    warnings_as_errors: bool = False


@dataclass
class Outcome:
    """The findings to report, and the ones taken away with why."""

    findings: list[Finding]
    suppressed: list[tuple[Finding, str]]


def load_config(root: Path) -> tuple[Config, list[Finding]]:
    """The repository's configuration (defaults when there is none) and its own problems,
    explained as every input file's schema errors are (``validate.inputs``)."""
    from modelserve.validate.inputs import validate_document

    path = root / CONFIG_FILE
    if not path.is_file():
        return Config(), []
    if os.path.dirname(os.path.realpath(path)) != os.path.realpath(root):
        # a committed link to a file elsewhere (~/.kube/config) is not read, as the loader
        # refuses catalog links that leave the repository
        return Config(), [
            _problem(
                (1, 1),
                f"{CONFIG_FILE} is a link to a file outside the repository; not read",
                "replace the link with the file itself",
            )
        ]
    try:
        docs = load_file(path, max_bytes=MAX_CONFIG_BYTES)
    except YamlError as exc:
        return Config(), [
            Finding(CONFIG_FILE, exc.line, exc.col, exc.rule, Severity.ERROR, exc.message)
        ]
    doc = docs[0] if docs and docs[0].data is not None else Document({})
    problems = [replace(f, rule="config") for f in validate_document("config", CONFIG_FILE, doc)]
    if problems:
        return Config(), problems
    data = doc.data
    rules = data.get("rules") or {}
    known = _known_ids()
    for rule_id in rules:
        if rule_id not in known and not rule_id.startswith("yaml-"):
            close = difflib.get_close_matches(rule_id, sorted(known), n=1)
            problems.append(
                _problem(
                    doc.locate(("rules", rule_id)),
                    f"rules.{rule_id}: no rule has this id, so the setting changes nothing",
                    f"did you mean '{close[0]}'?" if close else "`modelserve rules` lists them",
                    Severity.WARNING,
                )
            )
    return (
        Config(
            severities={k: SEVERITIES[v["severity"]] for k, v in rules.items() if "severity" in v},
            disabled=frozenset(k for k, v in rules.items() if v.get("disable")),
            exclude=tuple(data.get("exclude") or ()),
            warnings_as_errors=bool(data.get("warningsAsErrors", False)),
        ),
        problems,
    )


def _problem(
    at: tuple[int, int], message: str, hint: str, severity: Severity = Severity.ERROR
) -> Finding:
    return Finding(CONFIG_FILE, at[0], at[1], "config", severity, message, hint=hint)


def _known_ids() -> set[str]:
    from modelserve.report.ruledocs import BUILTIN
    from modelserve.rules import RULES

    return {r.INFO.id for r in RULES} | set(BUILTIN)


@dataclass(frozen=True)
class Waiver:
    file: str
    line: int
    rules: frozenset[str]
    reason: str
    last_line: int  # the end of the mapping or item it stands on (its own line otherwise)


def catalog_waivers(catalog: Catalog) -> list[Waiver]:
    """The waivers of every loaded catalog and environment file."""
    sources = [
        *(r.source for r in catalog.runtimes.values()),
        *(m.source for m in catalog.models.values()),
        *(e.source for e in catalog.environments.values()),
    ]
    return [w for source in sources for w in waivers_of(source.file, source.doc)]


def repository_outcome(findings: list[Finding], catalog: Catalog, root: Path) -> Outcome:
    """What every command that loads the catalog reports: its inline waivers, then the
    repository's .modelserve.yaml (whose own problems are findings too)."""
    waived = apply_waivers(sorted(set(findings)), catalog_waivers(catalog))
    config, problems = load_config(root)
    return apply_config(Outcome(waived.findings + problems, waived.suppressed), config)


def waivers_of(file: str, doc: Document) -> list[Waiver]:
    """The waivers written in one document (read by the loader: ``Document.waivers``), each
    reaching to the end of the mapping or list item whose first line it is on."""
    if not doc.waivers:
        return []
    starts: dict[int, tuple[Any, ...]] = {}
    for key, (line, _) in doc.positions.items():
        if line not in starts or len(key) < len(starts[line]):
            starts[line] = key
    found = []
    for line, rules, reason in doc.waivers:
        anchor = starts.get(line)
        last = line
        if anchor is not None:
            size = len(anchor)
            last = max(pos[0] for k, pos in doc.positions.items() if k[:size] == anchor)
        ids = frozenset(r.strip() for r in rules.split(",") if r.strip())
        found.append(Waiver(file, line, ids, reason, max(line, last)))
    return found


def apply_waivers(findings: list[Finding], waivers: list[Waiver]) -> Outcome:
    """Findings a waiver covers are suppressed; waivers without reason or use are warnings."""
    kept: list[Finding] = []
    suppressed: list[tuple[Finding, str]] = []
    used: set[Waiver] = set()
    by_file: dict[str, list[Waiver]] = {}
    for waiver in waivers:
        by_file.setdefault(waiver.file, []).append(waiver)
    for finding in findings:
        covering = next(
            (
                w
                for w in by_file.get(finding.file, ())
                if finding.rule in w.rules and w.line <= finding.line <= w.last_line
            ),
            None,
        )
        if covering is None:
            kept.append(finding)
            continue
        used.add(covering)
        suppressed.append((finding, covering.reason or "waived without a reason"))
    for waiver in waivers:
        if not waiver.reason:
            kept.append(
                _waiver_finding(waiver, "waiver gives no reason", "say why after the brackets")
            )
        if waiver not in used:
            kept.append(
                _waiver_finding(
                    waiver,
                    f"waiver of {', '.join(sorted(waiver.rules)) or 'no rule'} matches no finding",
                    "remove it, or put it on the line (or the mapping) the finding is on",
                )
            )
    return Outcome(kept, suppressed)


def apply_config(outcome: Outcome, config: Config) -> Outcome:
    """Severities set; disabled rules and excluded paths suppressed, saying so."""
    kept: list[Finding] = []
    suppressed = list(outcome.suppressed)
    for finding in outcome.findings:
        if finding.rule in config.disabled:
            suppressed.append((finding, f"rule disabled in {CONFIG_FILE}"))
            continue
        pattern = next((p for p in config.exclude if fnmatch.fnmatch(finding.file, p)), None)
        if pattern is not None:
            suppressed.append((finding, f"excluded in {CONFIG_FILE} ({pattern})"))
            continue
        severity = config.severities.get(finding.rule)
        kept.append(finding if severity is None else replace(finding, severity=severity))
    return Outcome(kept, suppressed)


def _waiver_finding(waiver: Waiver, message: str, hint: str) -> Finding:
    return Finding(waiver.file, waiver.line, 1, "waiver", Severity.WARNING, message, hint=hint)
