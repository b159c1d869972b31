"""modelserve check: fail when the committed deploy/ differs from what generate writes now.

Read-only unless ``--fix``: then deploy/ is regenerated in place and the exit code is still 1
when anything changed, as pre-commit expects from a hook that modifies files (stage, commit again).
The diff shows committed files, which a pull request may have edited by hand: like every output
it is scrubbed of credentials and escaped (``generator/console.py``).
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path
from typing import Any

from modelserve.commands import common
from modelserve.deploy.write import WriteResult, deploy_lock, plan, read_regular, write_tree
from modelserve.findings import Severity
from modelserve.generate import generate
from modelserve.report.console import write_trusted
from modelserve.report.emit import annotation, emit_json, findings_document, report, resolve_format

MAX_DIFF_LINES = 400
MAX_COMMITTED_BYTES = 8 * 1024 * 1024  # a committed file larger than this is not read
# difflib's matching is quadratic on crafted files (sorted lines: 49 s for a 1.7 MB file), so a
# file pair with more lines than this is summarised, and diffing stops once enough is shown.
MAX_DIFFED_LINES_PER_FILE = 5000


def add_parser(sub: argparse._SubParsersAction, name: str) -> None:
    parser = sub.add_parser(
        name, help="check that deploy/ is up to date with the catalog (read-only unless --fix)"
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
        help="regenerate deploy/ in place; exit 1 if that changed anything (commit it), 0 if up to date",
    )
    parser.set_defaults(run=run)


def _committed_lines(path: Path) -> list[str]:
    """The committed file's lines; a symlink is never followed (it could point anywhere), and
    only a regular file of at most MAX_COMMITTED_BYTES is read."""
    if path.is_symlink():
        return [f"(symbolic link to {os.readlink(path)}, not followed)\n"]
    if not os.path.lexists(path):
        return []
    data = read_regular(path, MAX_COMMITTED_BYTES)
    if data is None:
        return [f"(not a regular file of at most {MAX_COMMITTED_BYTES:,} bytes; not shown)\n"]
    return data.decode("utf-8", errors="replace").splitlines(True)


def drift_diff(
    deploy: Path,
    files: dict[str, str],
    written: list[str],
    removed: list[str],
    limit: int | None = None,
) -> list[str]:
    """Unified diff lines of the drift; with ``limit``, diffing stops once that many are made."""
    lines: list[str] = []
    for rel, new in [(r, files[r]) for r in written] + [(r, None) for r in removed]:
        if limit is not None and len(lines) >= limit:
            break
        old = _committed_lines(deploy / rel)
        after = new.splitlines(True) if new is not None else []
        if len(old) + len(after) > 2 * MAX_DIFFED_LINES_PER_FILE:
            lines += [
                f"--- a/deploy/{rel}\n",
                f"+++ {'b/deploy/' + rel if new is not None else '/dev/null'}\n",
                f"@@ {len(old)} lines committed, {len(after)} generated: too long to diff here; "
                "run `modelserve generate` and `git diff` @@\n",
            ]
            continue
        lines += difflib.unified_diff(
            old, after, f"a/deploy/{rel}", f"b/deploy/{rel}" if new is not None else "/dev/null"
        )
    return [line if line.endswith("\n") else line + "\n" for line in lines]


def run(args: argparse.Namespace) -> int:
    layout = common.layout_from(args)
    fmt = resolve_format(args.format)
    generated = generate(layout)
    if generated.tree is None:
        report(generated.findings, sys.stdout, fmt, "fix these before deploy/ can be checked")
        return 1
    if args.fix:
        return fix(layout.deploy, generated.tree.files, args.max_lines, fmt)
    with deploy_lock(layout.deploy, exclusive=False):  # never read a tree a writer is swapping
        result, _ = plan(layout.deploy, generated.tree.files)
        lines = (
            drift_diff(
                layout.deploy,
                generated.tree.files,
                result.written,
                result.removed,
                args.max_lines + 1,
            )
            if result.changed
            else []
        )
    status = "out-of-date" if result.changed else "up-to-date"
    if fmt == "json":
        emit_json(
            {
                "status": status,
                "write": result.written,
                "remove": result.removed,
                "diff": "".join(lines[: args.max_lines]),
                "diff_truncated": len(lines) > args.max_lines,
                **findings_document(generated.findings),
            },
            sys.stdout,
        )
        return 1 if result.changed else 0
    if not result.changed:
        print(f"deploy/ is up to date ({len(result.unchanged)} files)")
        return 0
    sys.stdout.writelines(lines[: args.max_lines])
    if len(lines) > args.max_lines:
        print(f"... more diff lines not shown (--max-lines {args.max_lines})")
    summary = (
        f"deploy/ is out of date: {len(result.written)} file(s) to write, {len(result.removed)} to remove. "
        "Fix: run `modelserve generate` (or `modelserve check --fix`) and commit deploy/"
    )
    print(summary)
    if fmt == "github":
        first = (result.written + result.removed)[0]
        write_trusted(
            sys.stdout, annotation(Severity.ERROR, f"deploy/{first}", summary, title="check")
        )
    return 1


def fix(deploy: Path, files: Any, max_lines: int = MAX_DIFF_LINES, fmt: str = "text") -> int:
    existed = {rel for rel in files if (deploy / rel).is_file()}
    result = write_tree(deploy, dict(files.items()))
    common.report_kept(result.foreign)
    lines = changed_files(result, existed)
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
        return 1 if result.changed else 0
    if not result.changed:
        print(f"deploy/ is up to date ({len(result.unchanged)} files)")
        return 0
    sys.stdout.writelines(line + "\n" for line in lines[:max_lines])
    if len(lines) > max_lines:
        print(f"... {len(lines) - max_lines} more files not shown")
    print(
        f"deploy/ regenerated: {len(result.written)} file(s) written, {len(result.removed)} removed; "
        f"review and commit them (git add {deploy.name}/)"
    )
    return 1


def changed_files(result: WriteResult, existed: set[str]) -> list[str]:
    """``git status --short``-like lines: A added, M modified, D deleted."""
    lines = [f"{'M' if rel in existed else 'A'} deploy/{rel}" for rel in result.written]
    return lines + [f"D deploy/{rel}" for rel in result.removed]
