"""Write deploy/ atomically, touching only the files the generator owns.

The new tree is staged beside deploy/ (same filesystem), unchanged files are hard-linked from
the old tree so their bytes and mtimes stay, and the two directories are swapped with one
``renameat2(RENAME_EXCHANGE)``: at every instant deploy/ is the complete old tree or the
complete new one, even under SIGKILL. Where the kernel lacks the exchange, two renames are
used and a crash between them is repaired on the next run from the staging folder. Writers
hold an exclusive ``flock`` on the folder holding deploy/, so two runs never interleave.

``deploy/.modelserve-owned.json`` lists the files the generator wrote. Any other file under
deploy/ is someone else's: it is carried over untouched and reported, and generation stops
rather than overwrite it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelserve.atomic import default_mode
from modelserve.deploy.tree import OWNED_MANIFEST
from modelserve.errors import ConfigError, FatalError
from modelserve.gcpause import cycle_collection_paused
from modelserve.load.walk import MAX_DEPTH, TooDeep, walk

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass
class WriteResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


def safe_relpath(rel: str) -> str:
    """Refuse any output path that could leave deploy/, whatever a catalog name says."""
    # Split by hand: PurePosixPath would silently drop "" and "." parts ("a//b", "a/./b").
    parts = rel.split("/")
    if (
        rel.startswith("/")
        or any(p in ("", ".", "..") for p in parts)
        or "\\" in rel
        or "\x00" in rel
    ):
        raise FatalError(f"refusing to write '{rel}': output paths must stay inside deploy/")
    return rel


MAX_OWNED_MANIFEST_BYTES = 64 * 1024 * 1024  # a manifest of a million files is about 60 MB


def read_regular(path: Path, limit: int) -> bytes | None:
    """``path``'s bytes if it is a regular file (not a link, FIFO or device) of at most ``limit``
    bytes, else None: files under deploy/ are the pull request's, so none is trusted to be one."""
    try:
        fd = os.open(
            path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        )
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)


def read_owned(deploy: Path) -> set[str]:
    """The files the generator wrote last time; a missing or damaged manifest (or one that is a
    link, a FIFO, a device or too large) owns nothing, so every file is then treated as someone
    else's and kept (or refused, never overwritten)."""
    raw = read_regular(deploy / OWNED_MANIFEST, MAX_OWNED_MANIFEST_BYTES)
    try:
        data = json.loads(raw.decode("utf-8")) if raw is not None else None
    except (ValueError, RecursionError):
        return set()
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        return set()
    owned = set()
    for rel in files:
        try:
            if isinstance(rel, str):
                owned.add(safe_relpath(rel))
        except FatalError:
            continue  # a path that could leave deploy/ is never trusted
    return owned


def existing_files(deploy: Path) -> set[str]:
    """Every file or symlink under deploy/ (links are not followed).

    A folder that cannot be read would be dropped from the new tree with everything in it, so
    it stops the run (exit 2) before anything is staged.
    """
    found: set[str] = set()

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename or deploy)
        raise ConfigError(
            f"cannot read {_shown(deploy, where)}: {exc.strerror or exc}; nothing was written "
            "(fix: make it readable, or move it out of the way)"
        )

    try:
        for base, _, names in walk(deploy, on_error=unreadable):
            # one relative_to per folder, not per file: this walk runs on every validate
            folder = base.relative_to(deploy).as_posix()
            prefix = "" if folder == "." else folder + "/"
            found.update(prefix + name for name in names)  # files, and links (never followed)
    except TooDeep as exc:
        raise ConfigError(
            f"{_shown(deploy, exc.path)} lies more than {MAX_DEPTH} folders deep; nothing was "
            "written (fix: move it out of deploy/)"
        ) from None
    found.discard(OWNED_MANIFEST)
    return found


# --- staging folders ---------------------------------------------------------------------------
#
# A run stages the new tree in ``.<deploy>.modelserve-stage-XXXXXXXX/tree`` beside deploy/, with
# a marker file in the stage folder (never inside the tree, which becomes deploy/). Only folders
# named exactly so *and* holding the marker are ever removed, so a user's own folder such as
# ``.deploy.old-before-upgrade`` is never touched. Runs are serialised by a lock (``deploy_lock``),
# so a stage found at the start of a run is a crashed run's leftover, never a live one.

STAGE_INFIX = ".modelserve-stage-"
STAGE_MARKER = ".modelserve-staging"
STAGE_MARKER_TEXT = (
    "a staging folder of `modelserve generate`; safe to delete when no modelserve runs\n"
)
_STAGE_NAME = re.compile(r"[a-z0-9_]{8}")


def _stage_prefix(deploy: Path) -> str:
    return f".{deploy.name}{STAGE_INFIX}"


def is_stage(deploy: Path, folder: Path) -> bool:
    """``folder`` is a staging folder this tool made for ``deploy`` (exact name, real folder,
    marker)."""
    prefix = _stage_prefix(deploy)
    if not folder.name.startswith(prefix) or not _STAGE_NAME.fullmatch(folder.name[len(prefix) :]):
        return False
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return False
        marker = folder / STAGE_MARKER
        info = os.lstat(marker)
        return (
            stat.S_ISREG(info.st_mode)
            and info.st_size == len(STAGE_MARKER_TEXT)
            and marker.read_text(encoding="utf-8") == STAGE_MARKER_TEXT
        )
    except (OSError, UnicodeDecodeError):
        return False


def stages(deploy: Path) -> list[Path]:
    """The staging folders of crashed runs; an empty folder of the exact name (a run killed
    before it wrote the marker) is removed on the spot, which can lose nothing."""
    parent, prefix = deploy.parent, _stage_prefix(deploy)
    try:
        names = [name for name in os.listdir(parent) if name.startswith(prefix)]
    except OSError:
        return []
    found = []
    for folder in sorted(parent / name for name in names):
        if is_stage(deploy, folder):
            found.append(folder)
        elif _STAGE_NAME.fullmatch(folder.name[len(prefix) :]):
            with contextlib.suppress(OSError):
                os.rmdir(folder)  # fails unless it is an empty, real folder
    return found


def recover(deploy: Path) -> None:
    """Finish or undo a crashed run's write, then remove its staging folders (ours only)."""
    for stage in stages(deploy):
        old = stage / "old"
        if not os.path.lexists(deploy) and old.is_dir() and not old.is_symlink():
            os.rename(old, deploy)  # killed between the two renames of the fallback: undo
        remove_tree(stage)


def remove_tree(folder: Path) -> None:
    """Delete a staging folder, its marker last (a run killed while deleting leaves a folder that
    is still recognisably ours), even where the old tree it holds has read-only folders.

    Only folders are made writable (u+rwx), never files: files may be hard links shared with
    the kept tree, whose modes must not change.
    """

    def retry(function: Any, path: str, _exc: Any) -> None:
        parent = os.path.dirname(path)
        with contextlib.suppress(OSError):
            os.chmod(parent, stat.S_IMODE(os.lstat(parent).st_mode) | stat.S_IRWXU)
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) | stat.S_IRWXU)
            function(path)

    try:
        children = [folder / name for name in os.listdir(folder) if name != STAGE_MARKER]
    except OSError:
        return
    for child in children:
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, onerror=retry)
        else:
            with contextlib.suppress(OSError):
                child.unlink()
    with contextlib.suppress(OSError):
        (folder / STAGE_MARKER).unlink()
        folder.rmdir()


@contextlib.contextmanager
def deploy_lock(
    deploy: Path, *, exclusive: bool = True, timeout: float | None = None
) -> Iterator[None]:
    """Hold the lock of the folder beside deploy/ for the block: one writer, or many readers.

    ``flock`` on the parent folder itself, so no lock file is left in the repository. A run that
    finds the lock taken says so on stderr and waits up to ``timeout`` seconds (default
    ``MODELSERVE_LOCK_TIMEOUT``, else 300), then gives up with exit 2; it never proceeds unlocked.
    """
    wait = _lock_timeout() if timeout is None else timeout
    parent = deploy.parent
    try:
        fd = os.open(parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise ConfigError(f"cannot open {parent} to lock it: {exc.strerror or exc}") from None
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    try:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ConfigError(
                        f"another modelserve run is writing {deploy.name}/ in {parent} and did not "
                        f"finish within {wait:g}s; nothing was written (run again when it ends)"
                    ) from None
                if not told:
                    sys.stderr.write(
                        f"modelserve: waiting for another modelserve run writing {deploy.name}/ "
                        f"in {parent}...\n"
                    )
                    sys.stderr.flush()
                    told = True
                time.sleep(0.05)
            except OSError as exc:
                raise ConfigError(
                    f"cannot lock {parent} ({exc.strerror or exc}): modelserve needs a filesystem "
                    "with flock() to write deploy/ safely"
                ) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


LOCK_TIMEOUT_ENV = "MODELSERVE_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 300.0


def _lock_timeout() -> float:
    text = os.environ.get(LOCK_TIMEOUT_ENV) or ""
    try:
        value = float(text) if text else DEFAULT_LOCK_TIMEOUT
    except ValueError:
        raise ConfigError(f"{LOCK_TIMEOUT_ENV}={text[:40]!r} is not a number of seconds") from None
    if not 0 <= value < 86400:
        raise ConfigError(f"{LOCK_TIMEOUT_ENV}={text[:40]!r} must be between 0 and 86400 seconds")
    return value


def _shown(deploy: Path, path: Path) -> str:
    try:
        return f"{deploy.name}/{path.relative_to(deploy).as_posix()}"
    except ValueError:
        return str(path)


def plan(deploy: Path, files: dict[str, str]) -> tuple[WriteResult, set[str]]:
    """What a write would do, without writing; refuses to overwrite foreign files."""
    if deploy.is_symlink():
        raise FatalError(
            f"{deploy.name}/ is a symbolic link; refusing to write through it "
            "(replace it with a folder)"
        )
    if deploy.exists() and not deploy.is_dir():
        raise FatalError(f"{deploy.name} exists but is not a folder; move it away and run again")
    result = WriteResult()
    present = existing_files(deploy) if deploy.is_dir() else set()
    owned = read_owned(deploy) & present
    result.foreign = sorted(present - owned)
    # A foreign file at a generated path, where a generated folder must go, or inside a generated
    # file's path. Ancestors are looked up in sets: linear in the number of paths, not their
    # product.
    folders = {rel.rsplit("/", i)[0] for rel in files for i in range(1, rel.count("/") + 1)}
    clash = sorted(
        f
        for f in result.foreign
        if f in files
        or f in folders
        or any(f[:i] in files for i, char in enumerate(f) if char == "/")
    )
    if clash:
        raise FatalError(
            f"{deploy.name}/{clash[0]} was not written by modelserve but is a file it must "
            "generate; move it away (or delete it) and run again"
            + (f" ({len(clash) - 1} more)" if len(clash) > 1 else "")
        )
    for rel, text in sorted(files.items()):
        old = deploy / rel
        if rel in owned and _same(old, text):
            result.unchanged.append(rel)
        else:
            result.written.append(rel)
    result.removed = sorted(owned - set(files))
    return result, owned


@cycle_collection_paused()
def write_tree(deploy: Path, files: dict[str, str]) -> WriteResult:
    """Write ``files`` as the new deploy/, atomically, under the lock; see the module docs."""
    files = {safe_relpath(k): v for k, v in files.items()}
    with deploy_lock(deploy):
        try:
            recover(deploy)
        except OSError as exc:
            raise _write_error(deploy, exc, "repairing a crashed run's write") from None
        result, _ = plan(deploy, files)
        if not result.changed and (deploy / OWNED_MANIFEST).is_file():
            return result
        try:
            stage = Path(tempfile.mkdtemp(prefix=_stage_prefix(deploy), dir=deploy.parent))
        except OSError as exc:
            raise _write_error(deploy, exc, "creating the staging folder") from None
        try:
            (stage / STAGE_MARKER).write_text(STAGE_MARKER_TEXT, encoding="utf-8")
            tree = stage / "tree"
            tree.mkdir(mode=_folder_mode(deploy))
            os.chmod(tree, _folder_mode(deploy))  # mkdir applies the umask; deploy/ keeps its mode
            _fill(tree, deploy, files, result)
            _swap(stage, tree, deploy)
        except OSError as exc:
            raise _write_error(deploy, exc, "writing the new tree") from None
        finally:
            remove_tree(stage)
    return result


def _write_error(deploy: Path, exc: OSError, doing: str) -> ConfigError:
    """A filesystem refusal (permissions, read-only, full disk) as a usage error: exit 2."""
    where = _shown(deploy, Path(exc.filename)) if exc.filename else str(deploy.parent)
    hint = {
        errno.EACCES: "make deploy/ and its folders writable by you",
        errno.EPERM: (
            "a kept file owned by another user cannot be linked: chown it, or move it out of "
            "deploy/"
        ),
        errno.EROFS: "the filesystem is read-only",
        errno.ENOSPC: "free some disk space",
    }.get(exc.errno or 0, "check the permissions of deploy/ and the folder holding it")
    return ConfigError(
        f"cannot write {deploy.name}/ ({doing}: {where}: {exc.strerror or exc}); "
        f"{deploy.name}/ was left as it was (fix: {hint})"
    )


def _folder_mode(deploy: Path) -> int:
    if deploy.is_dir():
        return deploy.stat().st_mode & 0o7777
    return default_mode(0o777)


def _fill(stage: Path, deploy: Path, files: dict[str, str], result: WriteResult) -> None:
    unchanged = set(result.unchanged)
    for rel, text in files.items():
        target = stage / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in unchanged:
            os.link(deploy / rel, target)
        else:
            target.write_text(text, encoding="utf-8")
    for rel in result.foreign:
        target = stage / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        source = deploy / rel
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            os.link(source, target)
    manifest = {"generator": "modelserve", "files": sorted(files)}
    (stage / OWNED_MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    _fsync_tree(stage)


def _same(path: Path, text: str) -> bool:
    """The committed file holds exactly ``text`` (read only when its size already matches)."""
    data = text.encode("utf-8")
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
        return False
    return read_regular(path, len(data)) == data


def _fsync_tree(root: Path) -> None:
    # Data must be on disk before the rename makes it visible, or a power cut could expose
    # empty files in the "new" tree. One syncfs() flushes the filesystem at once, far cheaper
    # than an fsync per file for thousands of files.
    libc_name = ctypes.util.find_library("c")
    syncfs = getattr(ctypes.CDLL(libc_name), "syncfs", None) if libc_name else None
    if syncfs is None:
        os.sync()
        return
    fd = os.open(root, os.O_RDONLY)
    try:
        syncfs(fd)
    finally:
        os.close(fd)


def _swap(stage: Path, tree: Path, deploy: Path) -> None:
    """Put ``tree`` in deploy/'s place; the old tree ends up inside ``stage`` (removed after)."""
    if not os.path.lexists(deploy):
        os.rename(tree, deploy)
        return
    if _exchange(tree, deploy):
        return  # stage/tree now holds the old tree
    # Two renames: no signal may stop the run between them (its clean-up would delete the old
    # tree from the stage); a crash between them is undone by recover().
    with _signals_deferred():
        os.rename(deploy, stage / "old")
        try:
            os.rename(tree, deploy)
        except OSError:
            os.rename(stage / "old", deploy)
            raise


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block ends (they are delivered then)."""
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _exchange(a: Path, b: Path) -> bool:
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.EXDEV):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))
