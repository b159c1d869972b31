"""The two sides of ``modelserve diff``, read from git: refs resolved, revisions exported.

The base side is a git ref (default: the merge base of HEAD with origin/main, main or master);
its catalog/ and environments/ are read from git's own objects (``ls-tree``, ``cat-file
--batch``), not ``git archive``, into a scratch folder (``modelserve-diff-*`` in the temp folder,
removed when the render ends). The head side is the working tree, or a ref exported the same
way. Both are rendered in memory; nothing in the repository is written.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from modelserve.errors import ConfigError, FatalError
from modelserve.generate import Generated, generate
from modelserve.load.repository import KINDS, Repository
from modelserve.load.yamlio import MAX_FILE_BYTES

DEFAULT_BRANCHES = ("origin/main", "main", "master")
EXPORTED = sorted({parts[0] for parts in KINDS.values()})  # catalog, environments
MAX_EXPORTED_FILES = 20_000
WORKING_TREE = "working tree"  # the label of a head side that is not a commit


@dataclass(frozen=True)
class GitRepo:
    """The git repository holding the ``--root`` folder."""

    top: Path
    prefix: str  # the --root folder inside the repository, "" or ending in "/"

    def git(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return git(self.top, *argv)


@dataclass(frozen=True)
class Revision:
    """One side of a diff: how it was named, and its commit ("" for the working tree)."""

    ref: str
    commit: str


def git(where: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """git with paths printed as they are (core.quotePath off: a folder named ``équipe`` is not
    written ``"\\303\\251quipe"``), decoded as UTF-8 whatever the locale; undecodable bytes are
    kept as surrogate escapes, like os.fsdecode."""
    proc = subprocess.run(
        ["git", "-c", "core.quotePath=false", "-C", str(where), *argv],
        capture_output=True,
        check=False,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "surrogateescape"),
        proc.stderr.decode("utf-8", "surrogateescape"),
    )


def open_repo(root: Path) -> GitRepo:
    proc = git(root, "rev-parse", "--show-toplevel", "--show-prefix")
    if proc.returncode != 0:
        raise ConfigError(
            f"{root} is not inside a git repository: `modelserve diff` compares with a git ref "
            f"({proc.stderr.strip()})"
        )
    top, prefix = (proc.stdout.splitlines() + [""])[:2]
    return GitRepo(Path(top), prefix)


def resolve(repo: GitRepo, ref: str, option: str) -> str:
    """The commit ``ref`` names; ``option`` (``--base``, ``--head``) is named when there is none."""
    proc = repo.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if proc.returncode != 0:
        raise ConfigError(
            f"{option} {ref}: no such commit in {repo.top} "
            "(fetch it first, e.g. `git fetch origin main`, or name a branch, tag or sha)"
        )
    return proc.stdout.strip()


def default_base(repo: GitRepo) -> tuple[str, str]:
    """The merge base of HEAD with the first of DEFAULT_BRANCHES that has one: (label, commit)."""
    for branch in DEFAULT_BRANCHES:
        if repo.git("rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}").returncode == 0:
            proc = repo.git("merge-base", "HEAD", branch)
            if proc.returncode == 0:
                return f"merge base with {branch}", proc.stdout.strip()
    raise ConfigError(
        f"no --base given and HEAD has no merge base with {', '.join(DEFAULT_BRANCHES)}: "
        "pass --base REF"
    )


def base_revision(repo: GitRepo, ref: str | None) -> Revision:
    """The base side: ``ref`` (``--base``), or the default merge base when it is None or ""."""
    if ref:
        return Revision(ref, resolve(repo, ref, "--base"))
    return Revision(*default_base(repo))


def head_revision(repo: GitRepo, ref: str | None) -> Revision:
    """The head side: ``ref`` (``--head``), or the working tree when it is None or ""."""
    if ref:
        return Revision(ref, resolve(repo, ref, "--head"))
    return Revision(WORKING_TREE, "")


def generate_sides(
    repo: GitRepo, base: Revision, head: Revision, working: Repository
) -> tuple[Generated, Generated]:
    """Both sides generated in memory: a commit exported into one scratch folder that is removed
    before this returns, the working tree (``head.commit`` empty) read where it is."""
    with tempfile.TemporaryDirectory(prefix="modelserve-diff-") as tmp:
        before = generate(export(repo, base.commit, Path(tmp, "base")))
        after = generate(export(repo, head.commit, Path(tmp, "head")) if head.commit else working)
    return before, after


def export(repo: GitRepo, commit: str, dest: Path) -> Repository:
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
        mode, kind, oid, length = meta.split()
        if kind == "blob" and mode in ("100644", "100755", "120000") and _safe_tree_path(path):
            entries.append((mode, oid, int(length), path))
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
    return Repository(dest / repo.prefix)


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


def _blobs(repo: GitRepo, oids: list[str]) -> dict[str, bytes]:
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
