"""Install the in-process Kustomize engine (pykustomize) into the running environment.

Why a step of our own and not a dependency: pykustomize 0.1.4 declares ``Requires-Python >=3.14``
although it runs on 3.11, and pip, pipx and pre-commit (which runs ``pip install`` in the hook's
virtualenv) all refuse such a package unless the user passes ``--ignore-requires-python`` or sets
``PIP_IGNORE_REQUIRES_PYTHON``, which pre-commit's config cannot do. So installing modelserve never
brings it; ``modelserve engine install`` (and ``--install-engine`` in the published hooks) runs
pip once in the environment that runs modelserve, for one wheel pinned by version and hash.

What is installed is exactly that wheel: ``--require-hashes`` (implied by the hash),
``--only-binary :all:`` (no build step runs) and ``--no-deps`` (its one dependency, cffi, is ours).
The wheel ships its Go library for linux-amd64 only (``pykustomize/_lib/linux-amd64``; its
``_ffi._find_library`` looks there), so elsewhere nothing is attempted and the binaries serve.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "pykustomize"
VERSION = "0.1.4"
WHEEL_SHA256 = "f8da6be12fb35b56158d2f9043a67d39c1ce84eae9c8f344c7ed934709192467"
# (platform.system(), platform.machine()) pairs the wheel has a library for.
SUPPORTED = {("Linux", "x86_64"), ("Linux", "amd64")}

# A failed attempt (offline, a proxy) is remembered in the environment for a day, so a hook
# does not wait on pip at every commit.
FAILED_MARKER = "modelserve-engine-install.failed"
RETRY_AFTER_SECONDS = 24 * 3600
PIP_TIMEOUT_SECONDS = "15"


@dataclass(frozen=True)
class Outcome:
    installed: bool  # the engine imports now
    message: str  # one line for the user


def unsupported_reason() -> str | None:
    """Why the wheel cannot work here, or None."""
    here = (platform.system(), platform.machine())
    if here not in SUPPORTED:
        return (
            f"{PACKAGE} {VERSION} ships its library for linux-amd64 only, "
            f"not {here[0].lower()}-{here[1].lower()}"
        )
    return None


def is_present() -> bool:
    """Whether pykustomize is importable, without importing it (0.26 s: a hook whose builds
    are all cached never loads it)."""
    importlib.invalidate_caches()
    return importlib.util.find_spec(PACKAGE) is not None


def is_installed() -> bool:
    importlib.invalidate_caches()
    try:
        from modelserve.validate.kustomize import import_pykustomize

        import_pykustomize()
    except Exception:  # absent, or its Go library does not load
        return False
    return True


def install(*, force_retry: bool = True) -> Outcome:
    """Install the pinned wheel with this interpreter's pip; never raises for pip's failures."""
    if is_installed():
        return Outcome(True, f"{PACKAGE} is installed in {sys.prefix}")
    reason = unsupported_reason()
    if reason:
        return Outcome(False, reason)
    marker = Path(sys.prefix) / FAILED_MARKER
    if not force_retry and recently_failed():
        return Outcome(
            False,
            f"an install failed less than a day ago ({marker}); `modelserve engine install` "
            "tries again now",
        )
    if not os.access(sys.prefix, os.W_OK):
        return Outcome(False, f"{sys.prefix} is not writable: run this from a virtualenv")
    with _locked(Path(sys.prefix) / "modelserve-engine-install.lock"):
        if is_installed():  # another hook process did it while this one waited
            return Outcome(True, f"{PACKAGE} is installed in {sys.prefix}")
        failure = _pip_install()
    if failure is None and is_installed():
        with contextlib.suppress(OSError):
            marker.unlink()
        from modelserve.validate import kustomize

        kustomize.forget_engine()
        return Outcome(True, f"installed {PACKAGE} {VERSION} in {sys.prefix}")
    failure = failure or f"{PACKAGE} was installed but does not load"
    with contextlib.suppress(OSError):
        marker.write_text(f"{time.time():.0f}\n{failure}\n", encoding="utf-8")
    return Outcome(False, failure)


def _pip_install() -> str | None:
    """None on success, else the reason in one line."""
    with tempfile.TemporaryDirectory(prefix="modelserve-engine-") as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text(
            f"{PACKAGE}=={VERSION} --hash=sha256:{WHEEL_SHA256}\n", encoding="utf-8"
        )
        argv = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            "--ignore-requires-python",
            "--only-binary",
            ":all:",
            "--no-deps",
            "--timeout",
            PIP_TIMEOUT_SECONDS,
            "--retries",
            "1",
            "--requirement",
            str(requirements),
        ]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        except OSError as exc:
            return f"could not run pip: {exc}"
    if proc.returncode == 0:
        return None
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    if any("No module named pip" in line for line in lines):
        return "this environment has no pip"
    errors = [line for line in lines if "ERROR" in line] or lines
    return f"pip exited {proc.returncode}: {errors[-1].strip() if errors else 'no message'}"


def recently_failed() -> bool:
    marker = Path(sys.prefix) / FAILED_MARKER
    try:
        stamp = float(marker.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return False
    return time.time() - stamp < RETRY_AFTER_SECONDS


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise installs: pre-commit runs a hook's file batches as parallel processes."""
    try:
        import fcntl
    except ImportError:  # Windows: the wheel has no library there anyway
        yield
        return
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
