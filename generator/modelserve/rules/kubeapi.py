"""What the API server's semantic validation rules share: where pod specs and metadata live.

The ``api-*`` rules mirror checks of ``pkg/apis/core/validation/validation.go`` and
``k8s.io/apimachinery/pkg/api/validation`` that no OpenAPI schema holds; they run on
hand-written manifests (``validate-manifests --policy``) and on the objects KServe derives from
each InferenceService (``validate``). Messages are worded as the API server words them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.rules.base import mapping

Pointer = tuple[Any, ...]

# Where each workload kind keeps its pod template (apps/v1, batch/v1, core/v1).
POD_SPEC_AT: dict[str, Pointer] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
}
CONTAINER_LISTS = ("initContainers", "containers")


def pod_spec(obj: dict[str, Any]) -> tuple[Pointer, dict[str, Any]] | None:
    """The pod spec of a workload object and its pointer, or None for other kinds."""
    at = POD_SPEC_AT.get(str(obj.get("kind")))
    if at is None:
        return None
    value: Any = obj
    for key in at:
        value = mapping(value).get(key)
    return (at, value) if isinstance(value, dict) else None


def containers(spec: dict[str, Any], at: Pointer) -> Iterator[tuple[Pointer, dict[str, Any]]]:
    """Each container of a pod spec (init containers first) with its pointer."""
    for key in CONTAINER_LISTS:
        items = spec.get(key)
        if isinstance(items, list):
            for i, container in enumerate(items):
                if isinstance(container, dict):
                    yield at + (key, i), container


def invalid(value: Any, messages: list[str]) -> str:
    """The API server's ``field.Invalid`` wording: ``Invalid value: "v": why``."""
    shown = f'"{value}"' if isinstance(value, str) else str(value)
    return f"Invalid value: {shown}: {'; '.join(messages)}"
