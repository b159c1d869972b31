"""Flux Kustomizations that sync one environment: runtimes first, then model shards.

Field semantics from the Flux kustomize-controller v1 API: ``dependsOn`` orders the syncs,
``wait`` plus ``healthCheckExprs`` (CEL over the object) make Flux report a model shard healthy
only when every InferenceService in it has condition Ready=True.
"""

from __future__ import annotations

from typing import Any

from modelserve.model import Environment
from modelserve.render import MANAGED_BY, Origin, RenderedObject

ISVC_HEALTH = {
    "apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService",
    "current": "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')",
    "failed": "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'False')",
}


def runtimes_name(env: Environment) -> str:
    return f"{env.name}-modelserve-runtimes"


def shard_name(env: Environment, shard: str) -> str:
    return f"{env.name}-modelserve-models-{shard}"


def render_flux(
    env: Environment, name: str, path: str, depends_on: list[str], *, models: bool
) -> RenderedObject:
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
        spec["dependsOn"] = [{"name": entry} for entry in depends_on]
    if models:
        spec["healthCheckExprs"] = [dict(ISVC_HEALTH)]
    obj = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {
            "name": name,
            "namespace": flux.get("namespace", "flux-system"),
            "labels": {**MANAGED_BY, "modelserve.io/environment": env.name},
        },
        "spec": spec,
    }
    origins = [Origin((), env.source, ("flux",))]
    for key in ("sourceRef", "interval", "timeout", "retryInterval", "dependsOn"):
        if key in flux:
            origins.append(Origin(("spec", key), env.source, ("flux", key)))
    return RenderedObject(obj, origins)
