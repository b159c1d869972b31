"""modelserve check: fail when the committed deploy/ differs from what generate writes now. Never writes."""

from __future__ import annotations

import argparse
import difflib
import sys

from ..generate import generate
from ..output import plan
from ..report import report
from . import common

MAX_DIFF_LINES = 400


def add_parser(sub: argparse._SubParsersAction, name: str) -> None:
    parser = sub.add_parser(name, help="check that deploy/ is up to date with the catalog (read-only)")
    common.add_root(parser)
    common.add_format(parser)
    parser.add_argument("--max-lines", type=int, default=MAX_DIFF_LINES, help="diff lines to print at most")
    parser.set_defaults(run=run)


def drift_diff(deploy, files: dict[str, str], written: list[str], removed: list[str]) -> list[str]:
    lines: list[str] = []
    for rel in written:
        old_path = deploy / rel
        old = old_path.read_text(encoding="utf-8", errors="replace").splitlines(True) if old_path.is_file() else []
        lines += difflib.unified_diff(old, files[rel].splitlines(True), f"a/deploy/{rel}", f"b/deploy/{rel}")
    for rel in removed:
        old = (deploy / rel).read_text(encoding="utf-8", errors="replace").splitlines(True)
        lines += difflib.unified_diff(old, [], f"a/deploy/{rel}", "/dev/null")
    return [line if line.endswith("\n") else line + "\n" for line in lines]


def run(args: argparse.Namespace) -> int:
    layout = common.layout_from(args)
    generated = generate(layout)
    if generated.tree is None:
        report(generated.findings, sys.stdout, args.format, "fix these before deploy/ can be checked")
        return 1
    result, _ = plan(layout.deploy, generated.tree.files)
    if not result.changed:
        print(f"deploy/ is up to date ({len(result.unchanged)} files)")
        return 0
    lines = drift_diff(layout.deploy, generated.tree.files, result.written, result.removed)
    sys.stdout.writelines(lines[: args.max_lines])
    if len(lines) > args.max_lines:
        print(f"... {len(lines) - args.max_lines} more diff lines not shown")
    print(f"deploy/ is out of date: {len(result.written)} file(s) to write, {len(result.removed)} to remove. "
          f"Fix: run `modelserve generate` and commit deploy/")
    return 1
