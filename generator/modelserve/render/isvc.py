"""InferenceService for one model in one environment."""

from __future__ import annotations

from typing import Any

from modelserve.metrics import SCALING_METRICS, family_of, number, scaling_query
from modelserve.model import (
    DEFAULT_GPU_RESOURCE,
    Environment,
    Model,
    ModelEntry,
    Profile,
    Runtime,
)
from modelserve.render import MANAGED_BY, Origin, RenderedObject, quantity_map
from modelserve.render.cache import (
    CACHE_VOLUME,
    NODE_GROUP_ANNOTATION,
    gib_quantity,
    pvc_mount_path,
)
from modelserve.render.runtime import env_var

ANNOTATIONS = ("metadata", "annotations")
AUTOSCALER_CLASS = "serving.kserve.io/autoscalerClass"
AUTOSCALING_METRIC = ("spec", "predictor", "autoScaling", "metrics", 0, "external")
DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"


def render_isvc(
    model: Model,
    entry: ModelEntry,
    env: Environment,
    profile: Profile | None,
    runtime: Runtime | None = None,
) -> RenderedObject:
    """The InferenceService; with ``runtime`` known, a NIM's cache or download space too."""
    data = model.data
    meta = {
        "name": model.name,
        "namespace": env.namespace,
        "labels": _labels(model, env, profile),
        "annotations": _annotations(model, env, entry),
    }
    predictor: dict[str, Any] = {}
    replicas = entry.replicas(model)
    if "min" in replicas:
        predictor["minReplicas"] = int(replicas["min"])
    if "max" in replicas:
        predictor["maxReplicas"] = int(replicas["max"])
    autoscaling = data.get("autoscaling") or {}
    if autoscaling.get("metric") in SCALING_METRICS:
        scaling = _keda_metrics(model, env, runtime)
        if scaling is not None:
            predictor["autoScaling"] = scaling
    else:
        if "metric" in autoscaling:
            predictor["scaleMetric"] = autoscaling["metric"]
        if "target" in autoscaling:
            # scaleTarget is an int32: a fraction is left for the InferenceService schema to
            # refuse at its line, never truncated
            target = autoscaling["target"]
            predictor["scaleTarget"] = int(target) if float(target).is_integer() else target
    rollout = entry.rollout(model)
    if rollout:
        strategy: dict[str, Any] = {"type": rollout.get("strategy", "RollingUpdate")}
        if strategy["type"] == "RollingUpdate":
            bounds = {k: rollout[k] for k in ("maxSurge", "maxUnavailable") if k in rollout}
            if bounds:
                strategy["rollingUpdate"] = bounds
        predictor["deploymentStrategy"] = strategy
    if profile is not None:
        predictor["affinity"] = profile.affinity()
        if profile.taints:
            predictor["tolerations"] = profile.tolerations()
    nim = runtime is not None and runtime.is_nim
    pvc = entry.cache.get("pvc")
    if nim and pvc:
        predictor["volumes"] = [
            {"name": CACHE_VOLUME, "persistentVolumeClaim": {"claimName": pvc["claimName"]}}
        ]
    predictor["model"] = _model_spec(model, entry, profile, nim)
    obj = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": meta,
        "spec": {"predictor": predictor},
    }
    return RenderedObject(obj, lambda: _origins(model, entry, env, profile), model=model.name)


def _keda_metrics(model: Model, env: Environment, runtime: Runtime | None) -> dict[str, Any] | None:
    """``autoScaling.metrics`` for a family metric: one External prometheus metric, as KServe's
    LLM autoscaling sample writes it (KServe v0.20.0 docs, generative-inference/autoscaling;
    ``getKedaMetrics`` turns it into the ScaledObject's prometheus trigger, ``target.value`` its
    threshold). None where the family has no such metric or no target is given: rule keda-metric
    says so."""
    autoscaling = model.data["autoscaling"]
    metric = family_of(model, runtime).scaling.get(autoscaling["metric"]) if runtime else None
    target = autoscaling.get("target")
    if metric is None or target is None:
        return None
    return {
        "metrics": [
            {
                "type": "External",
                "external": {
                    "metric": {
                        "backend": "prometheus",
                        "serverAddress": str(env.monitoring.get("prometheusAddress", "")),
                        "query": scaling_query(env, model.name, metric),
                    },
                    "target": {"type": "Value", "value": number(target)},
                },
            }
        ]
    }


def _labels(model: Model, env: Environment, profile: Profile | None) -> dict[str, str]:
    labels = {
        **(model.data.get("labels") or {}),
        **MANAGED_BY,
        "modelserve.io/environment": env.name,
    }
    if profile is not None:
        labels["modelserve.io/profile"] = profile.name
    return dict(sorted(labels.items()))


def _annotations(model: Model, env: Environment, entry: ModelEntry) -> dict[str, str]:
    notes = dict(model.data.get("annotations") or {})
    # Spelled as the environment's KServe release knows it (RawDeployment before v0.16).
    notes["serving.kserve.io/deploymentMode"] = env.kserve.mode_annotation(env.deployment_mode)
    autoscaling = model.data.get("autoscaling") or {}
    replicas = entry.replicas(model)
    if "class" in autoscaling:
        notes["serving.kserve.io/autoscalerClass"] = autoscaling["class"]
    elif (
        env.deployment_mode == "Standard"
        and "none" in env.kserve.autoscaler_classes
        and replicas.get("min", 1) == replicas.get("max", replicas.get("min", 1))
    ):
        # A fixed size needs no HPA; HM sets the same for its models. KServe 0.15.0 has no
        # class none (its webhook refuses it) and creates an HPA of min = max instead.
        notes["serving.kserve.io/autoscalerClass"] = "none"
    if "localModelCache" in entry.cache:
        notes[NODE_GROUP_ANNOTATION] = entry.cache["localModelCache"]["nodeGroup"]
    return dict(sorted(notes.items()))


def _model_spec(
    model: Model, entry: ModelEntry, profile: Profile | None, nim: bool
) -> dict[str, Any]:
    data, over = model.data, entry.data
    spec: dict[str, Any] = {"modelFormat": {"name": model.format.name}}
    if model.format.version is not None:
        spec["modelFormat"]["version"] = str(model.format.version)
    spec["runtime"] = model.runtime
    if "protocolVersion" in data:
        spec["protocolVersion"] = data["protocolVersion"]
    uri = entry.storage_uri(model)
    if uri is not None:
        spec["storageUri"] = uri
    args = list(data.get("args") or ()) + list(over.get("args") or ())
    if args:
        spec["args"] = args
    env = _merge_env(data.get("env") or (), over.get("env") or ())
    cached = nim and "pvc" in entry.cache
    if cached:
        # the runtime's NIM_CACHE_PATH (HM's /tmp) is replaced by name in KServe's merge
        mount = pvc_mount_path(entry)
        env = _merge_env(env, [{"name": "NIM_CACHE_PATH", "value": mount}])
        spec["volumeMounts"] = [{"name": CACHE_VOLUME, "mountPath": mount}]
    if env:
        spec["env"] = [env_var(e) for e in env]
    resources = _resources(model, entry, profile)
    if nim and not cached and model.download_gib is not None:
        # The download lands in the container's writable layer: reserve the node disk for it
        # (a request only: a limit would evict the pod when logs and temp files add up).
        resources.setdefault("requests", {})["ephemeral-storage"] = gib_quantity(model.download_gib)
    if resources:
        spec["resources"] = resources
    return spec


def _merge_env(base: Any, override: Any) -> list[dict[str, Any]]:
    merged = {e["name"]: e for e in base}
    merged.update({e["name"]: e for e in override})
    return list(merged.values())


def _resources(model: Model, entry: ModelEntry, profile: Profile | None) -> dict[str, Any]:
    amounts = quantity_map(entry.resources(model))
    if model.gpu_count:
        gpu_resource = profile.gpu_resource if profile else DEFAULT_GPU_RESOURCE
        amounts[gpu_resource] = str(model.gpu_count)
    if not amounts:
        return {}
    # GPUs must be requested equal to their limit; CPU and memory follow for Guaranteed QoS.
    return {"requests": dict(amounts), "limits": dict(amounts)}


def _origins(
    model: Model, entry: ModelEntry, env: Environment, profile: Profile | None
) -> list[Origin]:
    src, env_src = model.source, env.source
    model_path = ("spec", "predictor", "model")
    origins = [
        Origin((), src, ("name",)),
        Origin(("metadata", "namespace"), env_src, ("namespace",)),
        Origin(("spec",), src, ()),
        Origin(("metadata", "labels"), src, ("labels",), mirrored=True),
        Origin(("metadata", "annotations"), src, ("annotations",), mirrored=True),
        Origin(("metadata", "labels", "modelserve.io/environment"), env_src, ("name",)),
        Origin(model_path + ("modelFormat",), src, ("format",)),
        Origin(model_path + ("runtime",), src, ("runtime",)),
        Origin(model_path + ("storageUri",), src, ("storageUri",)),
        Origin(model_path + ("resources", "requests", "ephemeral-storage"), src, ("size",)),
        Origin(model_path + ("protocolVersion",), src, ("protocolVersion",)),
        Origin(model_path + ("resources",), src, ("gpu",) if model.gpu_count else ("resources",)),
        Origin(model_path + ("env",), src, ("env",)),
        Origin(model_path + ("args",), src, ("args",)),
        Origin(("spec", "predictor", "minReplicas"), src, ("replicas", "min")),
        Origin(("spec", "predictor", "maxReplicas"), src, ("replicas", "max")),
        Origin(("spec", "predictor", "deploymentStrategy"), src, ("rollout",)),
        Origin(("spec", "predictor", "scaleMetric"), src, ("autoscaling", "metric")),
        Origin(("spec", "predictor", "scaleTarget"), src, ("autoscaling", "target")),
        Origin(("spec", "predictor", "autoScaling"), src, ("autoscaling", "metric")),
        Origin(AUTOSCALING_METRIC + ("target",), src, ("autoscaling", "target")),
        Origin(
            AUTOSCALING_METRIC + ("metric", "serverAddress"),
            env_src,
            ("monitoring", "prometheusAddress"),
        ),
        Origin(ANNOTATIONS + (AUTOSCALER_CLASS,), src, ("autoscaling", "class")),
        Origin(ANNOTATIONS + (DEPLOYMENT_MODE,), env_src, ("platform", "kserve")),
    ]
    if "deploymentMode" in env.data:
        origins.append(Origin(ANNOTATIONS + (DEPLOYMENT_MODE,), env_src, ("deploymentMode",)))
    for key, prefix in (
        ("replicas", ("spec", "predictor", "minReplicas")),
        ("replicas", ("spec", "predictor", "maxReplicas")),
        ("rollout", ("spec", "predictor", "deploymentStrategy")),
        ("resources", model_path + ("resources",)),
        ("env", model_path + ("env",)),
        ("args", model_path + ("args",)),
        ("storageUri", model_path + ("storageUri",)),
        ("cache", model_path + ("volumeMounts",)),
        ("cache", ("spec", "predictor", "volumes")),
        ("cache", ANNOTATIONS + (NODE_GROUP_ANNOTATION,)),
    ):
        if key in entry.data:
            origins.append(Origin(prefix, env_src, entry.path + (key,)))
    if profile is not None:
        for prefix in (("spec", "predictor", "affinity"), ("spec", "predictor", "tolerations")):
            origins.append(Origin(prefix, env_src, ("gpuProfiles", profile.name)))
        origins.append(
            Origin(
                ("metadata", "labels", "modelserve.io/profile"), env_src, entry.path + ("profile",)
            )
        )
    return origins
