"""validate-manifests on the real upstream samples, through the CLI (issue #3's acceptance test)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import SAMPLES, UPSTREAM

# ../shared/upstream is always there: tests/conftest.py stops the session when it is missing.
KSERVE = SAMPLES / "kserve"


def index_rows() -> dict[str, str]:
    """file -> schema-check column of samples/kserve/INDEX.md."""
    rows = {}
    for line in (KSERVE / "INDEX.md").read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 6 and cells[1].endswith(".yaml"):
            rows[cells[1]] = cells[5]
    return rows


def findings_for(run_cli, *paths: Path, extra: tuple[str, ...] = ()) -> tuple[int, list[dict]]:
    code, out, _ = run_cli("validate-manifests", "--format", "json", *extra, *paths)
    return code, json.loads(out)["findings"]


def test_index_lists_valid_and_invalid_samples() -> None:
    rows = index_rows()
    assert sum(1 for v in rows.values() if v.startswith("valid")) >= 38
    assert sorted(k for k, v in rows.items() if v.lower().startswith("invalid")) == [
        "docs-samples-rollout-strategy__rollout-strategy-example.yaml",
        "website-docs-model-serving-predictive-inference-autoscaling__keda-autoscaler.md.block08.yaml",
    ]


@pytest.mark.parametrize(
    "name",
    sorted(k for k, v in index_rows().items() if v.startswith("valid")) if KSERVE.is_dir() else [],
)
def test_samples_marked_valid_pass(run_cli, name: str) -> None:
    code, findings = findings_for(run_cli, KSERVE / name)
    errors = [f for f in findings if f["severity"] == "error"]
    assert code == 0 and errors == []


def test_rollout_strategy_sample_fails_at_transformer_custom(run_cli) -> None:
    code, findings = findings_for(
        run_cli, KSERVE / "docs-samples-rollout-strategy__rollout-strategy-example.yaml"
    )
    assert code == 1
    assert [f["path"] for f in findings if f["severity"] == "error"] == ["spec.transformer.custom"]
    assert findings[0]["line"] > 1


def test_keda_sample_fails_at_external_auth(run_cli) -> None:
    sample = (
        KSERVE
        / "website-docs-model-serving-predictive-inference-autoscaling__keda-autoscaler.md.block08"
        ".yaml"
    )
    code, findings = findings_for(run_cli, sample)
    assert code == 1
    paths = {f["path"] for f in findings if f["severity"] == "error"}
    assert "spec.predictor.autoScaling.metrics[0].external.metric.authModes" in paths
    assert any(
        p.startswith("spec.predictor.autoScaling.metrics[0].external.authenticationRef")
        for p in paths
    )


def test_kustomization_file_is_not_an_object(run_cli) -> None:
    code, findings = findings_for(run_cli, KSERVE / "config-runtimes__kustomization.yaml")
    assert code == 0 and findings == []


def test_whole_folder_reports_exactly_the_two_invalid_samples(run_cli) -> None:
    code, findings = findings_for(run_cli, KSERVE)
    assert code == 1
    failing = {Path(f["file"]).name for f in findings if f["severity"] == "error"}
    assert failing == {
        "docs-samples-rollout-strategy__rollout-strategy-example.yaml",
        "website-docs-model-serving-predictive-inference-autoscaling__keda-autoscaler.md.block08.yaml",
    }


@pytest.mark.parametrize(
    ("fragment", "rule", "line"),
    [
        (
            "learn-how-to-model-serving-create-inferenceservice.block01.yaml",
            "yaml-duplicate-key",
            22,
        ),
        ("learn-how-to-model-serving-configure-servingruntime.block01.yaml", "yaml-syntax", 11),
        (
            "1.3-ai-factory-model-configure-servingruntime.block01.yaml",
            "cluster-scoped-namespace",
            5,
        ),
        ("1.3-ai-factory-model-create-inferenceservice.block01.yaml", "schema", 14),
    ],
)
def test_broken_edb_manifests_fail_where_they_are_broken(
    run_cli, fragment: str, rule: str, line: int
) -> None:
    (path,) = [
        p for p in (UPSTREAM / "samples" / "edb").glob("*.yaml") if p.name.endswith(fragment)
    ]
    code, findings = findings_for(run_cli, path)
    assert code == 1
    assert any(f["rule"] == rule and f["line"] == line for f in findings), findings


def test_fields_outside_spec_are_named(run_cli) -> None:
    (path,) = (UPSTREAM / "samples" / "edb").glob(
        "*1.3-ai-factory-model-configure-servingruntime.block01.yaml"
    )
    _, findings = findings_for(run_cli, path)
    assert {"imagePullSecrets", "protocolVersions", "supportedModelFormats", "volumes"} <= {
        f["path"] for f in findings
    }


def test_policy_flags_latest_images_in_edb_docs(run_cli) -> None:
    paths = sorted((UPSTREAM / "samples" / "edb").glob("*rerank-runtime.yaml"))
    code, plain = findings_for(run_cli, *paths)
    assert not any(f["rule"] == "image-latest" for f in plain)
    code, findings = findings_for(run_cli, *paths, extra=("--policy",))
    latest = [f for f in findings if f["rule"] == "image-latest"]
    assert code == 1 and latest and all(":latest" in f["message"] for f in latest)


def test_invalid_runtime_name_in_nim_samples(run_cli) -> None:
    (path,) = (UPSTREAM / "samples" / "nim").glob("kserve-runtimes-llama-3.3-nemotron*.yaml")
    code, findings = findings_for(run_cli, path)
    assert code == 1 and [f["rule"] for f in findings] == ["name-dns"]


def test_empty_file_is_an_error_not_a_pass(run_cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing here\n")
    code, out, _ = run_cli("validate-manifests", empty)
    assert code == 1 and re.search(r"empty\.yaml:1:1: error file-empty", out)


def test_no_yaml_at_all_is_a_usage_error(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli("validate-manifests", tmp_path)
    assert code == 2 and "nothing to validate" in err
    code, _, err = run_cli("validate-manifests", tmp_path / "missing.yaml")
    assert code == 2 and "no such file" in err


def test_schema_store_from_imported_crds_takes_precedence(run_cli, tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, out, _ = run_cli(
        "schemas",
        "import",
        UPSTREAM / "crds" / "kserve" / "serving.kserve.io_inferenceservices.yaml",
        "--out",
        store,
    )
    assert code == 0 and (store / "inferenceservice_v1beta1.json").is_file()
    sample = KSERVE / "docs-samples-rollout-strategy__rollout-strategy-example.yaml"
    code, findings = findings_for(run_cli, sample, extra=("--schema-location", str(store)))
    assert code == 1 and any(f["path"] == "spec.transformer.custom" for f in findings)


def test_nameless_objects_are_refused_not_a_crash(run_cli, tmp_path: Path) -> None:
    """apimachinery ValidateObjectMetaAccessor: "name or generateName is required" (its unit test
    "missing name and generateName"); found by the long fuzz as exit 3 under --policy."""
    runtime = (KSERVE / "config-runtimes__kserve-autogluonserver.yaml").read_text()
    nameless = tmp_path / "runtime.yaml"
    nameless.write_text(runtime.replace("  name: kserve-autogluonserver\n", "", 1))
    assert "name: kserve-autogluonserver" not in nameless.read_text()
    isvc = tmp_path / "isvc.yaml"
    isvc.write_text(
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n"
        "  namespace: ml\nspec:\n  predictor:\n    model:\n      modelFormat: {name: autogluon}\n"
        "      runtime: kserve-autogluonserver\n      storageUri: s3://b/m\n"
    )
    code, findings = findings_for(run_cli, nameless, isvc, extra=("--policy",))
    missing = sorted(
        (Path(f["file"]).name, f["rule"]) for f in findings if "name is missing" in f["message"]
    )
    assert code == 1 and missing == [("isvc.yaml", "name-dns"), ("runtime.yaml", "name-dns")]
    code, findings = findings_for(
        run_cli, KSERVE / "config-runtimes__kserve-autogluonserver.yaml", extra=("--policy",)
    )
    assert not any("name is missing" in f["message"] for f in findings)
