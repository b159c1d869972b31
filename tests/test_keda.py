"""LLM autoscaling with KEDA: `autoscaling: {class: keda, metric: <family metric>, target: N}`
renders the External prometheus metric KServe's own LLM autoscaling sample uses, KServe derives
a ScaledObject from it, and rule keda-metric refuses each way it would scale on nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import SAMPLES, copy_example, run_cli

QWEN = "catalog/models/qwen2-5-7b-instruct.yaml"
ADDRESS = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090"
KSERVE_SAMPLE = (
    SAMPLES / "kserve" / "website-docs-model-serving-generative-inference-autoscaling__"
    "autoscaling.md.block02.yaml"
)


def scaled_repo(
    tmp_path: Path,
    autoscaling: str = "{class: keda, metric: requestsRunning, target: 4}",
    replicas: str = "{min: 1, max: 2}",
    address: bool = True,
) -> Path:
    root = copy_example(tmp_path)
    model = root / QWEN
    model.write_text(model.read_text() + f"autoscaling: {autoscaling}\n")
    env = root / "environments" / "dev.yaml"
    text = env.read_text().replace(
        "  - model: qwen2-5-7b-instruct\n    profile: l4\n",
        f"  - model: qwen2-5-7b-instruct\n    profile: l4\n    replicas: {replicas}\n",
    )
    if address:
        text = text.replace(
            "    release: kube-prometheus-stack\n",
            f"    release: kube-prometheus-stack\n  prometheusAddress: {ADDRESS}\n",
            1,
        )
    env.write_text(text)
    return root


def isvc(root: Path) -> dict[str, Any]:
    (path,) = (root / "deploy" / "overlays" / "dev").rglob("qwen2-5-7b-instruct.yaml")
    return next(d for d in yaml.safe_load_all(path.read_text()) if d["kind"] == "InferenceService")


def findings(root: Path, rule: str) -> list[dict[str, Any]]:
    code, out, _ = run_cli("validate", "--root", root, "--format", "json")
    return [f for f in json.loads(out)["findings"] if f["rule"] == rule]


def shape(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: shape(v) for k, v in node.items()}
    if isinstance(node, list):
        return [shape(v) for v in node]
    return type(node).__name__


def test_keda_renders_kserve_s_llm_autoscaling_and_its_scaled_object(tmp_path: Path) -> None:
    root = scaled_repo(tmp_path)
    code, out, err = run_cli("generate", "--root", root)
    assert code == 0, out + err
    obj = isvc(root)
    predictor = obj["spec"]["predictor"]
    assert obj["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "keda"
    assert "scaleMetric" not in predictor and "scaleTarget" not in predictor
    (metric,) = predictor["autoScaling"]["metrics"]
    pods = 'namespace="models-dev",pod=~"qwen2-5-7b-instruct-predictor-.*"'
    query = f"sum(vllm:num_requests_running{{{pods}}})"
    assert metric["external"] == {
        "metric": {"backend": "prometheus", "serverAddress": ADDRESS, "query": query},
        "target": {"type": "Value", "value": "4"},
    }
    # the same structure as KServe's own sample (which queries one pod's series bare)
    sample = yaml.safe_load(KSERVE_SAMPLE.read_text())
    (upstream,) = sample["spec"]["predictor"]["autoScaling"]["metrics"]
    assert shape(upstream) == shape(metric)
    assert upstream["external"]["metric"]["query"] == "vllm:num_requests_running"
    # KServe's reconciler derives a ScaledObject whose prometheus trigger carries them
    code, out, err = run_cli(
        "explain", "dev", "qwen2-5-7b-instruct", "--root", root, "--format", "json"
    )
    assert code == 0, err
    scaled = next(o for o in json.loads(out)["objects"] if o["object"].startswith("ScaledObject "))
    fields = {f["path"]: f["value"] for f in scaled["fields"]}
    assert {k: v for k, v in fields.items() if k.startswith("spec.triggers")} == {
        "spec.triggers[0].type": "prometheus",
        "spec.triggers[0].metadata.serverAddress": ADDRESS,
        "spec.triggers[0].metadata.query": query,
        "spec.triggers[0].metadata.threshold": "4",
    }
    assert (fields["spec.minReplicaCount"], fields["spec.maxReplicaCount"]) == (1, 2)
    assert findings(root, "keda-metric") == [] and findings(root, "keda-triggers") == []


def test_a_ratio_target_is_written_as_written(tmp_path: Path) -> None:
    root = scaled_repo(tmp_path, "{class: keda, metric: kvCacheUsage, target: 0.8}")
    assert run_cli("generate", "--root", root)[0] == 0
    (metric,) = isvc(root)["spec"]["predictor"]["autoScaling"]["metrics"]
    assert metric["external"]["target"]["value"] == "0.8"
    assert "vllm:kv_cache_usage_perc" in metric["external"]["metric"]["query"]


@pytest.mark.parametrize(
    ("kwargs", "file", "message"),
    [
        ({"address": False}, "environments/dev.yaml", "names no Prometheus"),
        ({"replicas": "{min: 0, max: 2}"}, "environments/dev.yaml", "replicas.min 0"),
        ({"replicas": "{min: 1, max: 4}"}, "environments/dev.yaml", "would stay Pending"),
        ({"replicas": "{min: 2, max: 2}"}, "environments/dev.yaml", "nothing to scale"),
        ({"autoscaling": "{class: keda, metric: queueDepth}"}, QWEN, "gives no target"),
    ],
)
def test_keda_that_would_misfire_is_refused(
    tmp_path: Path, kwargs: dict[str, Any], file: str, message: str
) -> None:
    found = findings(scaled_repo(tmp_path, **kwargs), "keda-metric")
    assert [f["file"] for f in found if message in f["message"]] == [file], found
    assert all(f["line"] > 0 and f["severity"] == "error" for f in found)


def test_a_metric_the_family_lacks_is_refused(tmp_path: Path) -> None:
    root = scaled_repo(tmp_path)
    iris = root / "catalog/models/sklearn-iris.yaml"
    iris.write_text(
        iris.read_text()
        .replace("class: hpa", "class: keda")
        .replace("metric: cpu", "metric: queueDepth")
    )
    found = [f for f in findings(root, "keda-metric") if "sklearn-iris" in f["message"]]
    assert found and found[0]["file"] == "catalog/models/sklearn-iris.yaml"
    assert "does not expose" in found[0]["message"] and "(it has: none)" in found[0]["message"]


def test_nothing_scraped_is_refused(tmp_path: Path) -> None:
    root = scaled_repo(tmp_path)
    env = root / "environments" / "dev.yaml"
    env.write_text(env.read_text().replace("monitoring:\n", "monitoring:\n  enabled: false\n", 1))
    found = findings(root, "keda-metric")
    assert any("nothing scrapes it" in f["message"] for f in found), found


def test_a_fractional_hpa_target_is_refused_not_truncated(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    iris = root / "catalog/models/sklearn-iris.yaml"
    iris.write_text(iris.read_text().replace("target: 70", "target: 70.5"))
    code, out, _ = run_cli("validate", "--root", root, "--format", "json")
    errors = [f for f in json.loads(out)["findings"] if f["severity"] == "error"]
    assert (
        code == 1
        and errors
        and all(f["file"] == "catalog/models/sklearn-iris.yaml" for f in errors)
    )


def test_knative_mode_is_refused(tmp_path: Path) -> None:
    root = scaled_repo(tmp_path)
    env = root / "environments" / "dev.yaml"
    env.write_text(
        env.read_text().replace(
            "namespace: models-dev\n", "namespace: models-dev\ndeploymentMode: Knative\n"
        )
    )
    found = [f for f in findings(root, "keda-metric") if "Knative mode" in f["message"]]
    assert found and found[0]["file"] == "environments/dev.yaml"
