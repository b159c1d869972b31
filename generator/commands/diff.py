"""modelserve diff: what a change does to each environment, for a pull-request comment.

The base side is a git ref (default: the merge base of HEAD with origin/main, main or master);
its catalog/ and environments/ are exported with ``git archive`` into a temporary folder. The
head side is the working tree, or ``--head REF``. Both are rendered in memory; nothing in the
repository is written.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..diff import MARKDOWN_LIMIT, diff_catalogs, render_markdown
from ..errors import ConfigError, FatalError
from ..generate import Generated, generate
from ..loader import KINDS, Layout
from ..report import emit_json, report
from . import common

DEFAULT_BRANCHES = ("origin/main", "main", "master")
EXPORTED = sorted({parts[0] for parts in KINDS.values()})  # catalog, environments


def add_parser(sub: argparse._SubParsersAction, name: str) -> None:
    parser = sub.add_parser(name, help="show per environment what a change does to the rendered objects")
    common.add_root(parser)
    parser.add_argument("--base", metavar="REF",
                        help="git ref to compare with (default: the merge base of HEAD with "
                             f"{', '.join(DEFAULT_BRANCHES[:-1])} or {DEFAULT_BRANCHES[-1]})")
    parser.add_argument("--head", metavar="REF", help="git ref of the new side (default: the working tree)")
    parser.add_argument("--format", choices=("markdown", "text", "github", "json"), default="markdown",
                        help="markdown fits a pull-request comment (default; text and github are the same "
                             "markdown); json is for tools")
    parser.add_argument("--max-chars", type=common.positive, default=MARKDOWN_LIMIT,
                        help=f"markdown length limit; what does not fit is counted (default {MARKDOWN_LIMIT})")
    parser.set_defaults(run=run)


@dataclass(frozen=True)
class Repo:
    top: Path
    prefix: str  # the --root folder inside the repository, "" or ending in "/"

    def git(self, *argv: str, binary: bool = False) -> subprocess.CompletedProcess:
        return _git(self.top, *argv, binary=binary)


def _git(where: Path, *argv: str, binary: bool = False) -> subprocess.CompletedProcess:
    """git with paths printed as they are (core.quotePath off: a folder named ``équipe`` is not
    written ``"\303\251quipe"``), decoded as UTF-8 whatever the locale; undecodable bytes are
    kept as surrogate escapes, like os.fsdecode."""
    proc = subprocess.run(["git", "-c", "core.quotePath=false", "-C", str(where), *argv],
                          capture_output=True, check=False)
    if not binary:
        proc.stdout = proc.stdout.decode("utf-8", "surrogateescape")
        proc.stderr = proc.stderr.decode("utf-8", "surrogateescape")
    return proc


def open_repo(root: Path) -> Repo:
    proc = _git(root, "rev-parse", "--show-toplevel", "--show-prefix")
    if proc.returncode != 0:
        raise ConfigError(f"{root} is not inside a git repository: `modelserve diff` compares with a git ref "
                          f"({proc.stderr.strip()})")
    top, prefix = (proc.stdout.splitlines() + [""])[:2]
    return Repo(Path(top), prefix)


def resolve(repo: Repo, ref: str, option: str) -> str:
    proc = repo.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if proc.returncode != 0:
        raise ConfigError(f"{option} {ref}: no such commit in {repo.top} "
                          "(fetch it first, e.g. `git fetch origin main`, or name a branch, tag or sha)")
    return proc.stdout.strip()


def default_base(repo: Repo) -> tuple[str, str]:
    for branch in DEFAULT_BRANCHES:
        if repo.git("rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}").returncode == 0:
            proc = repo.git("merge-base", "HEAD", branch)
            if proc.returncode == 0:
                return f"merge base with {branch}", proc.stdout.strip()
    raise ConfigError(f"no --base given and HEAD has no merge base with {', '.join(DEFAULT_BRANCHES)}: "
                      "pass --base REF")


def export(repo: Repo, commit: str, dest: Path) -> Layout:
    """The catalog and environments of ``commit``, extracted under ``dest``."""
    wanted = [repo.prefix + name for name in EXPORTED]
    listed = repo.git("ls-tree", "-z", "--name-only", commit, "--", *wanted)
    present = [p for p in listed.stdout.split("\0") if p in wanted]
    if present:
        archive = repo.git("archive", "--format=tar", commit, "--", *present, binary=True)
        if archive.returncode != 0:
            raise FatalError(f"git archive {commit[:10]} failed: {archive.stderr.decode(errors='replace').strip()}")
        try:
            with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
                tar.extractall(dest, filter="data")
        except tarfile.TarError as exc:
            raise FatalError(f"cannot extract the catalog of {commit[:10]}: {exc}") from None
    return Layout(dest / repo.prefix)


def run(args: argparse.Namespace) -> int:
    layout = common.layout_from(args)
    repo = open_repo(layout.root)
    base_label, base_commit = (args.base, resolve(repo, args.base, "--base")) if args.base else default_base(repo)
    head_commit = resolve(repo, args.head, "--head") if args.head else ""
    with tempfile.TemporaryDirectory(prefix="modelserve-diff-") as tmp:
        base = generate(export(repo, base_commit, Path(tmp, "base")))
        head = generate(export(repo, head_commit, Path(tmp, "head")) if head_commit else layout)
    sides = {"base": {"ref": base_label, "commit": base_commit},
             "head": {"ref": args.head or "working tree", "commit": head_commit}}
    broken = [(name, generated) for name, generated in (("base", base), ("head", head)) if generated.tree is None]
    if broken:
        return _render_failure(broken, sides, args.format)
    diff = {**sides, **diff_catalogs(base, head)}
    if args.format == "json":
        emit_json(diff, sys.stdout)
    else:
        sys.stdout.write(render_markdown(diff, args.max_chars))
    return 0


def _render_failure(broken: list[tuple[str, Generated]], sides: dict[str, dict[str, str]], fmt: str) -> int:
    if fmt == "json":
        errors = {name: [f.to_dict() for f in generated.errors] for name, generated in broken}
        emit_json({**sides, "error": "a side does not render", "findings": errors}, sys.stdout)
        return 1
    for name, generated in broken:
        side = sides[name]
        where = f"{side['ref']}, {side['commit'][:10]}" if side["commit"] else side["ref"]
        print(f"modelserve diff: the {name} side ({where}) does not render; fix these first:")
        report(generated.errors, sys.stdout, "text")
    return 1
