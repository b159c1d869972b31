"""Label and annotation keys and values are ones the API server accepts.

Mirrors ``ValidateObjectMeta`` of ``k8s.io/apimachinery/pkg/api/validation/objectmeta.go``
(``ValidateLabels``: keys ``IsQualifiedName``, values ``IsValidLabelValue``;
``ValidateAnnotations``: keys ``IsQualifiedName`` of the lower-cased key, all annotations
together at most 256 KiB), which the API server applies to the metadata of every object,
custom resources included, and of pod templates; and the label selectors of Deployments and
Services (``ValidateLabelSelector``, ``ValidateLabels`` on ``spec.selector``). A value with a
space (``team: "ml ops"``) is refused: the InferenceService is never created, and a runtime's
``podLabels`` are refused only in the Deployment KServe derives, long after the merge.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping
from modelserve.rules.examples import MODEL
from modelserve.rules.kubeapi import POD_SPEC_AT, Pointer, invalid
from modelserve.validate.apimachinery import is_qualified_name, is_valid_label_value

INFO = RuleInfo(
    "api-labels",
    Severity.ERROR,
    "Label and annotation keys and values are ones the API server accepts",
    "label values: at most 63 of a-z, A-Z, 0-9, '-', '_', '.', starting and ending "
    "alphanumeric; keys: an optional DNS prefix and '/', then a name of that form",
    frozenset({Scope.OBJECT, Scope.DERIVED}),
)
EXAMPLES = {
    "fail": {"catalog/models/llama.yaml": MODEL + 'labels: {team: "ml ops"}\n'},
    "pass": {"catalog/models/llama.yaml": MODEL + "labels: {team: ml-ops}\n"},
}
MANIFEST_EXAMPLES = {
    "kserve": "0.20",
    "fail": """\
apiVersion: v1
kind: Service
metadata:
  name: llama
  labels: {sku=gpu: "yes"}
spec:
  selector: {app: llama}
  ports: [{port: 80}]
""",
    "pass": """\
apiVersion: v1
kind: Service
metadata:
  name: llama
  labels: {sku: gpu}
spec:
  selector: {app: llama}
  ports: [{port: 80}]
""",
}
ANNOTATIONS_MAX = 256 * 1024  # TotalAnnotationSizeLimitB


# Thousands of objects carry the same few keys and values: each is checked once per process.
@lru_cache(maxsize=16384)
def _key_errors(key: str) -> tuple[str, ...]:
    return tuple(is_qualified_name(key))


@lru_cache(maxsize=16384)
def _value_errors(value: str) -> tuple[str, ...]:
    return tuple(is_valid_label_value(value))


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    yield from _metadata(mapping(obj.get("metadata")), ("metadata",))
    pod_at = POD_SPEC_AT.get(str(obj.get("kind")))
    if pod_at is not None and pod_at[-1] == "spec" and len(pod_at) > 1:
        template_at = pod_at[:-1] + ("metadata",)
        template: Any = obj
        for key in template_at:
            template = mapping(template).get(key)
        yield from _metadata(mapping(template), template_at)
    spec = mapping(obj.get("spec"))
    if obj.get("kind") == "Service":
        yield from _labels(mapping(spec.get("selector")), ("spec", "selector"))
    elif "template" in spec:
        selector = mapping(mapping(spec.get("selector")).get("matchLabels"))
        yield from _labels(selector, ("spec", "selector", "matchLabels"))


def _metadata(meta: dict[str, Any], at: Pointer) -> Iterator[Problem]:
    yield from _labels(mapping(meta.get("labels")), at + ("labels",))
    notes = mapping(meta.get("annotations"))
    for key in notes:
        errors = list(_key_errors(str(key).lower()))
        if errors:
            yield Problem(
                at + ("annotations", key),
                f"{'.'.join(map(str, at))}.annotations: " + invalid(key, errors),
            )
    size = sum(len(str(k)) + len(str(v)) for k, v in notes.items())
    if size > ANNOTATIONS_MAX:
        yield Problem(
            at + ("annotations",),
            f"{'.'.join(map(str, at))}.annotations: Too long: must have at most {ANNOTATIONS_MAX} "
            f"bytes (they have {size})",
        )


def _labels(labels: dict[str, Any], at: Pointer) -> Iterator[Problem]:
    shown = ".".join(map(str, at))
    for key, value in labels.items():
        errors = list(_key_errors(str(key)))
        if errors:
            yield Problem(at + (key,), f"{shown}: {invalid(key, errors)}")
        errors = list(_value_errors(value)) if isinstance(value, str) else []
        if errors:
            yield Problem(at + (key,), f"{shown}: {invalid(value, errors)}")
