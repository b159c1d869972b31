"""Write deploy/ atomically, touching only the files the generator owns.

The new tree is staged beside deploy/ (same filesystem), unchanged files are hard-linked from
the old tree so their bytes and mtimes stay, and the two directories are swapped with one
``renameat2(RENAME_EXCHANGE)``: at every instant deploy/ is the complete old tree or the
complete new one, even under SIGKILL. Where the kernel lacks the exchange, two renames are
used and a crash between them is repaired on the next run from the ``.deploy.old-*`` copy.

``deploy/.modelserve-owned.json`` lists the files the generator wrote. Any other file under
deploy/ is someone else's: it is carried over untouched and reported, and generation stops
rather than overwrite it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import FatalError
from .gcpause import cycle_collection_paused
from .layout import OWNED_MANIFEST

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
    if rel.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in rel or "\x00" in rel:
        raise FatalError(f"refusing to write '{rel}': output paths must stay inside deploy/")
    return rel


def read_owned(deploy: Path) -> set[str]:
    """The files the generator wrote last time; a missing or damaged manifest owns nothing,
    so every file is then treated as someone else's and kept (or refused, never overwritten)."""
    try:
        data = json.loads((deploy / OWNED_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
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
    """Every file or symlink under deploy/ (links are not followed)."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(deploy, followlinks=False):
        base = Path(dirpath)
        for name in filenames + [d for d in dirnames if (base / d).is_symlink()]:
            found.add((base / name).relative_to(deploy).as_posix())
    found.discard(OWNED_MANIFEST)
    return found


def recover(deploy: Path) -> None:
    """Finish or undo an interrupted write before starting a new one."""
    parent = deploy.parent
    olds = sorted(parent.glob(f".{deploy.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if not deploy.exists() and olds:
        os.rename(olds[-1], deploy)
        olds = olds[:-1]
    for stale in list(parent.glob(f".{deploy.name}.tmp-*")) + olds:
        shutil.rmtree(stale, ignore_errors=True)


def plan(deploy: Path, files: dict[str, str]) -> tuple[WriteResult, set[str]]:
    """What a write would do, without writing; refuses to overwrite foreign files."""
    if deploy.is_symlink():
        raise FatalError(f"{deploy.name}/ is a symbolic link; refusing to write through it (replace it with a folder)")
    if deploy.exists() and not deploy.is_dir():
        raise FatalError(f"{deploy.name} exists but is not a folder; move it away and run again")
    result = WriteResult()
    present = existing_files(deploy) if deploy.is_dir() else set()
    owned = read_owned(deploy) & present
    result.foreign = sorted(present - owned)
    clash = sorted(set(result.foreign) & set(files))
    # A foreign file where a generated folder must go (or inside a generated file's path).
    folders = {rel.rsplit("/", i)[0] for rel in files for i in range(1, rel.count("/") + 1)}
    clash += sorted(f for f in result.foreign if f in folders or any(f.startswith(g + "/") for g in files))
    if clash:
        raise FatalError(
            f"{deploy.name}/{clash[0]} was not written by modelserve but is a file it must generate; "
            "move it away (or delete it) and run again" + (f" ({len(clash) - 1} more)" if len(clash) > 1 else ""))
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
    files = {safe_relpath(k): v for k, v in files.items()}
    recover(deploy)
    result, _ = plan(deploy, files)
    if not result.changed and (deploy / OWNED_MANIFEST).is_file():
        return result
    stage = Path(tempfile.mkdtemp(prefix=f".{deploy.name}.tmp-", dir=deploy.parent))
    os.chmod(stage, _folder_mode(deploy))  # mkdtemp makes 0700; deploy/ keeps its usual mode
    try:
        _fill(stage, deploy, files, result)
        _swap(stage, deploy)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return result


def _folder_mode(deploy: Path) -> int:
    if deploy.is_dir():
        return deploy.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


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
    try:
        return path.is_file() and not path.is_symlink() and path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


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


def _swap(stage: Path, deploy: Path) -> None:
    if not deploy.exists():
        os.rename(stage, deploy)
        return
    if _exchange(stage, deploy):
        return  # stage now holds the old tree; the caller removes it
    old = deploy.parent / f".{deploy.name}.old-{os.getpid()}"
    os.rename(deploy, old)
    os.rename(stage, deploy)
    shutil.rmtree(old, ignore_errors=True)


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


def content_digest(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    return digest.hexdigest()
