"""The Kustomize engine: the fallback order in every summary, `modelserve engine`, and the
install step (real pip, pointed at no index so nothing is downloaded)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from modelserve.commands import engine as engine_command
from modelserve.validate import engine_install, kustomize
from tests.helpers import PROJECT, run_cli


@pytest.fixture
def fresh_choice():
    kustomize.forget_engine()
    yield
    kustomize.forget_engine()


def test_the_in_process_engine_comes_first(fresh_choice, monkeypatch) -> None:
    monkeypatch.delenv(kustomize.ENGINE_ENV, raising=False)
    chosen = kustomize.engine()
    assert chosen.name == "pykustomize (in-process)"
    assert chosen.passed_over == () and chosen.summary == chosen.name


def test_a_fallback_names_what_it_stands_in_for(fresh_choice, monkeypatch) -> None:
    monkeypatch.delenv(kustomize.ENGINE_ENV, raising=False)
    monkeypatch.setattr(kustomize, "_has_pykustomize", lambda: False)
    monkeypatch.setattr(kustomize.shutil, "which", lambda n: "/usr/bin/kubectl" * (n == "kubectl"))
    chosen = kustomize.engine()
    assert chosen.argv == ("/usr/bin/kubectl", "kustomize")
    assert chosen.summary == (
        "kubectl kustomize (/usr/bin/kubectl); not pykustomize (not installed: "
        "`modelserve engine install`), not kustomize (not on PATH)"
    )


def test_the_fallback_says_when_the_platform_has_no_library(fresh_choice, monkeypatch) -> None:
    monkeypatch.delenv(kustomize.ENGINE_ENV, raising=False)
    monkeypatch.setattr(kustomize, "_has_pykustomize", lambda: False)
    monkeypatch.setattr(engine_install.platform, "system", lambda: "Darwin")
    monkeypatch.setattr(engine_install.platform, "machine", lambda: "arm64")
    assert (
        "not pykustomize (pykustomize 0.1.4 ships its library for linux-amd64 only, not "
        "darwin-arm64)" in kustomize.engine().summary
    )


def test_no_engine_at_all_is_a_usage_error_that_says_what_to_install(
    fresh_choice, monkeypatch
) -> None:
    monkeypatch.setenv(kustomize.ENGINE_ENV, "kustomize")
    monkeypatch.setattr(kustomize.shutil, "which", lambda _name: None)
    code, out, err = run_cli("engine")
    assert code == 2 and out == ""
    assert "no Kustomize engine found: run `modelserve engine install`" in err


def test_an_unknown_forced_engine_is_refused(fresh_choice, monkeypatch) -> None:
    monkeypatch.setenv(kustomize.ENGINE_ENV, "kustomise")
    code, _, err = run_cli("engine")
    assert code == 2 and "MODELSERVE_KUSTOMIZE=kustomise: expected one of pykustomize" in err


def test_engine_command_text_and_json(fresh_choice, monkeypatch) -> None:
    monkeypatch.setenv(kustomize.ENGINE_ENV, "kubectl")
    code, out, _ = run_cli("engine")
    assert code == 0 and out.startswith("kustomize engine: kubectl kustomize (")
    assert "order: pykustomize, kustomize, kubectl" in out
    monkeypatch.delenv(kustomize.ENGINE_ENV)
    kustomize.forget_engine()
    code, out, _ = run_cli("engine", "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "engine": "pykustomize (in-process)",
        "passed_over": [],
        "order": ["pykustomize", "kustomize", "kubectl"],
        "override": "MODELSERVE_KUSTOMIZE",
    }


def test_install_when_present_changes_nothing() -> None:
    outcome = engine_install.install()
    assert outcome.installed and outcome.message == f"pykustomize is installed in {sys.prefix}"


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv with pip (ensurepip: offline) and nothing else."""
    import venv

    folder = tmp_path_factory.mktemp("bare-venv")
    venv.create(folder, with_pip=True)
    return folder


@pytest.fixture
def absent_engine(monkeypatch, bare_venv: Path) -> Path:
    """The install step as run from an environment without the engine, whose pip has no index
    (this process stands in for that environment's modelserve)."""
    monkeypatch.setattr(engine_install, "is_installed", lambda: False)
    monkeypatch.setattr(engine_install, "is_present", lambda: False)
    monkeypatch.setattr(engine_install.sys, "prefix", str(bare_venv))
    monkeypatch.setattr(engine_install.sys, "executable", str(bare_venv / "bin/python"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    (bare_venv / engine_install.FAILED_MARKER).unlink(missing_ok=True)
    return bare_venv


def test_a_failed_install_is_one_line_remembered_for_a_day(absent_engine: Path) -> None:
    outcome = engine_install.install(force_retry=False)
    assert not outcome.installed
    assert outcome.message == (
        "pip exited 1: ERROR: No matching distribution found for pykustomize==0.1.4"
    )
    assert engine_install.recently_failed()
    again = engine_install.install(force_retry=False)
    assert "an install failed less than a day ago" in again.message
    # the explicit command always tries again
    assert engine_install.install().message.startswith("pip exited 1")


def test_an_old_failure_is_retried(absent_engine: Path) -> None:
    (absent_engine / engine_install.FAILED_MARKER).write_text("0\nlong ago\n")
    assert not engine_install.recently_failed()
    assert engine_install.install(force_retry=False).message.startswith("pip exited 1")


def test_the_install_command_fails_clearly(absent_engine: Path) -> None:
    code, out, err = run_cli("engine", "install")
    assert code == 2 and out == ""
    assert err.strip() == (
        "modelserve: the in-process Kustomize engine was not installed: pip exited 1: "
        "ERROR: No matching distribution found for pykustomize==0.1.4"
    )


def test_hook_install_never_fails_the_run(absent_engine: Path, capsys) -> None:
    engine_command.ensure_for_hook()
    assert capsys.readouterr().err.splitlines() == [
        "modelserve: installing the in-process Kustomize engine (once) ...",
        "modelserve: not installed: pip exited 1: ERROR: No matching distribution found for "
        "pykustomize==0.1.4",
    ]
    engine_command.ensure_for_hook()  # remembered: no second attempt, one note
    (note,) = capsys.readouterr().err.splitlines()
    assert "an install failed less than a day ago" in note


def test_nothing_is_attempted_where_the_wheel_has_no_library(absent_engine, monkeypatch) -> None:
    monkeypatch.setattr(engine_install.platform, "machine", lambda: "aarch64")
    outcome = engine_install.install()
    assert not outcome.installed and "not linux-aarch64" in outcome.message
    assert not (absent_engine / engine_install.FAILED_MARKER).exists()


def test_a_read_only_prefix_is_explained(absent_engine, monkeypatch) -> None:
    monkeypatch.setattr(engine_install.os, "access", lambda *_: False)
    assert "is not writable: run this from a virtualenv" in engine_install.install().message


def test_the_pin_is_the_wheel_the_project_venv_runs() -> None:
    """The hash pins exactly one artefact; the version must be the one the tests build with."""
    from importlib.metadata import version

    assert version("pykustomize") == engine_install.VERSION
    record = Path(sys.prefix).glob("lib/python*/site-packages/pykustomize-*.dist-info")
    assert next(record).name == f"pykustomize-{engine_install.VERSION}.dist-info"
    assert len(engine_install.WHEEL_SHA256) == 64
    assert f"pykustomize=={engine_install.VERSION}" not in (PROJECT / "pyproject.toml").read_text()
