"""tools/fuzz.py, the `make fuzz` driver: jobs share the examples; any failing job fails the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import PROJECT

# Each test runs the driver, which starts pytest processes of tests/test_fuzz.py: seconds each.
pytestmark = pytest.mark.slow


def _run(
    tmp_path: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "tools/fuzz.py",
            "--examples",
            "6",
            "--jobs",
            "2",
            "--seed",
            "7",
            "--logs",
            str(tmp_path / "logs"),
            *extra,
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_jobs_share_the_examples_and_the_run_counts_them(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "job 0: 3 examples" in done.stdout and "job 1: 3 examples" in done.stdout
    assert "6 examples passed" in done.stdout and "no failure" in done.stdout
    ends = [
        p.read_text().splitlines()[-1] for p in sorted((tmp_path / "logs").glob("job-*.progress"))
    ]
    assert ends == ["3 examples (end)", "3 examples (end)"]


def test_the_same_seed_gives_the_same_job_seeds(tmp_path: Path) -> None:
    first, second = _run(tmp_path / "a"), _run(tmp_path / "b")
    seeds = [
        [line for line in run.stdout.splitlines() if "--hypothesis-seed" in line]
        for run in (first, second)
    ]
    assert seeds[0] and seeds[0] == seeds[1]


def test_a_failing_job_fails_the_run_and_shows_its_log(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # FUZZ_TMP must be a folder: every job errors out
    done = _run(tmp_path, env={"FUZZ_TMP": str(blocker)})
    assert done.returncode == 1
    assert "FAILED" in done.stdout and "its log" in done.stdout


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "tools/fuzz.py", "--jobs", "0"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--jobs" in done.stderr


def test_a_reused_logs_folder_does_not_count_an_earlier_run(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in (0, 1):
        (logs / f"job-{i}.progress").write_text("100000 examples (end)\n")
    done = _run(tmp_path)
    assert done.returncode == 0 and "6 examples passed" in done.stdout, done.stdout
    assert [(logs / f"job-{i}.progress").read_text() for i in (0, 1)] == ["3 examples (end)\n"] * 2
