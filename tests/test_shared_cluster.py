"""Environments on one cluster share one owner for the cluster-scoped objects.

Each environment used to apply the same ClusterServingRuntime from its own Flux Kustomization
with ``prune: true``: ownership flipped on every reconcile, and the environment that dropped a
runtime deleted it under the other. Now the cluster's ``shared/<cluster>`` root and its one Flux
Kustomization hold every runtime any of its environments uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from modelserve.deploy.tree import build_tree, cluster_folder
from modelserve.load.repository import Repository, load_repository
from tests.helpers import copy_example, run_modelserve


def _staging_on_dev_cluster(repo: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    dev = yaml.safe_load((repo / "environments/dev.yaml").read_text())
    path = repo / "environments/staging.yaml"
    staging = yaml.safe_load(path.read_text())
    staging["cluster"] = dev["cluster"]
    for key in ("kubernetesVersion", "platform"):
        staging[key] = dev[key]
    staging["flux"] = {**staging["flux"], "sourceRef": dev["flux"]["sourceRef"]}
    staging["flux"].pop("namespace", None)
    dev["flux"].pop("namespace", None)
    staging.pop("runtimeImages", None)
    path.write_text(yaml.safe_dump(staging, sort_keys=False))
    return dev, staging


def _runtimes(tree: Any, root_path: str) -> set[str]:
    [root] = [r for r in tree.roots if r.path == root_path]
    return {
        o.obj["metadata"]["name"] for o in root.objects if o.obj["kind"] == "ClusterServingRuntime"
    }


def test_two_environments_on_one_cluster_have_one_owner_for_each_runtime(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    dev, staging = _staging_on_dev_cluster(repo)
    run_modelserve("validate", "--root", repo, check_rc=0)
    catalog = load_repository(Repository(repo)).catalog
    tree = build_tree(catalog)
    slug = cluster_folder(dev["cluster"])
    used = {
        name: {catalog.models[m["model"]].runtime for m in env["models"]}
        for name, env in (("dev", dev), ("staging", staging))
    }
    assert _runtimes(tree, f"shared/{slug}") == used["dev"] | used["staging"]
    flux = [o.obj for r in tree.roots if r.path == f"clusters/{slug}/modelserve" for o in r.objects]
    shared = [o for o in flux if o["metadata"]["name"] == f"{slug}-modelserve-shared"]
    assert len(shared) == 1 and shared[0]["spec"]["path"].endswith(f"/shared/{slug}")
    shards = [o for o in flux if "modelserve.io/environment" in o["metadata"]["labels"]]
    assert {o["metadata"]["labels"]["modelserve.io/environment"] for o in shards} == {
        "dev",
        "staging",
    }
    assert all(o["spec"]["dependsOn"] == [{"name": f"{slug}-modelserve-shared"}] for o in shards)
    # one cluster-scoped object, one Flux Kustomization applying it
    owners = [
        r.path
        for r in tree.roots
        if set(r.envs) & {"dev", "staging"}
        for o in r.objects
        if o.obj["kind"] == "ClusterServingRuntime"
    ]
    assert len(owners) == len(set(_runtimes(tree, f"shared/{slug}")))


def test_a_runtime_stays_while_another_environment_on_the_cluster_uses_it(
    tmp_path: Path,
) -> None:
    repo = copy_example(tmp_path / "repo")
    dev, _ = _staging_on_dev_cluster(repo)
    dev_path = repo / "environments/dev.yaml"
    data = yaml.safe_load(dev_path.read_text())
    catalog = load_repository(Repository(repo)).catalog
    dropped = next(m["model"] for m in data["models"] if m["model"] == "arctic-embed-l")
    runtime = catalog.models[dropped].runtime
    data["models"] = [m for m in data["models"] if m["model"] != dropped]
    dev_path.write_text(yaml.safe_dump(data, sort_keys=False))
    tree = build_tree(load_repository(Repository(repo)).catalog)
    assert runtime in _runtimes(tree, f"shared/{cluster_folder(dev['cluster'])}"), (
        "staging still runs a model on it"
    )


def test_environments_on_one_cluster_must_agree_on_its_versions(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    _staging_on_dev_cluster(repo)
    path = repo / "environments/staging.yaml"
    text = path.read_text()
    data = yaml.safe_load(text)
    data["kubernetesVersion"] = "1.30" if data["kubernetesVersion"] != "1.30" else "1.31"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = run_modelserve("validate", "--root", repo, check_rc=1)
    assert "cluster-agree" in result.stdout and "kubernetesVersion" in result.stdout
