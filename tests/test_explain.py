"""`modelserve explain ENV MODEL`: every value of a model's effective objects has an origin (a
file line, a named modelserve default, or the KServe function that set it), for every model of
every example environment; spot checks against the example's own lines; the CLI's errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from modelserve.deploy.tree import build_tree
from modelserve.explain import MODELSERVE_DEFAULTS, explain
from modelserve.findings import format_path
from modelserve.load.repository import Repository, load_repository
from tests.helpers import PROJECT, copy_example, run_cli

NAMED = {why for _, why in MODELSERVE_DEFAULTS}


@pytest.fixture(scope="module")
def example():
    catalog = load_repository(Repository(PROJECT)).catalog
    return catalog, build_tree(catalog)


def _line_of(rel: str, pattern: str, after: str = "") -> int:
    """The first line of the example file ``rel`` matching ``pattern`` (after one matching
    ``after``)."""
    lines = (PROJECT / rel).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.search(after, line)) if after else 0
    return next(i + 1 for i in range(start, len(lines)) if re.search(pattern, lines[i]))


def test_every_value_of_every_example_object_has_an_origin(example) -> None:
    catalog, tree = example
    kinds: set[str] = set()
    count = 0
    for env in catalog.environments.values():
        for entry in env.entries:
            explained = explain(catalog, tree, env.name, entry.model)
            kinds |= {item.obj["kind"] for item in explained}
            for item in explained:
                for pointer, _value, origin in item.fields:
                    count += 1
                    where = f"{env.name}/{entry.model} {item.label} {format_path(list(pointer))}"
                    if origin.kind == "file":
                        lines = (PROJECT / origin.file).read_text().count("\n") + 1
                        assert 1 <= origin.line <= lines, where
                    elif origin.kind == "modelserve":
                        assert origin.detail in NAMED, f"{where}: no named default: {origin}"
                    else:
                        assert origin.kind == "kserve" and origin.version == str(env.kserve)
                        assert origin.detail.endswith(".go)"), where
    assert count > 3000
    assert kinds >= {
        "InferenceService",
        "ServiceMonitor",
        "ClusterServingRuntime",
        "Deployment",
        "Service",
        "PersistentVolumeClaim",
    }


def _field(explained, kind: str, path: str):
    item = next(i for i in explained if i.obj["kind"] == kind)
    return next((v, o) for p, v, o in item.fields if format_path(list(p)) == path)


def test_values_point_at_the_lines_that_hold_them(example) -> None:
    catalog, tree = example
    dev = explain(catalog, tree, "dev", "sklearn-iris")
    model = "catalog/models/sklearn-iris.yaml"
    value, origin = _field(dev, "InferenceService", "spec.predictor.model.storageUri")
    assert (origin.file, origin.line) == (model, _line_of(model, r"^storageUri:"))
    assert value.startswith("gs://")
    _, origin = _field(dev, "InferenceService", "metadata.namespace")
    assert (origin.file, origin.line) == (
        "environments/dev.yaml",
        _line_of("environments/dev.yaml", r"^namespace:"),
    )
    # KServe's own defaults name the release and the function
    value, origin = _field(dev, "Deployment", "spec.revisionHistoryLimit")
    assert value == 10 and origin.kind == "kserve" and origin.version == "0.20.0"
    assert "setDefaultDeploymentSpec" in origin.detail
    # a value KServe computes from a field: the Service's name from the model's name
    value, origin = _field(dev, "Service", "metadata.name")
    assert value == "sklearn-iris-predictor" and origin.kind == "kserve"
    assert (origin.file, origin.line) == (model, _line_of(model, r"^name: sklearn-iris"))

    prod = explain(catalog, tree, "prod", "llama-3-1-8b-instruct")
    runtime = "catalog/runtimes/nvidia-nim-llama-3.1-8b-instruct-1.3.3.yaml"
    # the mirror image of the air-gapped environment, through KServe's container merge
    value, origin = _field(prod, "Deployment", "spec.template.spec.containers[0].image")
    assert value.startswith("harbor.prod.example.com/")
    assert origin.file == "environments/prod.yaml"
    assert origin.line == _line_of(origin.file, r"nvidia-nim-llama-3.1-8b-instruct-1.3.3:")
    _, origin = _field(
        prod, "Deployment", "spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef.key"
    )
    assert (origin.file, origin.line) == (runtime, _line_of(runtime, r"key: NGC_API_KEY"))


def test_explain_text_and_json_through_the_cli() -> None:
    code, out, _ = run_cli("explain", "dev", "sklearn-iris", "--root", str(PROJECT))
    assert code == 0
    assert re.search(
        r"^  catalog/models/sklearn-iris\.yaml:\d+ +spec\.predictor\.model\.storageUri: gs://",
        out,
        re.M,
    ), out
    assert re.search(r"^  KServe 0\.20\.0 +spec\.revisionHistoryLimit: 10$", out, re.M)
    assert re.search(r"^  modelserve default +kind: InferenceService  \(", out, re.M)
    code, out, _ = run_cli("explain", "dev", "sklearn-iris", "--format", "json", "--root", PROJECT)
    doc = json.loads(out)
    assert code == 0 and doc["environment"] == "dev" and doc["model"] == "sklearn-iris"
    deployment = next(o for o in doc["objects"] if o["object"].startswith("Deployment "))
    assert "deployment_reconciler.go" in deployment["derivedBy"]
    origins = {f["path"]: f["origin"] for o in doc["objects"] for f in o["fields"]}
    assert origins["metadata.namespace"]["file"] == "environments/dev.yaml"


def test_unknown_names_are_usage_errors_with_a_suggestion(tmp_path: Path) -> None:
    code, _, err = run_cli("explain", "dve", "sklearn-iris", "--root", str(PROJECT))
    assert code == 2 and "no environment 'dve'" in err and "did you mean 'dev'?" in err
    code, _, err = run_cli("explain", "dev", "sklearn-irs", "--root", str(PROJECT))
    assert code == 2 and "deploys no model 'sklearn-irs'" in err and "'sklearn-iris'" in err
    repo = copy_example(tmp_path / "repo")
    (repo / "environments/dev.yaml").write_text("name: dev\nnamespace: [\n")
    code, _, err = run_cli("explain", "dev", "sklearn-iris", "--root", str(repo))
    assert code == 2 and "environment 'dev' did not load: environments/dev.yaml:" in err
