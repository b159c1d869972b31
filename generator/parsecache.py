"""Parsed catalog files by content hash, so an unchanged file is not parsed again.

Parsing is most of loading a large catalog. The cache is JSON (safe to read, unlike pickle),
keyed by the SHA-256 of the file's bytes and the tool's code, lives beside the findings
cache, holds only what the last run used, and is safe to delete.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .cache import code_fingerprint
from .yamlio import Document


class ParseCache:
    def __init__(self, directory: Path):
        self.path = directory / f"parsed-{code_fingerprint().hex()[:16]}.json"
        self.entries: dict[str, Any] = {}
        self.used: dict[str, Any] = {}
        try:
            self.entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}
        if not isinstance(self.entries, dict):
            self.entries = {}

    @staticmethod
    def digest(raw: bytes) -> str:
        return hashlib.sha256(raw).hexdigest()

    def get(self, digest: str) -> Document | None:
        entry = self.entries.get(digest)
        try:
            data, positions, line = entry  # type: ignore[misc]
            doc = Document(data, {tuple(p[:-2]): (p[-2], p[-1]) for p in positions}, line)
        except (TypeError, ValueError):
            return None
        self.used[digest] = entry
        return doc

    def put(self, digest: str, doc: Document) -> None:
        self.used[digest] = [doc.data, [[*k, *v] for k, v in doc.positions.items()], doc.line]

    def save(self) -> None:
        if self.used.keys() == self.entries.keys():
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                # dumps, not dump: json.dump streams through the pure-Python encoder (4x slower).
                handle.write(json.dumps(self.used, separators=(",", ":")))
            os.replace(tmp, self.path)
        except (OSError, ValueError):
            pass  # a cache that cannot be written only costs time
