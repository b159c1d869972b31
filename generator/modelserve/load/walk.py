"""Walking a folder a pull request filled: iteratively, links not followed, depth bounded.

``os.walk`` and ``Path.rglob`` recurse in Python 3.11, so a committed tree 1,200 folders deep
ends a run with a RecursionError (exit 3). This walk keeps its own stack and stops at
``MAX_DEPTH`` folders below the root, which is far deeper than anything the tool writes or reads
(``deploy/`` is five levels deep).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

MAX_DEPTH = 64


class TooDeep(Exception):
    """A folder lies more than MAX_DEPTH levels below the root of the walk."""

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path


def walk(
    root: Path, on_error: Callable[[OSError], None] | None = None, max_depth: int = MAX_DEPTH
) -> Iterator[tuple[Path, list[str], list[str]]]:
    """(folder, sub-folder names, other entry names) for ``root`` and every folder below it,
    top-down; links to folders count as entries, never followed. ``on_error`` receives what
    listing a folder raised (by default it is skipped); a folder below ``max_depth`` raises
    TooDeep."""
    stack = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            if on_error is not None:
                on_error(exc)
            continue
        folders: list[str] = []
        others: list[str] = []
        for entry in listed:
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            (folders if is_folder else others).append(entry.name)
        folders.sort()
        others.sort()
        yield folder, folders, others
        if folders and depth >= max_depth:
            raise TooDeep(folder / folders[0])
        stack.extend((folder / name, depth + 1) for name in reversed(folders))


def files_under(
    root: Path,
    suffixes: tuple[str, ...],
    on_error: Callable[[OSError], None] | None = None,
    max_depth: int = MAX_DEPTH,
) -> list[Path]:
    """Regular files (or links to them) under ``root`` whose names end in one of ``suffixes``,
    sorted."""
    found = []
    for folder, _, names in walk(root, on_error, max_depth):
        for name in names:
            path = folder / name
            if name.endswith(suffixes) and path.is_file():
                found.append(path)
    return sorted(found)
