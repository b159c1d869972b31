"""The predictor's Deployment, Service and HorizontalPodAutoscaler, as KServe builds them.

Mirrors, at each supported release's tag of github.com/kserve/kserve:

- ``Predictor.buildPredictorResources``, ``buildPodSpec`` and ``buildObjectMeta``
  (``pkg/controller/v1beta1/inferenceservice/components/predictor.go``): the runtime's
  ``kserve-container`` patched with the model's container fields (``MergeRuntimeContainers``;
  args are concatenated), the runtime's node selector, affinity, tolerations, volumes and image
  pull secrets (and from v0.17 scheduler name) patched with the predictor's pod fields
  (``MergePodSpec``), ``ReplacePlaceholders``, ``UpdateImageTag``, the runtime's other
  containers appended, ``INFERENCE_SERVICE_NAME`` added to every container from v0.17; labels
  and annotations as the union runtime < InferenceService < predictor, the annotations less
  ``ServiceAnnotationDisallowedList`` (``pkg/constants/constants.go``) plus the storage URI
  annotation;
- ``createRawDefaultDeployment``, ``setDefaultPodSpec`` and ``setDefaultDeploymentSpec``
  (``reconcilers/deployment/deployment_reconciler.go``): name ``<isvc>-predictor``, selector and
  pod label ``app: isvc.<isvc>-predictor`` (the template shares the labels map, so the
  Deployment carries it too), a TCP readiness probe on the first container port (else 8080)
  when the runtime gives none, RollingUpdate 25%/25%, replicas = minReplicas only for autoscaler
  class ``none`` (``external`` in v0.15.0);
- ``createDefaultSvc`` (``reconcilers/service/service_reconciler.go``): the first container
  port exposed on port 80, every further one on its own number, ``appProtocol``
  ``kubernetes.io/h2c`` for port names holding ``grpc`` or ``h2c``; without ports, port 80 named
  after the component to 8080;
- ``createHPA`` and ``getHPAMetrics`` (``reconcilers/hpa/hpa_reconciler.go``) for class ``hpa``
  (the default): min replicas at least 1, max at least min, a CPU utilization target of
  ``scaleTarget`` or 80, a memory one only with a target;
- ``createKedaScaledObject`` and ``getKedaMetrics`` (``reconcilers/keda/keda_reconciler.go``)
  for class ``keda``: the ScaledObject, its triggers from ``autoScaling.metrics``.

Not derived (reported by no rule here): Knative-mode revisions, multi-node
(``workerSpec``) deployments, canaries, and what the pod-mutating webhook adds to the Pods
(storage initializer, agent): it acts on Pods, not on the Deployment. The InferenceService
config is KServe's shipped one (no rollout strategy or extra disallowed annotations).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from modelserve.derive import DerivedObject, Trace
from modelserve.derive.merge import (
    CONTAINER_MERGE_KEYS,
    POD_MERGE_KEYS,
    clone,
    merge_container,
    merge_list,
)
from modelserve.derive.merge import merge_pod_spec as merge_pods
from modelserve.platform.kserve import KServe
from modelserve.render import RenderedObject
from modelserve.shapes import mapping, sequence

CONTAINER = "kserve-container"
AGENT_PORT = 9081  # InferenceServiceDefaultAgentPort
DEFAULT_HTTP_PORT = 8080  # InferenceServiceDefaultHttpPort
TRANSFORMER = "transformer-container"
ISVC_LABEL = "serving.kserve.io/inferenceservice"
STORAGE_URI_ANNOTATION = "internal.serving.kserve.io/storage-initializer-sourceuri"
AUTOSCALER_CLASS = "serving.kserve.io/autoscalerClass"
SERVER_TYPE = "serving.kserve.io/server-type"
DISALLOWED_ANNOTATIONS = frozenset(
    {
        "autoscaling.knative.dev/min-scale",
        "autoscaling.knative.dev/max-scale",
        STORAGE_URI_ANNOTATION,
        "kubectl.kubernetes.io/last-applied-configuration",
    }
)
# PredictorSpec fields that are no pod spec field (pkg/apis/serving/v1beta1/predictor.go and
# ComponentExtensionSpec in component.go); everything else under spec.predictor is the pod's.
IMPLEMENTATIONS = frozenset(
    {"sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "huggingface", "pmml"}
    | {"lightgbm", "paddle", "model"}
)
NOT_POD = IMPLEMENTATIONS | {
    "name",
    "storageUris",
    "storageContainerName",
    "workerSpec",
    "minReplicas",
    "maxReplicas",
    "scaleTarget",
    "scaleMetric",
    "scaleMetricType",
    "autoScaling",
    "containerConcurrency",
    "timeout",
    "canaryTrafficPercent",
    "logger",
    "batcher",
    "labels",
    "annotations",
    "deploymentStrategy",
}
# ModelSpec fields that are no container field (predictor_model.go, PredictorExtensionSpec).
NOT_CONTAINER = frozenset(
    {"modelFormat", "runtime", "storageUri", "runtimeVersion", "protocolVersion", "storage"}
    | {"confidential", "schemaPath"}
)
RUNTIME_POD_FIELDS = ("nodeSelector", "affinity", "tolerations", "volumes", "imagePullSecrets")
TAG = re.compile(r"(:([\w.\-_]*))$")
PLACEHOLDER = re.compile(
    r"\{\{\s*(?:\.(Name|Namespace|GenerateName)|\.(Labels|Annotations)\.([A-Za-z0-9_]+)"
    r'|index\s+\.(Labels|Annotations)\s+"([^"\\]*)")\s*\}\}'
)
GPU_SUFFIX_SERVERS = {
    "kserve-tensorflow-serving": "tensorflow-serving",
    "kserve-torchserve": "torchserve",
    "kserve-huggingfaceserver": "huggingfaceserver",
}
VLLM_RUNTIME, VLLM_SERVER = "kserve-vllmserver", "vllmserver"
SERVER_TYPES = {
    **GPU_SUFFIX_SERVERS,
    "kserve-mlserver": "mlserver",
    "kserve-tritonserver": "tritonserver",
    VLLM_RUNTIME: VLLM_SERVER,
}
Pointer = tuple[Any, ...]


def predictor_component(isvc_name: str) -> str:
    """The predictor's Deployment, Service and autoscaler name (``PredictorServiceName``)."""
    return f"{isvc_name}-predictor"


@dataclass
class Derivation:
    """What KServe makes of one InferenceService: its objects, or the reconciler's error (the
    InferenceService then stays not ready, ``Reason: InvalidPredictorSpec``)."""

    objects: list[DerivedObject] = field(default_factory=list)
    errors: list[tuple[Pointer, str]] = field(default_factory=list)


def derives(obj: dict[str, Any], kserve: KServe) -> bool:
    """Whether this module derives the predictor of the InferenceService ``obj`` once its runtime
    is found: Standard mode, the ``model:`` form, no multi-node ``workerSpec``."""
    notes = mapping(mapping(obj.get("metadata")).get("annotations"))
    predictor = mapping(mapping(obj.get("spec")).get("predictor"))
    return (
        kserve.is_standard(notes.get("serving.kserve.io/deploymentMode"))
        and isinstance(predictor.get("model"), dict)
        and "workerSpec" not in predictor
    )


def derive_predictor(
    isvc: RenderedObject, runtime: RenderedObject | None, kserve: KServe
) -> Derivation:
    """The Standard-mode objects of ``isvc`` with its resolved ``runtime`` (None: not found,
    which the runtime reference rules report); nothing for other modes."""
    obj = isvc.obj
    predictor = mapping(mapping(obj.get("spec")).get("predictor"))
    model = predictor.get("model")
    if not derives(obj, kserve) or not isinstance(model, dict) or runtime is None:
        return Derivation()
    runtime_spec = mapping(runtime.obj.get("spec"))
    containers = [c for c in sequence(runtime_spec.get("containers")) if isinstance(c, dict)]
    runtime_ptr = ("spec", "predictor", "model", "runtime")
    if not containers:
        return Derivation(
            errors=[(runtime_ptr, "no container configuration found in selected serving runtime")]
        )
    index = next((i for i, c in enumerate(containers) if c.get("name") == CONTAINER), -1)
    if index < 0:
        return Derivation(
            errors=[(runtime_ptr, f"failed to find {CONTAINER} in ServingRuntime containers")]
        )
    return _Builder(isvc, runtime, kserve, predictor, model, containers, index).build()


class _Builder:
    def __init__(
        self,
        isvc: RenderedObject,
        runtime: RenderedObject,
        kserve: KServe,
        predictor: dict[str, Any],
        model: dict[str, Any],
        containers: list[dict[str, Any]],
        index: int,
    ):
        self.isvc, self.runtime, self.kserve = isvc, runtime, kserve
        self.predictor, self.model, self.containers, self.index = (
            predictor,
            model,
            containers,
            index,
        )
        meta = mapping(isvc.obj.get("metadata"))
        self.name = str(meta.get("name", ""))
        self.namespace = str(meta.get("namespace", ""))
        self.component = predictor_component(self.name)
        self.runtime_spec = mapping(runtime.obj.get("spec"))

    # --- pieces ---------------------------------------------------------------------------------

    def container(self) -> dict[str, Any]:
        base = self.containers[self.index]
        patch = {k: v for k, v in self.model.items() if k not in NOT_CONTAINER}
        merged = merge_container(base, patch)
        merged["name"] = patch.get("name") or base.get("name")
        args = sequence(base.get("args")) + sequence(patch.get("args"))
        if args:
            merged["args"] = args
        if self.kserve.at_least(20):
            _reconcile_env_conflicts(merged, sequence(patch.get("env")))
        meta = mapping(self.isvc.obj.get("metadata"))
        merged = _replace_placeholders(merged, meta)
        image = merged.get("image")
        if isinstance(image, str):
            merged["image"] = update_image_tag(
                image,
                mapping(merged.get("resources")),
                self.model.get("runtimeVersion"),
                str(self.model.get("runtime", "")),
                mapping(mapping(self.runtime.obj.get("metadata")).get("annotations")),
                self.kserve,
            )
        return merged

    def transformer(self) -> list[dict[str, Any]]:
        """The collocated transformer: the runtime's and the predictor's merged when both have
        one (``buildPodSpec``)."""
        theirs = next((c for c in self.containers if c.get("name") == TRANSFORMER), None)
        ours = next(
            (
                c
                for c in sequence(self.predictor.get("containers"))
                if isinstance(c, dict) and c.get("name") == TRANSFORMER
            ),
            None,
        )
        if theirs is not None and ours is not None:
            merged = merge_container(theirs, ours)
            merged["args"] = sequence(theirs.get("args")) + sequence(ours.get("args"))
            if not merged["args"]:
                del merged["args"]
            chosen: dict[str, Any] | None = merged
        else:
            chosen = theirs or ours
        if chosen is None:
            return []
        return [_replace_placeholders(clone(chosen), mapping(self.isvc.obj.get("metadata")))]

    def pod_spec(self) -> dict[str, Any]:
        fields = RUNTIME_POD_FIELDS + (("schedulerName",) if self.kserve.at_least(17) else ())
        base = {k: self.runtime_spec[k] for k in fields if k in self.runtime_spec}
        patch = {k: v for k, v in self.predictor.items() if k not in NOT_POD and k != "containers"}
        pod = merge_pods(base, patch)
        pod["containers"] = [self.container(), *self.transformer()] + [
            clone(c)
            for i, c in enumerate(self.containers)
            if i != self.index and c.get("name") != TRANSFORMER
        ]
        pod["containers"] += [
            clone(c)
            for c in sequence(self.predictor.get("containers"))
            if isinstance(c, dict) and c.get("name") != TRANSFORMER
        ]
        if self.kserve.at_least(17):
            for container in pod["containers"]:
                _set_env(container, "INFERENCE_SERVICE_NAME", self.name)
        _set_default_pod_spec(pod)
        return pod

    def labels(self) -> dict[str, str]:
        return {
            **_strings(self.runtime_spec.get("labels")),
            **_strings(mapping(self.isvc.obj.get("metadata")).get("labels")),
            **_strings(self.predictor.get("labels")),
            ISVC_LABEL: self.name,
            "component": "predictor",
        }

    def annotations(self) -> dict[str, str]:
        disallowed = DISALLOWED_ANNOTATIONS | (
            {"modelFormat"} if self.kserve.at_least(17) else set()
        )
        isvc_notes = {
            k: v
            for k, v in _strings(mapping(self.isvc.obj.get("metadata")).get("annotations")).items()
            if k not in disallowed
        }
        if isinstance(self.model.get("storageUri"), str):
            isvc_notes[STORAGE_URI_ANNOTATION] = self.model["storageUri"]
        allowed = {
            k: v
            for k, v in _strings(self.runtime_spec.get("annotations")).items()
            if k not in disallowed
        }
        predictor = {
            k: v
            for k, v in _strings(self.predictor.get("annotations")).items()
            if k not in disallowed
        }
        return {**allowed, **isvc_notes, **predictor}

    # --- objects --------------------------------------------------------------------------------

    def build(self) -> Derivation:
        labels = self.labels()
        labels["app"] = f"isvc.{self.component}"  # the shared labels map: on both
        annotations = self.annotations()
        meta = {
            "name": self.component,
            "namespace": self.namespace,
            "labels": labels,
            "annotations": annotations,
        }
        pod = self.pod_spec()
        deployment_spec: dict[str, Any] = {
            "selector": {"matchLabels": {"app": labels["app"]}},
            "template": {"metadata": clone(meta), "spec": pod},
        }
        strategy = self.predictor.get("deploymentStrategy")
        if isinstance(strategy, dict):
            deployment_spec["strategy"] = clone(strategy)
        if not isinstance(strategy, dict) or not self.kserve.at_least(16):
            _set_default_deployment_spec(deployment_spec)
        klass = annotations.get(AUTOSCALER_CLASS, "hpa")
        fixed_class = "none" if self.kserve.version >= (0, 15, 1) else "external"
        if klass == fixed_class and isinstance(self.predictor.get("minReplicas"), int):
            deployment_spec["replicas"] = self.predictor["minReplicas"]
        deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": clone(meta),
            "spec": deployment_spec,
        }
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": clone(meta),
            "spec": {"selector": {"app": labels["app"]}, "ports": self.service_ports(pod)},
        }
        version = str(self.kserve)
        objects = [
            DerivedObject(deployment, self.isvc, version, lambda: list(self.deployment_traces())),
            DerivedObject(service, self.isvc, version, lambda: list(self.service_traces(pod))),
        ]
        if klass == "hpa":
            hpa = {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": clone(meta),
                "spec": self.hpa_spec(),
            }
            objects.append(DerivedObject(hpa, self.isvc, version, self.hpa_traces))
        elif klass == "keda":
            scaled = {
                "apiVersion": "keda.sh/v1alpha1",
                "kind": "ScaledObject",
                "metadata": clone(meta),
                "spec": self.scaled_object_spec(),
            }
            objects.append(DerivedObject(scaled, self.isvc, version, self.scaled_object_traces))
        return Derivation(objects)

    def service_ports(self, pod: dict[str, Any]) -> list[dict[str, Any]]:
        containers = pod["containers"]
        container = next((c for c in containers if c.get("name") == TRANSFORMER), containers[0])
        ports = [p for p in sequence(container.get("ports")) if isinstance(p, dict)]
        agent = bool({"logger", "batcher"} & set(self.predictor))
        return service_ports(self.component, ports, agent)

    def hpa_spec(self) -> dict[str, Any]:
        low = self.predictor.get("minReplicas")
        low = low if isinstance(low, int) and low >= 1 else 1
        high = self.predictor.get("maxReplicas")
        high = high if isinstance(high, int) and high >= low else low
        spec: dict[str, Any] = {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": self.component,
            },
            "minReplicas": low,
            "maxReplicas": high,
        }
        metrics = self.hpa_metrics()
        if metrics:
            spec["metrics"] = metrics
        spec["behavior"] = {}  # always set: the API server then fills in the default policies
        return spec

    def hpa_metrics(self) -> list[dict[str, Any]]:
        """``getHPAMetrics``: ``autoScaling.metrics`` when given (resource metrics only: cpu
        Utilization, default 80; memory Utilization or AverageValue), else ``scaleMetric`` and
        ``scaleTarget``."""
        autoscaling = self.predictor.get("autoScaling")
        if isinstance(autoscaling, dict):
            metrics = []
            for metric in sequence(autoscaling.get("metrics")):
                resource = mapping(metric).get("resource")
                if not isinstance(resource, dict):
                    continue
                target = mapping(resource.get("target"))
                if resource.get("name") == "cpu":
                    utilization = target.get("averageUtilization", 80)
                    metrics.append(_resource_metric("cpu", "Utilization", utilization))
                elif resource.get("name") == "memory":
                    out = _resource_metric("memory", None, None)
                    if target.get("type") == "Utilization":
                        out["resource"]["target"] = {"type": "Utilization"}
                        if "averageUtilization" in target:
                            out["resource"]["target"]["averageUtilization"] = target[
                                "averageUtilization"
                            ]
                    elif target.get("type") == "AverageValue":
                        out["resource"]["target"] = {"type": "AverageValue"}
                        if "averageValue" in target:
                            out["resource"]["target"]["averageValue"] = target["averageValue"]
                    metrics.append(out)
            return metrics
        metric = self.predictor.get("scaleMetric", "cpu")
        scale_target = self.predictor.get("scaleTarget")
        if metric == "cpu":
            utilization = scale_target if isinstance(scale_target, int) else 80
            return [_resource_metric("cpu", "Utilization", utilization)]
        if metric == "memory" and isinstance(scale_target, int):
            return [_resource_metric("memory", "Utilization", scale_target)]
        return []

    def scaled_object_spec(self) -> dict[str, Any]:
        """``createKedaScaledObject`` (``reconcilers/keda/keda_reconciler.go``): the Deployment as
        scale target, min replicas defaulting to 1 and max at least min, triggers from
        ``autoScaling.metrics`` (``getKedaMetrics``), and from v0.16 the HPA behavior's
        stabilization windows, falling back to the shipped config's (up 0 s, down 300 s)."""
        low = self.predictor.get("minReplicas")
        low = low if isinstance(low, int) else 1
        high = self.predictor.get("maxReplicas")
        high = high if isinstance(high, int) and high >= low else low
        spec: dict[str, Any] = {
            "scaleTargetRef": {"name": self.component},
            "triggers": self.keda_triggers(),
            "minReplicaCount": low,
            "maxReplicaCount": high,
        }
        if self.kserve.at_least(16):
            behavior = mapping(mapping(self.predictor.get("autoScaling")).get("behavior"))
            windows = {}
            for key, shipped in (("scaleDown", 300), ("scaleUp", 0)):
                window = mapping(behavior.get(key)).get("stabilizationWindowSeconds")
                windows[key] = {
                    "stabilizationWindowSeconds": window if isinstance(window, int) else shipped
                }
            spec["advanced"] = {"horizontalPodAutoscalerConfig": {"behavior": windows}}
        return spec

    def keda_triggers(self) -> list[dict[str, Any]]:
        """``getKedaMetrics``: one trigger per resource or external metric (a CPU utilization
        target defaults to 80); OpenTelemetry pod metrics become ``external`` triggers whose query
        KServe scopes to the namespace and Deployment (from v0.16). Quantities keep their written
        form (v0.16+ ``GetOriginal``; v0.15 printed them canonically, which changes no verdict)."""
        triggers = []
        for metric in sequence(mapping(self.predictor.get("autoScaling")).get("metrics")):
            metric = mapping(metric)
            kind = metric.get("type")
            if kind == "Resource":
                resource = mapping(metric.get("resource"))
                target = mapping(resource.get("target"))
                value: Any = "0"
                if target.get("type") == "Utilization":
                    utilization = target.get("averageUtilization")
                    if utilization is None and resource.get("name") == "cpu":
                        utilization = 80
                    if utilization is not None:
                        value = str(utilization)
                elif target.get("type") == "AverageValue":
                    value = str(target.get("averageValue", "0"))
                elif target.get("type") == "Value":
                    value = str(target.get("value", "0"))
                triggers.append(
                    {
                        "type": resource.get("name", ""),
                        "metadata": {"value": value},
                        "metricType": target.get("type", ""),
                    }
                )
            elif kind == "External":
                external = mapping(metric.get("external"))
                source = mapping(external.get("metric"))
                trigger: dict[str, Any] = {
                    "type": source.get("backend", ""),
                    "metadata": {
                        "serverAddress": source.get("serverAddress", ""),
                        "query": source.get("query", ""),
                        "threshold": str(mapping(external.get("target")).get("value", "0")),
                    },
                }
                if source.get("backend") == "prometheus" and source.get("namespace"):
                    trigger["metadata"]["namespace"] = source["namespace"]
                auth = mapping(external.get("authenticationRef"))
                if auth and self.kserve.at_least(16):
                    if auth.get("authModes"):
                        trigger["metadata"]["authModes"] = auth["authModes"]
                    ref = mapping(auth.get("authenticationRef")).get("name")
                    if ref:
                        trigger["authenticationRef"] = {"name": ref}
                triggers.append(trigger)
            elif kind == "PodMetric":
                pod_metric = mapping(metric.get("podmetric"))
                source = mapping(pod_metric.get("metric"))
                trigger = {"metadata": {}}
                if source.get("backend") == "opentelemetry":
                    query = str(source.get("query", ""))
                    if self.kserve.at_least(16):
                        query = (
                            f'sum({query}{{namespace="{self.namespace}", '
                            f'deployment="{self.component}"}})'
                        )
                    trigger = {
                        "type": "external",
                        "metadata": {
                            "metricQuery": query,
                            "targetValue": str(mapping(pod_metric.get("target")).get("value", "0")),
                            "scalerAddress": source.get("serverAddress")
                            or "keda-otel-scaler.keda.svc:4318",
                        },
                    }
                    if source.get("operationOverTime"):
                        trigger["metadata"]["operationOverTime"] = source["operationOverTime"]
                triggers.append(trigger)
        return triggers

    # --- where each field came from -------------------------------------------------------------

    def meta_traces(self, prefix: Pointer) -> Iterator[Trace]:
        isvc, runtime = self.isvc, self.runtime
        yield Trace(prefix, isvc, ("metadata",))
        yield Trace(prefix + ("name",), isvc, ("metadata", "name"))
        for key in ("labels", "annotations"):
            yield Trace(prefix + (key,), isvc, ("metadata", key))
            sources = [
                (runtime, ("spec", key), mapping(self.runtime_spec.get(key))),
                (isvc, ("metadata", key), mapping(mapping(isvc.obj.get("metadata")).get(key))),
                (isvc, ("spec", "predictor", key), mapping(self.predictor.get(key))),
            ]
            for source, path, values in sources:
                for name in values:
                    yield Trace(prefix + (key, name), source, path + (name,))
        yield Trace(
            prefix + ("annotations", STORAGE_URI_ANNOTATION),
            isvc,
            ("spec", "predictor", "model", "storageUri"),
        )

    def deployment_traces(self) -> Iterator[Trace]:
        isvc, runtime = self.isvc, self.runtime
        yield from self.meta_traces(("metadata",))
        yield from self.meta_traces(("spec", "template", "metadata"))
        pod: Pointer = ("spec", "template", "spec")
        yield Trace(pod, isvc, ("spec", "predictor"))
        for key in RUNTIME_POD_FIELDS + ("schedulerName",):
            if key in self.runtime_spec:
                yield Trace(pod + (key,), runtime, ("spec", key))
        patch = {k: v for k, v in self.predictor.items() if k not in NOT_POD and k != "containers"}
        for key, value in patch.items():
            yield Trace(pod + (key,), isvc, ("spec", "predictor", key))
            if key in POD_MERGE_KEYS and isinstance(value, list):
                yield from self._element_traces(
                    pod + (key,),
                    sequence(self.runtime_spec.get(key)),
                    (runtime, ("spec", key)),
                    value,
                    (isvc, ("spec", "predictor", key)),
                    POD_MERGE_KEYS[key],
                )
        yield from self.container_traces(pod + ("containers", 0))
        others = [i for i in range(len(self.containers)) if i != self.index]
        for at, i in enumerate(others, 1):
            yield Trace(pod + ("containers", at), runtime, ("spec", "containers", i))
        yield Trace(("spec", "replicas"), isvc, ("spec", "predictor", "minReplicas"))
        yield Trace(("spec", "strategy"), isvc, ("spec", "predictor", "deploymentStrategy"))

    def container_traces(self, prefix: Pointer) -> Iterator[Trace]:
        isvc, runtime = self.isvc, self.runtime
        base = self.containers[self.index]
        base_path: Pointer = ("spec", "containers", self.index)
        model_path: Pointer = ("spec", "predictor", "model")
        yield Trace(prefix, runtime, base_path)
        for key, value in self.model.items():
            if key in NOT_CONTAINER:
                continue
            yield Trace(prefix + (key,), isvc, model_path + (key,))
            if isinstance(value, dict):
                for inner in value:  # resources: limits and requests merge key by key
                    yield Trace(prefix + (key, inner), isvc, model_path + (key, inner))
                    base_inner = mapping(mapping(base.get(key)).get(inner))
                    for name in base_inner:
                        if name not in mapping(value.get(inner)):
                            yield Trace(
                                prefix + (key, inner, name), runtime, base_path + (key, inner, name)
                            )
            if key in CONTAINER_MERGE_KEYS and isinstance(value, list):
                yield from self._element_traces(
                    prefix + (key,),
                    sequence(base.get(key)),
                    (runtime, base_path + (key,)),
                    value,
                    (isvc, model_path + (key,)),
                    CONTAINER_MERGE_KEYS[key],
                )
        base_args = sequence(base.get("args"))
        if base_args and "args" in self.model:
            for i in range(len(base_args)):
                yield Trace(prefix + ("args", i), runtime, base_path + ("args", i))
            for j in range(len(sequence(self.model.get("args")))):
                yield Trace(prefix + ("args", len(base_args) + j), isvc, model_path + ("args", j))
        yield Trace(prefix + ("image",), runtime, base_path + ("image",))
        if "runtimeVersion" in self.model:
            yield Trace(prefix + ("image",), isvc, model_path + ("runtimeVersion",))

    def _element_traces(
        self,
        prefix: Pointer,
        base: list[Any],
        base_at: tuple[RenderedObject, Pointer],
        patch: list[Any],
        patch_at: tuple[RenderedObject, Pointer],
        merge_key: str,
    ) -> Iterator[Trace]:
        """Each element of a merged list, traced to the patch's element of its key (else the
        original's): the merged order is recomputed the way ``merge`` orders it."""
        if not all(isinstance(e, dict) and merge_key in e for e in base + patch):
            return
        result = merge_list(base, patch, merge_key, False)
        patch_keys = [e[merge_key] for e in patch]
        base_keys = [e[merge_key] for e in base]
        for at, element in enumerate(result):
            key = element[merge_key]
            if key in patch_keys:
                yield Trace(prefix + (at,), patch_at[0], patch_at[1] + (patch_keys.index(key),))
            else:
                yield Trace(prefix + (at,), base_at[0], base_at[1] + (base_keys.index(key),))

    def service_traces(self, pod: dict[str, Any]) -> Iterator[Trace]:
        yield from self.meta_traces(("metadata",))
        container = pod["containers"][0]
        traces = list(self.container_traces(()))
        holder = DerivedObject(container, self.isvc, "", lambda: traces)
        for i, _ in enumerate(sequence(container.get("ports"))):
            source, path = holder.source_of(("ports", i))
            yield Trace(("spec", "ports", i), source, path)

    def hpa_traces(self) -> list[Trace]:
        isvc = self.isvc
        traces = list(self.meta_traces(("metadata",)))
        predictor: Pointer = ("spec", "predictor")
        traces += [
            Trace(("spec", "minReplicas"), isvc, predictor + ("minReplicas",)),
            Trace(("spec", "maxReplicas"), isvc, predictor + ("maxReplicas",)),
            Trace(("spec", "metrics"), isvc, predictor + ("scaleMetric",)),
            Trace(("spec", "metrics"), isvc, predictor + ("autoScaling",)),
            Trace(("spec", "metrics", 0, "resource", "target"), isvc, predictor + ("scaleTarget",)),
        ]
        return traces

    def scaled_object_traces(self) -> list[Trace]:
        isvc = self.isvc
        predictor: Pointer = ("spec", "predictor")
        traces = list(self.meta_traces(("metadata",)))
        traces += [
            Trace(("spec",), isvc, ("metadata", "annotations", AUTOSCALER_CLASS)),
            Trace(("spec", "minReplicaCount"), isvc, predictor + ("minReplicas",)),
            Trace(("spec", "maxReplicaCount"), isvc, predictor + ("maxReplicas",)),
            Trace(("spec", "advanced"), isvc, predictor + ("autoScaling", "behavior")),
        ]
        # The triggers come from autoScaling.metrics; without them, the class is what to change.
        metrics = "autoScaling" in self.predictor
        triggers_from = predictor + ("autoScaling", "metrics")
        class_at = ("metadata", "annotations", AUTOSCALER_CLASS)
        traces.append(Trace(("spec", "triggers"), isvc, triggers_from if metrics else class_at))
        return traces


def service_ports(
    component: str, container_ports: list[dict[str, Any]], agent: bool = False
) -> list[dict[str, Any]]:
    """The ports of the ``<isvc>-predictor`` Service (``createDefaultSvc``,
    reconcilers/service/service_reconciler.go): the first container port on 80, every further
    one on its own number, ``appProtocol: kubernetes.io/h2c`` for names holding ``grpc`` or
    ``h2c``; without ports, port 80 named after the component to 8080; with a logger or batcher
    the first port aims at the agent sidecar (9081)."""
    if not container_ports:
        target = AGENT_PORT if agent else DEFAULT_HTTP_PORT
        return [{"name": component, "port": 80, "targetPort": target, "protocol": "TCP"}]
    out = []
    for i, port in enumerate(container_ports):
        entry: dict[str, Any] = {
            "name": port.get("name", ""),
            "port": 80 if i == 0 else port.get("containerPort"),
            "targetPort": port.get("containerPort"),
            "protocol": port.get("protocol") or "TCP",  # the API server defaults "" to TCP
        }
        if "grpc" in str(port.get("name", "")) or "h2c" in str(port.get("name", "")):
            entry["appProtocol"] = "kubernetes.io/h2c"
        if not entry["name"]:
            del entry["name"]
        out.append(entry)
    if agent:
        out[0]["targetPort"] = AGENT_PORT  # the agent sidecar fronts the server
    return out


def update_image_tag(
    image: str,
    resources: dict[str, Any],
    runtime_version: Any,
    runtime_name: str,
    runtime_annotations: dict[str, Any],
    kserve: KServe,
) -> str:
    """``UpdateImageTag`` (``pkg/controller/v1beta1/inferenceservice/utils/utils.go``): the
    model's ``runtimeVersion`` replaces the tag; else a GPU model of KServe's own TF Serving,
    TorchServe or Hugging Face runtime gets ``-gpu`` appended (v0.15 even to a digest, from v0.16
    never to a digest); from v0.20 the server type may come from the runtime's
    ``serving.kserve.io/server-type`` annotation, and a CPU model of the vLLM server runs the
    ``<repository>-cpu`` image."""
    if kserve.at_least(16) and "@sha256:" in image:
        return image
    if isinstance(runtime_version, str):
        return (
            TAG.sub(":" + runtime_version, image)
            if TAG.search(image)
            else (f"{image}:{runtime_version}")
        )
    limits = mapping(resources.get("limits"))
    gpu = "nvidia.com/gpu" in limits or (
        kserve.at_least(16) and any(str(k).startswith("nvidia.com/mig") for k in limits)
    )
    tag = TAG.search(image)
    if not kserve.at_least(20):
        suffixed = runtime_name in GPU_SUFFIX_SERVERS
        if gpu and tag and suffixed and not image.endswith("-gpu"):
            return image + "-gpu"
        return image
    server = str(runtime_annotations.get(SERVER_TYPE) or SERVER_TYPES.get(runtime_name, ""))
    if not server or not tag:
        return image
    bare = image[: tag.start()]
    if gpu:
        if server in GPU_SUFFIX_SERVERS.values() and not image.endswith("-gpu"):
            return image + "-gpu"
    elif server == VLLM_SERVER and not bare.endswith("-cpu"):
        return bare + "-cpu" + tag.group(0)
    return image


def _resource_metric(name: str, kind: str | None, value: Any) -> dict[str, Any]:
    target: dict[str, Any] = {}
    if kind is not None:
        target = {"type": kind, "averageUtilization": value}
    return {"type": "Resource", "resource": {"name": name, "target": target}}


def _reconcile_env_conflicts(container: dict[str, Any], overlay: list[Any]) -> None:
    """v0.20's ``reconcileEnvValueConflicts`` (``pkg/utils/container_merge.go``): an env var
    the merge left with both ``value`` and ``valueFrom`` keeps the overlay's choice."""
    by_name = {e.get("name"): e for e in overlay if isinstance(e, dict)}
    for entry in sequence(container.get("env")):
        if not isinstance(entry, dict) or not entry.get("value") or not entry.get("valueFrom"):
            continue
        chosen = by_name.get(entry.get("name"))
        if chosen is None:
            continue
        if chosen.get("valueFrom"):
            entry.pop("value", None)
        elif chosen.get("value"):
            entry.pop("valueFrom", None)


def _replace_placeholders(container: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """``ReplacePlaceholders``: the container as a Go template over the InferenceService's
    metadata: ``{{.Name}}``, ``{{.Namespace}}``, ``{{.Labels.key}}``, ``{{index .Annotations
    "key"}}`` (a missing key gives Go's ``<no value>``); other template actions are left as
    written."""

    def value(match: re.Match[str]) -> str:
        if match.group(1):
            return str(meta.get(match.group(1)[0].lower() + match.group(1)[1:], ""))
        field_name = match.group(2) or match.group(4)
        key = match.group(3) or match.group(5)
        values = mapping(meta.get(field_name.lower()))
        return str(values[key]) if key in values else "<no value>"

    def replace(item: Any) -> Any:
        if isinstance(item, str):
            return PLACEHOLDER.sub(value, item)
        if isinstance(item, list):
            return [replace(v) for v in item]
        if isinstance(item, dict):
            return {k: replace(v) for k, v in item.items()}
        return item

    replaced: dict[str, Any] = replace(container)
    return replaced


def _set_env(container: dict[str, Any], name: str, value: str) -> None:
    """``AddEnvVarToPodSpec``: overwrite the variable's value, else append it."""
    env = container.setdefault("env", [])
    for entry in env:
        if isinstance(entry, dict) and entry.get("name") == name:
            entry["value"] = value
            return
    env.append({"name": name, "value": value})


def _set_default_pod_spec(pod: dict[str, Any]) -> None:
    pod.setdefault("dnsPolicy", "ClusterFirst")
    pod.setdefault("restartPolicy", "Always")
    pod.setdefault("terminationGracePeriodSeconds", 30)
    pod.setdefault("securityContext", {})
    pod.setdefault("schedulerName", "default-scheduler")
    for container in pod["containers"]:
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("imagePullPolicy", "IfNotPresent")
        if container.get("name") in (CONTAINER, TRANSFORMER) and "readinessProbe" not in container:
            ports = [p for p in sequence(container.get("ports")) if isinstance(p, dict)]
            port = ports[0].get("containerPort", 8080) if ports else 8080
            container["readinessProbe"] = {
                "tcpSocket": {"port": port},
                "timeoutSeconds": 1,
                "periodSeconds": 10,
                "successThreshold": 1,
                "failureThreshold": 3,
            }


def _set_default_deployment_spec(spec: dict[str, Any]) -> None:
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {"maxUnavailable": "25%", "maxSurge": "25%"})
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in mapping(value).items()}


def derive_all(
    objects: list[RenderedObject], kserve: KServe
) -> Iterator[tuple[RenderedObject, Derivation]]:
    """Each InferenceService of one environment's objects with what KServe derives from it,
    its runtime resolved as KServe resolves it (a ServingRuntime of its namespace, else the
    ClusterServingRuntime of that name)."""
    runtimes: dict[tuple[str, str | None, str], RenderedObject] = {}
    for rendered in objects:
        kind, meta = rendered.obj.get("kind"), mapping(rendered.obj.get("metadata"))
        if kind in ("ServingRuntime", "ClusterServingRuntime") and isinstance(
            meta.get("name"), str
        ):
            scope = meta.get("namespace") if kind == "ServingRuntime" else None
            runtimes.setdefault((str(kind), scope, meta["name"]), rendered)
    for rendered in objects:
        if rendered.obj.get("kind") != "InferenceService":
            continue
        meta = mapping(rendered.obj.get("metadata"))
        model = mapping(mapping(mapping(rendered.obj.get("spec")).get("predictor")).get("model"))
        name = model.get("runtime")
        runtime = None
        if isinstance(name, str):
            runtime = runtimes.get(("ServingRuntime", meta.get("namespace"), name)) or runtimes.get(
                ("ClusterServingRuntime", None, name)
            )
        yield rendered, derive_predictor(rendered, runtime, kserve)


def predictor_container(
    isvc: dict[str, Any], runtime: dict[str, Any], kserve: KServe
) -> dict[str, Any] | None:
    """The predictor container KServe builds from ``isvc`` and ``runtime`` in any mode (the
    Knative Service's container is built by the same ``buildPodSpec``), or None when the
    runtime has no ``kserve-container``."""
    predictor = mapping(mapping(isvc.get("spec")).get("predictor"))
    model = predictor.get("model")
    containers = [
        c for c in sequence(mapping(runtime.get("spec")).get("containers")) if isinstance(c, dict)
    ]
    index = next((i for i, c in enumerate(containers) if c.get("name") == CONTAINER), -1)
    if not isinstance(model, dict) or index < 0:
        return None
    builder = _Builder(
        RenderedObject(isvc), RenderedObject(runtime), kserve, predictor, model, containers, index
    )
    return builder.container()
