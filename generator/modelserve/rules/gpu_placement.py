"""GPU InferenceServices land only on their profile's nodes and tolerate every taint there.

Checked on the objects Kustomize builds (or any manifest given to validate-manifests): the
predictor needs required node affinity on every label of the pool, a toleration for every
taint of the pool, and whole-number GPU requests equal to limits. Kubernetes refuses
extended-resource requests that differ from limits, and a missing toleration leaves the pod
Pending on tainted nodes; a missing affinity lets it take GPUs meant for another pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.model import Profile
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping
from modelserve.rules.examples import ENVIRONMENT

INFO = RuleInfo(
    "gpu-placement",
    Severity.ERROR,
    "GPU predictors require the profile's node labels, tolerate its taints, and request whole "
    "GPUs = limits",
    "describe the node pool's labels and taints in the environment's gpuProfiles",
    frozenset({Scope.OBJECT}),
    kinds=frozenset({"InferenceService"}),
)
EXAMPLES = {
    # A profile with no labels: the GPU model could land on any GPU node.
    "fail": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            "    nodeLabels: {nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3}\n",
            "    nodeLabels: {}\n",
        )
    },
    "pass": {},
}

GPU_PREFIXES = (
    "nvidia.com/gpu",
    "nvidia.com/mig",
    "amd.com/gpu",
    "intel.com/gpu",
    "habana.ai/gaudi",
)


def gpu_amounts(resources: dict[str, Any], key: str) -> dict[str, Any]:
    amounts = mapping(resources.get(key))
    return {k: v for k, v in amounts.items() if isinstance(k, str) and k.startswith(GPU_PREFIXES)}


def required_terms(predictor: dict[str, Any]) -> list[dict[str, Any]]:
    affinity = (predictor.get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    return list(required.get("nodeSelectorTerms") or [])


def term_requires(term: dict[str, Any], key: str, value: str) -> bool:
    return any(
        e.get("key") == key and e.get("operator") == "In" and list(e.get("values") or []) == [value]
        for e in term.get("matchExpressions") or []
    )


def tolerates(tolerations: list[dict[str, Any]], taint: Any) -> bool:
    for t in tolerations:
        if t.get("effect") not in (None, "", taint.effect):
            continue
        if t.get("operator") == "Exists" and t.get("key") in (None, "", taint.key):
            return True
        if (
            t.get("key") == taint.key
            and t.get("operator", "Equal") == "Equal"
            and t.get("value") == taint.value
        ):
            return True
    return False


def check_predictor(
    predictor: dict[str, Any], profile: Profile | None
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(pointer, message) for each placement problem of one predictor."""
    resources = (predictor.get("model") or {}).get("resources") or {}
    requests, limits = gpu_amounts(resources, "requests"), gpu_amounts(resources, "limits")
    res_ptr = ("spec", "predictor", "model", "resources")
    if not requests and not limits:
        return
    for name in sorted(set(requests) | set(limits)):
        if str(requests.get(name)) != str(limits.get(name)):
            yield (
                res_ptr,
                f"{name} requests ({requests.get(name)}) must equal limits ({limits.get(name)})",
            )
        for amount in (requests.get(name), limits.get(name)):
            if amount is not None and not str(amount).isdigit():
                yield res_ptr, f"{name} must be a whole number of GPUs, not '{amount}'"
    if profile is None:
        if (
            not predictor.get("tolerations")
            and not required_terms(predictor)
            and not predictor.get("nodeSelector")
        ):
            yield (
                ("spec", "predictor"),
                "GPU predictor has no node affinity, node selector or tolerations",
            )
        return
    if not profile.node_labels:
        yield (
            ("spec", "predictor", "affinity"),
            (
                f"profile '{profile.name}' has no nodeLabels, so nothing keeps this GPU model on "
                "its pool"
            ),
        )
    terms = required_terms(predictor)
    for key, value in sorted(profile.node_labels.items()):
        if not terms or not all(term_requires(t, key, value) for t in terms):
            yield (
                ("spec", "predictor", "affinity"),
                f"required node affinity does not select {key}={value}",
            )
    tolerations = list(predictor.get("tolerations") or [])
    for taint in profile.taints:
        if not tolerates(tolerations, taint):
            shown = f"{taint.key}={taint.value}" if taint.value is not None else taint.key
            yield (
                ("spec", "predictor", "tolerations"),
                f"no toleration for taint {shown}:{taint.effect}",
            )


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    if obj.get("kind") != "InferenceService":
        return
    predictor = mapping(mapping(obj.get("spec")).get("predictor"))
    if not predictor:
        return
    labels = mapping(mapping(obj.get("metadata")).get("labels"))
    # A rendered model names its profile in a label; a hand-written one is checked without one.
    profile = objects.profiles.get(str(labels.get("modelserve.io/profile", "")))
    for pointer, message in check_predictor(predictor, profile):
        yield Problem(pointer, message)
