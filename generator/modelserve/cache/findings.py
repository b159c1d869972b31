"""The caches' common ground: where they live, their keys, and files that cannot be forged.

Three caches speed up ``validate`` (findings per Kustomize root, parsed catalog files, generated
texts); all live outside the repository and are safe to delete. A key is the hash of everything
a result depends on (the tool's code included), so a hit returns what a full run would compute;
nothing is invalidated by time.

A cache folder may be shared or restored from elsewhere (a CI cache a pull request wrote), so a
cache can only change how fast ``validate`` runs, never what it reports:

- every cache file is written atomically and begins with an HMAC-SHA256 of its body, keyed by a
  random secret kept *outside* the cache folder (``cache_secret``: ``$MODELSERVE_STATE_DIR``,
  else ``$XDG_STATE_HOME/modelserve``, else ``~/.local/state/modelserve``, mode 0600). A file
  that does not verify, is over ``MAX_CACHE_FILE_BYTES`` or is not a regular file is a miss;
- every entry is checked for shape when read (``valid_*`` below), and a bad one is a miss;
- nothing that holds a credential the secret-literal rule refuses is ever stored.

Without a usable secret (no writable state folder) the caches are simply off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets as random_source
import stat
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from modelserve import __version__
from modelserve.atomic import write_atomic
from modelserve.findings import Finding
from modelserve.load.shipped import PACKAGE_ROOT, shipped_schemas

CACHE_ENV = "MODELSERVE_CACHE_DIR"
STATE_ENV = "MODELSERVE_STATE_DIR"
MAX_CACHE_FILE_BYTES = 1 << 30
_SECRET_BYTES = 32


def default_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "modelserve"


def state_dir() -> Path:
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV])
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return Path(base) / "modelserve"


@lru_cache(maxsize=8)
def _secret_in(folder: Path) -> bytes | None:
    path = folder / "cache-secret"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(random_source.token_bytes(_SECRET_BYTES))
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077 or info.st_uid != os.getuid():
                return None  # readable by others, or not ours: not a secret to rely on
            secret = handle.read(_SECRET_BYTES + 1)
    except OSError:
        return None
    return secret if len(secret) == _SECRET_BYTES else None


def cache_secret() -> bytes | None:
    """The key cache files are signed with, or None (then caching is off)."""
    return _secret_in(_resolved(state_dir()))


@lru_cache(maxsize=8)
def _resolved(folder: Path) -> Path:
    # Every cache file read or written asks for the secret: resolving the folder each time
    # (an lstat per path component) cost 0.02 s of an incremental run.
    return folder.resolve()


@lru_cache(maxsize=1)
def code_fingerprint() -> bytes:
    """The tool's own code and shipped schemas: a result computed by other code is not reused.

    The version alone would not do while a checkout is being edited (or patched by a vendor).
    """
    digest = hashlib.sha256(__version__.encode())
    for folder, pattern in ((PACKAGE_ROOT, "*.py"), (shipped_schemas(), "*.json")):
        for path in sorted(folder.rglob(pattern)):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.digest()


def make_key(*parts: str | bytes) -> str:
    digest = hashlib.sha256(code_fingerprint())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


# --- signed cache files -------------------------------------------------------------------------


def _tag(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, body, hashlib.sha256).hexdigest().encode()


def write_signed_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` atomically, signed; a cache that cannot be written only costs
    time."""
    secret = cache_secret()
    if secret is None:
        return
    # dumps, not dump: json.dump streams through the pure-Python encoder (4x slower).
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, _tag(secret, body) + b"\n" + body, private=True)
    except (OSError, ValueError):
        pass


def read_signed_json(path: Path) -> Any:
    """The data of a signed cache file, or None: missing, unreadable, too large, not a regular
    file, not signed with this machine's secret, or not JSON. Never raises."""
    secret = cache_secret()
    if secret is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CACHE_FILE_BYTES:
                return None
            raw = handle.read(MAX_CACHE_FILE_BYTES + 1)
    except OSError:
        return None
    tag, _, body = raw.partition(b"\n")
    if not hmac.compare_digest(tag, _tag(secret, body)):
        return None
    try:
        return json.loads(body.decode("utf-8", "surrogatepass"))
    except (ValueError, RecursionError):
        return None


# --- findings per Kustomize root -----------------------------------------------------------------


def valid_finding(data: Any) -> Finding | None:
    """A Finding from a cache entry, or None when the entry is not exactly one."""
    if not isinstance(data, dict):
        return None
    text = ("file", "rule", "message", "path", "object", "hint")
    if not all(isinstance(data.get(k, ""), str) for k in text) or not isinstance(
        data.get("rule"), str
    ):
        return None
    line, col = data.get("line"), data.get("col")
    if type(line) is not int or type(col) is not int or line < 0 or col < 0:
        return None
    if data.get("severity") not in ("error", "warning", "info"):
        return None
    return Finding.from_dict(data)


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
        data = read_signed_json(self._path(key))
        found = [valid_finding(d) for d in data] if isinstance(data, list) else None
        if found is None or None in found:
            self.misses += 1
            return None
        self.hits += 1
        return found  # type: ignore[return-value]

    def put(self, key: str, findings: Iterable[Finding]) -> None:
        if self.enabled:
            write_signed_json(self._path(key), [f.to_dict() for f in findings])
