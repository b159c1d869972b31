"""A model's SLOs are measured by a metric its runtime really exposes, where it is scraped.

An alert on a series that never exists never fires, and Prometheus says nothing about it. Each
SLO (``slo.timeToFirstTokenP95Seconds``, ...) is turned into an alert on the metric the runtime
family declares (``modelserve.metrics.FAMILIES``, each with the vendor documentation or source
it was read from): an SLO the family has no metric for is refused, and so is one in an
environment with ``monitoring.alerts`` whose monitor scrapes nothing (monitoring disabled, no
``metrics`` on the runtime) or scrapes another port or path than the family serves its metrics
on (Triton, under the embedding and reranking NIMs, on 8002 /metrics).
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.metrics import family_of, scrape_problem
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT, MODEL

INFO = RuleInfo(
    "slo-metric",
    Severity.ERROR,
    "Every SLO is measured by a metric the runtime exposes and the monitor scrapes",
    "drop the SLO, or serve the model with a runtime whose family exposes that metric",
)
ALERTING = ENVIRONMENT.replace(
    "  labels: {release: kube-prometheus-stack}\n",
    "  labels: {release: kube-prometheus-stack}\n  alerts: {}\n",
)
EXAMPLES = {
    "fail": {
        "catalog/models/llama.yaml": MODEL + "task: embeddings\nslo:\n  kvCacheUsage: 0.9\n",
        "environments/dev.yaml": ALERTING,
    },
    "pass": {
        "catalog/models/llama.yaml": MODEL + "slo:\n  timeToFirstTokenP95Seconds: 2\n",
        "environments/dev.yaml": ALERTING,
    },
}


def check(ctx: Context) -> Iterator[Finding]:
    catalog = ctx.catalog
    for model in sorted(catalog.models.values(), key=lambda m: m.name):
        slo = model.data.get("slo") or {}
        runtime = catalog.runtimes.get(model.runtime)
        if not slo or runtime is None:
            continue
        family = family_of(model, runtime)
        for key in sorted(slo):
            if key not in family.metrics:
                has = ", ".join(sorted(family.metrics)) or "none"
                yield INFO.at(
                    model.source,
                    ("slo", key),
                    f"model '{model.name}' sets slo.{key}, but its runtime '{runtime.name}' "
                    f"({family.title}) exposes no metric for it (it has: {has})",
                )
        for env in sorted(catalog.environments.values(), key=lambda e: e.name):
            if env.monitoring.get("alerts") is None:
                continue
            if not any(e.model == model.name for e in env.entries):
                continue
            unscraped = scrape_problem(env, runtime, family)
            if unscraped is not None:
                side, why = unscraped
                source, at = (
                    (env.source, ("monitoring", "alerts"))
                    if side == "environment"
                    else (runtime.source, ("metrics",))
                )
                yield INFO.at(
                    source,
                    at,
                    f"model '{model.name}' has SLOs in '{env.name}', but {why}: its alerts could "
                    "never fire",
                )
