"""Drift: how the committed deploy/ differs from what generate writes now, and its repair.

``check`` (read-only) plans the write without making it and diffs the committed files with the
generated ones; ``check --fix`` writes the tree (``deploy.write.write_tree``) and lists what it
changed. The committed files are the pull request's: a symlink is never followed, and only a
regular file within MAX_COMMITTED_BYTES is read (``deploy.write.read_regular``). The diff text is
bounded: diffing stops once enough lines are made, and a file pair too long for difflib's
quadratic matching is summarised. Printing it (scrubbed and escaped like every output,
``generator/modelserve/report/console.py``) is the command's job.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from modelserve.deploy.write import WriteResult, deploy_lock, plan, read_regular, write_tree

MAX_DIFF_LINES = 400
MAX_COMMITTED_BYTES = 8 * 1024 * 1024  # a committed file larger than this is not read
# difflib's matching is quadratic on crafted files (sorted lines: 49 s for a 1.7 MB file), so a
# file pair with more lines than this is summarised, and diffing stops once enough is shown.
MAX_DIFFED_LINES_PER_FILE = 5000


@dataclass(frozen=True)
class Drift:
    """What a write of the generated files would do, and the diff lines it would make."""

    result: WriteResult
    lines: list[str]  # at most ``max_lines`` + 1, so that a cut can be told
    max_lines: int

    @property
    def changed(self) -> bool:
        return self.result.changed

    @property
    def shown(self) -> list[str]:
        """The diff lines to print: at most ``max_lines``."""
        return self.lines[: self.max_lines]

    @property
    def truncated(self) -> bool:
        """Whether there are more diff lines than ``shown``."""
        return len(self.lines) > self.max_lines


@dataclass(frozen=True)
class Regenerated:
    """What ``check --fix`` wrote: the write's result and ``git status --short``-like lines."""

    result: WriteResult
    changes: list[str]


def committed_lines(path: Path) -> list[str]:
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
    files: Mapping[str, str],
    written: list[str],
    removed: list[str],
    limit: int | None = None,
) -> list[str]:
    """Unified diff lines of the drift; with ``limit``, diffing stops once that many are made."""
    lines: list[str] = []
    pairs: list[tuple[str, str | None]] = [(r, files[r]) for r in written]
    for rel, new in pairs + [(r, None) for r in removed]:
        if limit is not None and len(lines) >= limit:
            break
        old = committed_lines(deploy / rel)
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


def drift(deploy: Path, files: Mapping[str, str], max_lines: int = MAX_DIFF_LINES) -> Drift:
    """The drift of ``deploy`` from ``files``, read under the shared lock (never a tree a writer
    is swapping); nothing is written. Diffing stops after ``max_lines`` + 1 lines."""
    with deploy_lock(deploy, exclusive=False):
        texts = dict(files.items())  # renders every file's YAML text
        result, _ = plan(deploy, texts)
        lines = (
            drift_diff(deploy, texts, result.written, result.removed, max_lines + 1)
            if result.changed
            else []
        )
    return Drift(result, lines, max_lines)


def regenerate(deploy: Path, files: Mapping[str, str]) -> Regenerated:
    """Write ``files`` as the new ``deploy`` (atomically, under the lock) and list the changes."""
    existed = {rel for rel in files if (deploy / rel).is_file()}
    result = write_tree(deploy, dict(files.items()))
    return Regenerated(result, changed_files(result, existed))


def changed_files(result: WriteResult, existed: set[str]) -> list[str]:
    """``git status --short``-like lines: A added, M modified, D deleted."""
    lines = [f"{'M' if rel in existed else 'A'} deploy/{rel}" for rel in result.written]
    return lines + [f"D deploy/{rel}" for rel in result.removed]
