"""An InferenceService's autoscaling is one the KServe release's webhook admits.

Mirrors the InferenceService validating webhook (failurePolicy Fail) of each supported release,
``pkg/apis/serving/v1beta1/inference_service_validation.go``: ``validateInferenceServiceAutoscaler``
(the ``serving.kserve.io/autoscalerClass`` annotation is one of the release's
``AutoscalerAllowedClassList``: ``none`` only from v0.15.1), then for each component
``ComponentExtensionSpec.Validate`` (``component.go`` ``validateReplicas``: neither bound below 0,
min not above a non-zero max, min defaulting to 1) and ``validateAutoScalingCompExtension``. The
latter matches the deploymentMode annotation literally: ``Standard`` (``RawDeployment`` before
v0.16) with class ``hpa`` runs ``validateScalingHPACompExtension`` (metric cpu or memory; a target
above 100 is refused for every metric, as its ``metric == MetricCPU && target < 1 || target > 100``
reads), with ``keda`` ``validateScalingKedaCompExtension`` (no ``scaleMetric``; the metric types
and their fields, a memory ``AverageValue`` target of at least 1 MiB); any other mode, the missing
annotation included, runs the Knative checks (``validateScalingKPACompExtension``: metric
concurrency or rps, no deploymentStrategy) unless Knative's class annotation selects its HPA.
Before them ``validateMultiNodeVariables`` keeps a multi-node predictor (``workerSpec``) at class
``none``. A refused InferenceService fails Flux's apply of its whole shard.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from modelserve.findings import Severity
from modelserve.quantity import parse_quantity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping
from modelserve.rules.examples import MODEL

INFO = RuleInfo(
    "kserve-autoscaling",
    Severity.ERROR,
    "Autoscaler class, scale metric, scale target and replicas are ones KServe's webhook admits",
    "use a class and metric the environment's KServe release accepts (hpa: cpu or memory, "
    "target 1-100; keda: a metric of the runtime family, no scaleMetric)",
    frozenset({Scope.OBJECT}),
    kinds=frozenset({"InferenceService"}),
)
EXAMPLES = {
    "fail": {
        "catalog/models/llama.yaml": MODEL
        + "autoscaling: {class: keda, metric: cpu, target: 80}\nreplicas: {min: 1, max: 3}\n"
    },
    "pass": {
        "catalog/models/llama.yaml": MODEL
        + "autoscaling: {class: hpa, metric: cpu, target: 80}\nreplicas: {min: 1, max: 3}\n"
    },
}

CLASS = "serving.kserve.io/autoscalerClass"
MODE = "serving.kserve.io/deploymentMode"
KNATIVE_CLASS = "autoscaling.knative.dev/class"
KNATIVE_HPA = "hpa.autoscaling.knative.dev"
COMPONENTS = ("predictor", "transformer", "explainer")


def _multi_node(obj: dict[str, Any], autoscaler: str | None, kserve: Any) -> str | None:
    """``validateMultiNodeVariables``: a predictor with a ``workerSpec`` and a ``model`` takes
    only class none (v0.15.1 on; external in v0.15.0), a missing annotation included
    (``InvalidAutoScalerError`` in component.go)."""
    predictor = mapping(mapping(obj.get("spec")).get("predictor"))
    if "workerSpec" not in predictor or "model" not in predictor:
        return None
    only = "none" if kserve.at_least(15, 1) else "external"
    if autoscaler == only:
        return None
    name = mapping(obj.get("metadata")).get("name", "")
    return (
        f"the InferenceService \"{name}\" is invalid: Multinode only supports '{only}' "
        f"autoscaler({autoscaler or ''})"
    )


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    if obj.get("kind") != "InferenceService" or not isinstance(obj.get("spec"), dict):
        return
    kserve = objects.kserve
    meta = mapping(obj.get("metadata"))
    notes = mapping(meta.get("annotations"))
    refused = f"KServe {kserve} refuses this InferenceService"
    autoscaler = notes.get(CLASS)
    if autoscaler is not None and autoscaler not in kserve.autoscaler_classes:
        allowed = ", ".join(kserve.autoscaler_classes)
        yield Problem(
            ("metadata", "annotations", CLASS),
            f"{refused}: [{autoscaler}] is not a supported autoscaler class type "
            f"(it knows {allowed})",
        )
        return  # the webhook stops at its first error
    multi_node = _multi_node(obj, autoscaler, kserve)
    if multi_node is not None:
        yield Problem(("metadata", "annotations", CLASS), f"{refused}: {multi_node}")
        return
    for name in COMPONENTS:
        component = obj["spec"].get(name)
        if isinstance(component, dict):
            for pointer, message in _component(component, notes, kserve.is_standard):
                yield Problem(("spec", name, *pointer), f"{refused}: {message}")
                return


def _component(
    spec: dict[str, Any], notes: dict[str, Any], is_standard: Any
) -> Iterator[tuple[tuple[Any, ...], str]]:
    yield from _replicas(spec)
    if is_standard(notes.get(MODE)):
        if notes.get(CLASS) == "hpa":
            yield from _hpa(spec)
        elif notes.get(CLASS) == "keda":
            yield from _keda(spec)
    elif notes.get(KNATIVE_CLASS) == KNATIVE_HPA:
        yield from _hpa(spec)
    else:
        yield from _kpa(spec)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _replicas(spec: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], str]]:
    low = _int(spec.get("minReplicas"))
    low = 1 if low is None else low  # constants.DefaultMinReplicas
    high = _int(spec.get("maxReplicas")) or 0
    if low < 0:
        yield ("minReplicas",), "'MinReplicas' cannot be less than 0"
    elif high < 0:
        yield ("maxReplicas",), "'MaxReplicas' cannot be less than 0"
    elif low > high and high != 0:
        yield ("minReplicas",), "'MinReplicas' cannot be greater than MaxReplicas"


def _hpa(spec: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], str]]:
    metric = spec.get("scaleMetric") if spec.get("scaleMetric") is not None else "cpu"
    if metric not in ("cpu", "memory"):
        yield ("scaleMetric",), f"[{metric}] is not a supported metric"
        return
    target = _int(spec.get("scaleTarget"))
    if target is not None:
        if (metric == "cpu" and target < 1) or target > 100:
            yield ("scaleTarget",), "the target utilization percentage should be a [1-100] integer"
            return
        if metric == "memory" and target < 1:
            yield ("scaleTarget",), "the target memory should be greater than 1 MiB"
            return
    for i, metric_spec in enumerate(_metrics(spec)):
        if metric_spec.get("type") != "Resource":
            yield (
                ("autoScaling", "metrics", i, "type"),
                f"invalid HPA metric source type with value [{metric_spec.get('type')}],"
                "valid metric source types are Resource",
            )
            return
        if not isinstance(metric_spec.get("resource"), dict):
            yield (
                ("autoScaling", "metrics", i),
                "metricSpec.Resource is not set for resource metric source type",
            )
            return


def _keda(spec: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if spec.get("scaleMetric") is not None:
        yield ("scaleMetric",), "ScaleMetric is not supported for KEDA"
        return
    for i, metric in enumerate(_metrics(spec)):
        problem = _keda_metric(metric)
        if problem is not None:
            yield ("autoScaling", "metrics", i), problem
            return


# KEDA metric source types beyond Resource: (JSON field, the webhook's message when it is unset).
_SOURCES = {
    "External": ("external", "metricSpec.External is not set for external metric source type"),
    "PodMetric": ("podmetric", "metricSpec.PodMetric is not set for pod metric source type"),
}


def _keda_metric(metric: dict[str, Any]) -> str | None:
    kind = metric.get("type")
    if kind == "Resource":
        resource = metric.get("resource")
        if not isinstance(resource, dict):
            return "metricSpec.Resource is not set for resource metric source type"
        target = mapping(resource.get("target"))
        if resource.get("name") == "cpu" and target.get("type") != "Utilization":
            return "the cpu target value type should be Utilization"
        if resource.get("name") == "memory" and target.get("type") not in (
            "AverageValue",
            "Utilization",
        ):
            return "the memory target value type should be AverageValue or Utilization"
        if resource.get("name") == "memory" and target.get("type") == "AverageValue":
            # MetricQuantity.GetQuantity: an unset value is the zero quantity.
            value = target.get("averageValue")
            quantity = Fraction(0) if value is None else parse_quantity(value)
            if quantity is not None and quantity < MIB:
                return "the memory target value should be greater than 1 MiB"
        if resource.get("name") not in ("cpu", "memory"):
            return f"resource type {resource.get('name')} is not supported"
        return _scale_target(target)
    if kind in _SOURCES:
        field, missing = _SOURCES[kind]
        source = metric.get(field)
        if not isinstance(source, dict):
            return missing
        query = source["metric"].get("query") if isinstance(source.get("metric"), dict) else None
        if not query:
            return "the query should not be empty"
        target = mapping(source.get("target"))
        if target.get("value") is None:
            return "the target threshold value should not be empty"
        return _scale_target(target)
    return (
        f"unknown KEDA metric type with value [{kind}].Valid types are Resource,External,PodMetric"
    )


MIB = 2**20


# A Kubernetes quantity, as MetricQuantity (pkg/apis/serving/v1beta1/metric_quantity.go) parses it.
def _scale_target(target: dict[str, Any]) -> str | None:
    """``validateScaleTarget``."""
    kind = target.get("type")
    if kind == "Utilization":
        value = _int(target.get("averageUtilization"))
        if target.get("averageUtilization") is None:
            return "the AverageUtilization type should be set"
        if value is not None and not 1 <= value <= 100:
            return "the target utilization percentage should be a [1-100] integer"
    elif kind == "AverageValue" and target.get("averageValue") is None:
        return "the AverageValue type should be set"
    elif kind == "Value" and target.get("value") is None:
        return "the Value type should be set"
    return None


def _kpa(spec: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if spec.get("deploymentStrategy") is not None:
        yield (
            ("deploymentStrategy",),
            "customizing deploymentStrategy is only supported for raw deployment mode",
        )
        return
    metric = spec.get("scaleMetric") if spec.get("scaleMetric") is not None else "concurrency"
    if metric not in ("concurrency", "rps"):
        yield ("scaleMetric",), f"[{metric}] is not a supported metric"
        return
    target = _int(spec.get("scaleTarget"))
    if metric == "rps" and target is not None and target < 1:
        yield ("scaleTarget",), "the target for rps should be greater than 1"


def _metrics(spec: dict[str, Any]) -> list[dict[str, Any]]:
    scaling = mapping(spec.get("autoScaling"))
    metrics = scaling.get("metrics")
    return [m for m in metrics if isinstance(m, dict)] if isinstance(metrics, list) else []
