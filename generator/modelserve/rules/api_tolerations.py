"""Tolerations are ones the API server accepts.

Mirrors ``ValidateTolerations`` of ``pkg/apis/core/validation/validation.go``
(``toleration_errors`` in ``modelserve.validate.apimachinery``): a key, when given, is a label
name (``IsQualifiedName``); an empty key needs operator ``Exists``; with ``Exists`` the value is
empty; with ``Equal`` (or none) the value is a label value; the effect is ``NoSchedule``,
``PreferNoSchedule``, ``NoExecute`` or empty; ``tolerationSeconds`` only with ``NoExecute``. A GPU
profile's taint ``sku=gpu`` (the kubectl spelling of key and value) becomes a toleration key the
API server refuses, in the Deployment KServe derives.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping, sequence
from modelserve.rules.examples import ENVIRONMENT
from modelserve.rules.kubeapi import POD_SPEC_AT, pod_spec
from modelserve.validate.apimachinery import toleration_errors

INFO = RuleInfo(
    "api-tolerations",
    Severity.ERROR,
    "Tolerations (from GPU profile taints) are ones the API server accepts",
    "write a taint as key, value and effect separately: key: sku, value: gpu",
    frozenset({Scope.OBJECT, Scope.DERIVED}),
    kinds=frozenset(POD_SPEC_AT),
)
EXAMPLES = {
    "fail": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            '{key: nvidia.com/gpu, value: "true", effect: NoSchedule}',
            "{key: sku=gpu, effect: NoSchedule}",
        )
    },
    "pass": {},
}
MANIFEST_EXAMPLES = {
    "kserve": "0.20",
    "fail": """\
apiVersion: v1
kind: Pod
metadata: {name: llama}
spec:
  containers: [{name: main, image: nvcr.io/nim/meta/llama:1.3.3}]
  tolerations: [{key: nvidia.com/gpu, operator: Exists, value: "true"}]
""",
    "pass": """\
apiVersion: v1
kind: Pod
metadata: {name: llama}
spec:
  containers: [{name: main, image: nvcr.io/nim/meta/llama:1.3.3}]
  tolerations: [{key: nvidia.com/gpu, operator: Exists}]
""",
}


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    found = pod_spec(obj)
    if found is None:
        return
    at, spec = found
    for i, toleration in enumerate(sequence(spec.get("tolerations"))):
        t = mapping(toleration)
        errors = toleration_errors(
            str(t.get("key") or ""),
            str(t.get("operator") or ""),
            str(t.get("value") or ""),
            str(t.get("effect") or ""),
            "tolerationSeconds" in t,
        )
        for child, body in errors:
            # upstream reports a bad value on .operator; point at the value the user wrote
            pointed = "value" if child == "operator" and "value" in t else child
            yield Problem(at + ("tolerations", i, pointed), f"tolerations[{i}].{child}: {body}")
