"""GPU InferenceServices land only on their profile's nodes and tolerate every taint there.

The predictor needs required node affinity on every label of the pool, a toleration for every
taint of the pool, and whole-number GPU requests equal to limits. Kubernetes refuses
extended-resource requests that differ from limits, and a missing toleration leaves the pod
Pending on tainted nodes; a missing affinity lets it take GPUs meant for another pool.

What is checked is what the pods get: for a Standard-mode InferenceService whose runtime is at
hand, the pod spec of the predictor Deployment KServe derives (``MergePodSpec`` has merged the
runtime's affinity, tolerations and node selector with the predictor's, and the container is
the runtime's ``kserve-container`` patched with the model's resources: ``modelserve.derive``);
otherwise (Knative mode, a runtime not in the set, a hand-written manifest alone) the
InferenceService's own predictor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from modelserve.derive.predictor import CONTAINER, ISVC_LABEL, derives
from modelserve.findings import Severity
from modelserve.model import Profile
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping, sequence
from modelserve.rules.examples import ENVIRONMENT
from modelserve.rules.kubeapi import pod_spec

INFO = RuleInfo(
    "gpu-placement",
    Severity.ERROR,
    "GPU predictors require the profile's node labels, tolerate its taints, and request whole "
    "GPUs = limits",
    "describe the node pool's labels and taints in the environment's gpuProfiles",
    frozenset({Scope.OBJECT, Scope.DERIVED}),
    kinds=frozenset({"InferenceService", "Deployment"}),
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

Pointer = tuple[Any, ...]
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


@dataclass(frozen=True)
class _Where:
    """Where the checked fields sit in the object checked."""

    resources: Pointer
    affinity: Pointer
    tolerations: Pointer
    pod: Pointer


ON_ISVC = _Where(
    ("spec", "predictor", "model", "resources"),
    ("spec", "predictor", "affinity"),
    ("spec", "predictor", "tolerations"),
    ("spec", "predictor"),
)


def check_predictor(
    predictor: dict[str, Any], profile: Profile | None, where: _Where = ON_ISVC
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(pointer, message) for each placement problem of one predictor (``model.resources``,
    ``affinity``, ``tolerations``, ``nodeSelector``, as an InferenceService's predictor has
    them)."""
    resources = (predictor.get("model") or {}).get("resources") or {}
    requests, limits = gpu_amounts(resources, "requests"), gpu_amounts(resources, "limits")
    res_ptr = where.resources
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
                where.pod,
                "GPU predictor has no node affinity, node selector or tolerations",
            )
        return
    if not profile.node_labels:
        yield (
            where.affinity,
            (
                f"profile '{profile.name}' has no nodeLabels, so nothing keeps this GPU model on "
                "its pool"
            ),
        )
    terms = required_terms(predictor)
    for key, value in sorted(profile.node_labels.items()):
        if not terms or not all(term_requires(t, key, value) for t in terms):
            yield (
                where.affinity,
                f"required node affinity does not select {key}={value}",
            )
    tolerations = list(predictor.get("tolerations") or [])
    for taint in profile.taints:
        if not tolerates(tolerations, taint):
            shown = f"{taint.key}={taint.value}" if taint.value is not None else taint.key
            yield (
                where.tolerations,
                f"no toleration for taint {shown}:{taint.effect}",
            )


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    kind = obj.get("kind")
    labels = mapping(mapping(obj.get("metadata")).get("labels"))
    # A rendered model names its profile in a label; a hand-written one is checked without one.
    profile = objects.profiles.get(str(labels.get("modelserve.io/profile", "")))
    if kind == "Deployment":
        if ISVC_LABEL not in labels:
            return  # not a predictor KServe derives
        found = pod_spec(obj)
        if found is None:
            return
        at, pod = found
        listed = [c for c in sequence(pod.get("containers")) if isinstance(c, dict)]
        index = next((i for i, c in enumerate(listed) if c.get("name") == CONTAINER), 0)
        if not listed:
            return
        where = _Where(
            at + ("containers", index, "resources"),
            at + ("affinity",),
            at + ("tolerations",),
            at,
        )
        fields = {key: pod.get(key) for key in ("affinity", "tolerations", "nodeSelector")}
        predictor = {"model": {"resources": listed[index].get("resources")}, **fields}
        for pointer, message in check_predictor(predictor, profile, where):
            yield Problem(pointer, message)
        return
    if kind != "InferenceService":
        return
    predictor = mapping(mapping(obj.get("spec")).get("predictor"))
    if not predictor:
        return
    if objects.rendered and _derived(obj, predictor, objects):
        return  # its predictor Deployment is checked instead, with what KServe merges in
    for pointer, message in check_predictor(predictor, profile):
        yield Problem(pointer, message)


def _derived(obj: dict[str, Any], predictor: dict[str, Any], objects: ObjectSet) -> bool:
    """Whether validate checks a Deployment KServe derives from this InferenceService: derive
    builds it, and the runtime has the kserve-container it needs."""
    if not derives(obj, objects.kserve):
        return False
    runtime = objects.runtime_of(obj, str(mapping(predictor.get("model")).get("runtime", "")))
    containers = sequence(mapping((runtime or {}).get("spec")).get("containers"))
    return any(mapping(c).get("name") == CONTAINER for c in containers)
