"""Model caches (rule model-cache, the cache claim and LocalModelCache renderers) and air-gapped
environments (rule airgapped), on the example catalog: its NIMs and its sklearn model.

KServe facts are v0.20.0's (``MatchStorageURI``, ``setLocalModelLabel``,
``validateUniqueStorageURI``); KServe's own MatchStorageURI cases are in
tests/conformance/kserve-0.20.0/storage_uri_utils_test.yaml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from modelserve.deploy.tree import build_tree
from modelserve.derive.predictor import derive_all
from modelserve.findings import Finding, Severity
from modelserve.load.repository import Repository, load_repository
from modelserve.render.cache import match_storage_uri
from modelserve.rules.base import Context
from tests.helpers import copy_example, run_cli
from tests.rules.rulekit import rule_findings

CONFORMANCE = Path(__file__).parents[1] / "conformance/kserve-0.20.0/storage_uri_utils_test.yaml"
DEV = "environments/dev.yaml"


def _edit(repo: Path, env: str, change: Any) -> dict[str, Any]:
    path = repo / f"environments/{env}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return data


def _entry(data: dict[str, Any], model: str) -> dict[str, Any]:
    return next(e for e in data["models"] if e["model"] == model)


def _findings(repo: Path, rule: str) -> list[Finding]:
    loaded = load_repository(Repository(repo))
    assert loaded.findings == [], loaded.findings
    return rule_findings(Context(loaded.catalog, build_tree(loaded.catalog)), rule)


def _tree(repo: Path) -> Any:
    return build_tree(load_repository(Repository(repo)).catalog)


def _objects(tree: Any, kind: str) -> list[dict[str, Any]]:
    return [o.obj for r in tree.roots for o in r.objects if o.obj["kind"] == kind]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "repo")


def _pvc(**extra: Any) -> dict[str, Any]:
    return {"pvc": {"claimName": "llama-cache", "size": "32Gi", **extra}}


def test_a_nim_cache_claim_is_mounted_at_its_cache_path(repo: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        entry = _entry(d, "llama-3-1-8b-instruct")
        entry["cache"] = _pvc(storageClassName="standard-rwx", accessMode="ReadWriteMany")

    _edit(repo, "dev", change)
    tree = _tree(repo)
    [isvc] = [
        o
        for o in _objects(tree, "InferenceService")
        if o["metadata"]["name"] == "llama-3-1-8b-instruct"
        and o["metadata"]["namespace"] == "models-dev"
    ]
    predictor = isvc["spec"]["predictor"]
    assert predictor["volumes"] == [
        {"name": "model-cache", "persistentVolumeClaim": {"claimName": "llama-cache"}}
    ]
    assert predictor["model"]["volumeMounts"] == [
        {"name": "model-cache", "mountPath": "/opt/nim/.cache"}
    ]
    # no download space is reserved when the cache holds the model
    assert "ephemeral-storage" not in predictor["model"]["resources"]["requests"]
    [pvc] = [
        o
        for o in _objects(tree, "PersistentVolumeClaim")
        if o["metadata"]["namespace"] == "models-dev"
    ]
    assert pvc["spec"] == {
        "accessModes": ["ReadWriteMany"],
        "storageClassName": "standard-rwx",
        "resources": {"requests": {"storage": "32Gi"}},
    }
    # what the pod gets: KServe merges the runtime's NIM_CACHE_PATH=/tmp away by name
    roots = [r for r in tree.roots if any(o.obj is isvc for o in r.objects)]
    shared = [r for r in tree.roots if r.path.startswith("shared/gke-dev")][0]
    [(_, derivation)] = [
        d
        for d in derive_all(
            roots[0].objects + shared.objects,
            load_repository(Repository(repo)).catalog.environments["dev"].kserve,
        )
        if d[0].obj is isvc
    ]
    deployment = next(o.obj for o in derivation.objects if o.obj["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = next(c for c in pod["containers"] if c["name"] == "kserve-container")
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["NIM_CACHE_PATH"] == "/opt/nim/.cache"
    assert {"name": "model-cache", "mountPath": "/opt/nim/.cache"} in container["volumeMounts"]
    assert {"name": "model-cache", "persistentVolumeClaim": {"claimName": "llama-cache"}} in pod[
        "volumes"
    ]
    assert run_cli("validate", "--root", str(repo))[0] == 0  # real builds, PVC schema included


def test_a_nim_without_cache_reserves_disk_for_its_download(repo: Path) -> None:
    tree = _tree(repo)
    [isvc] = [
        o
        for o in _objects(tree, "InferenceService")
        if o["metadata"]["name"] == "llama-3-1-8b-instruct"
        and o["metadata"]["namespace"] == "models-dev"
    ]
    requests = isvc["spec"]["predictor"]["model"]["resources"]["requests"]
    limits = isvc["spec"]["predictor"]["model"]["resources"]["limits"]
    assert requests["ephemeral-storage"] == "15Gi"  # 8e9 x 2 bytes = 14.9 GiB, rounded up
    assert "ephemeral-storage" not in limits  # a limit would evict on logs and temp files
    model = repo / "catalog/models/llama-3-1-8b-instruct.yaml"
    model.write_text(
        model.read_text().replace("  dtype: bf16\n", "  dtype: bf16\n  downloadGiB: 40\n")
    )
    [isvc] = [
        o
        for o in _objects(_tree(repo), "InferenceService")
        if o["metadata"]["name"] == "llama-3-1-8b-instruct"
        and o["metadata"]["namespace"] == "models-dev"
    ]
    assert (
        isvc["spec"]["predictor"]["model"]["resources"]["requests"]["ephemeral-storage"] == "40Gi"
    )
    # the sklearn server is no NIM: its storage initializer has its own volume
    sklearn = [
        o
        for o in _objects(_tree(repo), "InferenceService")
        if o["metadata"]["name"] == "sklearn-iris"
    ]
    assert all("ephemeral-storage" not in str(o) for o in sklearn)


def test_a_nim_that_states_no_size_is_warned(repo: Path) -> None:
    model = repo / "catalog/models/llama-3-1-8b-instruct.yaml"
    text = model.read_text()
    model.write_text(text.replace("size:\n  parametersBillions: 8\n  dtype: bf16\n", ""))
    found = _findings(repo, "model-cache")
    assert found and {f.severity for f in found} == {Severity.WARNING}
    assert "states no size" in found[0].message


def test_a_claim_too_small_for_the_download(repo: Path) -> None:
    _edit(repo, "dev", lambda d: _entry(d, "llama-3-1-8b-instruct").update(cache=_pvc(size="10Gi")))
    [found] = [f for f in _findings(repo, "model-cache") if f.severity is Severity.ERROR]
    assert found.file == DEV and "downloads 14.9 GiB" in found.message
    text = (repo / DEV).read_text()
    assert text.splitlines()[found.line - 1].strip().startswith("size: 10Gi")


@pytest.mark.parametrize(
    ("mode", "replicas", "rollout", "severity"),
    [
        ("ReadWriteOncePod", 2, None, Severity.ERROR),
        ("ReadWriteOncePod", 1, None, Severity.ERROR),  # the rolling update's surge pod
        ("ReadWriteOncePod", 1, {"strategy": "Recreate"}, None),
        ("ReadWriteOnce", 2, None, Severity.WARNING),
        ("ReadWriteOnce", 1, None, Severity.WARNING),
        ("ReadWriteOnce", 1, {"strategy": "Recreate"}, None),
        ("ReadWriteMany", 3, None, None),
    ],
)
def test_access_modes_against_replicas_and_rollouts(
    repo: Path, mode: str, replicas: int, rollout: dict[str, str] | None, severity: Severity | None
) -> None:
    def change(d: dict[str, Any]) -> None:
        entry = _entry(d, "llama-3-1-8b-instruct")
        entry["cache"] = _pvc(accessMode=mode)
        entry["replicas"] = {"min": replicas, "max": replicas}
        if rollout:
            entry["rollout"] = rollout

    _edit(repo, "dev", change)
    found = _findings(repo, "model-cache")
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert mode in found[0].message


def test_a_claim_on_a_runtime_that_is_no_nim(repo: Path) -> None:
    _edit(repo, "dev", lambda d: _entry(d, "sklearn-iris").update(cache=_pvc()))
    [found] = _findings(repo, "model-cache")
    assert "not a NIM" in found.message and "pvc://" in found.message


def _node_group(d: dict[str, Any], limit: str = "100Gi", profile: str = "l4") -> None:
    d["localModelNodeGroups"] = {"l4-nvme": {"profile": profile, "storageLimit": limit}}


def _cache_qwen(d: dict[str, Any], group: str = "l4-nvme") -> None:
    _entry(d, "qwen2-5-7b-instruct")["cache"] = {"localModelCache": {"nodeGroup": group}}


def test_a_local_model_cache_is_rendered_once_per_cluster_with_its_node_group(repo: Path) -> None:
    _edit(repo, "dev", lambda d: (_node_group(d), _cache_qwen(d)))
    tree = _tree(repo)
    [cache] = _objects(tree, "LocalModelCache")
    assert cache["spec"] == {
        "sourceModelUri": "hf://Qwen/Qwen2.5-7B-Instruct",
        "modelSize": "15Gi",  # 7.6e9 x 2 bytes = 14.2 GiB
        "nodeGroups": ["l4-nvme"],
    }
    [root] = [r for r in tree.roots if any(o.obj is cache for o in r.objects)]
    assert root.path == "shared/gke-dev-us-central1"  # cluster-scoped: one owner per cluster
    [isvc] = [
        o
        for o in _objects(tree, "InferenceService")
        if o["metadata"]["name"] == "qwen2-5-7b-instruct"
    ]
    # the node group picked explicitly: without it KServe takes the cache's first group
    assert isvc["metadata"]["annotations"]["serving.kserve.io/nodegroup"] == "l4-nvme"
    assert _findings(repo, "model-cache") == []
    assert run_cli("validate", "--root", str(repo))[0] == 0  # LocalModelCache schema included


def test_local_model_cache_needs_a_storage_uri_and_a_known_group(repo: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        _node_group(d)
        _entry(d, "llama-3-1-8b-instruct")["cache"] = {"localModelCache": {"nodeGroup": "l4-nvme"}}
        _cache_qwen(d, "nowhere")

    _edit(repo, "dev", change)
    messages = sorted(f.message for f in _findings(repo, "model-cache"))
    assert len(messages) == 2
    assert "has no storageUri" in messages[0] and "never be cached" in messages[0]
    assert "'nowhere' of model 'qwen2-5-7b-instruct' is not in localModelNodeGroups" in messages[1]


def test_the_cache_node_group_is_the_models_pool(repo: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["gpuProfiles"]["l4-spare"] = {**d["gpuProfiles"]["l4"], "pool": "spare"}
        _node_group(d, profile="l4-spare")
        _cache_qwen(d)

    _edit(repo, "dev", change)
    [found] = _findings(repo, "model-cache")
    assert "pool 'spare'" in found.message and "runs on pool 'l4'" in found.message


def test_caches_on_a_node_group_fit_its_storage_limit(repo: Path) -> None:
    _edit(repo, "dev", lambda d: (_node_group(d, "10Gi"), _cache_qwen(d)))
    [found] = _findings(repo, "model-cache")
    assert "storageLimit 10Gi" in found.message and "qwen2-5-7b-instruct (15Gi)" in found.message
    _edit(repo, "dev", lambda d: _node_group(d, "16Gi"))
    assert _findings(repo, "model-cache") == []


def test_two_environments_on_a_cluster_share_one_cache_of_a_uri(repo: Path) -> None:
    dev = _edit(repo, "dev", lambda d: (_node_group(d), _cache_qwen(d)))

    def staging(d: dict[str, Any]) -> None:
        d["cluster"] = dev["cluster"]
        d["kubernetesVersion"] = dev["kubernetesVersion"]
        d["platform"] = dev["platform"]
        d["flux"] = {**d["flux"], "sourceRef": dev["flux"]["sourceRef"]}
        d.pop("runtimeImages", None)
        d["gpuProfiles"] = dev["gpuProfiles"]
        d["localModelNodeGroups"] = {"l4-ssd": {"profile": "l4", "storageLimit": "50Gi"}}
        d["models"] = [
            {
                "model": "qwen2-5-7b-instruct",
                "profile": "l4",
                "cache": {"localModelCache": {"nodeGroup": "l4-ssd"}},
            }
        ]

    _edit(repo, "staging", staging)
    [cache] = _objects(_tree(repo), "LocalModelCache")
    assert cache["spec"]["nodeGroups"] == ["l4-nvme", "l4-ssd"]


# --- air-gapped ----------------------------------------------------------------------------


def test_the_example_prod_is_air_gapped_and_passes(repo: Path) -> None:
    prod = yaml.safe_load((repo / "environments/prod.yaml").read_text())
    assert prod["network"] == "airgapped"
    assert _findings(repo, "airgapped") == []


def test_air_gapped_refuses_weights_and_nims_from_outside(repo: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        _entry(d, "sklearn-iris")["storageUri"] = "s3://models-prod-evil/sklearn"
        del _entry(d, "nvclip")["cache"]

    _edit(repo, "prod", change)
    messages = sorted(f.message for f in _findings(repo, "airgapped"))
    assert len(messages) == 2
    assert "NIM model 'nvclip' downloads its model from NGC" in messages[0]
    assert "s3://models-prod-evil/sklearn, outside air-gapped 'prod'" in messages[1]


def test_air_gapped_catalog_uri_and_oci_images(repo: Path) -> None:
    _edit(repo, "prod", lambda d: _entry(d, "sklearn-iris").pop("storageUri"))
    [found] = _findings(repo, "airgapped")
    assert "gs://kfserving-examples" in found.message
    _edit(
        repo,
        "prod",
        lambda d: _entry(d, "sklearn-iris").update(
            storageUri="oci://harbor.prod.example.com/models/iris:1"
        ),
    )
    assert _findings(repo, "airgapped") == []
    _edit(
        repo,
        "prod",
        lambda d: _entry(d, "sklearn-iris").update(storageUri="oci://ghcr.io/models/iris:1"),
    )
    assert len(_findings(repo, "airgapped")) == 1


def test_air_gapped_needs_its_registries(repo: Path) -> None:
    _edit(repo, "prod", lambda d: d.pop("registry"))
    [found] = _findings(repo, "airgapped")
    assert "no registry.allowed" in found.message


CASES = yaml.safe_load(CONFORMANCE.read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["upstream"].split("/")[-1] for c in CASES])
def test_match_storage_uri_as_kserve(case: dict[str, Any]) -> None:
    assert match_storage_uri(case["cachedUri"], case["storageUri"]) is case["expected"]
