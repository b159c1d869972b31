"""The test suite's own contract: without the upstream test data it fails at once, with one
message naming the missing folder, instead of skipping the tests that need it.

The shared folder is ``../shared`` from the project root unless ``MODELSERVE_SHARED`` says
otherwise (tests/helpers.py); here a pytest subprocess is pointed at folders that lack it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import PROJECT, SHARED, UPSTREAM

# A module that reads ../shared/upstream: it used to skip all its tests when it was missing.
NEEDS_UPSTREAM = "tests/test_manifests.py"
USAGE_ERROR = 4  # pytest.ExitCode.USAGE_ERROR


def pytest_with_shared(shared: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["MODELSERVE_SHARED"] = str(shared)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize("layout", ["no-shared-folder", "shared-without-upstream"])
def test_missing_upstream_data_fails_the_session_with_one_message(
    layout: str, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    if layout == "shared-without-upstream":
        (shared / "reference").mkdir(parents=True)
    missing = shared if layout == "no-shared-folder" else shared / "upstream"
    proc = pytest_with_shared(shared, NEEDS_UPSTREAM)
    output = proc.stdout + proc.stderr
    assert proc.returncode == USAGE_ERROR, output
    [message] = [line for line in output.splitlines() if "is missing" in line]
    assert f"the upstream test data folder {missing} is missing" in message
    assert "MODELSERVE_SHARED" in message
    assert output.count(str(missing)) == 1, output
    # Stopped before collection: nothing ran, nothing was skipped.
    assert not re.search(r"\b(passed|skipped|failed|deselected)\b", output), output


def test_the_shared_folder_setting_is_honoured(tmp_path: Path) -> None:
    """The control: pointed at the real folder, the same module collects with no skip."""
    assert UPSTREAM.is_dir(), f"the session itself runs with {SHARED}"
    proc = pytest_with_shared(SHARED, "--collect-only", "-q", NEEDS_UPSTREAM)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^tests/test_manifests\.py: \d+$", proc.stdout, re.M), proc.stdout


def test_no_test_skips_on_missing_dependencies_or_shared_data() -> None:
    """Skips stay for what a machine may lack (strace, kubeconform, root's chattr), never for a
    declared dependency (importorskip) or the upstream data."""
    offenders = []
    for path in sorted((PROJECT / "tests").rglob("*.py")):
        if path.name == "test_suite_contract.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "importorskip(" in line or (
                re.search(r"\bskip(if)?\b", line) and re.search(r"shared|UPSTREAM|CRDS", line)
            ):
                offenders.append(f"{path.relative_to(PROJECT)}:{number}: {line.strip()}")
    assert offenders == []
