"""Adding a rule is writing one module and running `make docs`: proven on a copy of the project.

A new object rule dropped into a copy of ``rules/`` is found by name, documented by
tools/make_docs.py (docs/rules.md and the README count), and run by both ``validate`` (its
finding mapped to the catalog line) and ``validate-manifests --policy`` (at the manifest's
own line), with the same id, message and hint. No registry or other file is edited.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modelserve.rules.examples import files_for
from tests.helpers import SHARED

PROJECT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # copies the project and runs five subprocesses

NEW_RULE = '''\
"""InferenceServices name the team that owns them in a ``team`` label.

A made-up rule, written by tests/test_rule_discovery.py to prove that one module is all a new
object rule needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope
from modelserve.rules.examples import MODEL

INFO = RuleInfo(
    "team-label",
    Severity.ERROR,
    "InferenceServices carry a team label",
    "add labels: {team: <your team>} to the model",
    frozenset({Scope.OBJECT}),
)
EXAMPLES = {"fail": {"catalog/models/llama.yaml": MODEL}, "pass": {}}


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    if obj.get("kind") == "InferenceService" and "team" not in labels:
        yield Problem(("metadata", "labels"), f"{obj['metadata']['name']} has no team label")
'''

MANIFEST = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: sklearn-iris
  namespace: models
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
"""


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("project")
    for name in ("generator", "schemas", "tools", "docs", "catalog", "environments"):
        shutil.copytree(PROJECT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT / "README.md", copy / "README.md")
    (copy / "generator" / "modelserve" / "rules" / "team_label.py").write_text(NEW_RULE)
    return copy


def run(copy: Path, *argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # the copy has no ../shared beside it: name the real one (make_docs reads its samples)
    env = {**os.environ, "PYTHONPATH": str(copy / "generator"), "MODELSERVE_SHARED": str(SHARED)}
    env.pop("MODELSERVE_CACHE_DIR", None)
    return subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or copy,
        timeout=300,
    )


def test_the_copy_is_what_runs(project_copy: Path) -> None:
    proc = run(project_copy, "-c", "import modelserve; print(modelserve.__file__)")
    assert proc.stdout.strip().startswith(str(project_copy)), proc.stdout + proc.stderr


def test_make_docs_documents_the_new_rule(project_copy: Path) -> None:
    proc = run(project_copy, "tools/make_docs.py")
    assert proc.returncode == 0, proc.stderr
    rules_md = (project_copy / "docs" / "rules.md").read_text()
    assert "## team-label\n" in rules_md
    assert "InferenceServices name the team that owns them" in rules_md
    count = int(run(project_copy, "-c", "import modelserve.rules as r; print(len(r.RULES))").stdout)
    assert f"`docs/rules.md`, {count} rules," in (project_copy / "README.md").read_text()
    assert run(project_copy, "tools/make_docs.py", "--check").returncode == 0


def test_validate_runs_it_on_rendered_objects_at_the_catalog_line(
    project_copy: Path, tmp_path: Path
) -> None:
    for rel, text in files_for({}).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    proc = run(
        project_copy,
        "-m",
        "modelserve",
        "validate",
        "--root",
        str(tmp_path),
        "--format",
        "json",
        "--no-cache",
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    found = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "team-label"]
    assert [(f["file"], f["line"]) for f in found] == [("catalog/models/llama.yaml", 1)]
    assert found[0]["message"] == "llama has no team label"
    assert found[0]["hint"] == "add labels: {team: <your team>} to the model"


def test_validate_manifests_runs_it_on_hand_written_yaml(
    project_copy: Path, tmp_path: Path
) -> None:
    (tmp_path / "isvc.yaml").write_text(MANIFEST)
    proc = run(
        project_copy,
        "-m",
        "modelserve",
        "validate-manifests",
        "--policy",
        "--format",
        "json",
        str(tmp_path / "isvc.yaml"),
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    found = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "team-label"]
    assert [(f["line"], f["message"], f["hint"]) for f in found] == [
        (3, "sklearn-iris has no team label", "add labels: {team: <your team>} to the model")
    ]
