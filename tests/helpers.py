"""One place for what many tests need: the example repository, the CLI, the upstream test data.

Paths
    ``PROJECT`` is the project root. ``SHARED`` is the read-only folder beside it
    (``../shared``, or ``$MODELSERVE_SHARED`` when set); ``UPSTREAM`` is its ``upstream/``
    folder with the real KServe, Flux and Prometheus CRDs and samples. ``tests/conftest.py``
    stops the session with one message when it is missing, so tests use it without checking.

The example repository
    ``copy_example(dest)`` copies the project's example ``catalog/`` and ``environments/`` (and,
    with ``deploy=True``, the committed ``deploy/``) into ``dest``. ``write_files(root, files)``
    writes a ``{relative path: text}`` mapping, for small repositories made from
    ``modelserve.rules.examples.files_for``. ``git`` runs git with a fixed identity and no user
    configuration; ``commit_all`` makes a folder a repository with everything in one commit.

The CLI
    ``run_cli(*args, cwd=None)`` calls ``modelserve.cli.main`` in-process with stdout and stderr
    captured: ``(exit code, stdout, stderr)``. ``run_modelserve(*args)`` runs
    ``python -m modelserve`` (or, with ``script=True``, the installed ``modelserve`` console
    script, as a user does) as a subprocess; ``modelserve_argv(*args)`` is its command line, for
    ``Popen``. Arguments may be ``Path``s.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from modelserve.cli import main

PROJECT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MODELSERVE_SHARED") or PROJECT.parent / "shared").resolve()
UPSTREAM = SHARED / "upstream"
CRDS = UPSTREAM / "crds"
SAMPLES = UPSTREAM / "samples"
EXAMPLE_FOLDERS = ("catalog", "environments")
# What a release of this project holds: the hook repository, the tagged clone pip installs.
HOOK_SOURCE = (
    "generator",
    "schemas",
    "pyproject.toml",
    "README.md",
    "LICENSE",
    ".pre-commit-hooks.yaml",
)

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "PATH": "/usr/bin:/bin:/usr/local/bin",
}


# --- the example repository ------------------------------------------------------------------


def copy_example(dest: Path, *, deploy: bool = False) -> Path:
    """The project's example catalog and environments (and ``deploy/``) copied into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for folder in EXAMPLE_FOLDERS + (("deploy",) if deploy else ()):
        shutil.copytree(PROJECT / folder, dest / folder)
    return dest


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (repository-relative path -> text) under ``root``; returns ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def git(root: Path, *args: str) -> str:
    """``git -C root ARGS`` with a fixed identity and HOME=root (no user configuration)."""
    proc = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**GIT_ENV, "HOME": str(root)},
    )
    return proc.stdout


def commit_all(root: Path, message: str = "base") -> Path:
    """Make ``root`` a git repository on branch main with everything in one commit."""
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return root


# --- the CLI ---------------------------------------------------------------------------------


def run_cli(*args: str | Path, cwd: Path | None = None) -> tuple[int, str, str]:
    """``modelserve ARGS`` in-process: (exit code, stdout, stderr); ``cwd`` during the call."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def modelserve_argv(*args: str | Path, script: bool = False) -> list[str]:
    """The command line of ``modelserve ARGS``: ``python -m modelserve``, or the console script.

    With ``script=True`` it is the installed ``modelserve`` script beside this interpreter (what
    a user runs), falling back to ``python -m modelserve`` where there is none.
    """
    installed = Path(sys.executable).with_name("modelserve")
    if script and installed.exists():
        command = [str(installed)]
    else:
        command = [sys.executable, "-m", "modelserve"]
    return [*command, *(str(a) for a in args)]


def run_modelserve(
    *args: str | Path,
    script: bool = False,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    check_rc: int | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """``modelserve ARGS`` as a subprocess, output captured as text.

    ``env`` is added to this process's environment; with ``check_rc`` the exit code must be it.
    """
    proc = subprocess.run(
        modelserve_argv(*args, script=script),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=timeout,
    )
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stdout + proc.stderr
    return proc
