"""Environments on one cluster agree on every cluster-scoped object and use distinct namespaces.

A ClusterServingRuntime exists once per cluster: if two environments render it differently
(another image, say), the two Flux Kustomizations overwrite each other on every reconcile and
the runtime flips between versions. Two environments in one namespace would do the same to
InferenceServices.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT

INFO = RuleInfo(
    "cluster-agree",
    Severity.ERROR,
    "Environments sharing a cluster render identical cluster-scoped objects and use their own "
    "namespace",
    "make the environments agree (same runtimeImages), or move one to another cluster",
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

CLUSTER_SCOPED = {"ClusterServingRuntime", "Namespace"}


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.tree is None:
        return
    seen: dict[tuple[str, str, str], tuple[str, Any]] = {}
    namespaces: dict[tuple[str, str], str] = {}
    for env in sorted(ctx.catalog.environments.values(), key=lambda e: e.name):
        key = (env.cluster, env.namespace)
        if key in namespaces:
            other = ctx.catalog.environments[namespaces[key]]
            yield INFO.at(
                env.source,
                ("namespace",),
                f"environments '{other.name}' ({other.source.file}) and '{env.name}' both deploy "
                f"to namespace '{env.namespace}' on cluster '{env.cluster}'",
            )
        namespaces.setdefault(key, env.name)
        for root in ctx.tree.env_roots(env.name):
            for rendered in root.objects:
                kind = rendered.obj.get("kind")
                if kind not in CLUSTER_SCOPED:
                    continue
                obj_key = (env.cluster, kind, rendered.obj["metadata"]["name"])
                first = seen.setdefault(obj_key, (env.name, rendered.obj))
                if first[0] != env.name and _comparable(first[1]) != _comparable(rendered.obj):
                    other = ctx.catalog.environments[first[0]]
                    yield INFO.at(
                        env.source,
                        ("cluster",),
                        f"{kind} '{obj_key[2]}' on cluster '{env.cluster}' differs "
                        f"between {other.source.file} and {env.source.file}",
                    )


def _comparable(obj: dict[str, Any]) -> Any:
    meta = {k: v for k, v in obj["metadata"].items() if k != "labels"}
    return {**obj, "metadata": meta}
