"""modelserve check: fail when the committed deploy/ differs from what generate writes now.

Read-only unless ``--fix``: then deploy/ is regenerated in place and the exit code is still 1
when anything changed, as pre-commit expects from a hook that modifies files (stage, commit again).
The drift and its bounded diff are computed by ``generator/modelserve/deploy/drift.py``. The
diff shows committed files, which a pull request may have edited by hand: like every output it
is scrubbed of credentials and escaped (``generator/modelserve/report/console.py``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from modelserve.commands import common
from modelserve.deploy.drift import MAX_DIFF_LINES, drift, regenerate
from modelserve.deploy.references import unreferenced_findings
from modelserve.errors import EXIT_FINDINGS, EXIT_OK
from modelserve.findings import Finding, Severity
from modelserve.generate import generate
from modelserve.report.console import write_trusted
from modelserve.report.display import one_line
from modelserve.report.emit import annotation, emit_json, findings_document, report, resolve_format
from modelserve.report.waivers import Outcome, apply_config, load_config

DRIFT_RULE = "deploy-drift"


@dataclass(frozen=True)
class CheckOptions:
    root: Path
    format: str
    max_lines: int
    fix: bool


def add_parser(sub: common.Subparsers, name: str) -> None:
    parser = common.add_command(
        sub,
        name,
        "check that deploy/ is up to date with the catalog (read-only unless --fix)",
        [
            "modelserve check",
            "modelserve check --fix   # regenerate, exit 1 if that changed anything",
            "modelserve check --format json",
        ],
        exits="0 deploy/ up to date, 1 out of date (or --fix changed it), 2 usage",
    )
    common.add_root(parser)
    common.add_format(parser)
    parser.add_argument(
        "--max-lines",
        type=common.non_negative,
        default=MAX_DIFF_LINES,
        help="diff lines to print at most",
    )
    parser.add_argument(
        "--fix",
        action="store_true",
        help="regenerate deploy/ in place; exit 1 if that changed anything (commit it), "
        "0 if up to date",
    )


def from_args(args: argparse.Namespace) -> CheckOptions:
    return CheckOptions(
        root=Path(args.root), format=args.format, max_lines=args.max_lines, fix=args.fix
    )


def run(options: CheckOptions) -> int:
    repo = common.open_repository(options.root)
    fmt = resolve_format(options.format)
    generated = generate(repo, schema_dirs=common.schema_dirs((), repo.root))
    if generated.tree is None:
        report(
            generated.findings,
            sys.stdout,
            fmt,
            "fix these before deploy/ can be checked",
            suppressed=generated.suppressed,
        )
        return EXIT_FINDINGS
    if options.fix:
        return fix(repo.deploy, generated.tree.files, options.max_lines, fmt)
    found = drift(repo.deploy, generated.tree.files, options.max_lines)
    result = found.result
    status = "out-of-date" if found.changed else "up-to-date"
    # A warning unless .modelserve.yaml says otherwise: it does not make deploy/ out of date.
    dead = apply_config(Outcome(unreferenced_findings(repo.deploy), []), load_config(repo.root)[0])
    suppressed = generated.suppressed + dead.suppressed
    failed = found.changed or any(f.severity is Severity.ERROR for f in dead.findings)
    if fmt not in ("json", "sarif"):
        for finding in dead.findings:
            sys.stderr.write(f"modelserve: {finding.severity}: {one_line(finding.message)}\n")
    if fmt == "json":
        emit_json(
            {
                "status": status,
                "write": result.written,
                "remove": result.removed,
                "diff": "".join(found.shown),
                "diff_truncated": found.truncated,
                "unreferenced": [f.file for f in dead.findings],
                **findings_document(generated.findings + dead.findings, suppressed=suppressed),
            },
            sys.stdout,
        )
        return EXIT_FINDINGS if failed else EXIT_OK
    if fmt == "sarif":  # each file to write or remove is a result, with the catalog's findings
        drifted = [
            Finding(
                f"deploy/{rel}",
                1,
                1,
                DRIFT_RULE,
                Severity.ERROR,
                f"deploy/{rel} is out of date with the catalog ({what})",
                hint="run `modelserve generate` (or `modelserve check --fix`) and commit deploy/",
            )
            for what, rels in (("to write", result.written), ("to remove", result.removed))
            for rel in rels
        ]
        found_all = drifted + generated.findings + dead.findings
        report(found_all, sys.stdout, fmt, status, suppressed=suppressed)
        return EXIT_FINDINGS if failed else EXIT_OK
    if not found.changed:
        print(f"deploy/ is up to date ({len(result.unchanged)} files)")
        return EXIT_FINDINGS if failed else EXIT_OK
    sys.stdout.writelines(found.shown)
    if found.truncated:
        print(f"... more diff lines not shown (--max-lines {options.max_lines})")
    summary = (
        f"deploy/ is out of date: {len(result.written)} file(s) to write, "
        f"{len(result.removed)} to remove. "
        "Fix: run `modelserve generate` (or `modelserve check --fix`) and commit deploy/"
    )
    print(summary)
    if fmt == "github":
        first = (result.written + result.removed)[0]
        write_trusted(
            sys.stdout, annotation(Severity.ERROR, f"deploy/{first}", summary, title="check")
        )
    return EXIT_FINDINGS


def fix(
    deploy: Path, files: Mapping[str, str], max_lines: int = MAX_DIFF_LINES, fmt: str = "text"
) -> int:
    """``check --fix``: regenerate ``deploy`` and say what changed (exit 1 if anything did)."""
    regenerated = regenerate(deploy, files)
    result = regenerated.result
    common.report_kept(result.foreign)
    lines = regenerated.changes
    if fmt == "json":
        emit_json(
            {
                "status": "regenerated" if result.changed else "up-to-date",
                "write": result.written,
                "remove": result.removed,
                "kept": result.foreign,
            },
            sys.stdout,
        )
        return EXIT_FINDINGS if result.changed else EXIT_OK
    if not result.changed:
        print(f"deploy/ is up to date ({len(result.unchanged)} files)")
        return EXIT_OK
    sys.stdout.writelines(line + "\n" for line in lines[:max_lines])
    if len(lines) > max_lines:
        print(f"... {len(lines) - max_lines} more files not shown")
    print(
        f"deploy/ regenerated: {len(result.written)} file(s) written, "
        f"{len(result.removed)} removed; review and commit them (git add {deploy.name}/)"
    )
    return EXIT_FINDINGS
