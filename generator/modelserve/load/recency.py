"""Which of two catalog files a user edited last: where a conflict between them is reported.

A duplicate name or an image the allow-list no longer admits involves two files; the finding
belongs on the one the pull request changed, not on the untouched original. A file changed in
the working tree or untracked is newest; else the one whose last commit is later; without git
(or on a tie) nothing is decided and the caller keeps its default (the file that sorts later).

Git runs with the repository's fsmonitor and hooks switched off: the checkout may be a pull
request's, and nothing in it may run a command.
"""

from __future__ import annotations

import subprocess
from functools import cached_property
from pathlib import Path

_SAFE = ("-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null")
_NOW = float("inf")


class Recency:
    def __init__(self, root: Path):
        self.root = root
        self._times: dict[str, float | None] = {}

    def _git(self, *argv: str) -> str | None:
        try:
            proc = subprocess.run(
                ["git", *_SAFE, "-C", str(self.root), *argv],
                capture_output=True,
                check=False,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.stdout.decode("utf-8", "surrogateescape") if proc.returncode == 0 else None

    @cached_property
    def _changed(self) -> set[str] | None:
        out = self._git("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
        if out is None:
            return None
        entries = [e for e in out.split("\0") if e]
        return {e[3:] for e in entries if len(e) > 3}

    def edited_at(self, rel: str) -> float | None:
        """When ``rel`` (relative to the repository) was last changed: now if uncommitted, else
        its last commit's time; None without git."""
        if rel not in self._times:
            changed = self._changed
            if changed is None:
                self._times[rel] = None
            elif rel in changed:
                self._times[rel] = _NOW
            else:
                out = self._git("log", "-1", "--format=%ct", "--", rel)
                self._times[rel] = float(out.strip()) if out and out.strip() else None
        return self._times[rel]

    def newer(self, first: str, second: str) -> str | None:
        """The one of two files edited later, or None when that cannot be told."""
        a, b = self.edited_at(first), self.edited_at(second)
        if a is None or b is None or a == b:
            return None
        return first if a > b else second
