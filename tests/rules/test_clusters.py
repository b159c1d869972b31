"""cluster-agree: environments on one cluster agree on what they share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelserve.rules.examples import DIGEST, ENVIRONMENT
from tests.rules.rulekit import check_files, line_of

# ---------------------------------------------------------------------------------------------
# cluster-agree


QA = ENVIRONMENT.replace("name: dev\n", "name: qa\n").replace(
    "namespace: models", "namespace: models-qa"
)
OTHER_IMAGE = f"runtimeImages:\n  vllm-runtime: nvcr.io/nim/meta/llama:1.3.4@{DIGEST}\n"


def test_cluster_agree_names_both_environment_files(tmp_path: Path, write_repo: Any) -> None:
    qa = QA.replace("registry:\n", OTHER_IMAGE + "registry:\n")
    [finding] = check_files(write_repo, tmp_path, {"environments/qa.yaml": qa}, "cluster-agree")
    # at the override that makes the difference
    assert finding.file == "environments/qa.yaml" and finding.line == line_of(qa, "runtimeImages:")
    assert "environments/dev.yaml" in finding.message and "environments/qa.yaml" in finding.message
    assert (
        "ClusterServingRuntime 'vllm-runtime'" in finding.message
        and "dev-cluster" in finding.message
    )


def test_cluster_agree_other_cluster_may_differ(tmp_path: Path, write_repo: Any) -> None:
    qa = QA.replace("cluster: dev-cluster", "cluster: qa-cluster").replace(
        "registry:\n", OTHER_IMAGE + "registry:\n"
    )
    assert check_files(write_repo, tmp_path, {"environments/qa.yaml": qa}, "cluster-agree") == []


def test_cluster_agree_one_cluster_one_kserve_and_one_flux_source(
    tmp_path: Path, write_repo: Any
) -> None:
    """The cluster's shared Flux Kustomization takes the first environment's settings."""
    qa = QA.replace('platform: {kserve: "0.20"}', 'platform: {kserve: "0.19"}').replace(
        "name: flux-system}", "name: other-repo}"
    )
    found = check_files(write_repo, tmp_path, {"environments/qa.yaml": qa}, "cluster-agree")
    assert {f.line for f in found} == {line_of(qa, "platform:"), line_of(qa, "sourceRef:")}
    assert all("share cluster 'dev-cluster'" in f.message for f in found)


def test_cluster_agree_same_namespace_on_one_cluster(tmp_path: Path, write_repo: Any) -> None:
    qa = ENVIRONMENT.replace("name: dev\n", "name: qa\n")
    found = check_files(write_repo, tmp_path, {"environments/qa.yaml": qa}, "cluster-agree")
    [finding] = [f for f in found if "namespace" in f.message]
    assert finding.file == "environments/qa.yaml" and "environments/dev.yaml" in finding.message


def test_cluster_agree_one_node_pool_one_description(tmp_path: Path, write_repo: Any) -> None:
    qa = QA.replace("    nodes: 1\n", "    nodes: 3\n")
    [finding] = check_files(write_repo, tmp_path, {"environments/qa.yaml": qa}, "cluster-agree")
    assert finding.line == line_of(qa, "nodes: 3") and "node pool 'h100'" in finding.message
    apart = qa.replace("  h100:\n", "  h100:\n    pool: other-h100\n")
    assert (
        check_files(write_repo, tmp_path / "b", {"environments/qa.yaml": apart}, "cluster-agree")
        == []
    )
