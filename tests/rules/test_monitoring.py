"""monitor-target: a monitor selects its model's predictor Service, on a port it has."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from modelserve.findings import Severity
from modelserve.rules.examples import ENVIRONMENT, files_for
from modelserve.rules.monitor_target import TargetIndex, check_monitor
from tests.rules.rulekit import ENV_FILE, check_files, line_of, load

# ---------------------------------------------------------------------------------------------
# monitor-target


@pytest.fixture
def dev_objects(tmp_path: Path, write_repo: Any) -> list[dict[str, Any]]:
    """Every object rendered for the base example's dev environment."""
    _, ctx = load(write_repo(tmp_path, files_for({})))
    assert ctx.tree is not None
    return [copy.deepcopy(o.obj) for r in ctx.tree.env_roots("dev") for o in r.objects]


WANTED = {"release": "kube-prometheus-stack"}


def _monitor(objects: list[dict[str, Any]]) -> dict[str, Any]:
    [monitor] = [o for o in objects if o["kind"] == "ServiceMonitor"]
    return monitor


def test_rendered_monitor_targets_its_model(dev_objects: list[dict[str, Any]]) -> None:
    assert list(check_monitor(_monitor(dev_objects), TargetIndex(dev_objects), WANTED)) == []


def test_monitor_selecting_nothing(dev_objects: list[dict[str, Any]]) -> None:
    monitor = _monitor(dev_objects)
    monitor["spec"]["selector"]["matchLabels"]["serving.kserve.io/inferenceservice"] = "lama"
    problems = list(check_monitor(monitor, TargetIndex(dev_objects), WANTED))
    assert problems == [
        (
            ("spec", "selector"),
            "ServiceMonitor selects no InferenceService predictor in namespace 'models'",
        )
    ]


def test_monitor_in_another_namespace_selects_nothing(dev_objects: list[dict[str, Any]]) -> None:
    monitor = _monitor(dev_objects)
    monitor["metadata"]["namespace"] = "monitoring"
    [(pointer, _)] = check_monitor(monitor, TargetIndex(dev_objects), WANTED)
    assert pointer == ("spec", "selector")


def test_monitor_with_a_port_the_service_lacks(dev_objects: list[dict[str, Any]]) -> None:
    monitor = _monitor(dev_objects)
    monitor["spec"]["endpoints"][0]["port"] = "metrics"
    [(pointer, message)] = check_monitor(monitor, TargetIndex(dev_objects), WANTED)
    assert pointer == ("spec", "endpoints", 0, "port")
    assert "port 'metrics' does not exist" in message and "(http)" in message


def test_monitor_missing_prometheus_labels(dev_objects: list[dict[str, Any]]) -> None:
    monitor = _monitor(dev_objects)
    del monitor["metadata"]["labels"]["release"]
    [(pointer, message)] = check_monitor(monitor, TargetIndex(dev_objects), WANTED)
    assert pointer == ("metadata", "labels") and "release: kube-prometheus-stack" in message


def test_pod_monitor_uses_the_pod_ports(dev_objects: list[dict[str, Any]]) -> None:
    monitor = _monitor(dev_objects)
    monitor["kind"] = "PodMonitor"
    monitor["spec"]["podMetricsEndpoints"] = monitor["spec"].pop("endpoints")
    assert list(check_monitor(monitor, TargetIndex(dev_objects), WANTED)) == []
    monitor["spec"]["podMetricsEndpoints"][0]["port"] = "nope"
    [(pointer, _)] = check_monitor(monitor, TargetIndex(dev_objects), WANTED)
    assert pointer == ("spec", "podMetricsEndpoints", 0, "port")


def test_monitor_target_without_monitoring_labels_warns_at_the_environment(
    tmp_path: Path, write_repo: Any
) -> None:
    env = ENVIRONMENT.replace("  labels: {release: kube-prometheus-stack}\n", "  labels: {}\n")
    [finding] = check_files(write_repo, tmp_path, {ENV_FILE: env}, "monitor-target")
    assert finding.severity is Severity.WARNING
    assert (finding.file, finding.line) == (ENV_FILE, line_of(env, "monitoring:"))
