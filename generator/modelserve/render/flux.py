"""Flux Kustomizations that sync a cluster: its shared objects first, then model shards.

Field semantics from the Flux kustomize-controller v1 API: ``dependsOn`` orders the syncs (a
cluster's shared objects, then each environment's model shards), and a model shard is healthy
when its models serve. How that is checked follows what Flux and KServe
really do (``docs/health.md`` has the sources and the sequences the tests replay):

- Flux's CEL evaluator (fluxcd/pkg ``runtime/cel/status_evaluator.go`` ``Evaluate``) first
  returns InProgress whenever ``status.observedGeneration`` differs from ``metadata.generation``,
  then tries inProgress, failed, current; kustomize-controller fails the sync at the first
  Failed (``FailFast``, on by default: ``internal/features`` ``DisableFailFastBehavior``).
- KServe copies the predictor Deployment's observedGeneration into the InferenceService
  (``PropagateRawStatus``, kserve#6081), so in Standard mode an InferenceService can stay
  InProgress for good (after an HPA scale, or a change that leaves the Deployment alone), and it
  reports Ready=False for the whole start of a model (Deployment not yet Available).
- So in Standard mode a shard checks each model's predictor Deployment (``healthChecks``, with
  ``wait`` off), by CEL expressions that replace kstatus's Deployment rules (custom status
  readers come first: cli-utils ``polling.NewStatusPoller``): Current when the rollout is complete
  and available, Failed only on ``ReplicaFailure`` (pods refused), and InProgress otherwise:
  KServe fixes progressDeadlineSeconds at 600 (``setDefaultDeploymentSpec``), and kstatus would
  call a 20-minute NIM start Failed at minute 10.
- In Knative mode the InferenceService is checked: Current when Ready, Failed only when KServe
  says the spec cannot be served (``modelStatus.transitionStatus`` InvalidSpec: runtime not
  found, disabled or not supporting the format or protocol) or the model failed to load
  (BlockedByFailedLoad).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelserve.model import Environment, KServeInstall
from modelserve.render import MANAGED_BY, Origin, RenderedObject


def _replicas(field: str) -> str:
    return f"(has(status.{field}) ? status.{field} : 0) == (has(spec.replicas) ? spec.replicas : 1)"


DEPLOYMENT_HEALTH = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "current": " && ".join(
        [
            "has(status.conditions)",
            "status.conditions.exists(c, c.type == 'Available' && c.status == 'True')",
            "status.conditions.exists(c, c.type == 'Progressing' && c.status == 'True'"
            " && c.reason == 'NewReplicaSetAvailable')",
            _replicas("replicas"),
            _replicas("updatedReplicas"),
            _replicas("availableReplicas"),
        ]
    ),
    "failed": "has(status.conditions) && status.conditions.exists(c, c.type == 'ReplicaFailure'"
    " && c.status == 'True')",
}
ISVC_HEALTH = {
    "apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService",
    "current": "has(status.conditions) && status.conditions.exists(c, c.type == 'Ready'"
    " && c.status == 'True')",
    "failed": "has(status.modelStatus) && has(status.modelStatus.transitionStatus)"
    " && status.modelStatus.transitionStatus in ['InvalidSpec', 'BlockedByFailedLoad']",
}


def shared_name(cluster_folder: str) -> str:
    """The Flux Kustomization that applies a cluster's shared (cluster-scoped) objects."""
    return f"{cluster_folder}-modelserve-shared"


def gate_name(cluster_folder: str) -> str:
    """The Flux Kustomization that waits for KServe on a cluster (HelmRelease or External)."""
    return f"{cluster_folder}-modelserve-kserve"


# KServe's CRDs the generated objects need; kstatus calls a CRD Current once Established
# (cli-utils pkg/kstatus/status/core.go ``CRDConditions``; a health check
# of an object not yet there waits, as for any other).
KSERVE_CRDS = ("clusterservingruntimes.serving.kserve.io", "inferenceservices.serving.kserve.io")


def kserve_health_checks(install: KServeInstall) -> list[dict[str, str]]:
    """What the gate checks before the cluster's shared objects are applied: a HelmRelease is
    Ready once installed (helm-controller sets Ready with observedGeneration, which kstatus
    reads); a platform install is there when its CRDs are established and its controller (the
    webhooks that admit every InferenceService) is available."""
    if install.kind == "HelmRelease":
        return [
            {
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "kind": "HelmRelease",
                "name": install.name,
                "namespace": install.namespace,
            }
        ]
    checks = [
        {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "name": crd}
        for crd in KSERVE_CRDS
    ]
    checks.append(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": install.name,
            "namespace": install.namespace,
        }
    )
    return checks


def render_kserve_gate(
    env: Environment, name: str, path: str, install: KServeInstall, cluster: str
) -> RenderedObject:
    """A Flux Kustomization of nothing whose health checks are KServe's install: Kustomizations
    can depend only on Kustomizations (kustomize-controller v1.9 ``checkDependencies`` reads
    ``dependsOn`` as Kustomizations), and with ``wait`` off the listed ``healthChecks`` are
    waited for even when nothing is applied (``checkHealth``), so depending on this gate is
    depending on the HelmRelease or the platform's install."""
    rendered = render_flux(env, name, path, [], models=False, cluster=cluster)
    spec = rendered.obj["spec"]
    spec["wait"] = False
    spec["healthChecks"] = kserve_health_checks(install)
    field = ("platform", "kserveInstall") if "kserveInstall" in env.data["platform"] else ()
    rendered.origins.append(Origin(("spec", "healthChecks"), env.source, ("platform", *field[1:])))
    return rendered


def shard_name(env: Environment, shard: str) -> str:
    return f"{env.name}-modelserve-models-{shard}"


def render_flux(
    env: Environment,
    name: str,
    path: str,
    depends_on: Sequence[str | dict[str, str]],
    *,
    models: bool,
    deployments: Sequence[tuple[str, str]] = (),
    cluster: str = "",
) -> RenderedObject:
    """One Flux Kustomization; a model shard's health is its ``deployments`` ((namespace,
    name) of each predictor Deployment) in Standard mode, its InferenceServices in Knative.
    With ``cluster`` (its folder name) the object serves the cluster, not ``env`` alone: it is
    labelled so, and ``env`` only lends its Flux settings (rule cluster-agree keeps them equal)."""
    flux = env.flux
    source = dict(flux["sourceRef"])
    spec: dict[str, Any] = {
        "interval": flux.get("interval", "10m"),
        "retryInterval": flux.get("retryInterval", "2m"),
        "timeout": flux.get("timeout", "15m"),
        "path": path,
        "prune": True,
        "wait": True,
        "sourceRef": source,
    }
    if depends_on:
        spec["dependsOn"] = [
            {"name": entry} if isinstance(entry, str) else dict(entry) for entry in depends_on
        ]
    if models and env.deployment_mode == "Standard":
        spec["wait"] = False  # wait checks every applied object: the InferenceServices too
        spec["healthChecks"] = [
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "namespace": namespace}
            for namespace, name in sorted(deployments)
        ]
        spec["healthCheckExprs"] = [dict(DEPLOYMENT_HEALTH)]
    elif models:
        spec["healthCheckExprs"] = [dict(ISVC_HEALTH)]
    obj = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {
            "name": name,
            "namespace": flux.get("namespace", "flux-system"),
            "labels": {
                **MANAGED_BY,
                **(
                    {"modelserve.io/cluster": cluster}
                    if cluster
                    else {"modelserve.io/environment": env.name}
                ),
            },
        },
        "spec": spec,
    }
    origins = [Origin((), env.source, ("flux",))]
    for key in ("sourceRef", "interval", "timeout", "retryInterval", "dependsOn"):
        if key in flux:
            origins.append(Origin(("spec", key), env.source, ("flux", key)))
    return RenderedObject(obj, origins)
