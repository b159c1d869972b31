"""The metrics each runtime family really exposes, for alerts, dashboards and KEDA scaling.

Where each family's names were read:

- NVIDIA NIM for LLMs 1.x, on the OpenAI port at /v1/metrics, no prefix, label model_name:
  https://docs.nvidia.com/nim/large-language-models/latest/observability.html (the histograms
  time_to_first_token_seconds and e2e_request_latency_seconds, the gauges num_requests_waiting
  and gpu_cache_usage_perc, a 0..1 ratio); NIM keeps the unprefixed gpu_cache_usage_perc.
- vLLM, as KServe's Hugging Face server embeds it (KServe v0.19.0 pins vLLM 0.20.0, v0.20.0
  vLLM 0.24.0: python/huggingface_server.Dockerfile, ARG VLLM_VERSION) and as vllm/vllm-openai
  serves it: vllm/v1/metrics/loggers.py, PrometheusStatLogger.__init__ (vllm:* names, labels
  model_name and engine). vLLM renamed vllm:gpu_cache_usage_perc to vllm:kv_cache_usage_perc
  (PR 18354, 0.9.2), hid the old name in 0.11 (PR 24245) and removed it in 0.12 (PR 29330): no
  vLLM a supported KServe ships has it, so only the new name is used.
- Triton Inference Server, which the embedding and reranking NIMs 1.x run on, port 8002
  /metrics (https://docs.nvidia.com/nim/nemo-retriever/text-embedding/1.1.0/observability.html;
  triton-inference-server/core src/metrics.cc, Metrics::Metrics): nv_inference_pending_request_count
  is its queue; its latencies are cumulative counters and histograms are off by default, so it
  declares no p95.
- KServe's Python model servers (sklearn, xgboost, ...), /metrics on 8080:
  python/kserve/kserve/metrics.py (v0.20.0), the histogram request_predict_seconds.

Series are selected by the labels Prometheus Operator gives every target of a ServiceMonitor or
PodMonitor (pkg/prometheus/promcfg.go: namespace, pod, container, endpoint from the Kubernetes
service discovery meta labels): ``namespace`` and the predictor's pods, ``<isvc>-predictor-*``
(KServe's PredictorServiceName names the Deployment, so its pods carry that prefix).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelserve.derive.predictor import predictor_component
from modelserve.imageref import parse_image
from modelserve.model import Environment, Model, Runtime

# autoscaling.metric values that name a family gauge (class keda), not a KServe scaleMetric
SCALING_METRICS = ("requestsRunning", "queueDepth", "kvCacheUsage")


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str  # "histogram" | "gauge"


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    metrics: dict[str, Metric]  # SLO key -> metric
    scaling: dict[str, Metric]  # autoscaling.metric (class keda) -> gauge
    port: int | None = None  # where the family serves them, when the runtime cannot move it
    path: str | None = None


FAMILIES = {
    "nim-llm": Family(
        "nim-llm",
        "NVIDIA NIM for LLMs",
        {
            "timeToFirstTokenP95Seconds": Metric("time_to_first_token_seconds", "histogram"),
            "requestLatencyP95Seconds": Metric("e2e_request_latency_seconds", "histogram"),
            "queueDepth": Metric("num_requests_waiting", "gauge"),
            "kvCacheUsage": Metric("gpu_cache_usage_perc", "gauge"),
        },
        {
            "requestsRunning": Metric("num_requests_running", "gauge"),
            "queueDepth": Metric("num_requests_waiting", "gauge"),
            "kvCacheUsage": Metric("gpu_cache_usage_perc", "gauge"),
        },
    ),
    "vllm": Family(
        "vllm",
        "vLLM",
        {
            "timeToFirstTokenP95Seconds": Metric("vllm:time_to_first_token_seconds", "histogram"),
            "requestLatencyP95Seconds": Metric("vllm:e2e_request_latency_seconds", "histogram"),
            "queueDepth": Metric("vllm:num_requests_waiting", "gauge"),
            "kvCacheUsage": Metric("vllm:kv_cache_usage_perc", "gauge"),
        },
        {
            "requestsRunning": Metric("vllm:num_requests_running", "gauge"),
            "queueDepth": Metric("vllm:num_requests_waiting", "gauge"),
            "kvCacheUsage": Metric("vllm:kv_cache_usage_perc", "gauge"),
        },
    ),
    "triton": Family(
        "triton",
        "Triton Inference Server (NIM embedding and reranking)",
        {"queueDepth": Metric("nv_inference_pending_request_count", "gauge")},
        {"queueDepth": Metric("nv_inference_pending_request_count", "gauge")},
        port=8002,
        path="/metrics",
    ),
    "kserve": Family(
        "kserve",
        "KServe model server",
        {"requestLatencyP95Seconds": Metric("request_predict_seconds", "histogram")},
        {},
    ),
}


def family_of(model: Model, runtime: Runtime) -> Family:
    """The metric family of a model's server: what its image runs, as endpoints reads it."""
    return family_for(runtime.image, runtime.is_nim, str(model.data.get("task", "chat")))


def family_for(image: str, nim: bool, task: str) -> Family:
    """The family of an image (a NIM's by its task: the LLM NIMs' own metrics, else Triton's)."""
    repository = parse_image(image).repository
    if nim:
        return FAMILIES["nim-llm" if task == "chat" else "triton"]
    if repository.endswith(("kserve/huggingfaceserver", "vllm/vllm-openai")):
        return FAMILIES["vllm"]
    return FAMILIES["kserve"]


def label_value(text: str) -> str:
    """A PromQL string literal's content: backslashes and quotes escaped (names are DNS labels
    by their schemas already; this keeps a selector one selector whatever they hold)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def selector(env: Environment, model_name: str) -> str:
    """The label matchers of one model's series in ``env``: its namespace and predictor pods."""
    pods = re.escape(predictor_component(model_name)).replace("\\-", "-")
    return f'namespace="{label_value(env.namespace)}",pod=~"{label_value(pods)}-.*"'


def number(value: float) -> str:
    """A threshold as written: 4, 0.8, 1234567 (never 1.23457e+06)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def scrape_problem(env: Environment, runtime: Runtime, family: Family) -> tuple[str, str] | None:
    """("environment" | "runtime", why) when the family's metrics are not scraped in ``env``:
    nothing scrapes the runtime, or its monitor scrapes another port or path than the family
    serves them on."""
    if not monitored(env, runtime):
        return (
            "environment",
            "nothing scrapes it there (monitoring disabled or the runtime declares no metrics)",
        )
    if family.port is not None and (
        runtime.metrics_port != family.port or runtime.metrics_path != family.path
    ):
        return (
            "runtime",
            f"{family.title} serves it on port {family.port} {family.path}, but the monitor "
            f"scrapes {runtime.metrics_port} {runtime.metrics_path}",
        )
    return None


def monitored(env: Environment, runtime: Runtime) -> bool:
    """Something scrapes the runtime's metrics in ``env``."""
    return env.monitoring_enabled and runtime.metrics_port is not None


def scaling_query(env: Environment, model_name: str, metric: Metric) -> str:
    """What KEDA's Prometheus scaler asks: one series, the sum over the model's replicas. The
    scaler refuses a query returning several ("returned multiple elements", kedacore/keda
    pkg/scalers/prometheus_scaler.go, ExecutePromQuery), and KServe sets no metricType, so KEDA's
    default AverageValue divides the sum by the replicas: the target is per replica."""
    return f"sum({metric.name}{{{selector(env, model_name)}}})"
