"""A content-addressed cache of per-build findings, outside the tracked tree and safe to delete.

A key is the hash of everything a result depends on (the generated files of one Kustomize
root, the catalog files that produced them, the tool version and the validation options), so
a hit returns exactly what a full run would compute; nothing is ever invalidated by time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from . import __version__
from .findings import Finding

CACHE_ENV = "MODELSERVE_CACHE_DIR"


def default_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "modelserve"


@lru_cache(maxsize=1)
def code_fingerprint() -> bytes:
    """The tool's own code and shipped schemas: a result computed by other code is not reused.

    The version alone would not do while a checkout is being edited (or patched by a vendor).
    """
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    from .validate.inputs import schema_dir

    for folder, pattern in ((package, "*.py"), (schema_dir(), "*.json")):
        for path in sorted(folder.rglob(pattern)):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.digest()


def make_key(*parts: str | bytes) -> str:
    digest = hashlib.sha256(code_fingerprint())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


class FindingsCache:
    def __init__(self, directory: Path | None, enabled: bool = True):
        self.directory = directory or default_dir()
        self.enabled = enabled
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[Finding] | None:
        if not self.enabled:
            return None
        try:
            data = json.loads(self._path(key).read_text())
            found = [Finding.from_dict(d) for d in data]
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        return found

    def put(self, key: str, findings: Iterable[Finding]) -> None:
        if not self.enabled:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "w") as handle:
                json.dump([f.to_dict() for f in findings], handle)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time
