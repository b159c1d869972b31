"""Container and Service ports are ones the API server accepts.

Mirrors ``validateContainerPorts`` of ``pkg/apis/core/validation/validation.go`` (a port name
is an ``IsValidPortName``: at most 15 characters of a-z, 0-9 and '-', with at least one letter;
names are unique within a container; ``containerPort`` is 1 to 65535) and ``validateServicePort``
with ``ValidateService`` (with more than one port every port has a name, a DNS-1123 label,
unique; ``port`` 1 to 65535; no two ports share port and protocol). The Service KServe derives
exposes the container's first port on 80 and every other on its own number
(``createDefaultSvc``), so a second container port 80 makes a Service the API server refuses,
and a runtime port named ``8000`` (no letter) or ``inference-http-port`` (16 characters) a
Deployment it refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping, sequence
from modelserve.rules.examples import RUNTIME
from modelserve.rules.kubeapi import POD_SPEC_AT, containers, invalid, pod_spec
from modelserve.validate.apimachinery import is_dns1123_label, is_valid_port_name, is_valid_port_num

INFO = RuleInfo(
    "api-ports",
    Severity.ERROR,
    "Container and Service ports have names and numbers the API server accepts",
    "name ports with at most 15 of a-z, 0-9 and '-' including a letter (http, grpc), each "
    "name once, numbers 1-65535",
    frozenset({Scope.OBJECT, Scope.DERIVED}),
    kinds=frozenset(POD_SPEC_AT) | {"Service"},
)
EXAMPLES = {
    "fail": {
        "catalog/runtimes/vllm-runtime.yaml": RUNTIME.replace("- name: http", "- name: '8000'")
    },
    "pass": {},
}
MANIFEST_EXAMPLES = {
    "kserve": "0.20",
    "fail": """\
apiVersion: v1
kind: Service
metadata: {name: llama}
spec:
  selector: {app: llama}
  ports:
    - {name: http, port: 80, targetPort: 8000}
    - {name: http, port: 8080, targetPort: 8080}
""",
    "pass": """\
apiVersion: v1
kind: Service
metadata: {name: llama}
spec:
  selector: {app: llama}
  ports:
    - {name: http, port: 80, targetPort: 8000}
    - {name: metrics, port: 8080, targetPort: 8080}
""",
}


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    found = pod_spec(obj)
    if found is not None:
        for at, container in containers(found[1], found[0]):
            yield from _container_ports(container, at)
    if obj.get("kind") == "Service":
        yield from _service_ports(sequence(mapping(obj.get("spec")).get("ports")))


def _container_ports(container: dict[str, Any], at: tuple[Any, ...]) -> Iterator[Problem]:
    names: set[str] = set()
    for i, port in enumerate(sequence(container.get("ports"))):
        port = mapping(port)
        here = at + ("ports", i)
        name = port.get("name")
        if isinstance(name, str) and name:
            errors = is_valid_port_name(name)
            if errors:
                yield Problem(here + ("name",), f"ports[{i}].name: {invalid(name, errors)}")
            elif name in names:
                yield Problem(here + ("name",), f'ports[{i}].name: Duplicate value: "{name}"')
            names.add(name)
        number = port.get("containerPort")
        if isinstance(number, int) and is_valid_port_num(number):
            yield Problem(
                here + ("containerPort",),
                f"ports[{i}].containerPort: {invalid(number, is_valid_port_num(number))}",
            )


def _service_ports(ports: list[Any]) -> Iterator[Problem]:
    names: set[str] = set()
    seen: set[tuple[Any, Any]] = set()
    for i, port in enumerate(ports):
        port = mapping(port)
        here = ("spec", "ports", i)
        name = port.get("name")
        if len(ports) > 1 and not name:
            yield Problem(here, f"spec.ports[{i}].name: Required value")
        elif isinstance(name, str) and name:
            errors = is_dns1123_label(name)
            if errors:
                yield Problem(here + ("name",), f"spec.ports[{i}].name: {invalid(name, errors)}")
            elif name in names:
                yield Problem(here + ("name",), f'spec.ports[{i}].name: Duplicate value: "{name}"')
            names.add(name)
        number = port.get("port")
        if isinstance(number, int):
            errors = is_valid_port_num(number)
            if errors:
                yield Problem(here + ("port",), f"spec.ports[{i}].port: {invalid(number, errors)}")
            key = (number, port.get("protocol") or "TCP")
            if key in seen:
                yield Problem(
                    here,
                    f"spec.ports[{i}]: Duplicate value: port {number}/{key[1]} is exposed twice",
                )
            seen.add(key)
