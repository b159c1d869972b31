"""modelserve diff: what a change does to each environment, for a pull-request comment.

The base side is a git ref (default: the merge base of HEAD with origin/main, main or master);
its catalog/ and environments/ are read from git's objects into a temporary folder
(``generator/modelserve/diff/git.py``; not ``git archive``). The head side is the working tree,
or ``--head REF``. Both are rendered in memory and compared
(``generator/modelserve/diff/compare.py``); nothing in the repository is written.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from modelserve.commands import common
from modelserve.diff.compare import (
    MARKDOWN_LIMIT,
    MIN_MARKDOWN_LIMIT,
    diff_catalogs,
    render_failure_markdown,
    render_markdown,
)
from modelserve.diff.git import (
    DEFAULT_BRANCHES,
    Revision,
    base_revision,
    generate_sides,
    head_revision,
    open_repo,
)
from modelserve.errors import EXIT_FINDINGS, EXIT_OK
from modelserve.generate import Generated
from modelserve.report.emit import emit_json


@dataclass(frozen=True)
class DiffOptions:
    root: Path
    base: str | None  # None: the merge base with a default branch
    head: str | None  # None: the working tree
    format: str
    max_chars: int


def add_parser(sub: common.Subparsers, name: str) -> None:
    parser = common.add_command(
        sub,
        name,
        "show per environment what a change does to the rendered objects",
        [
            "modelserve diff                       # against the merge base with main",
            "modelserve diff --base origin/main --format json",
            "modelserve diff --base HEAD~1 --head HEAD",
        ],
        exits="0 diff printed, 2 usage or a side that does not render",
    )
    common.add_root(parser)
    parser.add_argument(
        "--base",
        metavar="REF",
        help="git ref to compare with (default: the merge base of HEAD with "
        f"{', '.join(DEFAULT_BRANCHES[:-1])} or {DEFAULT_BRANCHES[-1]})",
    )
    parser.add_argument(
        "--head", metavar="REF", help="git ref of the new side (default: the working tree)"
    )
    parser.add_argument(
        "--format",
        choices=("markdown", "text", "github", "json"),
        default="markdown",
        help="markdown fits a pull-request comment (default; text and github are the same "
        "markdown); json is for tools",
    )
    parser.add_argument(
        "--max-chars",
        type=_max_chars,
        default=MARKDOWN_LIMIT,
        help=f"markdown length limit; what does not fit is counted (default {MARKDOWN_LIMIT})",
    )


def _max_chars(text: str) -> int:
    value = common.non_negative(text)
    if value < MIN_MARKDOWN_LIMIT:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_MARKDOWN_LIMIT}")
    return value


def from_args(args: argparse.Namespace) -> DiffOptions:
    return DiffOptions(
        root=Path(args.root),
        base=args.base,
        head=args.head,
        format=args.format,
        max_chars=args.max_chars,
    )


def run(options: DiffOptions) -> int:
    working = common.open_repository(options.root)
    git_repo = open_repo(working.root)
    base_side = base_revision(git_repo, options.base)
    head_side = head_revision(git_repo, options.head)
    base, head = generate_sides(git_repo, base_side, head_side, working)
    sides = {"base": _side(base_side), "head": _side(head_side)}
    broken = [
        (name, generated)
        for name, generated in (("base", base), ("head", head))
        if generated.tree is None
    ]
    if broken:
        return _render_failure(broken, sides, options.format, options.max_chars)
    diff = {**sides, **diff_catalogs(base, head)}
    if options.format == "json":
        emit_json(diff, sys.stdout)
    else:
        sys.stdout.write(render_markdown(diff, options.max_chars))
    return EXIT_OK


def _side(revision: Revision) -> dict[str, str]:
    return {"ref": revision.ref, "commit": revision.commit}


def _render_failure(
    broken: list[tuple[str, Generated]],
    sides: dict[str, dict[str, str]],
    fmt: str,
    limit: int = MARKDOWN_LIMIT,
) -> int:
    """A side that does not render, as JSON, or as markdown for the PR comment: every value in
    code spans the content cannot close, within the comment's size limit."""
    if fmt == "json":
        errors = {name: [f.to_dict() for f in generated.errors] for name, generated in broken}
        emit_json({**sides, "error": "a side does not render", "findings": errors}, sys.stdout)
        return EXIT_FINDINGS
    sys.stdout.write(
        render_failure_markdown(
            [(name, sides[name], generated.errors) for name, generated in broken], limit
        )
    )
    return EXIT_FINDINGS
