"""Nothing silently ignored: hand-written files under deploy/ that nothing applies, Kubernetes
versions without bundled schemas, and CRDs that define one kind twice in `schemas import`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from modelserve.validate.kubeschemas import available_kubernetes_versions
from tests.helpers import copy_example, run_cli

UPSTREAM = Path(__file__).resolve().parents[2] / "shared" / "upstream" / "crds" / "kserve"
CLUSTER = "onprem-prod-1"


def _hand_written(repo: Path) -> None:
    deploy = repo / "deploy"
    flux_system = deploy / "clusters" / CLUSTER / "flux-system"
    flux_system.mkdir(parents=True)
    # what `flux bootstrap` writes: applied through Flux's generated kustomization
    (flux_system / "kustomization.yaml").write_text("resources: [gotk-components.yaml]\n")
    (flux_system / "gotk-components.yaml").write_text("apiVersion: v1\nkind: List\nitems: []\n")
    (deploy / "clusters" / CLUSTER / "team-rbac.yaml").write_text("apiVersion: v1\nkind: List\n")
    # not applied: beside a kustomization that does not list it, and under an overlay
    (flux_system / "forgotten.yaml").write_text("apiVersion: v1\nkind: List\n")
    (deploy / "overlays" / "prod" / "extra.yaml").write_text("apiVersion: v1\nkind: List\n")
    (deploy / "overlays" / "prod" / "NOTES.md").write_text("not a manifest\n")


DEAD = [
    f"deploy/clusters/{CLUSTER}/flux-system/forgotten.yaml",
    "deploy/overlays/prod/extra.yaml",
]


def test_validate_and_check_report_files_flux_never_applies(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    assert run_cli("generate", "--root", str(repo))[0] == 0
    _hand_written(repo)
    code, out, _ = run_cli("validate", "--root", str(repo), "--format", "json")
    assert code == 0  # a warning
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "deploy-unreferenced"]
    assert sorted(f["file"] for f in found) == DEAD
    assert all(
        f["severity"] == "warning" and "Flux never applies it" in f["message"] for f in found
    )
    code, out, err = run_cli("check", "--root", str(repo))
    assert code == 0 and "up to date" in out
    assert [line.split()[2] for line in err.splitlines() if "never applies" in line] == DEAD
    code, out, _ = run_cli("check", "--root", str(repo), "--format", "json")
    assert json.loads(out)["unreferenced"] == DEAD
    # listing one in the overlay's kustomization makes it applied
    kustomization = repo / "deploy" / "overlays" / "prod" / "kustomization.yaml"
    data = yaml.safe_load(kustomization.read_text())
    data["resources"].append("extra.yaml")
    kustomization.write_text(yaml.safe_dump(data))
    code, out, _ = run_cli("validate", "--root", str(repo), "--format", "json")
    assert [
        f["file"] for f in json.loads(out)["findings"] if f["rule"] == "deploy-unreferenced"
    ] == DEAD[:1]


@pytest.mark.parametrize(
    ("version", "severity", "words"),
    [("1.3", "error", "older than every bundled schema"), ("1.99", "warning", "are not bundled")],
)
def test_kubernetes_versions_without_bundled_schemas(
    tmp_path: Path, version: str, severity: str, words: str
) -> None:
    repo = copy_example(tmp_path / "repo")
    env = repo / "environments" / "dev.yaml"
    env.write_text(
        env.read_text().replace('kubernetesVersion: "1.33"', f'kubernetesVersion: "{version}"')
    )
    code, out, _ = run_cli("validate", "--root", str(repo), "--format", "json")
    [found] = [f for f in json.loads(out)["findings"] if f["rule"] == "kubernetes-version"]
    first, last = available_kubernetes_versions()[0], available_kubernetes_versions()[-1]
    assert found["severity"] == severity and words in found["message"]
    assert f"{first[0]}.{first[1]} to {last[0]}.{last[1]}" in found["message"]
    assert found["file"] == "environments/dev.yaml" and found["line"] >= 1
    assert code == (1 if severity == "error" else 0)


def test_schemas_import_reports_kinds_defined_twice(tmp_path: Path) -> None:
    older = UPSTREAM / "v0.20.0-tag" / "serving.kserve.io_servingruntimes.yaml"
    newer = UPSTREAM / "serving.kserve.io_servingruntimes.yaml"
    assert older.is_file() and newer.is_file(), "the upstream CRDs are missing from ../shared"
    out_dir = tmp_path / "store"
    code, out, err = run_cli("schemas", "import", str(older), str(newer), "--out", str(out_dir))
    assert code == 0, err
    [warning] = [line for line in err.splitlines() if "defined differently" in line]
    assert str(older) in warning and str(newer) in warning
    assert f"the schema of {newer}:" in warning and warning.endswith(" is written")
    assert "1 schema(s) written to" in out and "from 2 file(s); 1 kind(s) defined twice" in out
    code, out, _ = run_cli(
        "schemas", "import", str(older), str(newer), "--out", str(out_dir), "--format", "json"
    )
    document = json.loads(out)
    assert len(document["conflicts"]) == 1 and document["summary"] == {
        "files_read": 2,
        "schemas": 1,
    }
    # the same CRD twice is no conflict
    code, _, err = run_cli("schemas", "import", str(newer), str(newer), "--out", str(out_dir))
    assert code == 0 and "defined differently" not in err
