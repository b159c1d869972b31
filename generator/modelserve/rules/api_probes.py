"""Probes aim at ports the container declares.

A probe's port may be a number or a port name. The API server only checks that a name is a
valid port name (``ValidatePortNumOrName``); the kubelet resolves the name among the container's
ports when it probes and, finding none, fails the probe every time (``findPortByName`` in
``pkg/kubelet/prober/prober.go``): the container never becomes ready (readiness, startup) or is
restarted forever (liveness). An error. A probe on a port number the container does not declare,
when it declares some, usually means the server listens elsewhere: a warning (KServe's default
readiness probe, added by ``setDefaultPodSpec`` when the runtime has none, aims at the first
declared port).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping, sequence
from modelserve.rules.examples import RUNTIME
from modelserve.rules.kubeapi import POD_SPEC_AT, containers, pod_spec

INFO = RuleInfo(
    "api-probes",
    Severity.ERROR,
    "Probes aim at ports the container declares",
    "point the probe at a declared port (or declare the port the server listens on)",
    frozenset({Scope.OBJECT, Scope.DERIVED}),
    kinds=frozenset(POD_SPEC_AT),
)
EXAMPLES = {
    "fail": {
        "catalog/runtimes/vllm-runtime.yaml": RUNTIME
        + "readiness:\n  path: /v1/health/ready\n  port: 9000\n"
    },
    "pass": {
        "catalog/runtimes/vllm-runtime.yaml": RUNTIME
        + "readiness:\n  path: /v1/health/ready\n  port: 8000\n"
    },
}
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
      ports: [{name: http, containerPort: 8000}]
      readinessProbe: {httpGet: {path: /v1/health/ready, port: http-api}}
""",
    "pass": """\
apiVersion: v1
kind: Pod
metadata: {name: llama}
spec:
  containers:
    - name: main
      image: nvcr.io/nim/meta/llama:1.3.3
      ports: [{name: http, containerPort: 8000}]
      readinessProbe: {httpGet: {path: /v1/health/ready, port: http}}
""",
}
PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
HANDLERS = ("httpGet", "tcpSocket", "grpc")


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    found = pod_spec(obj)
    if found is None:
        return
    for at, container in containers(found[1], found[0]):
        ports = [mapping(p) for p in sequence(container.get("ports"))]
        names = {p.get("name") for p in ports if p.get("name")}
        numbers = {p.get("containerPort") for p in ports}
        for probe in PROBES:
            for handler in HANDLERS:
                port = mapping(mapping(container.get(probe)).get(handler)).get("port")
                here = at + (probe, handler, "port")
                if isinstance(port, str) and not port.isdigit() and port not in names:
                    yield Problem(
                        here,
                        f"{probe} aims at port '{port}', which container "
                        f"'{container.get('name')}' does not declare: the kubelet cannot "
                        "resolve it and the probe always fails",
                    )
                elif isinstance(port, int) and ports and port not in numbers:
                    yield Problem(
                        here,
                        f"{probe} aims at port {port}, which container '{container.get('name')}' "
                        f"does not declare (it declares {sorted(n for n in numbers if n)})",
                        Severity.WARNING,
                    )
