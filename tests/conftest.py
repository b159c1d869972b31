"""Shared test helpers: write a repository into tmp_path, run the real CLI, copy the example repo.

Fixtures (all function-scoped):

``write_repo(root, files) -> Path``
    Writes ``{"catalog/models/x.yaml": "text", ...}`` under ``root`` (parents created) and
    returns ``root``. Pair it with ``modelserve.rules.examples.files_for({...})`` for a small,
    valid catalog with one file replaced.
``run_cli(*args, cwd=None) -> (exit_code, stdout, stderr)``
    Calls ``modelserve.cli.main(list(args))`` in-process, output captured with ``capsys``;
    ``cwd`` (optional) is the working directory during the call.
``example_repo -> Path``
    A fresh copy of the project's example ``catalog/`` and ``environments/`` in tmp_path.

Autouse: the caches and their signing secret live in per-test folders (never the user's
~/.cache or ~/.local/state), and
outbound network connections fail, so a test that would need the network fails loudly.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from modelserve.cli import main

PROJECT = Path(__file__).resolve().parents[1]
EXAMPLE_FOLDERS = ("catalog", "environments")

WriteRepo = Callable[[Path, dict[str, str]], Path]
RunCli = Callable[..., tuple[int, str, str]]


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (repository-relative path -> text) under ``root``; returns ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def write_repo() -> WriteRepo:
    return write_files


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> RunCli:
    def run(*args: str | Path, cwd: Path | None = None) -> tuple[int, str, str]:
        capsys.readouterr()  # drop anything printed before the call
        with monkeypatch.context() as patch:
            if cwd is not None:
                patch.chdir(cwd)
            code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    root = tmp_path / "example"
    for name in EXAMPLE_FOLDERS:
        shutil.copytree(PROJECT / name, root / name)
    return root


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELSERVE_CACHE_DIR", str(tmp_path_factory.mktemp("modelserve-cache")))
    monkeypatch.setenv("MODELSERVE_STATE_DIR", str(tmp_path_factory.mktemp("modelserve-state")))


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: object) -> None:
        # Local sockets (asyncio's self-pipe, a test's own server) stay allowed.
        local = isinstance(address, tuple) and address[0] in ("127.0.0.1", "::1", "localhost")
        if self.family == socket.AF_UNIX or local:
            return real_connect(self, address)
        raise OSError(f"network access in a test: connect({address!r})")

    monkeypatch.setattr(socket.socket, "connect", connect)
