"""The CLI contract: exit codes, crash handling, progress only where a person is watching."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from modelserve.commands import common


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_usage_error_exits_2(run_cli) -> None:
    code, _, err = run_cli("validate", "--format", "xml")
    assert code == 2 and "invalid choice" in err
    code, _, err = run_cli("no-such-command")
    assert code == 2


def test_version(run_cli) -> None:
    code, out, _ = run_cli("--version")
    assert code == 0 and re.match(r"modelserve \d+\.\d+\.\d+", out)


def test_internal_error_exits_3_with_a_crash_log_and_no_traceback(
    run_cli, example_repo: Path, monkeypatch
) -> None:
    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("modelserve.commands.generate.generate", explode)
    code, out, err = run_cli("generate", "--root", example_repo)
    assert code == 3
    assert "Traceback" not in out + err and "internal error: RuntimeError: boom" in err
    log = Path(re.search(r"are in (\S+)", err).group(1))
    assert "Traceback" in log.read_text() and "boom" in log.read_text()
    log.unlink()
    assert not (example_repo / "deploy").exists()


def test_internal_error_messages_and_crash_logs_are_scrubbed(
    run_cli, example_repo: Path, monkeypatch
) -> None:
    key = "nvapi-" + "Zx81kQm2vB7LrT0pYw5sNd3Hc9Jf6Ga4Ue1Xi8Ko"

    def explode(*_args, **_kwargs):
        raise RuntimeError(f"could not parse {key}\n\x1b[2Kforged line")

    monkeypatch.setattr("modelserve.commands.generate.generate", explode)
    code, out, err = run_cli("generate", "--root", example_repo)
    assert code == 3 and key not in out + err and "\x1b" not in err and "\nforged" not in err
    log = Path(re.search(r"are in (\S+)", err).group(1))
    assert key not in log.read_text() and "could not parse nvap" in log.read_text()
    log.unlink()


def test_ctrl_c_exits_130(run_cli, example_repo: Path, monkeypatch) -> None:
    def interrupt(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("modelserve.commands.validate.validate_repository", interrupt)
    code, _, err = run_cli("validate", "--root", example_repo)
    assert code == 130 and "interrupted" in err


def test_progress_is_silent_in_a_pipe_and_in_ci(monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    piped = io.StringIO()
    progress = common.Progress(piped, delay=0)
    progress("working")
    assert piped.getvalue() == ""
    monkeypatch.setenv("CI", "true")
    tty = _Tty()
    common.Progress(tty, delay=0)("working")
    assert tty.getvalue() == ""


def test_progress_talks_on_a_terminal_only_after_the_delay(monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    tty = _Tty()
    quick = common.Progress(tty, delay=3600)
    quick("environment 1/3")
    assert tty.getvalue() == ""
    slow = common.Progress(tty, delay=0)
    slow("environment 2/3")
    slow.done("done in 3.1s")
    assert "environment 2/3" in tty.getvalue() and tty.getvalue().endswith("done in 3.1s\n")


def test_validate_reports_progress_per_environment(example_repo: Path, monkeypatch) -> None:
    from modelserve.load.repository import Repository
    from modelserve.validate.pipeline import Options, validate_repository

    seen: list[str] = []
    validate_repository(Repository(example_repo), Options(progress=seen.append))
    assert {
        env for env in ("dev", "staging", "prod") if any(f"environment {env}" in m for m in seen)
    } == {"dev", "staging", "prod"}


@pytest.mark.parametrize("command", ["generate", "validate", "check"])
def test_missing_catalog_is_a_configuration_error(run_cli, tmp_path: Path, command: str) -> None:
    code, _, err = run_cli(command, "--root", tmp_path)
    assert code == 2 and "no catalog/ or environments/" in err


def test_negative_max_lines_is_a_usage_error(run_cli, example_repo: Path) -> None:
    code, _, err = run_cli("check", "--root", example_repo, "--max-lines", "-1")
    assert code == 2 and "negative" in err
