"""Parsed catalog files by content hash, so an unchanged file is not parsed again.

Parsing is most of loading a large catalog. The cache is 16 signed JSON files
(``cache.write_signed_json``: safe to read, unlike pickle, and not forgeable without this
machine's cache secret), keyed by the SHA-256 of each file's bytes and the tool's code and split
by the digest's first hex digit, so a one-file edit rewrites a sixteenth of it; it holds only
what the last run used, and is safe to delete. Each entry is checked for shape when read,
and a file that holds a credential is never stored.

A second signed file remembers each file's stat (size, mtime, ctime, inode) with the digest of
the bytes read, so an unchanged file is not even read again, as git's index does. As in git, a
stat is trusted only when the file was last changed clearly before the run that recorded it
started ("racily clean" otherwise): an edit within the same clock tick as that run's read could
leave the stat unchanged.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from modelserve.cache.findings import code_fingerprint, read_signed_json, write_signed_json
from modelserve.load.yamlio import Document
from modelserve.validate.secrets import holds_secret


def _document(entry: Any) -> Document | None:
    """The Document a cache entry describes, or None when the entry is not well formed."""
    if not isinstance(entry, list) or len(entry) != 4:
        return None
    data, positions, line, waivers = entry
    if type(line) is not int or line < 1 or not isinstance(positions, list):
        return None
    if not isinstance(waivers, list) or not all(
        isinstance(w, list)
        and len(w) == 3
        and type(w[0]) is int
        and isinstance(w[1], str)
        and isinstance(w[2], str)
        for w in waivers
    ):
        return None
    table = {}
    try:
        for item in positions:
            row, col = item[-2], item[-1]
            if type(row) is not int or type(col) is not int or row < 1 or col < 1:
                return None
            table[tuple(item[:-2])] = (row, col)
    except (TypeError, IndexError, KeyError):  # not lists, or unhashable parts of a path
        return None
    return Document(data, table, line, tuple((w[0], w[1], w[2]) for w in waivers))


SHARDS = "0123456789abcdef"
RACY_MARGIN_NS = 2_000_000_000  # coarser than any file system's timestamp tick (FAT: 2 s)


def _stat_entry(entry: Any) -> tuple[tuple[int, ...], str] | None:
    """(size, mtime, ctime, inode) and the digest of a stats entry, or None when malformed."""
    if not isinstance(entry, list) or len(entry) != 5:
        return None
    *numbers, digest = entry
    if not all(type(n) is int for n in numbers) or not isinstance(digest, str):
        return None
    return tuple(numbers), digest


def _signature(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


class ParseCache:
    def __init__(self, directory: Path):
        fingerprint = code_fingerprint().hex()[:16]
        self.paths = {part: directory / f"parsed-{fingerprint}-{part}.json" for part in SHARDS}
        self.stats_path = directory / f"stats-{fingerprint}.json"
        self.started_ns = time.time_ns()  # before any file of this run is read
        self.entries: dict[str, dict[str, Any]] = {}  # shard -> digest -> entry, read when asked
        self.used: dict[str, dict[str, Any]] = {part: {} for part in SHARDS}
        stats = read_signed_json(self.stats_path)
        self.stats: dict[str, Any] = stats if isinstance(stats, dict) else {}
        self.seen: dict[str, Any] = {}

    def known_digest(self, path: Path, info: os.stat_result) -> str | None:
        """The digest of ``path``'s bytes when a trusted stat of it is unchanged since, else
        None (then the file must be read)."""
        found = _stat_entry(self.stats.get(str(path)))
        if found is None or found[0] != _signature(info):
            return None
        return found[1]

    def saw(self, path: Path, info: os.stat_result, digest: str) -> None:
        """Remember the stat taken before reading bytes with ``digest`` (when not racy)."""
        if max(info.st_mtime_ns, info.st_ctime_ns) < self.started_ns - RACY_MARGIN_NS:
            self.seen[str(path)] = [*_signature(info), digest]

    @staticmethod
    def digest(raw: bytes) -> str:
        return hashlib.sha256(raw).hexdigest()

    def get(self, digest: str) -> Document | None:
        entry = self._shard(digest[:1]).get(digest)
        doc = _document(entry)
        if doc is not None:
            self.used[digest[:1]][digest] = entry
        return doc

    def _shard(self, part: str) -> dict[str, Any]:
        if part not in self.entries:
            loaded = read_signed_json(self.paths[part]) if part in self.paths else None
            self.entries[part] = loaded if isinstance(loaded, dict) else {}
        return self.entries[part]

    def put(self, digest: str, doc: Document) -> bool:
        """Remember ``doc``; False when it holds a credential (then it is not stored)."""
        if holds_secret(doc.data):
            return False
        if digest[:1] in self.used:
            positions = [[*k, *v] for k, v in doc.positions.items()]
            waivers = [list(w) for w in doc.waivers]
            self.used[digest[:1]][digest] = [doc.data, positions, doc.line, waivers]
        return True

    def save(self) -> None:
        for part, used in self.used.items():
            if used.keys() != self._shard(part).keys():
                write_signed_json(self.paths[part], used)
        if self.seen != self.stats:
            write_signed_json(self.stats_path, self.seen)
