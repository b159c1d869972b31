"""generate, validate and check open no network connection; `schemas import --from-cluster` may.

Checked three ways on the project's example catalog: in-process with the socket functions
patched to record and refuse; in a fresh interpreter with the same patch installed before the
package is imported (a ``-c`` wrapper); and, where strace works, at the system-call level, which
also sees the Go (pykustomize) and Rust (jsonschema-rs) code that Python patches cannot.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from modelserve.cli import main
from tests.helpers import PROJECT, modelserve_argv

COMMANDS = [("generate",), ("validate", "--no-cache"), ("validate",), ("check",)]


class NetworkAttempt(OSError):
    pass


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Patch every way Python opens a connection or resolves a name; record and refuse each."""
    seen: list[str] = []

    def refuse(what: str):  # type: ignore[no-untyped-def]
        def patched(*args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(f"{what}{args[1:] if what.startswith('socket.socket') else args}")
            raise NetworkAttempt(f"network access: {what}")

        return patched

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse(f"socket.socket.{name}"))
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        monkeypatch.setattr(socket, name, refuse(f"socket.{name}"))
    return seen


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_commands_in_process_open_no_connection(argv, attempts, example_repo, run_cli) -> None:
    if argv[0] == "check":
        assert run_cli("generate", "--root", example_repo)[0] == 0
    code, out, err = run_cli(*argv, "--root", example_repo)
    assert code == 0, out + err
    assert attempts == []


def test_the_patch_does_catch_a_connection(attempts) -> None:
    with pytest.raises(NetworkAttempt):
        socket.create_connection(("example.com", 443), timeout=1)
    with pytest.raises(NetworkAttempt):
        socket.getaddrinfo("example.com", 443)
    assert len(attempts) == 2


WRAPPER = r"""
import json, socket, sys
seen = []
def refuse(what):
    def patched(*args, **kwargs):
        seen.append(what)
        raise OSError("network access: " + what)
    return patched
for name in ("connect", "connect_ex", "sendto"):
    setattr(socket.socket, name, refuse("socket.socket." + name))
for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
    setattr(socket, name, refuse("socket." + name))
from modelserve.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as log:
    json.dump(seen, log)
raise SystemExit(code)
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_proxy", "_PROXY"))}
    env["MODELSERVE_CACHE_DIR"] = str(tmp_path / "cache")
    env["HOME"] = str(tmp_path / "home")
    return env


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_commands_in_a_subprocess_open_no_connection(argv, example_repo, tmp_path) -> None:
    if argv[0] == "check":
        assert main(["generate", "--root", str(example_repo)]) == 0
    log = tmp_path / "attempts.json"
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(log), *argv, "--root", str(example_repo)],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env=_env(tmp_path),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(log.read_text()) == []


def _strace_works(tmp_path: Path) -> bool:
    if not shutil.which("strace"):
        return False
    probe = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=none", "-o", str(tmp_path / "probe"), "true"],
        capture_output=True,
        timeout=60,
    )
    return probe.returncode == 0


NO_STRACE = (
    "strace is not available or ptrace is not permitted here: the system-call check cannot run "
    "(the in-process and subprocess checks above still do)"
)
INET = re.compile(r"\b(socket|connect)\((?:[^)]*AF_INET6?|\d+, \{sa_family=AF_INET6?)")


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_commands_make_no_inet_system_call(argv, example_repo, tmp_path) -> None:
    """The kernel's view: no IPv4/IPv6 socket is even created, by Python, Go or Rust code."""
    if not _strace_works(tmp_path):
        pytest.skip(NO_STRACE)
    if argv[0] == "check":
        assert main(["generate", "--root", str(example_repo)]) == 0
    trace = tmp_path / "trace"
    proc = subprocess.run(
        [
            "strace",
            "-f",
            "-qq",
            "-e",
            "trace=socket,connect",
            "-o",
            str(trace),
            *modelserve_argv(*argv, "--root", example_repo),
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env=_env(tmp_path),
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    calls = [line for line in trace.read_text().splitlines() if INET.search(line)]
    assert calls == [], "\n".join(calls)


def test_the_strace_check_does_see_an_inet_socket(tmp_path) -> None:
    if not _strace_works(tmp_path):
        pytest.skip(NO_STRACE)
    trace = tmp_path / "trace"
    code = "import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()"
    subprocess.run(
        [
            "strace",
            "-f",
            "-qq",
            "-e",
            "trace=socket,connect",
            "-o",
            str(trace),
            sys.executable,
            "-c",
            code,
        ],
        check=True,
        timeout=60,
    )
    assert any(INET.search(line) for line in trace.read_text().splitlines())


def test_schemas_import_from_cluster_without_kubeconfig_is_a_usage_error(
    tmp_path, monkeypatch, attempts, run_cli
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    code, out, err = run_cli(
        "schemas", "import", "--from-cluster", "--out", tmp_path / "store", cwd=tmp_path
    )
    assert code == 2, out + err
    assert "no usable kubeconfig" in err and "KUBECONFIG" in err
    assert "Traceback" not in out + err
    assert attempts == []
