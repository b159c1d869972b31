"""Parsed catalog files by content hash, so an unchanged file is not parsed again.

Parsing is most of loading a large catalog. The cache is one signed JSON file
(``cache.write_signed_json``: safe to read, unlike pickle, and not forgeable without this
machine's cache secret), keyed by the SHA-256 of each file's bytes and the tool's code; it holds
only what the last run used, and is safe to delete. Each entry is checked for shape when read,
and a file that holds a credential is never stored.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from modelserve.cache.findings import code_fingerprint, read_signed_json, write_signed_json
from modelserve.load.yamlio import Document
from modelserve.validate.secrets import holds_secret


def _document(entry: Any) -> Document | None:
    """The Document a cache entry describes, or None when the entry is not well formed."""
    if not isinstance(entry, list) or len(entry) != 3:
        return None
    data, positions, line = entry
    if type(line) is not int or line < 1 or not isinstance(positions, list):
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
    return Document(data, table, line)


class ParseCache:
    def __init__(self, directory: Path):
        self.path = directory / f"parsed-{code_fingerprint().hex()[:16]}.json"
        loaded = read_signed_json(self.path)
        self.entries: dict[str, Any] = loaded if isinstance(loaded, dict) else {}
        self.used: dict[str, Any] = {}

    @staticmethod
    def digest(raw: bytes) -> str:
        return hashlib.sha256(raw).hexdigest()

    def get(self, digest: str) -> Document | None:
        entry = self.entries.get(digest)
        doc = _document(entry)
        if doc is not None:
            self.used[digest] = entry
        return doc

    def put(self, digest: str, doc: Document) -> bool:
        """Remember ``doc``; False when it holds a credential (then it is not stored)."""
        if holds_secret(doc.data):
            return False
        self.used[digest] = [doc.data, [[*k, *v] for k, v in doc.positions.items()], doc.line]
        return True

    def save(self) -> None:
        if self.used.keys() != self.entries.keys():
            write_signed_json(self.path, self.used)
