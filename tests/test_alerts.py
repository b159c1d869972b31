"""Alerts and dashboards: the example's PrometheusRule and Grafana dashboard, checked by
Prometheus' own promtool (`check rules` parses every expression; `test rules` fires each alert on
synthetic series and keeps it silent on healthy ones), and every metric they use is one the
runtime family declares."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelserve.alerts import SLOS
from modelserve.metrics import FAMILIES
from tests.helpers import PROJECT, copy_example, run_cli

SHARED_ROOT = PROJECT / "deploy" / "shared" / "onprem-prod-1"
KNOWN = {"up", "kube_deployment_status_replicas_available"}


def promtool() -> str:
    found = shutil.which("promtool") or str(PROJECT / ".venv/promtool/usr/bin/promtool")
    if not os.access(found, os.X_OK):
        pytest.skip(
            "promtool is not installed: `make test` fetches it from Debian's prometheus package "
            "(tools/install_promtool.sh), which failed or was not run here"
        )
    return found


def rule_groups() -> list[dict[str, Any]]:
    doc = yaml.safe_load((SHARED_ROOT / "alerts-prod.yaml").read_text())
    assert doc["kind"] == "PrometheusRule" and doc["metadata"]["namespace"] == "models-prod"
    assert doc["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    return doc["spec"]["groups"]


def alerts() -> list[dict[str, Any]]:
    return [rule for group in rule_groups() for rule in group["rules"]]


def run_promtool(*args: str, cwd: Path) -> str:
    proc = subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_promtool_checks_the_rules(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rule_groups()}))
    out = run_promtool("check", "rules", "rules.yaml", cwd=tmp_path)
    assert f"SUCCESS: {len(alerts())} rules found" in out


def test_every_model_of_prod_has_its_alerts() -> None:
    env = yaml.safe_load((PROJECT / "environments" / "prod.yaml").read_text())
    names = {(a["labels"]["model"], a["alert"]) for a in alerts()}
    for entry in env["models"]:
        assert (entry["model"], "ModelPredictorNotReady") in names
    slo = yaml.safe_load((PROJECT / "catalog/models/llama-3-1-8b-instruct.yaml").read_text())["slo"]
    for key in slo:
        assert ("llama-3-1-8b-instruct", SLOS[key][0]) in names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (identifiers before a label matcher)."""
    return {m for m in re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", expr)} - {"by"}


def declared() -> set[str]:
    names = set(KNOWN)
    for family in FAMILIES.values():
        for metric in family.metrics.values():
            names.add(metric.name + ("_bucket" if metric.kind == "histogram" else ""))
    return names


def test_every_metric_used_is_declared_by_a_family() -> None:
    used = {m for a in alerts() for m in metric_names(a["expr"])}
    for panel in dashboard()["panels"]:
        for target in panel.get("targets", []):
            used |= metric_names(target["expr"])
    assert used and used <= declared(), used - declared()
    # the vLLM metric is the renamed one, and NIM keeps its own name
    assert "vllm:gpu_cache_usage_perc" not in declared()
    assert "gpu_cache_usage_perc" in declared()


def firing_series(alert: dict[str, Any], fire: bool) -> list[dict[str, str]]:
    """Series under which ``alert`` must fire (or stay silent), built from the metric its
    expression selects; promtool evaluates the real expression on them."""
    name, model = alert["alert"], alert["labels"]["model"]
    pod = f'namespace="models-prod",pod="{model}-predictor-7d9c-abcde"'
    if name == "ModelPredictorNotReady":
        metric = "kube_deployment_status_replicas_available"
        series = f'{metric}{{namespace="models-prod",deployment="{model}-predictor"}}'
        return [{"series": series, "values": "0x40" if fire else "1x40"}]
    if name == "ModelScrapeTargetMissing":
        return [{"series": f"up{{{pod}}}", "values": "0x40" if fire else "1x40"}]
    threshold = float(alert["expr"].rsplit(">", 1)[1])
    (metric,) = metric_names(alert["expr"])
    if metric.endswith("_bucket"):
        low, high = threshold / 10, threshold * 10
        return [
            {"series": f'{metric}{{{pod},le="{low:g}"}}', "values": "0x40" if fire else "0+60x40"},
            {"series": f'{metric}{{{pod},le="{high:g}"}}', "values": "0+60x40"},
            {"series": f'{metric}{{{pod},le="+Inf"}}', "values": "0+60x40"},
        ]
    value = (
        (threshold + (1 - threshold) / 2 if threshold < 1 else threshold * 2)
        if fire
        else threshold / 2
    )
    return [{"series": f"{metric}{{{pod}}}", "values": f"{value:g}x40"}]


def test_promtool_fires_each_alert_and_keeps_healthy_ones_silent(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rule_groups()}))
    tests = []
    # every other model healthy, so only the alert under test may fire
    healthy = {s["series"]: s for a in alerts() for s in firing_series(a, False)}
    for alert in alerts():
        for fire in (True, False):
            expected = []
            if fire:
                expected = [
                    {"exp_labels": alert["labels"], "exp_annotations": alert["annotations"]}
                ]
            tests.append(
                {
                    "interval": "1m",
                    "input_series": list(
                        {**healthy, **{s["series"]: s for s in firing_series(alert, fire)}}.values()
                    ),
                    "alert_rule_test": [
                        {"eval_time": "35m", "alertname": alert["alert"], "exp_alerts": expected}
                    ],
                }
            )
    (tmp_path / "test.yaml").write_text(
        yaml.safe_dump({"rule_files": ["rules.yaml"], "tests": tests})
    )
    out = run_promtool("test", "rules", "test.yaml", cwd=tmp_path)
    assert "SUCCESS" in out and len(tests) == 2 * len(alerts()) >= 10


def dashboard() -> dict[str, Any]:
    doc = yaml.safe_load((SHARED_ROOT / "dashboard-prod.yaml").read_text())
    assert doc["kind"] == "ConfigMap" and doc["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert doc["metadata"]["annotations"] == {"grafana_folder": "Models"}
    return json.loads(doc["data"]["modelserve-prod.json"])


def test_the_dashboard_has_a_row_per_model_and_parsing_queries(tmp_path: Path) -> None:
    board = dashboard()
    env = yaml.safe_load((PROJECT / "environments" / "prod.yaml").read_text())
    rows = [p["title"] for p in board["panels"] if p["type"] == "row"]
    assert rows == sorted({e["model"] for e in env["models"]})
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    rules = [{"record": f"modelserve:panel:{i}", "expr": e} for i, e in enumerate(exprs)]
    (tmp_path / "panels.yaml").write_text(
        yaml.safe_dump({"groups": [{"name": "p", "rules": rules}]})
    )
    assert f"SUCCESS: {len(rules)} rules found" in run_promtool(
        "check", "rules", "panels.yaml", cwd=tmp_path
    )
    ttft = next(p for p in board["panels"] if p["title"] == "time to first token p95")
    assert ttft["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] == 2


def test_dashboard_labels_and_folder_are_configurable(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    env = root / "environments" / "prod.yaml"
    env.write_text(
        env.read_text()
        .replace(
            "  dashboard:\n    folder: Models\n",
            "  dashboard:\n    folder: AI\n    folderAnnotation: k8s-sidecar-target-directory\n"
            "    labels: {grafana: dashboards}\n  alerts:\n    labels: {role: alert-rules}\n",
        )
        .replace("  alerts: {}\n", "")
    )
    code, out, err = run_cli("generate", "--root", root)
    assert code == 0, out + err
    doc = yaml.safe_load((root / "deploy/shared/onprem-prod-1/dashboard-prod.yaml").read_text())
    assert doc["metadata"]["annotations"] == {"k8s-sidecar-target-directory": "AI"}
    assert doc["metadata"]["labels"]["grafana"] == "dashboards"
    assert "grafana_dashboard" not in doc["metadata"]["labels"]
    rule = yaml.safe_load((root / "deploy/shared/onprem-prod-1/alerts-prod.yaml").read_text())
    assert rule["metadata"]["labels"]["role"] == "alert-rules"


def test_an_slo_nothing_scrapes_is_refused(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    env = root / "environments" / "prod.yaml"
    env.write_text(env.read_text().replace("  alerts: {}\n", "  enabled: false\n  alerts: {}\n"))
    code, out, _ = run_cli("validate", "--root", root, "--format", "json")
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "slo-metric"]
    assert code == 1 and found and all(f["file"] == "environments/prod.yaml" for f in found)
    assert "could never fire" in found[0]["message"]


def test_scale_to_zero_models_have_no_not_ready_alert_and_uids_stay_unique() -> None:
    from modelserve.alerts import _uid, model_alerts
    from modelserve.load.repository import Repository, load_repository

    catalog = load_repository(Repository(PROJECT)).catalog
    env, model = catalog.environments["prod"], catalog.models["llama-3-1-8b-instruct"]
    runtime = catalog.runtimes[model.runtime]
    names = [a["alert"] for a in model_alerts(env, model, runtime)]
    assert names[:2] == ["ModelPredictorNotReady", "ModelScrapeTargetMissing"]
    # no replica is normal for a model that may scale to zero: neither alert would mean anything
    assert "ModelPredictorNotReady" not in [
        a["alert"] for a in model_alerts(env, model, runtime, scales_to_zero=True)
    ]
    long_a, long_b = "x" * 40 + "-a", "x" * 40 + "-b"
    assert len(_uid(long_a)) <= 40 and _uid(long_a) != _uid(long_b)
    assert _uid("prod") == "modelserve-prod"
