"""Flux reports a model shard's health truthfully: the generated expressions, replayed on status
sequences as KServe and the Deployment controller write them, by a real CEL evaluator.

``flux_status`` is Flux's ``StatusEvaluator.Evaluate`` (fluxcd/pkg ``runtime/cel/
status_evaluator.go``): InProgress while ``status.observedGeneration`` (when set) differs from
``metadata.generation``, then the expressions inProgress, failed, current in that order, the first
true one deciding, else InProgress; an expression that fails to evaluate gives no status
(kstatus' Unknown: polling goes on, it is neither Current nor Failed).

The statuses: Deployments as the Deployment controller writes them (kubernetes
``pkg/controller/deployment``: ``Available`` with reason MinimumReplicasUnavailable or
MinimumReplicasAvailable, ``Progressing`` ReplicaSetUpdated / NewReplicaSetAvailable /
ProgressDeadlineExceeded, ``ReplicaFailure`` FailedCreate); InferenceServices as KServe v0.20
writes them (``pkg/apis/serving/v1beta1/inference_service_status.go``: the Ready condition over
PredictorReady and IngressReady, ``UpdateModelTransitionStatus`` with InvalidSpec,
``UpdateModelRevisionStates`` with FailedToLoad -> BlockedByFailedLoad, and ``ObservedGeneration``
copied from the child Deployment or Knative Service).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import celpy
import pytest
import yaml

from modelserve.deploy.tree import build_tree
from modelserve.derive.predictor import derive_all
from modelserve.load.repository import Repository, load_repository
from modelserve.render.flux import DEPLOYMENT_HEALTH, ISVC_HEALTH

UNKNOWN = "Unknown"
_ENV = celpy.Environment()


def _evaluate(expression: str, obj: dict[str, Any]) -> Any:
    program = _ENV.program(_ENV.compile(expression))
    activation = {key: celpy.json_to_cel(value) for key, value in obj.items()}
    return program.evaluate(activation)  # type: ignore[arg-type]


def flux_status(exprs: dict[str, str], obj: dict[str, Any]) -> str:
    generation = (obj.get("metadata") or {}).get("generation")
    observed = (obj.get("status") or {}).get("observedGeneration")
    if isinstance(observed, int) and isinstance(generation, int) and observed != generation:
        return "InProgress"
    for key, verdict in (
        ("inProgress", "InProgress"),
        ("failed", "Failed"),
        ("current", "Current"),
    ):
        if key not in exprs:
            continue
        try:
            result = _evaluate(exprs[key], obj)
        except Exception:  # celpy raises some evaluation errors and returns others
            return UNKNOWN
        if isinstance(result, Exception):
            return UNKNOWN
        if result is True or (isinstance(result, celpy.celtypes.BoolType) and bool(result)):
            return verdict
    return "InProgress"


def _condition(kind: str, status: str, reason: str = "", message: str = "") -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason, "message": message}


def _deployment(generation: int, **status: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "llama-predictor", "namespace": "models", "generation": generation},
        "spec": {"replicas": status.pop("spec_replicas", 1), "progressDeadlineSeconds": 600},
        "status": status,
    }


AVAILABLE = _condition("Available", "True", "MinimumReplicasAvailable")
UNAVAILABLE = _condition("Available", "False", "MinimumReplicasUnavailable")
UPDATING = _condition("Progressing", "True", "ReplicaSetUpdated")
COMPLETE = _condition("Progressing", "True", "NewReplicaSetAvailable")
DEADLINE = _condition("Progressing", "False", "ProgressDeadlineExceeded", "has timed out")

# A NIM that pulls its weights for 20 minutes, then serves; then the HPA adds a replica.
SLOW_START = [
    ("created, not yet observed", _deployment(1), "InProgress"),
    (
        "pod starting",
        _deployment(
            1,
            observedGeneration=1,
            replicas=1,
            updatedReplicas=1,
            unavailableReplicas=1,
            conditions=[UNAVAILABLE, UPDATING],
        ),
        "InProgress",
    ),
    (
        "minute 10: KServe's fixed 600 s progress deadline passes (kstatus: Failed)",
        _deployment(
            1,
            observedGeneration=1,
            replicas=1,
            updatedReplicas=1,
            unavailableReplicas=1,
            conditions=[UNAVAILABLE, DEADLINE],
        ),
        "InProgress",
    ),
    (
        "minute 20: ready",
        _deployment(
            1,
            observedGeneration=1,
            replicas=1,
            updatedReplicas=1,
            readyReplicas=1,
            availableReplicas=1,
            conditions=[AVAILABLE, COMPLETE],
        ),
        "Current",
    ),
    (
        "the HPA raises spec.replicas, not yet observed",
        _deployment(
            2,
            spec_replicas=2,
            observedGeneration=1,
            replicas=1,
            updatedReplicas=1,
            readyReplicas=1,
            availableReplicas=1,
            conditions=[AVAILABLE, COMPLETE],
        ),
        "InProgress",
    ),
    (
        "second replica starting",
        _deployment(
            2,
            spec_replicas=2,
            observedGeneration=2,
            replicas=2,
            updatedReplicas=2,
            readyReplicas=1,
            availableReplicas=1,
            conditions=[AVAILABLE, COMPLETE],
        ),
        "InProgress",
    ),
    (
        "both serving",
        _deployment(
            2,
            spec_replicas=2,
            observedGeneration=2,
            replicas=2,
            updatedReplicas=2,
            readyReplicas=2,
            availableReplicas=2,
            conditions=[AVAILABLE, COMPLETE],
        ),
        "Current",
    ),
]
ROLLOUT = [
    (
        "a new image: one surge pod beside the old one",
        _deployment(
            3,
            observedGeneration=3,
            replicas=2,
            updatedReplicas=1,
            readyReplicas=1,
            availableReplicas=1,
            conditions=[AVAILABLE, UPDATING],
        ),
        "InProgress",
    ),
    (
        "old pod terminating",
        _deployment(
            3,
            observedGeneration=3,
            replicas=2,
            updatedReplicas=1,
            readyReplicas=2,
            availableReplicas=2,
            conditions=[AVAILABLE, COMPLETE],
        ),
        "InProgress",
    ),
    (
        "pods refused by admission (quota, policy)",
        _deployment(
            3,
            observedGeneration=3,
            replicas=1,
            updatedReplicas=0,
            readyReplicas=1,
            availableReplicas=1,
            conditions=[
                AVAILABLE,
                UPDATING,
                _condition("ReplicaFailure", "True", "FailedCreate", "exceeded quota"),
            ],
        ),
        "Failed",
    ),
]


@pytest.mark.parametrize(("what", "deployment", "expected"), SLOW_START + ROLLOUT)
def test_a_predictor_deployment_is_reported_as_it_stands(
    what: str, deployment: dict[str, Any], expected: str
) -> None:
    assert flux_status(DEPLOYMENT_HEALTH, deployment) == expected, what


def _isvc(generation: int = 1, **status: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "llama", "namespace": "models", "generation": generation},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "nim"}}}},
    }
    if status:
        obj["status"] = status
    return obj


def _ready(state: str, reason: str = "") -> list[dict[str, str]]:
    return [
        _condition("IngressReady", state if state == "True" else "Unknown", reason),
        _condition("PredictorReady", state, reason),
        _condition("Ready", state, reason),
    ]


def _failed(transition: str, reason: str, **status: Any) -> dict[str, Any]:
    """As ``UpdateModelTransitionStatus`` / ``UpdateModelRevisionStates`` leave it."""
    model_status = {"transitionStatus": transition, "lastFailureInfo": {"reason": reason}}
    return _isvc(conditions=_ready("False"), modelStatus=model_status, **status)


KNATIVE = [
    ("just applied: no status yet", _isvc(), ("InProgress", UNKNOWN)),
    ("conditions initialized", _isvc(conditions=_ready("Unknown")), ("InProgress",)),
    (
        "20 minutes of start-up: Ready=False while the revision is not ready",
        _isvc(
            observedGeneration=1,
            conditions=_ready("False", "RevisionMissing"),
            modelStatus={"transitionStatus": "InProgress"},
        ),
        ("InProgress",),
    ),
    (
        "ready",
        _isvc(
            observedGeneration=1,
            conditions=_ready("True"),
            modelStatus={"transitionStatus": "UpToDate"},
        ),
        ("Current",),
    ),
    (
        "runtime not found (RuntimeNotRecognized): the spec cannot be served",
        _failed("InvalidSpec", "RuntimeNotRecognized"),
        ("Failed",),
    ),
    (
        "format not supported (NoSupportingRuntime)",
        _failed("InvalidSpec", "NoSupportingRuntime"),
        ("Failed",),
    ),
    (
        "model failed to load (container exited with an error)",
        _failed("BlockedByFailedLoad", "ModelLoadFailed", observedGeneration=1),
        ("Failed",),
    ),
]


@pytest.mark.parametrize(("what", "isvc", "expected"), KNATIVE)
def test_an_inference_service_is_reported_as_it_stands(
    what: str, isvc: dict[str, Any], expected: tuple[str, ...]
) -> None:
    assert flux_status(ISVC_HEALTH, isvc) in expected, what


def test_ready_false_alone_is_no_failure() -> None:
    """The former expression called every model Failed within seconds of its start."""
    starting = _isvc(observedGeneration=1, conditions=_ready("False", "MinimumReplicasUnavailable"))
    assert flux_status(ISVC_HEALTH, starting) == "InProgress"
    former = {
        "current": "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')",
        "failed": "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'False')",
    }
    assert flux_status(former, starting) == "Failed"


def test_why_standard_mode_does_not_check_inference_services() -> None:
    """KServe copies the Deployment's observedGeneration (kserve#6081): after an HPA scale a
    ready InferenceService is InProgress for Flux forever, whatever its expressions say."""
    scaled = _isvc(generation=1, observedGeneration=2, conditions=_ready("True"))
    assert flux_status(ISVC_HEALTH, scaled) == "InProgress"
    assert flux_status(DEPLOYMENT_HEALTH, SLOW_START[-1][1]) == "Current"


def _kustomizations(repo: Path) -> dict[str, dict[str, Any]]:
    tree = build_tree(load_repository(Repository(repo)).catalog)
    return {
        o.obj["metadata"]["name"]: o.obj
        for root in tree.roots
        if root.path.startswith("clusters/")
        for o in root.objects
    }


def test_standard_shards_check_exactly_their_predictor_deployments(example_repo: Path) -> None:
    loaded = load_repository(Repository(example_repo))
    tree = build_tree(loaded.catalog)
    kustomizations = _kustomizations(example_repo)
    checked = 0
    for root in tree.roots:
        if "/models/" not in root.path:
            continue
        env = loaded.catalog.environments[root.env]
        shard = root.path.rsplit("/", 1)[1]
        spec = kustomizations[f"{env.name}-modelserve-models-{shard}"]["spec"]
        env_objects = [o for r in tree.env_roots(root.env) for o in r.objects]
        derived = {
            (d.obj["metadata"]["namespace"], d.obj["metadata"]["name"])
            for isvc, derivation in derive_all(env_objects, env.kserve)
            if any(isvc is o for o in root.objects)
            for d in derivation.objects
            if d.obj["kind"] == "Deployment"
        }
        listed = {(h["namespace"], h["name"]) for h in spec["healthChecks"]}
        assert spec["wait"] is False and listed == derived and derived
        assert spec["healthCheckExprs"] == [DEPLOYMENT_HEALTH]
        checked += 1
    assert checked >= 3


def test_knative_shards_check_their_inference_services(example_repo: Path) -> None:
    env_file = example_repo / "environments" / "dev.yaml"
    data = yaml.safe_load(env_file.read_text())
    data["deploymentMode"] = "Knative"
    env_file.write_text(yaml.safe_dump(data))
    kustomizations = _kustomizations(example_repo)
    shards = [o for n, o in kustomizations.items() if n.startswith("dev-modelserve-models-")]
    assert shards
    for shard in shards:
        assert shard["spec"]["wait"] is True and "healthChecks" not in shard["spec"]
        assert shard["spec"]["healthCheckExprs"] == [ISVC_HEALTH]


def test_the_expressions_parse_as_flux_parses_them() -> None:
    """Flux parses without type-checking (NewExpression without WithCompile): a parse error
    would fail the Kustomization before any health check."""
    for exprs in (DEPLOYMENT_HEALTH, ISVC_HEALTH):
        for key in ("current", "failed"):
            assert _ENV.compile(exprs[key]) is not None
