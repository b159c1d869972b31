"""Container resource requests and limits are ones the API server accepts.

Mirrors ``ValidateContainerResourceRequirements`` / ``validateResourceRequirements`` of
``pkg/apis/core/validation/validation.go``: every amount is a quantity and not negative
(``ValidateResourceQuantityValue``); a request is at most its limit ("must be less than or equal
to ... limit"); an extended resource (a name with a domain outside ``kubernetes.io``, such as
``nvidia.com/gpu``) is a whole number (``ValidateNonnegativeQuantity`` with "must be an
integer") whose request, when given with a limit, equals it ("must be equal to ... limit"), and
has a limit when it has a request ("Limit must be set for non overcommitable resources"). A
runtime's CPU limit merged under a model's larger CPU request, key by key as KServe merges
resources, is the usual way to get there in a hand-written InferenceService.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from modelserve.findings import Severity
from modelserve.quantity import parse_quantity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping
from modelserve.rules.kubeapi import POD_SPEC_AT, containers, invalid, pod_spec
from modelserve.validate.apimachinery import request_limit_errors, validate_resource_quantity_value

INFO = RuleInfo(
    "api-resources",
    Severity.ERROR,
    "Resource requests are at most their limits; GPUs are whole and requested equal to the limit",
    "raise the limit to the request (GPUs: request exactly the limit, in whole devices)",
    frozenset({Scope.OBJECT, Scope.DERIVED}),
    kinds=frozenset(POD_SPEC_AT),
)
# The catalog renders requests equal to limits: only hand-written objects can fail.
EXAMPLES: dict[str, dict[str, str]] = {"fail": {}, "pass": {}}
MANIFEST_EXAMPLES = {
    "kserve": "0.20",
    "fail": """\
apiVersion: v1
kind: Pod
metadata: {name: llama}
spec:
  containers:
    - name: main
      image: nvcr.io/nim/meta/llama:1.3.3
      resources:
        requests: {cpu: "8", nvidia.com/gpu: "1"}
        limits: {cpu: "4", nvidia.com/gpu: "2"}
""",
    "pass": """\
apiVersion: v1
kind: Pod
metadata: {name: llama}
spec:
  containers:
    - name: main
      image: nvcr.io/nim/meta/llama:1.3.3
      resources:
        requests: {cpu: "4", nvidia.com/gpu: "2"}
        limits: {cpu: "8", nvidia.com/gpu: "2"}
""",
}


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    found = pod_spec(obj)
    if found is None:
        return
    for at, container in containers(found[1], found[0]):
        resources = mapping(container.get("resources"))
        parsed: dict[str, dict[str, Fraction]] = {"limits": {}, "requests": {}}
        for part in ("limits", "requests"):
            for name, value in mapping(resources.get(part)).items():
                amount = parse_quantity(value)
                if amount is None:
                    continue  # the schema's quantity pattern reports it
                parsed[part][str(name)] = amount
                for message in validate_resource_quantity_value(str(name), amount):
                    yield Problem(
                        at + ("resources", part, name),
                        f"resources.{part}[{name}]: {invalid(str(value), [message])}",
                    )
        limits = mapping(resources.get("limits"))
        requests = mapping(resources.get("requests"))
        for name, request in parsed["requests"].items():
            limit = parsed["limits"].get(name)
            for message in request_limit_errors(name, request, limit, str(limits.get(name, ""))):
                shown = (
                    f"resources.limits: Required value: {message} ({name})"
                    if limit is None
                    else f"resources.requests: {invalid(str(requests[name]), [message])}"
                )
                yield Problem(at + ("resources", "requests", name), shown)
