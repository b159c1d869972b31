"""Kubernetes' strategic merge patch, for the two merges KServe's reconciler makes.

KServe builds the predictor container by patching the runtime's container with the
InferenceService's (``MergeRuntimeContainers`` in
``pkg/controller/v1beta1/inferenceservice/utils/utils.go``, from v0.20 through
``MergeContainerWithPatch`` in ``pkg/utils/container_merge.go``) and the pod spec by patching
part of the runtime's pod spec with the predictor's (``MergePodSpec``), both with
``strategicpatch.StrategicMergePatch`` of ``k8s.io/apimachinery``
(``pkg/util/strategicpatch/patch.go``). What decides the result is the patch strategy of each
field in ``k8s.io/api/core/v1/types.go``: maps merge key by key, lists with a
``patchMergeKey`` merge element by element, every other list is replaced.

The order of a merged list is the one ``mergeSlice`` gives (``normalizeElementOrder`` and
``mergeSortedSlice``): elements only the original has keep their places relative to those the
patch has, and an element new in the patch comes before the original's remaining ones. The order
matters: the Service KServe builds exposes the first container port on port 80.
"""

from __future__ import annotations

from typing import Any

# Lists merged element by element, by field name in the structs KServe patches, with their
# merge keys (k8s.io/api/core/v1/types.go: patchStrategy "merge" and patchMergeKey).
CONTAINER_MERGE_KEYS = {
    "ports": "containerPort",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
}
POD_MERGE_KEYS = {
    "volumes": "name",
    "imagePullSecrets": "name",
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "schedulingGates": "name",
}
# patchStrategy "merge,retainKeys": a merged element keeps only the keys the patch gives.
RETAIN_KEYS = frozenset({"volumes", "resourceClaims"})


def clone(value: Any) -> Any:
    """A copy of JSON-like data (dicts, lists, scalars): ``copy.deepcopy`` without its memo,
    several times faster on the thousands of small objects a large catalog derives."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def merge_container(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` (an InferenceService container) merged onto ``base`` (the runtime's)."""
    return _merge_map(base, patch, CONTAINER_MERGE_KEYS)


def merge_pod_spec(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` (the predictor's pod spec fields) merged onto ``base`` (the runtime's)."""
    return _merge_map(base, patch, POD_MERGE_KEYS)


def _merge_map(
    original: dict[str, Any], patch: dict[str, Any], merge_keys: dict[str, str]
) -> dict[str, Any]:
    merged: dict[str, Any] = clone(original)
    for key, value in patch.items():
        if value is None:  # a null deletes the field
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            # Nested structs and maps (resources, affinity, nodeSelector) merge key by key;
            # their own lists carry no merge key in the fields KServe patches, so they replace.
            merged[key] = _merge_map(merged[key], value, {})
        elif isinstance(value, list) and key in merge_keys and isinstance(merged.get(key), list):
            merged[key] = merge_list(merged[key], value, merge_keys[key], key in RETAIN_KEYS)
        else:
            merged[key] = clone(value)
    return merged


def merge_list(
    original: list[Any], patch: list[Any], merge_key: str, retain_keys: bool
) -> list[Any]:
    if not all(isinstance(e, dict) and merge_key in e for e in original + patch):
        kept: list[Any] = clone(patch)  # what the API server would refuse anyway
        return kept
    merged = [clone(e) for e in original]
    for element in patch:
        at = _index(merged, element[merge_key], merge_key)
        if at < 0:
            merged.append(clone(element))
        elif retain_keys:
            merged[at] = _merge_map(
                {k: v for k, v in merged[at].items() if k in element}, element, {}
            )
        else:
            merged[at] = _merge_map(merged[at], element, {})
    patch_keys = [e[merge_key] for e in patch]
    in_patch = [e for e in merged if e[merge_key] in patch_keys]
    server_only = [e for e in merged if e[merge_key] not in patch_keys]
    in_patch.sort(key=lambda e: patch_keys.index(e[merge_key]))
    return _merge_sorted(server_only, in_patch, [e[merge_key] for e in original], merge_key)


def _merge_sorted(
    left: list[Any], right: list[Any], server_order: list[Any], merge_key: str
) -> list[Any]:
    """``mergeSortedSlice``: a server-only element goes first only when both it and the next
    patch element are in the original and it came first there."""
    out: list[Any] = []
    i = j = 0
    while i < len(left) or j < len(right):
        if j >= len(right):
            out.append(left[i])
            i += 1
        elif i >= len(left):
            out.append(right[j])
            j += 1
        else:
            li = _position(server_order, left[i][merge_key])
            ri = _position(server_order, right[j][merge_key])
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


def _index(elements: list[dict[str, Any]], value: Any, merge_key: str) -> int:
    return next((i for i, e in enumerate(elements) if e[merge_key] == value), -1)


def _position(order: list[Any], value: Any) -> int:
    return order.index(value) if value in order else -1
