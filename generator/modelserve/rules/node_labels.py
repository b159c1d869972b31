"""Node selectors and node affinity name labels a node can carry.

The API server refuses a ``nodeSelector`` whose keys or values are not label keys and values
(``ValidatePodSpec`` calls ``ValidateLabels`` on it) and a node affinity requirement whose key is
not a label name, whose ``In``/``NotIn`` has no values, or whose ``Exists``/``DoesNotExist`` has
some (``ValidateNodeSelectorRequirement``, ``pkg/apis/core/validation/validation.go``). It accepts
an ``In`` value that is no label value, ``NVIDIA H100`` say, but no node can carry such a label
(node labels are validated like any other), so the scheduler never finds a node and the pods
stay Pending: an error here too. A GPU profile's ``nodeLabels`` and ``gpuProduct`` become exactly
these requirements in the Deployment KServe derives.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping, sequence
from modelserve.rules.examples import ENVIRONMENT
from modelserve.rules.kubeapi import POD_SPEC_AT, invalid, pod_spec
from modelserve.validate.apimachinery import is_qualified_name, is_valid_label_value

INFO = RuleInfo(
    "node-labels",
    Severity.ERROR,
    "Node selectors and affinity ask for labels a node can carry",
    "spell the node label as the node has it (kubectl get nodes --show-labels): values have "
    "no spaces, e.g. NVIDIA-H100-80GB-HBM3",
    frozenset({Scope.OBJECT, Scope.DERIVED}),
    kinds=frozenset(POD_SPEC_AT),
)
EXAMPLES = {
    "fail": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            "NVIDIA-H100-80GB-HBM3", '"NVIDIA H100 80GB HBM3"'
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
  nodeSelector: {nvidia.com/gpu.product: "NVIDIA H100"}
""",
    "pass": """\
apiVersion: v1
kind: Pod
metadata: {name: llama}
spec:
  containers: [{name: main, image: nvcr.io/nim/meta/llama:1.3.3}]
  nodeSelector: {nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3}
""",
}
NEEDS_VALUES = ("In", "NotIn")
NO_VALUES = ("Exists", "DoesNotExist")


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    found = pod_spec(obj)
    if found is None:
        return
    at, spec = found
    for key, value in mapping(spec.get("nodeSelector")).items():
        here = at + ("nodeSelector", key)
        for errors, shown in ((is_qualified_name(str(key)), key), (_value(value), value)):
            if errors:
                yield Problem(here, f"nodeSelector: {invalid(shown, errors)}")
    required = mapping(
        mapping(mapping(spec.get("affinity")).get("nodeAffinity")).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
    )
    for t, term in enumerate(sequence(required.get("nodeSelectorTerms"))):
        for e, expression in enumerate(sequence(mapping(term).get("matchExpressions"))):
            yield from _requirement(
                mapping(expression),
                at
                + (
                    "affinity",
                    "nodeAffinity",
                    "requiredDuringSchedulingIgnoredDuringExecution",
                    "nodeSelectorTerms",
                    t,
                    "matchExpressions",
                    e,
                ),
            )


def _requirement(expression: dict[str, Any], here: tuple[Any, ...]) -> Iterator[Problem]:
    key, operator = expression.get("key", ""), expression.get("operator")
    values = sequence(expression.get("values"))
    errors = is_qualified_name(str(key))
    if errors:
        yield Problem(here + ("key",), f"matchExpressions.key: {invalid(key, errors)}")
    if operator in NEEDS_VALUES and not values:
        yield Problem(
            here + ("values",),
            "matchExpressions.values: Required value: must be "
            f"specified when `operator` is '{operator}'",
        )
    if operator in NO_VALUES and values:
        yield Problem(
            here + ("values",),
            "matchExpressions.values: Forbidden: may not be "
            f"specified when `operator` is '{operator}'",
        )
    if operator in NEEDS_VALUES:
        for v, value in enumerate(values):
            errors = _value(value)
            if errors:
                yield Problem(
                    here + ("values", v),
                    f"no node can carry the label {key}={value!s}, so the pods never schedule: "
                    + "; ".join(errors),
                )


def _value(value: Any) -> list[str]:
    return is_valid_label_value(value) if isinstance(value, str) else ["must be a string"]
