"""Real Kustomize builds: in-process through pykustomize, else a kustomize or kubectl binary.

pykustomize runs Kustomize's Go library through cffi, which releases the GIL during the call,
so independent roots build in parallel on threads. Its package metadata asks for Python 3.14
while it runs on 3.11, so it may be missing (pre-commit's own virtualenv): then the
``kustomize`` binary, then ``kubectl kustomize`` are used, and every report says which ran.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from modelserve.errors import ConfigError

ENGINE_ENV = "MODELSERVE_KUSTOMIZE"  # force one: pykustomize | kustomize | kubectl


class BuildError(Exception):
    """Kustomize refused the root; the message is Kustomize's own."""


@dataclass(frozen=True)
class Engine:
    name: str
    build: Callable[[Path], list[dict[str, Any]]]
    # The engines tried before this one, each with why it was not used: the fallback order.
    passed_over: tuple[str, ...] = ()
    argv: tuple[str, ...] = ()  # a binary's command line before the root; empty in-process

    @property
    def summary(self) -> str:
        """The engine, and the ones it stands in for, for a summary line."""
        if not self.passed_over:
            return self.name
        return f"{self.name}; not {', not '.join(self.passed_over)}"


# Go's collector runs whenever the heap doubles (GOGC=100); a Kustomize build allocates far more
# than it keeps, and at 400 a shard build took about 30% less time here, for a heap of tens of MB.
# The Go runtime reads GOGC once, when the library loads; the user's own setting wins.
GO_GC_PERCENT = "400"


_IMPORT_LOCK = threading.Lock()


def import_pykustomize() -> Any:
    """The pykustomize module, loaded once. Build threads call this together: a module is in
    sys.modules while it is still being imported, so another thread must wait for the lock
    rather than take the half-initialised module."""
    with _IMPORT_LOCK:
        preset = os.environ.get("GOGC")
        if "pykustomize" not in sys.modules:
            os.environ["GOGC"] = preset or GO_GC_PERCENT
        try:
            import pykustomize
        finally:  # only the library's runtime sees it, not the processes this one starts
            if preset is None:
                os.environ.pop("GOGC", None)
    return pykustomize


def _pykustomize_build(path: Path) -> list[dict[str, Any]]:
    pykustomize = import_pykustomize()
    try:
        result = asyncio.run(pykustomize.Kustomizer().build_json(path))
    except pykustomize.KustomizeError as exc:
        raise BuildError(str(exc)) from None
    return list(result.resources)


def _binary_build(argv: list[str]) -> Callable[[Path], list[dict[str, Any]]]:
    def build(path: Path) -> list[dict[str, Any]]:
        proc = subprocess.run([*argv, str(path)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise BuildError(proc.stderr.strip() or f"{argv[0]} exited {proc.returncode}")
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return [doc for doc in yaml.load_all(proc.stdout, Loader=loader) if doc]

    return build


def _has_pykustomize() -> bool:
    try:
        import_pykustomize()
    except Exception:  # the bundled Go library can fail to load as well as be absent
        return False
    return True


def engine(preferred: str | None = None) -> Engine:
    return _engine(preferred or os.environ.get(ENGINE_ENV, ""))


def forget_engine() -> None:
    """Choose again at the next build: an engine was installed since."""
    _engine.cache_clear()


ORDER = ("pykustomize", "kustomize", "kubectl")


@cache
def _engine(choice: str) -> Engine:
    if choice and choice not in ORDER:
        raise ConfigError(f"{ENGINE_ENV}={choice}: expected one of {', '.join(ORDER)}")
    passed_over: list[str] = []
    for name in [choice] if choice else ORDER:
        if name == "pykustomize":
            if _has_pykustomize():
                return Engine("pykustomize (in-process)", _pykustomize_build, tuple(passed_over))
            from modelserve.validate.engine_install import unsupported_reason

            why = unsupported_reason() or "not installed: `modelserve engine install`"
            passed_over.append(f"pykustomize ({why})")
        elif name == "kustomize":
            if found := shutil.which("kustomize"):
                argv = (found, "build")
                built = _binary_build(list(argv))
                return Engine(f"kustomize binary ({found})", built, tuple(passed_over), argv)
            passed_over.append("kustomize (not on PATH)")
        elif found := shutil.which("kubectl"):
            argv = (found, "kustomize")
            built = _binary_build(list(argv))
            return Engine(f"kubectl kustomize ({found})", built, tuple(passed_over), argv)
    raise ConfigError(
        "no Kustomize engine found: run `modelserve engine install` (the in-process engine, "
        "linux-amd64), or put kustomize or kubectl on PATH"
    )


def build(path: Path) -> list[dict[str, Any]]:
    return engine().build(path)


def build_as_flux(path: Path) -> list[dict[str, Any]]:
    """Build ``path`` as kustomize-controller does (``LoadRestrictionsNone``: a root may use
    files outside its folder), with each object's origin (``config.kubernetes.io/origin``)
    recorded: a wrapper kustomization next to nothing of the user's lists the root relatively
    (Kustomize refuses absolute roots) and sets ``buildMetadata: [originAnnotations]``."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="modelserve-flux-build-") as scratch:
        wrapper = Path(scratch)
        relative = os.path.relpath(path.resolve(), wrapper.resolve())
        (wrapper / "kustomization.yaml").write_text(
            json.dumps({"resources": [relative], "buildMetadata": ["originAnnotations"]}),
            encoding="utf-8",
        )
        chosen = engine()
        if not chosen.argv:
            pykustomize = import_pykustomize()
            options = pykustomize.BuildOptions(load_restrictions=pykustomize.LoadRestrictions.NONE)
            try:
                result = asyncio.run(pykustomize.Kustomizer().build_json(wrapper, options))
            except pykustomize.KustomizeError as exc:
                raise BuildError(str(exc).replace(relative, str(path))) from None
            objects = list(result.resources)
        else:
            flags = ["--load-restrictor", "LoadRestrictionsNone"]
            objects = _binary_build([*chosen.argv, *flags])(wrapper)
        base = wrapper.resolve()
        for obj in objects:  # origins are relative to the wrapper, which is about to go
            notes = (obj.get("metadata") or {}).get("annotations") or {}
            origin = notes.get(ORIGIN)
            if isinstance(origin, str) and origin.startswith("path:"):
                where = origin.split(":", 1)[1].strip().splitlines()[0]
                notes[ORIGIN] = f"path: {os.path.normpath(base / where)}\n"
        return objects


ORIGIN = "config.kubernetes.io/origin"


def build_or_error(path: Path) -> list[dict[str, Any]] | BuildError:
    """The root's objects, or the BuildError that says why it does not build."""
    try:
        return engine().build(path)
    except BuildError as exc:
        return exc


def build_many(
    paths: Iterable[Path], workers: int | None = None
) -> dict[Path, list[dict[str, Any]] | BuildError]:
    """Build independent roots in parallel; each result is the objects or the BuildError."""
    paths = list(paths)
    one = build_or_error

    workers = workers or min(len(paths), os.cpu_count() or 2) or 1
    if workers == 1 or len(paths) <= 1:
        return {p: one(p) for p in paths}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(paths, pool.map(one, paths), strict=False))
