"""LLM autoscaling with KEDA cannot silently misfire: its metric exists, is scraped, is queried
where Prometheus is, and its maximum fits the pool.

``autoscaling: {class: keda, metric: requestsRunning | queueDepth | kvCacheUsage, target: N}``
renders one External prometheus metric on the InferenceService (modelserve.render.isvc), which
KServe's ``getKedaMetrics`` (pkg/controller/v1beta1/inferenceservice/reconcilers/keda/
keda_reconciler.go, v0.15-v0.20) turns into a ScaledObject trigger with ``serverAddress``,
``query`` and ``threshold``. Each way it would scale on nothing is refused:

- the runtime family exposes no such metric (``modelserve.metrics.FAMILIES``);
- nothing scrapes it in the environment (monitoring disabled, no ``metrics`` on the runtime), or
  the monitor scrapes another port or path than the family serves it on;
- the environment names no Prometheus (``monitoring.prometheusAddress``): KServe's webhook does
  not check ``serverAddress`` (``validateScalingKedaCompExtension`` checks only the query and the
  target), but KEDA's prometheus scaler requires it, so the ScaledObject never becomes ready;
- ``replicas.min`` 0: in Standard mode nothing serves while no replica runs, and a pod-side metric
  has no series then; KEDA's prometheus scaler reads an empty result as 0 (``ignoreNullValues``
  defaults to true), so the model would never scale up again;
- the maximum does not fit: a replica the autoscaler adds that no node can hold stays Pending, so
  the maximum is simulated on the pool with every other deployment at its minimum
  (``modelserve.schedule``, as rule gpu-capacity places them);
- a fixed size (min = max) or ``autoscalerClass`` set by hand besides: nothing to scale, or a
  class the catalog's would contradict;
- Knative mode: only the Standard-mode reconciler builds autoscalers
  (``raw_kube_reconciler.go``, NewRawKubeReconciler, calls autoscaler.NewAutoscalerReconciler).

Multi-node predictors, which KServe keeps at ``autoscalerClass: none``, are rule
kserve-autoscaling's.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.metrics import SCALING_METRICS, family_of, scrape_problem
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT, MODEL
from modelserve.rules.gpu_capacity import Pool, pool_nodes, pools
from modelserve.schedule import place

INFO = RuleInfo(
    "keda-metric",
    Severity.ERROR,
    "KEDA autoscaling scales on a metric that exists, is scraped and queried, within the pool",
    "pick a metric the runtime family exposes, set monitoring.prometheusAddress, keep "
    "replicas.min at 1 or more and replicas.max within the pool",
)
KEDA = "autoscaling: {class: keda, metric: requestsRunning, target: 4}\n"
SCALED = "  - model: llama\n    profile: h100\n    replicas: {min: 1, max: 4}\n"
EXAMPLES = {
    "fail": {
        "catalog/models/llama.yaml": MODEL + KEDA,
        "environments/dev.yaml": ENVIRONMENT.replace(
            "  - model: llama\n    profile: h100\n", SCALED
        ),
    },
    "pass": {
        "catalog/models/llama.yaml": MODEL + KEDA,
        "environments/dev.yaml": ENVIRONMENT.replace(
            "  labels: {release: kube-prometheus-stack}\n",
            "  labels: {release: kube-prometheus-stack}\n"
            "  prometheusAddress: http://prometheus.monitoring:9090\n",
        ).replace("  - model: llama\n    profile: h100\n", SCALED),
    },
}


def check(ctx: Context) -> Iterator[Finding]:
    catalog = ctx.catalog
    capacity = pools(ctx)
    for env in sorted(catalog.environments.values(), key=lambda e: e.name):
        for entry in env.entries:
            model = catalog.models.get(entry.model)
            runtime = catalog.runtimes.get(model.runtime) if model else None
            if model is None or runtime is None:
                continue
            autoscaling = model.data.get("autoscaling") or {}
            metric = autoscaling.get("metric")
            if autoscaling.get("class") != "keda" or metric not in SCALING_METRICS:
                continue
            family = family_of(model, runtime)
            where = f"model '{model.name}' in '{env.name}' scales with KEDA on {metric}"
            if env.deployment_mode != "Standard":
                yield INFO.at(
                    env.source,
                    ("deploymentMode",),
                    f"{where}, but '{env.name}' runs Knative mode, where KServe scales with "
                    "Knative's autoscaler and never creates the ScaledObject",
                    hint="run the environment in Standard mode, or drop the KEDA autoscaling",
                )
                continue
            if metric not in family.scaling:
                has = ", ".join(sorted(family.scaling)) or "none"
                yield INFO.at(
                    model.source,
                    ("autoscaling", "metric"),
                    f"{where}, which runtime '{runtime.name}' ({family.title}) does not expose "
                    f"(it has: {has})",
                )
                continue
            if autoscaling.get("target") is None:
                yield INFO.at(
                    model.source,
                    ("autoscaling",),
                    f"{where}, but gives no target: set autoscaling.target, the value per "
                    "replica to scale at",
                )
            unscraped = scrape_problem(env, runtime, family)
            if unscraped is not None:
                side, why = unscraped
                source, at = (
                    (env.source, ("monitoring",))
                    if side == "environment"
                    else (runtime.source, ("metrics",))
                )
                yield INFO.at(source, at, f"{where}, but {why}: KEDA would read no series")
            if not env.monitoring.get("prometheusAddress"):
                yield INFO.at(
                    env.source,
                    ("monitoring",),
                    f"{where}, but the environment names no Prometheus for KEDA to query",
                    hint="set monitoring.prometheusAddress, e.g. "
                    "http://kube-prometheus-stack-prometheus.monitoring:9090",
                )
            low, high = entry.replica_bounds(model)
            replicas_at, replicas_path = entry.replicas_source(model, env)
            if low == 0:
                yield INFO.at(
                    replicas_at,
                    replicas_path + ("min",),
                    f"{where} with replicas.min 0: with no replica there is no {metric} series, "
                    "so KEDA would never scale it up again",
                )
            if low == high:
                yield INFO.at(
                    replicas_at,
                    replicas_path,
                    f"{where}, but its replicas are fixed at {low}: nothing to scale",
                    hint="set replicas.max above replicas.min in the environment entry",
                )
            if CLASS in (model.data.get("annotations") or {}):
                yield INFO.at(
                    model.source,
                    ("annotations", CLASS),
                    f"{where}, but its annotations set {CLASS} too",
                )
            yield from _fits_at_max(capacity, env.name, model.name, high, where)


CLASS = "serving.kserve.io/autoscalerClass"


def _fits_at_max(
    capacity: dict[tuple[str, str], Pool],
    env: str,
    model: str,
    high: int,
    where: str,
) -> Iterator[Finding]:
    """The pool holds this model at its maximum while every other deployment is at its
    minimum."""
    owner = f"{env}/{model}"
    for pool in capacity.values():
        if not any(d.owner == owner for _, _, _, d in pool.items):
            continue
        nodes = pool_nodes(pool.profile)
        if nodes is None:
            continue
        demands = [
            d for _, low, top, d in pool.items for _ in range(top if d.owner == owner else low)
        ]
        placed = place(nodes, demands)
        if not placed.fits:
            profile = pool.profile
            yield INFO.at(
                pool.env.source,
                ("gpuProfiles", profile.name, "nodes"),
                f"{where} up to {high} replicas, but pool '{profile.pool_name}' cannot hold "
                f"them with the other models at their minimum: {len(placed.unplaced)} "
                "replica(s) would stay Pending",
                hint="lower replicas.max or add nodes to the profile",
            )
