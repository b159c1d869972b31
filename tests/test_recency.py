"""Findings between two files land on the one the user edited: a duplicate name on the new copy
(not the untouched original), a refused registry on the allow-list line when the allow-list was
the edit (issue 12, item 7)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from modelserve.load.recency import Recency
from modelserve.load.repository import Repository, load_repository
from modelserve.rules.examples import ENVIRONMENT, MODEL, RUNTIME, files_for
from tests.helpers import GIT_ENV, commit_all, git, write_files
from tests.rules.rulekit import ENV_FILE, MODEL_FILE, RUNTIME_FILE, line_of, rule_findings
from tests.rules.rulekit import load as load_ctx

COPY = "catalog/models/a-llama.yaml"  # sorts before the original llama.yaml


def _duplicates(root: Path) -> list[str]:
    loaded = load_repository(Repository(root))
    return [f.file for f in loaded.findings if f.rule == "duplicate-name"]


def test_a_new_copy_that_sorts_first_is_the_one_reported(tmp_path: Path) -> None:
    root = commit_all(write_files(tmp_path, files_for({})))
    write_files(root, {COPY: MODEL})  # untracked: the pull request's file
    assert _duplicates(root) == [COPY]


def test_the_later_commit_is_the_copy(tmp_path: Path) -> None:
    root = write_files(tmp_path, files_for({COPY: MODEL}))
    commit_all(root)  # both in one commit: a tie, so the file that sorts later
    assert _duplicates(root) == [MODEL_FILE]
    (root / COPY).write_text(MODEL + "# touched\n")
    env = {**GIT_ENV, "HOME": str(root), "GIT_COMMITTER_DATE": "2090-01-01T00:00:00Z"}
    subprocess.run(["git", "-C", str(root), "commit", "-qam", "touch"], check=True, env=env)
    assert _duplicates(root) == [COPY]


def test_without_git_the_file_that_sorts_later_is_reported(tmp_path: Path) -> None:
    root = write_files(tmp_path, files_for({COPY: MODEL}))
    assert _duplicates(root) == [MODEL_FILE]
    assert Recency(root).newer(COPY, MODEL_FILE) is None


def test_an_allow_list_edit_is_reported_on_the_allow_list(tmp_path: Path) -> None:
    root = commit_all(write_files(tmp_path, files_for({})))
    env = ENVIRONMENT.replace("allowed: [nvcr.io]", "allowed: [registry.example.com]")
    write_files(root, {ENV_FILE: env})
    _, ctx = load_ctx(root)
    [finding] = rule_findings(ctx, "image-registry")
    assert (finding.file, finding.line) == (ENV_FILE, line_of(env, "allowed:"))


def test_an_image_edit_is_reported_on_the_image(tmp_path: Path) -> None:
    root = commit_all(write_files(tmp_path, files_for({})))
    runtime = RUNTIME.replace("image: nvcr.io/", "image: ghcr.io/")
    write_files(root, {RUNTIME_FILE: runtime})
    _, ctx = load_ctx(root)
    [finding] = rule_findings(ctx, "image-registry")
    assert (finding.file, finding.line) == (RUNTIME_FILE, line_of(runtime, "image:"))


def test_git_in_the_checkout_runs_no_fsmonitor(tmp_path: Path) -> None:
    """A pull request's repository may configure a command git would run: Recency turns the
    hook points it uses off."""
    root = commit_all(write_files(tmp_path, files_for({})))
    marker = tmp_path / "ran"
    git(root, "config", "core.fsmonitor", f"touch {marker}; false")
    write_files(root, {COPY: MODEL})
    assert _duplicates(root) == [COPY]
    assert not marker.exists()
