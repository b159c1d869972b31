"""The runtime's metrics port is one a monitor can reach.

In Standard mode KServe's predictor Service exposes the declared container ports (the first
as port 80 under its own name), or, when none is declared, only 8080 under the name
``<isvc>-predictor``. Metrics on any other port (Triton's 8002, TorchServe's 8082) are
invisible to a ServiceMonitor and, unless the port is declared by name, to a PodMonitor too:
Prometheus would scrape nothing and no alert would say so.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.render.monitor import plan_monitor
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import RUNTIME

INFO = RuleInfo(
    "monitor-port",
    Severity.ERROR,
    "The runtime's metrics port is exposed or declared by name",
    "declare the metrics port under the runtime's ports with a name",
)
EXAMPLES = {
    "fail": {
        "catalog/runtimes/vllm-runtime.yaml": RUNTIME.replace(
            "  port: 8000\n  path: /v1/metrics", "  port: 8002\n  path: /metrics"
        )
    },
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    # Whether a monitor can be planned depends on the runtime's ports and the mode, not on the
    # model: one answer per (runtime, mode), not one per deployment.
    checked: set[tuple[str, str]] = set()
    for p in ctx.placements():
        if p.runtime is None or p.model is None or p.runtime.metrics_port is None:
            continue
        if not p.env.monitoring_enabled:
            continue
        mode = p.env.deployment_mode
        if (p.runtime.name, mode) in checked:
            continue
        checked.add((p.runtime.name, mode))
        if plan_monitor(p.runtime, p.model.name, mode).kind:
            continue
        yield INFO.at(
            p.runtime.source,
            ("metrics", "port"),
            f"metrics port {p.runtime.metrics_port} of runtime '{p.runtime.name}' is neither "
            "exposed by the predictor Service nor declared as a named container port "
            f"({mode} mode, environment '{p.env.name}')",
        )
