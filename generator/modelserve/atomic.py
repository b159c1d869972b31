"""One atomic file writer: a reader sees the old file or the new one, never a part of either."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomic(target: Path, data: bytes | str, *, private: bool = False) -> None:
    """Write ``data`` beside ``target`` under a temporary name, then rename it over ``target``
    (one filesystem, so the rename is atomic); the temporary file never outlives a failure.

    A user's file keeps its mode, and a new one gets what ``open`` would give it (0666 less the
    umask): the temporary file is 0600, which a rename would otherwise carry over. ``private``
    keeps 0600, for caches that are only this user's.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            if not private:
                os.fchmod(handle.fileno(), _mode_for(target))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def default_mode(kind: int = 0o666) -> int:
    """``kind`` (0666 for files, 0777 for folders) less the process umask."""
    return kind & ~_umask()


def _mode_for(target: Path) -> int:
    try:
        status = os.lstat(target)
    except OSError:
        return default_mode()
    return stat.S_IMODE(status.st_mode) if stat.S_ISREG(status.st_mode) else default_mode()


def _umask() -> int:
    # Linux reports it without changing it; os.umask can only be read by setting it, which a
    # second thread creating a file at that moment would see.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o077)
    os.umask(current)
    return current
