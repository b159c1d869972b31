"""Alerts and dashboards per model: a PrometheusRule and a Grafana dashboard ConfigMap per
environment (``monitoring.alerts``, ``monitoring.dashboard``), from the models' SLOs (``slo``).

The metrics are the ones each runtime family declares (``modelserve.metrics``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from modelserve.derive.predictor import predictor_component
from modelserve.metrics import Metric, family_of, label_value, monitored, number, selector
from modelserve.model import Catalog, Environment, Model, Runtime
from modelserve.render import MANAGED_BY, Origin, RenderedObject

# SLO key -> (alert name, what it measures, unit shown)
SLOS = {
    "timeToFirstTokenP95Seconds": ("ModelTimeToFirstTokenHigh", "time to first token p95", "s"),
    "requestLatencyP95Seconds": ("ModelRequestLatencyHigh", "request latency p95", "s"),
    "queueDepth": ("ModelQueueDepthHigh", "requests waiting", ""),
    "kvCacheUsage": ("ModelKvCacheUsageHigh", "KV cache usage", ""),
}
WINDOW = "5m"
DEFAULT_DASHBOARD_LABELS = {"grafana_dashboard": "1"}  # kube-prometheus-stack's sidecar default
DEFAULT_FOLDER_ANNOTATION = "grafana_folder"


def expression(metric: Metric, labels: str) -> str:
    """The value an SLO is compared with: p95 over the window, or the worst replica's gauge."""
    if metric.kind == "histogram":
        return (
            f"histogram_quantile(0.95, sum by (le) "
            f"(rate({metric.name}_bucket{{{labels}}}[{WINDOW}])))"
        )
    return f"max({metric.name}{{{labels}}})"


def _alert(
    env: Environment, name: str, expr: str, duration: str, severity: str, model: str, text: str
) -> dict[str, Any]:
    # namespace and model as labels of their own: aggregations drop the series' labels, and
    # Alertmanager routes by them
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity, "namespace": env.namespace, "model": model},
        "annotations": {"summary": text},
    }


def model_alerts(
    env: Environment, model: Model, runtime: Runtime, scales_to_zero: bool = False
) -> list[dict[str, Any]]:
    """The alerts of one model in ``env``: not ready, no scrape target, and one per SLO its
    family declares (the rule slo-metric reports the others). A model that may scale to zero
    gets none of them: no replica, and so no series, is normal for it."""
    labels = selector(env, model.name)
    deployment = label_value(predictor_component(model.name))
    ready = (
        f'(sum(kube_deployment_status_replicas_available{{namespace="{label_value(env.namespace)}",'
        f'deployment=~"{deployment}(-[0-9]+-deployment)?"}}) or vector(0)) < 1'
    )
    alerts = []
    if not scales_to_zero:
        alerts.append(
            _alert(
                env,
                "ModelPredictorNotReady",
                ready,
                "15m",
                "critical",
                model.name,
                f"{model.name} in {env.name} has had no ready predictor replica for 15 minutes",
            )
        )
    if not monitored(env, runtime) or scales_to_zero:
        return alerts
    alerts.append(
        _alert(
            env,
            "ModelScrapeTargetMissing",
            f"absent(up{{{labels}}} == 1)",
            "10m",
            "warning",
            model.name,
            f"Prometheus has scraped no {model.name} replica in {env.name} for 10 minutes: "
            "check its ServiceMonitor and the Prometheus' monitor selector",
        )
    )
    family = family_of(model, runtime)
    for key, threshold in sorted((model.data.get("slo") or {}).items()):
        metric = family.metrics.get(key)
        if metric is None or key not in SLOS:
            continue
        name, what, unit = SLOS[key]
        alerts.append(
            _alert(
                env,
                name,
                f"{expression(metric, labels)} > {number(threshold)}",
                "10m",
                "warning",
                model.name,
                f"{model.name} in {env.name}: {what} above {number(threshold)}{unit} for 10 "
                f"minutes ({family.title} {metric.name})",
            )
        )
    return alerts


def _models(catalog: Catalog, env: Environment) -> list[tuple[Model, Runtime, bool]]:
    """(model, runtime, may scale to zero) of each model of ``env``, by name."""
    seen: dict[str, tuple[Model, Runtime, bool]] = {}
    for entry in env.entries:
        model = catalog.models.get(entry.model)
        if model is not None and model.runtime in catalog.runtimes:
            zero = entry.replica_bounds(model)[0] == 0
            seen.setdefault(model.name, (model, catalog.runtimes[model.runtime], zero))
    return [seen[name] for name in sorted(seen)]


def render_rule(catalog: Catalog, env: Environment) -> RenderedObject | None:
    """The environment's PrometheusRule (``monitoring.alerts``), one group per model."""
    settings = env.monitoring.get("alerts")
    if settings is None:
        return None
    groups = [
        {
            "name": f"modelserve.{env.name}.{model.name}",
            "rules": model_alerts(env, model, runtime, zero),
        }
        for model, runtime, zero in _models(catalog, env)
    ]
    labels = {
        **env.monitoring_labels,
        **dict(settings.get("labels") or {}),
        **MANAGED_BY,
        "modelserve.io/environment": env.name,
    }
    obj = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": f"modelserve-{env.name}",
            "namespace": env.namespace,
            "labels": dict(sorted(labels.items())),
        },
        "spec": {"groups": groups},
    }
    return RenderedObject(obj, [Origin((), env.source, ("monitoring", "alerts"))])


def _panel(
    title: str, expr: str, y: int, x: int, threshold: float | None, pid: int
) -> dict[str, Any]:
    panel: dict[str, Any] = {
        "id": pid,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 6, "w": 6, "x": x, "y": y},
        "targets": [{"refId": "A", "expr": expr}],
    }
    if threshold is not None:
        panel["fieldConfig"] = {
            "defaults": {
                "thresholds": {
                    "mode": "absolute",
                    "steps": [
                        {"color": "green", "value": None},
                        {"color": "red", "value": threshold},
                    ],
                }
            },
            "overrides": [],
        }
    return panel


def dashboard(catalog: Catalog, env: Environment) -> dict[str, Any]:
    """The Grafana dashboard: a row per model, a panel for each metric its family declares
    (the SLO drawn as a threshold) and one for its scrape targets."""
    panels: list[dict[str, Any]] = []
    y = 0
    for model, runtime, _ in _models(catalog, env):
        labels = selector(env, model.name)
        panels.append(
            {
                "id": len(panels) + 1,
                "type": "row",
                "title": model.name,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        y += 1
        family = family_of(model, runtime)
        slo = model.data.get("slo") or {}
        charts = [("Scrape targets up", f"sum(up{{{labels}}})", None)]
        charts += [
            (SLOS[key][1], expression(metric, labels), slo.get(key))
            for key, metric in family.metrics.items()
        ]
        for i, (title, expr, threshold) in enumerate(charts):
            panels.append(_panel(title, expr, y, (i % 4) * 6, threshold, len(panels) + 1))
            if i % 4 == 3:
                y += 6
        y += 6 if len(charts) % 4 else 0
    return {
        "uid": _uid(env.name),
        "title": f"modelserve: {env.name}",
        "tags": ["modelserve", env.name],
        "schemaVersion": 39,
        "timezone": "browser",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]
        },
        "panels": panels,
    }


def _uid(env_name: str) -> str:
    """A Grafana uid (at most 40 characters) unique per environment: a long name keeps a hash
    of itself, so two environments sharing a 29-character prefix do not overwrite each other."""
    uid = f"modelserve-{env_name}"
    if len(uid) <= 40:
        return uid
    digest = hashlib.sha256(env_name.encode()).hexdigest()[:8]
    return f"{uid[:31]}-{digest}"


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def render_dashboard(catalog: Catalog, env: Environment) -> RenderedObject | None:
    """The dashboard as a ConfigMap the Grafana sidecar loads (``monitoring.dashboard``)."""
    settings = env.monitoring.get("dashboard")
    if settings is None:
        return None
    labels = {
        **dict(settings.get("labels") or DEFAULT_DASHBOARD_LABELS),
        **MANAGED_BY,
        "modelserve.io/environment": env.name,
    }
    metadata: dict[str, Any] = {
        "name": f"modelserve-{env.name}-dashboard",
        "namespace": env.namespace,
        "labels": dict(sorted(labels.items())),
    }
    if settings.get("folder"):
        key = settings.get("folderAnnotation") or DEFAULT_FOLDER_ANNOTATION
        metadata["annotations"] = {key: str(settings["folder"])}
    board = dashboard(catalog, env)
    panels = board.pop("panels")
    # one panel a line: a diff shows the panel that changed, and the C encoder writes it (an
    # indented dump is pure Python, the cost of a thousand models' dashboards)
    text = _compact(board)[:-1] + ',"panels":[\n' + ",\n".join(map(_compact, panels)) + "\n]}"
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": {f"modelserve-{env.name}.json": text + "\n"},
    }
    return RenderedObject(obj, [Origin((), env.source, ("monitoring", "dashboard"))])
