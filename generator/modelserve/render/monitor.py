"""ServiceMonitor or PodMonitor that really scrapes a model's metrics.

KServe builds the predictor Service (Standard mode) from the serving container's declared
ports: with none, one port named ``<isvc>-predictor`` (80 -> 8080); with ports, the first
becomes port 80 under its own name and the others are exposed one to one
(kserve/kserve pkg/controller/v1beta1/inferenceservice/reconcilers/service/service_reconciler.go,
createDefaultSvc). Metrics on a port that Service exposes get a ServiceMonitor naming that
port; metrics on a declared port that it does not expose (a sidecar, or Knative mode, where
the Service fronts queue-proxy) get a PodMonitor on the named container port.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelserve.derive.predictor import ISVC_LABEL, service_ports
from modelserve.model import Environment, Model, Runtime
from modelserve.render import MANAGED_BY, Origin, RenderedObject


@dataclass(frozen=True)
class ServicePort:
    name: str
    port: int
    target_port: int


@dataclass(frozen=True)
class MonitorPlan:
    kind: str  # "ServiceMonitor" | "PodMonitor" | "" when the metrics port cannot be scraped
    port_name: str


def predictor_service_ports(
    isvc_name: str, container_ports: list[dict[str, Any]]
) -> list[ServicePort]:
    """The ports of the ``<isvc>-predictor`` Service, as the derived Service has them."""
    return [
        ServicePort(str(p.get("name", "")), int(p["port"]), int(p["targetPort"]))
        for p in service_ports(f"{isvc_name}-predictor", container_ports)
    ]


def plan_monitor(runtime: Runtime, isvc_name: str, deployment_mode: str) -> MonitorPlan:
    port = runtime.metrics_port
    declared = {p.container_port: p.name for p in runtime.ports}
    if deployment_mode == "Standard":
        ports = [{"name": p.name, "containerPort": p.container_port} for p in runtime.ports]
        for service_port in predictor_service_ports(isvc_name, ports):
            if service_port.target_port == port:
                return MonitorPlan("ServiceMonitor", service_port.name)
    if port in declared:
        return MonitorPlan("PodMonitor", declared[port])
    return MonitorPlan("", "")


def render_monitor(model: Model, runtime: Runtime, env: Environment) -> RenderedObject | None:
    if not env.monitoring_enabled or runtime.metrics_port is None:
        return None
    plan = plan_monitor(runtime, model.name, env.deployment_mode)
    if not plan.kind:
        return None  # the monitor-port rule reports it, at the runtime's metrics field
    endpoint = {
        "port": plan.port_name,
        "path": runtime.metrics_path,
        "interval": env.monitoring.get("interval", "30s"),
    }
    selector = {"matchLabels": {"component": "predictor", ISVC_LABEL: model.name}}
    labels = dict(
        sorted(
            {
                **env.monitoring_labels,
                **MANAGED_BY,
                "modelserve.io/environment": env.name,
            }.items()
        )
    )
    endpoints_key = "endpoints" if plan.kind == "ServiceMonitor" else "podMetricsEndpoints"
    obj = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": plan.kind,
        "metadata": {"name": model.name, "namespace": env.namespace, "labels": labels},
        "spec": {"selector": selector, endpoints_key: [endpoint]},
    }
    origins = [
        Origin((), model.source, ("name",)),
        Origin(("metadata", "namespace"), env.source, ("namespace",)),
        Origin(("spec", "selector", "matchLabels", ISVC_LABEL), model.source, ("name",)),
        Origin(("metadata", "labels"), env.source, ("monitoring", "labels"), mirrored=True),
        Origin(("metadata", "labels", "modelserve.io/environment"), env.source, ("name",)),
        Origin(("spec", endpoints_key), runtime.source, ("metrics",)),
        Origin(("spec", endpoints_key, 0, "path"), runtime.source, ("metrics", "path")),
        # where no interval is set, the environment's monitoring is still the place to set it
        Origin(("spec", endpoints_key, 0, "interval"), env.source, ("monitoring", "interval")),
    ]
    return RenderedObject(obj, origins, model=model.name)
