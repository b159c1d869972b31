"""`modelserve init` and `modelserve schemas export`: a new GitOps repository that generates
and validates cleanly, never overwriting a file that is there (tests/test_precommit.py runs the
hooks from such a repository)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from modelserve import __version__
from modelserve.load.shipped import shipped_schemas
from tests.helpers import run_cli

EXPECTED = {
    ".github/workflows/modelserve.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    "catalog/models/sklearn-iris.yaml",
    "catalog/runtimes/kserve-sklearnserver-0.20.0.yaml",
    "environments/dev.yaml",
    "schemas/config.schema.json",
    "schemas/environment.schema.json",
    "schemas/model.schema.json",
    "schemas/runtime.schema.json",
}


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_init_writes_a_repository_that_generates_and_validates_cleanly(tmp_path: Path) -> None:
    root = tmp_path / "gitops"
    code, out, _ = run_cli("init", str(root), "--format", "json")
    assert code == 0 and set(json.loads(out)["written"]) == EXPECTED == _files(root)
    assert run_cli("generate", "--root", str(root))[0] == 0
    code, out, _ = run_cli("validate", "--root", str(root), "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["findings"] == [], document["findings"]
    workflow = yaml.safe_load((root / ".github/workflows/modelserve.yml").read_text())
    assert workflow["jobs"]["modelserve"] == {
        "uses": f"modelserve/modelserve/.github/workflows/modelserve.yml@v{__version__}"
    }
    assert workflow["permissions"]["pull-requests"] == "write"


def test_init_calls_the_reusable_workflow_of_the_hook_repository(tmp_path: Path) -> None:
    root = tmp_path / "gitops"
    hooks = "https://github.com/acme/modelserve-fork.git"
    assert run_cli("init", str(root), "--hook-repo", hooks, "--rev", "v9.9.9")[0] == 0
    workflow = yaml.safe_load((root / ".github/workflows/modelserve.yml").read_text())
    uses = workflow["jobs"]["modelserve"]["uses"]
    assert uses == "acme/modelserve-fork/.github/workflows/modelserve.yml@v9.9.9"


def test_init_never_overwrites_a_file(tmp_path: Path) -> None:
    root = tmp_path / "gitops"
    (root / "environments").mkdir(parents=True)
    mine = "# the team's own\n"
    (root / "environments" / "dev.yaml").write_text(mine)
    code, out, err = run_cli("init", str(root))
    assert code == 0 and "9 file(s) written, 1 kept" in out
    assert "kept environments/dev.yaml" in err
    assert (root / "environments" / "dev.yaml").read_text() == mine
    code, out, _ = run_cli("init", str(root))
    assert code == 0 and "0 file(s) written, 10 kept" in out
    (tmp_path / "file").write_text("x")
    assert run_cli("init", str(tmp_path / "file"))[0] == 2


def test_schemas_export_writes_ours_and_keeps_a_users_file(tmp_path: Path) -> None:
    out_dir = tmp_path / "schemas"
    code, out, _ = run_cli("schemas", "export", str(out_dir))
    assert code == 0 and "4 schema(s) written" in out
    for name in ("runtime", "model", "environment", "config"):
        shipped = (shipped_schemas() / f"{name}.schema.json").read_text()
        assert (out_dir / f"{name}.schema.json").read_text() == shipped
    # an older export of ours is replaced; a file that is not ours is kept
    ours = json.loads((out_dir / "model.schema.json").read_text())
    (out_dir / "model.schema.json").write_text(json.dumps({**ours, "title": "old"}))
    (out_dir / "runtime.schema.json").write_text('{"$id": "https://example.com/mine.json"}')
    code, out, err = run_cli("schemas", "export", str(out_dir))
    assert code == 0 and "1 schema(s) written" in out and "1 kept" in out
    assert "runtime.schema.json: not a modelserve schema" in err
    assert json.loads((out_dir / "runtime.schema.json").read_text())["$id"].startswith(
        "https://example.com"
    )
    assert json.loads((out_dir / "model.schema.json").read_text())["title"] == ours["title"]
