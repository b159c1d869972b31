"""Replica bounds and autoscaling settings that KServe's webhook would refuse.

``min`` must not exceed ``max``; with the HPA autoscaler (Standard mode) the scale metric can
only be cpu or memory (inference_service_validation.go); scale-to-zero (min 0) needs
Knative or KEDA.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT

INFO = RuleInfo(
    "replicas",
    Severity.ERROR,
    "Replica bounds and autoscaler settings are ones KServe accepts",
    "make min <= max; with class hpa use metric cpu or memory",
)
EXAMPLES = {
    "fail": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            "    profile: h100\n", "    profile: h100\n    replicas: {min: 3, max: 2}\n"
        )
    },
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    for p in ctx.placements():
        if p.model is None:
            continue
        replicas = p.entry.replicas(p.model)
        where = p.entry.replicas_source(p.model, p.env)
        if "min" in replicas and "max" in replicas and replicas["min"] > replicas["max"]:
            yield INFO.at(
                *where,
                f"model '{p.model.name}' in '{p.env.name}': min replicas {replicas['min']} "
                f"exceed max {replicas['max']}",
            )
        autoscaling = p.model.data.get("autoscaling") or {}
        klass = autoscaling.get("class", "hpa")
        if klass == "hpa" and autoscaling.get("metric") not in (None, "cpu", "memory"):
            yield INFO.at(
                p.model.source,
                ("autoscaling", "metric"),
                f"the hpa autoscaler scales on cpu or memory, not '{autoscaling['metric']}'",
            )
        if (
            replicas.get("min") == 0
            and p.env.deployment_mode == "Standard"
            and klass not in ("keda", "external")
        ):
            yield INFO.at(
                *where,
                f"model '{p.model.name}' asks for 0 minimum replicas, which Standard mode "
                f"supports only with the keda autoscaler",
                hint="set min to 1 or use autoscaling.class keda",
            )
