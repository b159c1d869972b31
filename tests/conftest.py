"""Session checks and fixtures; the helpers themselves live in ``tests/helpers.py``.

Session start: the upstream test data (``../shared/upstream``, or ``$MODELSERVE_SHARED/upstream``)
must be there. When it is not, the whole session stops with one message naming the folder, and
exit code 4 (pytest's usage error): tests that read the real CRDs and samples never skip.

Fixtures (all function-scoped, thin wrappers over ``tests.helpers``):

``write_repo(root, files) -> Path``
    ``helpers.write_files``: writes ``{"catalog/models/x.yaml": "text", ...}`` under ``root``
    (parents created) and returns ``root``. Pair it with ``modelserve.rules.examples.files_for``
    for a small, valid catalog with one file replaced.
``run_cli(*args, cwd=None) -> (exit_code, stdout, stderr)``
    ``helpers.run_cli``: ``modelserve.cli.main(list(args))`` in-process, output captured;
    ``cwd`` (optional) is the working directory during the call.
``example_repo -> Path``
    ``helpers.copy_example``: a fresh copy of the project's example ``catalog/`` and
    ``environments/`` in tmp_path.

Autouse: the caches and their signing secret live in per-test folders (never the user's
~/.cache or ~/.local/state), and outbound network connections fail, so a test that would need
the network fails loudly.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import helpers

WriteRepo = Callable[[Path, dict[str, str]], Path]
RunCli = Callable[..., tuple[int, str, str]]


def missing_shared_message() -> str | None:
    """The one message for a missing ``../shared/upstream``, or None when it is there."""
    if helpers.UPSTREAM.is_dir():
        return None
    missing = helpers.SHARED if not helpers.SHARED.is_dir() else helpers.UPSTREAM
    return (
        f"the upstream test data folder {missing} is missing: the tests read the real KServe, "
        "Flux and Prometheus CRDs and samples from shared/upstream beside the project "
        "(../shared from the project root); put it there, or set MODELSERVE_SHARED to the "
        "folder that holds upstream/"
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    message = missing_shared_message()
    if message is not None:
        raise pytest.UsageError(message)


@pytest.fixture
def write_repo() -> WriteRepo:
    return helpers.write_files


@pytest.fixture
def run_cli() -> RunCli:
    return helpers.run_cli


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    return helpers.copy_example(tmp_path / "example")


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
