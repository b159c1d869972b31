"""modelserve diff: what a change does to each environment, for a pull-request comment.

The base side is a git ref (default: the merge base of HEAD with origin/main, main or master);
its catalog/ and environments/ are exported with ``git archive`` into a temporary folder. The
head side is the working tree, or ``--head REF``. Both are rendered in memory; nothing in the
repository is written.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
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
from modelserve.errors import ConfigError, FatalError
from modelserve.generate import Generated, generate
from modelserve.load.repository import KINDS, Layout
from modelserve.load.yamlio import MAX_FILE_BYTES
from modelserve.report.emit import emit_json

DEFAULT_BRANCHES = ("origin/main", "main", "master")
EXPORTED = sorted({parts[0] for parts in KINDS.values()})  # catalog, environments


def add_parser(sub: argparse._SubParsersAction, name: str) -> None:
    parser = sub.add_parser(
        name, help="show per environment what a change does to the rendered objects"
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
    parser.set_defaults(run=run)


def _max_chars(text: str) -> int:
    value = common.non_negative(text)
    if value < MIN_MARKDOWN_LIMIT:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_MARKDOWN_LIMIT}")
    return value


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
    proc = subprocess.run(
        ["git", "-c", "core.quotePath=false", "-C", str(where), *argv],
        capture_output=True,
        check=False,
    )
    if not binary:
        proc.stdout = proc.stdout.decode("utf-8", "surrogateescape")
        proc.stderr = proc.stderr.decode("utf-8", "surrogateescape")
    return proc


def open_repo(root: Path) -> Repo:
    proc = _git(root, "rev-parse", "--show-toplevel", "--show-prefix")
    if proc.returncode != 0:
        raise ConfigError(
            f"{root} is not inside a git repository: `modelserve diff` compares with a git ref "
            f"({proc.stderr.strip()})"
        )
    top, prefix = (proc.stdout.splitlines() + [""])[:2]
    return Repo(Path(top), prefix)


def resolve(repo: Repo, ref: str, option: str) -> str:
    proc = repo.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if proc.returncode != 0:
        raise ConfigError(
            f"{option} {ref}: no such commit in {repo.top} "
            "(fetch it first, e.g. `git fetch origin main`, or name a branch, tag or sha)"
        )
    return proc.stdout.strip()


def default_base(repo: Repo) -> tuple[str, str]:
    for branch in DEFAULT_BRANCHES:
        if repo.git("rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}").returncode == 0:
            proc = repo.git("merge-base", "HEAD", branch)
            if proc.returncode == 0:
                return f"merge base with {branch}", proc.stdout.strip()
    raise ConfigError(
        f"no --base given and HEAD has no merge base with {', '.join(DEFAULT_BRANCHES)}: "
        "pass --base REF"
    )


MAX_EXPORTED_FILES = 20_000


def export(repo: Repo, commit: str, dest: Path) -> Layout:
    """The catalog and environments of ``commit``, written under ``dest`` from git's own objects.

    Not ``git archive``: it obeys the commit's ``.gitattributes`` (``export-ignore`` would let a
    pull request hide files from the diff, ``export-subst`` change them) and yields a tar to
    extract. Blobs are read with ``git cat-file --batch``; a blob over the loader's size limit is
    written as a sparse file of its size, which the loader refuses unread (``yaml-too-large``);
    a symlink stays a symlink, which the loader refuses when it leads out of ``dest``.
    """
    wanted = [repo.prefix + name for name in EXPORTED]
    listed = repo.git("ls-tree", "-r", "-z", "-l", "--end-of-options", commit, "--", *wanted)
    if listed.returncode != 0:
        raise FatalError(f"git ls-tree {commit[:10]} failed: {listed.stderr.strip()}")
    entries = []
    for record in filter(None, listed.stdout.split("\0")):
        meta, _, path = record.partition("\t")
        mode, kind, oid, size = meta.split()
        if kind == "blob" and mode in ("100644", "100755", "120000") and _safe_tree_path(path):
            entries.append((mode, oid, int(size), path))
    if len(entries) > MAX_EXPORTED_FILES:
        raise FatalError(
            f"{commit[:10]} holds {len(entries)} files under catalog/ and environments/, "
            f"over {MAX_EXPORTED_FILES}"
        )
    dest.mkdir(parents=True, exist_ok=True)
    small = [e for e in entries if e[2] <= MAX_FILE_BYTES]
    contents = _blobs(repo, [oid for _, oid, _, _ in small])
    for mode, oid, size, path in entries:
        target = dest / path
        _make_parents(dest, target)
        if size > MAX_FILE_BYTES:
            with open(target, "wb") as handle:
                handle.truncate(size)  # sparse: the loader reads the size, never the bytes
        elif mode == "120000":
            os.symlink(os.fsdecode(contents[oid]), target)
        else:
            target.write_bytes(contents[oid])
    return Layout(dest / repo.prefix)


def _safe_tree_path(path: str) -> bool:
    parts = path.split("/")
    return (
        not path.startswith("/")
        and all(part not in ("", ".", "..") for part in parts)
        and "\0" not in path
    )


def _make_parents(dest: Path, target: Path) -> None:
    """Create ``target``'s folders; never through a link (nothing is written outside ``dest``)."""
    folder = dest
    for part in target.relative_to(dest).parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            raise FatalError(f"refusing to write {target}: {folder} is a link")
        folder.mkdir(exist_ok=True)


def _blobs(repo: Repo, oids: list[str]) -> dict[str, bytes]:
    """The contents of ``oids``, read through one ``git cat-file --batch``."""
    if not oids:
        return {}
    proc = subprocess.Popen(
        ["git", "-C", str(repo.top), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    found: dict[str, bytes] = {}
    try:
        for oid in dict.fromkeys(oids):
            proc.stdin.write(oid.encode() + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise FatalError(f"git cat-file could not read object {oid[:10]}")
            found[oid] = proc.stdout.read(int(header[2]))
            proc.stdout.read(1)  # the newline after each object
    finally:
        proc.stdin.close()
        proc.wait()
        proc.stdout.close()
    return found


def run(args: argparse.Namespace) -> int:
    layout = common.layout_from(args)
    repo = open_repo(layout.root)
    base_label, base_commit = (
        (args.base, resolve(repo, args.base, "--base")) if args.base else default_base(repo)
    )
    head_commit = resolve(repo, args.head, "--head") if args.head else ""
    with tempfile.TemporaryDirectory(prefix="modelserve-diff-") as tmp:
        base = generate(export(repo, base_commit, Path(tmp, "base")))
        head = generate(export(repo, head_commit, Path(tmp, "head")) if head_commit else layout)
    sides = {
        "base": {"ref": base_label, "commit": base_commit},
        "head": {"ref": args.head or "working tree", "commit": head_commit},
    }
    broken = [
        (name, generated)
        for name, generated in (("base", base), ("head", head))
        if generated.tree is None
    ]
    if broken:
        return _render_failure(broken, sides, args.format, args.max_chars)
    diff = {**sides, **diff_catalogs(base, head)}
    if args.format == "json":
        emit_json(diff, sys.stdout)
    else:
        sys.stdout.write(render_markdown(diff, args.max_chars))
    return 0


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
        return 1
    sys.stdout.write(
        render_failure_markdown(
            [(name, sides[name], generated.errors) for name, generated in broken], limit
        )
    )
    return 1
