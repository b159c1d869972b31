"""validate-manifests on an ordinary GitOps repository: Kustomize roots built as Flux's
kustomize-controller builds them (load restrictions off, apiVersion/kind optional in a
kustomization), findings at the source file and line (origin annotations), patches and other
Kustomize inputs not validated as objects, Helm charts and values skipped with a note."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_cli, run_modelserve, write_files

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: two
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: docker.io/library/nginx:1.27
"""
FILES = {
    # a kustomization without apiVersion and kind, as most repositories write them
    "apps/base/kustomization.yaml": "resources: [deployment.yaml, ../../shared/cm.yaml]\n",
    "apps/base/deployment.yaml": DEPLOYMENT,
    "shared/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\ndata: {a: b}\n",
    "apps/prod/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "namePrefix: prod-\nresources: [../base]\npatches:\n  - path: replicas.yaml\n"
    ),
    # a strategic-merge patch: no selector, no template; not an object of its own
    "apps/prod/replicas.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
    "spec: {minReadySeconds: 5}\n",
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "charts/web/templates/svc.yaml": "kind: Service\nmetadata:\n  name: {{ .Release.Name }}\n",
    "values/web-values.yaml": "replicaCount: 2\nimage: {tag: '1.27'}\n",
    "plain/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n"
    "  ports: [{port: http}]\n",
}


def _run(root: Path, *args: str, engine: str | None = None) -> tuple[int, dict[str, Any], str]:
    env = {"MODELSERVE_KUSTOMIZE": engine} if engine else None
    proc = run_modelserve("validate-manifests", *args, "--format", "json", cwd=root, env=env)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def _where(document: dict[str, Any]) -> list[tuple[str, int, str]]:
    return sorted((f["file"], f["line"], f["rule"]) for f in document["findings"])


def test_a_gitops_repository_is_checked_as_flux_applies_it(tmp_path: Path) -> None:
    root = write_files(tmp_path / "gitops", FILES)
    code, document, err = _run(root, ".")
    assert code == 1
    # the replicas error in both builds (base, and prod's prefixed copy) at the base file's
    # line; the Service port error at its own; nothing on the patch, kustomizations or Helm
    assert _where(document) == [
        ("apps/base/deployment.yaml", 6, "schema"),
        ("apps/base/deployment.yaml", 6, "schema"),
        ("plain/service.yaml", 5, "schema"),
    ]
    assert sorted(f["object"] for f in document["findings"])[:2] == [
        "Deployment prod-web",
        "Deployment web",
    ]
    summary = document["summary"]
    assert summary["kustomize_roots"] == ["apps/base", "apps/prod"]
    # base: Deployment + ConfigMap (from ../../shared: load restrictions off); prod: the same
    # two; shared/cm.yaml and the Service on their own, being in no root
    assert summary["objects"] == 6
    assert [s["file"] for s in summary["skipped"]] == [
        "charts/web/Chart.yaml",
        "charts/web/templates/svc.yaml",
        "values/web-values.yaml",
    ]
    assert "skipped values/web-values.yaml: not Kubernetes" in err
    assert "skipped charts/web/templates/svc.yaml: part of the Helm chart charts/web/" in err
    code, out, _ = run_cli("validate-manifests", str(root / "apps"), cwd=root)
    assert "2 Kustomize root(s) built as Flux builds them" in out


def test_a_changed_input_alone_builds_its_root(tmp_path: Path) -> None:
    """pre-commit passes only changed files: a patch is checked through its root's build."""
    root = write_files(tmp_path / "gitops", FILES)
    code, document, _ = _run(root, "apps/prod/replicas.yaml")
    assert document["summary"]["kustomize_roots"] == ["apps/prod"]
    assert _where(document) == [("apps/base/deployment.yaml", 6, "schema")]
    assert document["findings"][0]["object"] == "Deployment prod-web"


def test_a_root_that_does_not_build_is_one_finding_at_its_kustomization(tmp_path: Path) -> None:
    files = {**FILES, "apps/prod/kustomization.yaml": "resources: [../base, missing.yaml]\n"}
    root = write_files(tmp_path / "gitops", files)
    code, document, _ = _run(root, "apps")
    [broken] = [f for f in document["findings"] if f["rule"] == "kustomize-build"]
    assert broken["file"] == "apps/prod/kustomization.yaml" and code == 1
    assert "missing.yaml" in broken["message"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
def test_kubectl_builds_the_same_as_the_in_process_engine(tmp_path: Path) -> None:
    root = write_files(tmp_path / "gitops", FILES)
    in_process = _run(root, ".")[1]
    binary = _run(root, ".", engine="kubectl")[1]
    assert _where(binary) == _where(in_process)
    assert binary["summary"]["objects"] == in_process["summary"]["objects"]


def test_waivers_and_configuration_apply_to_manifests_too(tmp_path: Path) -> None:
    deployment = DEPLOYMENT.replace(
        "  replicas: two\n", "  replicas: two  # modelserve: ignore[schema] set by the HPA, OPS-7\n"
    )
    files = {
        **FILES,
        "apps/base/deployment.yaml": deployment,
        ".modelserve.yaml": "exclude: ['plain/*']\n",
    }
    root = write_files(tmp_path / "gitops", files)
    code, document, _ = _run(root, "apps", "plain", "--root", ".")
    assert code == 0 and document["findings"] == []
    reasons = sorted(s["justification"] for s in document["suppressed"])
    # both builds' copies of the Deployment, waived at the source line; the Service excluded
    assert reasons == [
        "excluded in .modelserve.yaml (plain/*)",
        "set by the HPA, OPS-7",
        "set by the HPA, OPS-7",
    ]
