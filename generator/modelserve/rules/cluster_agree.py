"""Environments on one cluster agree on every cluster-scoped object and use distinct namespaces.

A ClusterServingRuntime exists once per cluster and is applied by the cluster's one shared Flux
Kustomization, rendered as the first environment (by name) using it renders it: another
environment that renders it differently (another image, say) would silently run the first one's.
That Kustomization also takes its Flux settings from the first environment, and one cluster has
one Kubernetes and one KServe version, so the environments must agree on those too. Two
environments in one namespace would overwrite each other's InferenceServices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from modelserve.findings import Finding, Severity
from modelserve.model import Environment
from modelserve.render.runtime import render_runtime
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT

INFO = RuleInfo(
    "cluster-agree",
    Severity.ERROR,
    "Environments sharing a cluster render identical cluster-scoped objects and use their own "
    "namespace",
    "make the environments agree (same runtimeImages, versions and Flux settings), or move one "
    "to another cluster",
)
EXAMPLES = {
    "fail": {
        "environments/qa.yaml": ENVIRONMENT.replace("name: dev\n", "name: qa\n")
        .replace(
            "registry:\n",
            "runtimeImages:\n  vllm-runtime: nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.4@sha256:"
            + "f" * 64
            + "\nregistry:\n",
        )
        .replace("namespace: models", "namespace: models-qa")
    },
    "pass": {
        "environments/qa.yaml": ENVIRONMENT.replace("name: dev\n", "name: qa\n").replace(
            "namespace: models", "namespace: models-qa"
        )
    },
}

# What the cluster's one shared Flux Kustomization takes from the first environment, and what
# one cluster cannot differ in: (path in the environment file, value).
AGREE: dict[str, Callable[[Environment], Any]] = {
    "kubernetesVersion": lambda e: e.kubernetes_version,
    "platform.kserve": lambda e: str(e.kserve),
    "platform.hybridManager": lambda e: e.hybrid_manager,
    "platform.kserveInstall": lambda e: e.kserve_install,
    "flux.namespace": lambda e: e.flux.get("namespace", "flux-system"),
    "flux.sourceRef": lambda e: e.flux.get("sourceRef"),
    "flux.path": lambda e: e.flux_path,
}


def check(ctx: Context) -> Iterator[Finding]:
    by_cluster: dict[str, list[Environment]] = {}
    for env in sorted(ctx.catalog.environments.values(), key=lambda e: e.name):
        by_cluster.setdefault(env.cluster, []).append(env)
    for cluster, members in sorted(by_cluster.items()):
        first = members[0]
        namespaces: dict[str, Environment] = {}
        for env in members:
            other = namespaces.setdefault(env.namespace, env)
            if other is not env:
                yield INFO.at(
                    env.source,
                    ("namespace",),
                    f"environments '{other.name}' ({other.source.file}) and '{env.name}' both "
                    f"deploy to namespace '{env.namespace}' on cluster '{cluster}'",
                )
            if env is first:
                continue
            for dotted, value in AGREE.items():
                if value(env) != value(first):
                    yield INFO.at(
                        env.source,
                        tuple(dotted.split(".")),
                        f"environments '{first.name}' and '{env.name}' share cluster "
                        f"'{cluster}' but differ in {dotted} ({value(first)!r} in "
                        f"{first.source.file}, {value(env)!r} here)",
                    )
        yield from _runtimes_agree(ctx, cluster, members)
        yield from _pools_agree(cluster, members)


def _runtimes_agree(ctx: Context, cluster: str, members: list[Environment]) -> Iterator[Finding]:
    """Each runtime two environments of the cluster use renders the same in both: the cluster
    holds it once, as the first of them renders it (``deploy.tree._shared_root``)."""
    first_render: dict[str, tuple[Environment, Any]] = {}
    for env in members:
        used = {
            ctx.catalog.models[e.model].runtime
            for e in env.entries
            if e.model in ctx.catalog.models
        }
        for name in sorted(used & set(ctx.catalog.runtimes)):
            rendered = _comparable(render_runtime(ctx.catalog.runtimes[name], env).obj)
            other, seen = first_render.setdefault(name, (env, rendered))
            if other is not env and seen != rendered:
                yield INFO.at(
                    env.source,
                    ("runtimeImages",) if "runtimeImages" in env.data else ("cluster",),
                    f"ClusterServingRuntime '{name}' on cluster '{cluster}' differs "
                    f"between {other.source.file} and {env.source.file}",
                )


POOL_FIELDS = ("gpusPerNode", "nodes", "cpuPerNode", "memoryPerNode", "nodeLabels", "taints")


def _pools_agree(cluster: str, members: list[Environment]) -> Iterator[Finding]:
    """Environments naming the same node pool of a cluster describe the same nodes: rule
    gpu-capacity places all their replicas on the first one's description."""
    first: dict[str, tuple[Environment, str]] = {}
    for env in members:
        for name, profile in sorted(env.profiles.items()):
            other, other_name = first.setdefault(profile.pool_name, (env, name))
            if other is env:
                continue
            mine = env.data["gpuProfiles"][name]
            theirs = other.data["gpuProfiles"][other_name]
            for key in POOL_FIELDS:
                if mine.get(key) != theirs.get(key):
                    yield INFO.at(
                        env.source,
                        ("gpuProfiles", name, key),
                        f"node pool '{profile.pool_name}' on cluster '{cluster}' is described "
                        f"differently in {other.source.file} and here ({key}): its nodes are "
                        "counted once, as the first file describes them",
                    )


def _comparable(obj: dict[str, Any]) -> Any:
    meta = {k: v for k, v in obj["metadata"].items() if k != "labels"}
    return {**obj, "metadata": meta}
