"""The cluster's shared objects wait for the real KServe install (``platform.kserveInstall``).

Flux orders syncs only between Kustomizations (kustomize-controller v1.9 ``checkDependencies``
reads each ``dependsOn`` entry as a Kustomization), so a Kustomization install is depended on
directly, and a HelmRelease or a platform install (Hybrid Manager) through a generated gate: a
Kustomization of nothing with ``wait: false`` whose ``healthChecks`` are the install, which
``checkHealth`` waits for even when nothing was applied.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelserve.deploy.tree import build_tree
from modelserve.load.repository import Repository, load_repository
from modelserve.render.flux import KSERVE_CRDS
from tests.helpers import copy_example, run_cli

PROD_CLUSTER = "onprem-prod-1"


def _set_install(repo: Path, env: str, install: dict[str, Any] | None, **platform: Any) -> None:
    path = repo / f"environments/{env}.yaml"
    data = yaml.safe_load(path.read_text())
    data["platform"].pop("kserveInstall", None)
    if install is not None:
        data["platform"]["kserveInstall"] = install
    data["platform"].update(platform)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _flux_objects(repo: Path, cluster: str) -> dict[str, dict[str, Any]]:
    tree = build_tree(load_repository(Repository(repo)).catalog)
    [root] = [r for r in tree.roots if r.path == f"clusters/{cluster}/modelserve"]
    return {o.obj["metadata"]["name"]: o.obj for o in root.objects}


def test_hybrid_manager_waits_for_kserve_crds_and_controller(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    flux = _flux_objects(repo, PROD_CLUSTER)
    gate = flux[f"{PROD_CLUSTER}-modelserve-kserve"]
    assert gate["spec"]["wait"] is False
    checks = gate["spec"]["healthChecks"]
    assert [c["name"] for c in checks if c["kind"] == "CustomResourceDefinition"] == list(
        KSERVE_CRDS
    )
    assert {"apiVersion": "apps/v1", "kind": "Deployment"}.items() <= checks[-1].items()
    assert (checks[-1]["name"], checks[-1]["namespace"]) == ("kserve-controller-manager", "kserve")
    shared = flux[f"{PROD_CLUSTER}-modelserve-shared"]
    assert shared["spec"]["dependsOn"] == [{"name": f"{PROD_CLUSTER}-modelserve-kserve"}]
    # the models never depend on the gate directly: the shared objects come between
    models = [o for name, o in flux.items() if "-models-" in name]
    assert models and all(
        o["spec"]["dependsOn"] == [{"name": f"{PROD_CLUSTER}-modelserve-shared"}] for o in models
    )


def test_the_gate_path_builds_to_nothing_with_real_kustomize(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    assert run_cli("generate", "--root", str(repo))[0] == 0
    gate_path = yaml.safe_load(
        (repo / f"deploy/clusters/{PROD_CLUSTER}/modelserve/kserve.yaml").read_text()
    )["spec"]["path"]
    folder = repo / gate_path.removeprefix("./")
    out = subprocess.run(
        ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() in ("", "{}")
    # and the cluster's Flux root lists it, so Flux applies the gate
    listed = yaml.safe_load(
        (repo / f"deploy/clusters/{PROD_CLUSTER}/modelserve/kustomization.yaml").read_text()
    )["resources"]
    assert "kserve.yaml" in listed
    assert run_cli("validate", "--root", str(repo))[0] == 0


def test_a_helm_release_install_is_health_checked_by_the_gate(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    _set_install(repo, "prod", {"kind": "HelmRelease", "name": "kserve", "namespace": "kserve"})
    gate = _flux_objects(repo, PROD_CLUSTER)[f"{PROD_CLUSTER}-modelserve-kserve"]
    assert gate["spec"]["healthChecks"] == [
        {
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "name": "kserve",
            "namespace": "kserve",
        }
    ]
    assert run_cli("validate", "--root", str(repo))[0] == 0


def test_a_kustomization_install_is_a_direct_dependency(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    _set_install(repo, "prod", {"kind": "Kustomization", "name": "kserve", "namespace": "infra"})
    flux = _flux_objects(repo, PROD_CLUSTER)
    assert f"{PROD_CLUSTER}-modelserve-kserve" not in flux
    shared = flux[f"{PROD_CLUSTER}-modelserve-shared"]
    assert shared["spec"]["dependsOn"] == [{"name": "kserve", "namespace": "infra"}]
    assert run_cli("validate", "--root", str(repo))[0] == 0  # flux-refs knows the name
    _set_install(repo, "prod", {"kind": "Kustomization", "name": "kserve"})
    shared = _flux_objects(repo, PROD_CLUSTER)[f"{PROD_CLUSTER}-modelserve-shared"]
    assert shared["spec"]["dependsOn"] == [{"name": "kserve"}]  # the Flux namespace's own


def test_without_hybrid_manager_nothing_is_assumed(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    _set_install(repo, "prod", None, hybridManager=False)
    flux = _flux_objects(repo, PROD_CLUSTER)
    assert f"{PROD_CLUSTER}-modelserve-kserve" not in flux
    assert "dependsOn" not in flux[f"{PROD_CLUSTER}-modelserve-shared"]["spec"]


@pytest.mark.parametrize("kind", ["Kustomization", "HelmRelease"])
def test_a_named_install_needs_its_name(tmp_path: Path, kind: str) -> None:
    repo = copy_example(tmp_path / "repo")
    _set_install(repo, "prod", {"kind": kind})
    rc, out, err = run_cli("validate", "--root", str(repo))
    assert rc == 1, out + err
    assert "environments/prod.yaml:" in out and "kserveInstall" in out and "name" in out


def test_environments_on_one_cluster_agree_on_the_install(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    dev = yaml.safe_load((repo / "environments/dev.yaml").read_text())
    path = repo / "environments/staging.yaml"
    staging = yaml.safe_load(path.read_text())
    staging["cluster"] = dev["cluster"]
    staging["kubernetesVersion"] = dev["kubernetesVersion"]
    staging["platform"] = {**dev["platform"], "kserveInstall": {"kind": "HelmRelease", "name": "k"}}
    staging["flux"] = {**staging["flux"], "sourceRef": dev["flux"]["sourceRef"]}
    staging.pop("runtimeImages", None)
    path.write_text(yaml.safe_dump(staging, sort_keys=False))
    rc, out, err = run_cli("validate", "--root", str(repo))
    assert rc == 1, out + err
    assert "cluster-agree" in out and "platform.kserveInstall" in out
