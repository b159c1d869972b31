"""ClusterServingRuntime from a catalog runtime."""

from __future__ import annotations

from typing import Any

from modelserve.model import Environment, Runtime
from modelserve.render import MANAGED_BY, Origin, RenderedObject, quantity_map

CONTAINER = "kserve-container"
SHM_VOLUME = "dshm"


IMAGE_VARIANT = "modelserve.io/image-variant"  # read by the runtime-image-variant rule
# Catalog fields rendered in their own shape: a finding below them lands on the element.
MIRRORED = frozenset({"ports", "env", "podLabels", "podAnnotations", "args", "command"})


def render_runtime(runtime: Runtime, env: Environment | None = None) -> RenderedObject:
    """The runtime as KServe reads it; ``env`` only supplies a per-environment image."""
    data = runtime.data
    spec: dict[str, Any] = {}
    pod_annotations = dict(data.get("podAnnotations") or {})
    if runtime.metrics_port is not None:
        # Read by KServe's metric aggregation; harmless otherwise and informative for humans.
        pod_annotations.setdefault("prometheus.kserve.io/port", str(runtime.metrics_port))
        pod_annotations.setdefault("prometheus.kserve.io/path", str(runtime.metrics_path))
    if pod_annotations:
        spec["annotations"] = dict(sorted(pod_annotations.items()))
    if data.get("podLabels"):
        spec["labels"] = dict(sorted(data["podLabels"].items()))
    spec["supportedModelFormats"] = [_format(f) for f in data["modelFormats"]]
    if runtime.protocols:
        spec["protocolVersions"] = list(runtime.protocols)
    if data.get("imagePullSecrets"):
        spec["imagePullSecrets"] = [{"name": name} for name in data["imagePullSecrets"]]
    spec["containers"] = [_container(runtime, env.runtime_image(runtime) if env else runtime.image)]
    if data.get("sharedMemory"):
        spec["volumes"] = [
            {
                "name": SHM_VOLUME,
                "emptyDir": {"medium": "Memory", "sizeLimit": str(data["sharedMemory"])},
            }
        ]
    obj = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ClusterServingRuntime",
        "metadata": {
            "name": runtime.name,
            "labels": {**MANAGED_BY, "modelserve.io/runtime": runtime.name},
            **(
                {"annotations": {IMAGE_VARIANT: data["imageVariant"]}}
                if "imageVariant" in data
                else {}
            ),
        },
        "spec": spec,
    }
    origins = [
        Origin((), runtime.source, ("name",)),
        Origin(("metadata", "labels", "modelserve.io/runtime"), runtime.source, ("name",)),
        Origin(("spec",), runtime.source, ()),
    ]
    for key, prefix in (
        ("image", ("spec", "containers", 0, "image")),
        ("env", ("spec", "containers", 0, "env")),
        ("ports", ("spec", "containers", 0, "ports")),
        ("modelFormats", ("spec", "supportedModelFormats")),
        ("resources", ("spec", "containers", 0, "resources")),
        ("readiness", ("spec", "containers", 0, "readinessProbe")),
        ("imageVariant", ("metadata", "annotations", IMAGE_VARIANT)),
        ("podLabels", ("spec", "labels")),
        ("podAnnotations", ("spec", "annotations")),
        ("imagePullSecrets", ("spec", "imagePullSecrets")),
        ("sharedMemory", ("spec", "volumes")),
        ("command", ("spec", "containers", 0, "command")),
        ("args", ("spec", "containers", 0, "args")),
    ):
        if key in data:
            origins.append(Origin(prefix, runtime.source, (key,), mirrored=key in MIRRORED))
    origins += _derived_field_origins(runtime)
    if env is not None and runtime.name in env.runtime_images:
        origins.append(
            Origin(("spec", "containers", 0, "image"), env.source, ("runtimeImages", runtime.name))
        )
    return RenderedObject(obj, origins)


def _derived_field_origins(runtime: Runtime) -> list[Origin]:
    """Rendered fields made from a catalog field of another name or shape."""
    data, src = runtime.data, runtime.source
    origins: list[Origin] = []
    if runtime.metrics_port is not None:
        for key in ("port", "path"):
            annotation = ("spec", "annotations", f"prometheus.kserve.io/{key}")
            origins.append(Origin(annotation, src, ("metrics", key)))
    if runtime.protocols:
        origins.append(Origin(("spec", "protocolVersions"), src, ("protocolVersions",)))
    if data.get("sharedMemory"):
        origins.append(Origin(("spec", "containers", 0, "volumeMounts"), src, ("sharedMemory",)))
    for index, entry in enumerate(data.get("env") or ()):
        if isinstance(entry, dict) and "secretKeyRef" in entry:  # valueFrom.secretKeyRef.key
            value_from = ("spec", "containers", 0, "env", index, "valueFrom")
            origins.append(Origin(value_from, src, ("env", index), mirrored=True))
    return origins


def _format(fmt: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": fmt["name"]}
    if "version" in fmt:
        out["version"] = str(fmt["version"])
    # Every model names its runtime, so KServe never needs to pick one: off unless asked for,
    # and a runtime that does not auto-select cannot collide with another (runtime-collision).
    out["autoSelect"] = bool(fmt.get("autoSelect", False))
    if "priority" in fmt:
        out["priority"] = int(fmt["priority"])
    return out


def _container(runtime: Runtime, image: str) -> dict[str, Any]:
    data = runtime.data
    container: dict[str, Any] = {"name": CONTAINER, "image": image}
    for key in ("command", "args"):
        if data.get(key):
            container[key] = list(data[key])
    if data.get("env"):
        container["env"] = [env_var(e) for e in data["env"]]
    if runtime.ports:
        container["ports"] = [
            {"name": p.name, "containerPort": p.container_port, "protocol": p.protocol}
            for p in runtime.ports
        ]
    if data.get("resources"):
        amounts = quantity_map(data["resources"])
        container["resources"] = {"requests": dict(amounts), "limits": dict(amounts)}
    if data.get("readiness"):
        container["readinessProbe"] = _probe(data["readiness"], runtime.serving_port)
    if data.get("sharedMemory"):
        container["volumeMounts"] = [{"name": SHM_VOLUME, "mountPath": "/dev/shm"}]
    return container


def _probe(readiness: dict[str, Any], default_port: int) -> dict[str, Any]:
    probe: dict[str, Any] = {
        "httpGet": {"path": readiness["path"], "port": int(readiness.get("port", default_port))}
    }
    for key in ("initialDelaySeconds", "periodSeconds", "failureThreshold"):
        if key in readiness:
            probe[key] = int(readiness[key])
    return probe


def env_var(entry: dict[str, Any]) -> dict[str, Any]:
    """A container env var; secrets and config maps only ever by reference."""
    out: dict[str, Any] = {"name": entry["name"]}
    if "value" in entry:
        out["value"] = str(entry["value"])
    elif "secretKeyRef" in entry:
        out["valueFrom"] = {"secretKeyRef": dict(entry["secretKeyRef"])}
    else:
        out["valueFrom"] = {"configMapKeyRef": dict(entry["configMapKeyRef"])}
    return out
