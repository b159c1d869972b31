"""Monitors select a model's Service (or pods), on a port that exists, with Prometheus' labels.

The predictor Service is simulated from the built InferenceService and its runtime exactly as
KServe's Standard mode creates it (name ``<isvc>-predictor``, labels
``serving.kserve.io/inferenceservice`` and ``component: predictor``, ports from the serving
container). A ServiceMonitor whose selector matches no such Service, or names a port the
Service lacks, scrapes nothing; one without the environment's monitoring labels is ignored
by Prometheus' serviceMonitorSelector.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.derive.merge import merge_list
from modelserve.findings import Finding, Severity
from modelserve.render.monitor import predictor_service_ports
from modelserve.rules.base import Context, ObjectSet, Problem, RuleInfo, Scope
from modelserve.rules.examples import ENVIRONMENT

MONITOR_KINDS = ("ServiceMonitor", "PodMonitor")
INFO = RuleInfo(
    "monitor-target",
    Severity.ERROR,
    "Monitors select a model's Service or pods, by an existing port, with Prometheus' labels",
    "fix the runtime's ports or metrics, or the environment's monitoring.labels",
    frozenset({Scope.CATALOG, Scope.OBJECT}),
    kinds=frozenset(MONITOR_KINDS),
)
EXAMPLES = {
    "fail": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            "  labels: {release: kube-prometheus-stack}\n", "  labels: {}\n"
        )
    },
    "pass": {},
}


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        return True
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), list(expr.get("values") or [])
        present = key in labels
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and labels.get(key) in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


def simulated_targets(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Predictor Services (with their pods' labels and container ports) of the given ISVCs."""
    index = TargetIndex(objects)
    return [index.target(isvc) for isvcs in index.isvcs_by_namespace.values() for isvc in isvcs]


def _runtimes(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        o["metadata"]["name"]: o
        for o in objects
        if o.get("kind") in ("ClusterServingRuntime", "ServingRuntime")
        and isinstance(o["metadata"].get("name"), str)
    }


def simulated_target(isvc: dict[str, Any], runtimes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The predictor Service of one InferenceService, with its pods' labels and ports."""
    name = isvc["metadata"]["name"]
    model = (isvc.get("spec", {}).get("predictor") or {}).get("model") or {}
    runtime = runtimes.get(model.get("runtime", ""), {})
    containers = (runtime.get("spec") or {}).get("containers") or [{}]
    # The container KServe builds: the model's ports merged onto the runtime's by
    # containerPort (a new one first), as MergeRuntimeContainers merges them.
    main = next((c for c in containers if c.get("name") == "kserve-container"), containers[0])
    theirs = [p for p in main.get("ports") or [] if isinstance(p, dict)]
    ours = [p for p in model.get("ports") or [] if isinstance(p, dict)]
    ports = merge_list(theirs, ours, "containerPort", False) if ours else theirs
    labels = {
        **(isvc["metadata"].get("labels") or {}),
        "serving.kserve.io/inferenceservice": name,
        "component": "predictor",
        "app": f"isvc.{name}-predictor",
    }
    pod_ports = {p.get("name") for c in containers for p in c.get("ports") or [] if p.get("name")}
    return {
        "namespace": isvc["metadata"].get("namespace", ""),
        "labels": labels,
        "service_ports": {p.name for p in predictor_service_ports(f"{name}", ports)},
        "pod_ports": pod_ports | {p.get("name") for p in ports if p.get("name")},
    }


ISVC_LABEL = "serving.kserve.io/inferenceservice"


class TargetIndex:
    """The InferenceServices by namespace and name, so matching a monitor is not a scan; each
    predictor is simulated when a monitor first looks at it (an incremental run checks a few
    shards' monitors against an environment of a thousand InferenceServices)."""

    def __init__(self, objects: list[dict[str, Any]]):
        # A nameless object is refused by the API server (its finding is name-dns) and targets
        # nothing.
        named = [
            o
            for o in objects
            if isinstance(o.get("metadata"), dict) and isinstance(o["metadata"].get("name"), str)
        ]
        self.runtimes = _runtimes(named)
        self.isvcs_by_namespace: dict[str, list[dict[str, Any]]] = {}
        self.isvcs_by_name: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for isvc in named:
            if isvc.get("kind") != "InferenceService":
                continue
            namespace = isvc["metadata"].get("namespace", "")
            self.isvcs_by_namespace.setdefault(namespace, []).append(isvc)
            self.isvcs_by_name.setdefault((namespace, isvc["metadata"]["name"]), []).append(isvc)
        self._targets: dict[int, dict[str, Any]] = {}

    def target(self, isvc: dict[str, Any]) -> dict[str, Any]:
        found = self._targets.get(id(isvc))
        if found is None:
            found = self._targets[id(isvc)] = simulated_target(isvc, self.runtimes)
        return found

    def matching(self, namespace: str, selector: dict[str, Any]) -> list[dict[str, Any]]:
        name = (selector.get("matchLabels") or {}).get(ISVC_LABEL)
        pool = (
            self.isvcs_by_name.get((namespace, name), [])
            if name is not None
            else self.isvcs_by_namespace.get(namespace, [])
        )
        targets = (self.target(isvc) for isvc in pool)
        return [t for t in targets if selector_matches(selector, t["labels"])]


def check_monitor(
    monitor: dict[str, Any], index: TargetIndex, wanted: dict[str, str]
) -> Iterator[tuple[tuple[Any, ...], str]]:
    kind = monitor.get("kind")
    spec = monitor.get("spec") or {}
    namespace = monitor["metadata"].get("namespace", "")
    matched = index.matching(namespace, spec.get("selector") or {})
    if not matched:
        yield (
            ("spec", "selector"),
            f"{kind} selects no InferenceService predictor in namespace '{namespace}'",
        )
    key, port_set = (
        ("endpoints", "service_ports")
        if kind == "ServiceMonitor"
        else ("podMetricsEndpoints", "pod_ports")
    )
    for i, endpoint in enumerate(spec.get(key) or []):
        port = endpoint.get("port")
        for target in matched:
            if port is not None and port not in target[port_set]:
                yield (
                    ("spec", key, i, "port"),
                    (
                        f"port '{port}' does not exist on the predictor "
                        f"({', '.join(sorted(target[port_set])) or 'no named ports'})"
                    ),
                )
                break
    labels = monitor["metadata"].get("labels") or {}
    missing = {k: v for k, v in wanted.items() if labels.get(k) != v}
    if missing:
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(missing.items()))
        yield (
            ("metadata", "labels"),
            f"{kind} lacks the labels Prometheus selects monitors by ({shown})",
        )


def check(ctx: Context) -> Iterator[Finding]:
    """The environment half: monitors that no Prometheus selects for want of labels."""
    if ctx.tree is None:
        return
    with_monitors = {
        root.env
        for root in ctx.tree.roots
        if any(r.obj.get("kind") in MONITOR_KINDS for r in root.objects)
    }
    for env_name in sorted(with_monitors):
        env = ctx.catalog.environments.get(env_name)
        if env is not None and not env.monitoring_labels:
            yield INFO.at(
                env.source,
                ("monitoring",),
                f"monitors in '{env_name}' carry no label for Prometheus' monitor selector",
                severity=Severity.WARNING,
                hint="set monitoring.labels to what your Prometheus selects, "
                "e.g. release: kube-prometheus-stack",
            )


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    """The object half: each monitor against the predictors simulated from the same set."""
    if obj.get("kind") not in MONITOR_KINDS or not isinstance(obj.get("metadata"), dict):
        return
    targets = objects.memo("monitor-targets", lambda: _index(objects.objects))
    if not objects.rendered and not targets.isvcs_by_namespace:
        return  # hand-written monitors with no InferenceService beside them watch something else
    for pointer, message in check_monitor(obj, targets, dict(objects.monitor_labels)):
        yield Problem(pointer, message)


def _index(objects: list[dict[str, Any]]) -> TargetIndex:
    return TargetIndex(objects)
