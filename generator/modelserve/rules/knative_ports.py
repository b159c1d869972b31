"""In Knative mode the predictor container declares at most one port, named ``h2c``, ``http1``
or nothing.

KServe turns a Knative-mode (``Serverless`` before v0.16) InferenceService into a Knative Service
whose container is the runtime's ``kserve-container`` merged with the model's (``buildPodSpec``,
``pkg/controller/v1beta1/inferenceservice/components/predictor.go``), and Knative Serving's
webhook refuses it (``validateContainerPorts``, ``pkg/apis/serving/k8s_validation.go`` of
knative.dev/serving) when it declares more than one port ("More than one container port is
set"), when the port's name is not empty, ``h2c`` or ``http1`` ("Port name http is not
allowed"), its protocol is not TCP, or its number is one the queue-proxy sidecar uses (8012,
8013, 8022, 9090, 9091). The InferenceService is admitted and then never becomes ready: the
ports of a runtime written for Standard mode (``http``, or an extra metrics port) need changing
before an environment switches to Knative.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.derive.predictor import predictor_container
from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping, sequence
from modelserve.rules.examples import ENVIRONMENT, RUNTIME

INFO = RuleInfo(
    "knative-ports",
    Severity.ERROR,
    "In Knative mode the predictor has at most one port, named h2c, http1 or nothing",
    "declare one port, named http1 (HTTP/1) or h2c (gRPC / HTTP/2), or run in Standard mode",
    frozenset({Scope.OBJECT}),
    kinds=frozenset({"InferenceService"}),
)
_KNATIVE = ENVIRONMENT + "deploymentMode: Knative\n"
EXAMPLES = {
    "fail": {"environments/dev.yaml": _KNATIVE},
    "pass": {
        "environments/dev.yaml": _KNATIVE,
        "catalog/runtimes/vllm-runtime.yaml": RUNTIME.replace("- name: http\n", "- name: http1\n"),
    },
}
ALLOWED_NAMES = ("", "h2c", "http1")
QUEUE_PROXY_PORTS = (8012, 8013, 8022, 9090, 9091)
MODE = "serving.kserve.io/deploymentMode"


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    if obj.get("kind") != "InferenceService":
        return
    meta = mapping(obj.get("metadata"))
    mode = mapping(meta.get("annotations")).get(MODE)
    if mode not in ("Knative", "Serverless"):
        return
    model = mapping(mapping(mapping(obj.get("spec")).get("predictor")).get("model"))
    name = model.get("runtime")
    runtime = objects.runtime_of(obj, name) if isinstance(name, str) else None
    if runtime is None:
        return
    container = predictor_container(obj, runtime, objects.kserve)
    ports = [mapping(p) for p in sequence((container or {}).get("ports"))]
    if not ports:
        return
    own = "ports" in model
    at = (
        ("spec", "predictor", "model", "ports")
        if own
        else ("spec", "predictor", "model", "runtime")
    )
    source = "its ports" if own else f"runtime '{name}' declares"
    if len(ports) > 1:
        yield Problem(
            at,
            f"Knative refuses the predictor: More than one container port is set ({source} "
            f"{', '.join(str(p.get('name') or p.get('containerPort')) for p in ports)}): Only a "
            "single port is allowed",
        )
    first = ports[0]
    if first.get("name", "") not in ALLOWED_NAMES:
        yield Problem(
            at,
            f"Knative refuses the predictor: Port name {first.get('name')} is not allowed: Name "
            "must be empty, or one of: 'h2c', 'http1'",
        )
    if first.get("protocol") not in (None, "", "TCP"):
        yield Problem(
            at,
            f"Knative refuses the predictor: invalid value: {first['protocol']}: "
            "protocol (only TCP)",
        )
    if first.get("containerPort") in QUEUE_PROXY_PORTS:
        yield Problem(
            at,
            f"Knative refuses the predictor: invalid value: {first['containerPort']}: "
            "containerPort (reserved by the queue-proxy sidecar)",
        )
