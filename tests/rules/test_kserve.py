"""The KServe release of an environment: rendering that follows it, and the admission rules
(kserve-autoscaling, kserve-deployment-mode, runtime-collision) on catalogs and manifests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelserve.deploy.tree import build_tree
from modelserve.load.repository import Repository, load_repository
from modelserve.platform.kserve import KServe
from modelserve.rules.examples import ENVIRONMENT, MODEL, RUNTIME, files_for
from tests.helpers import run_cli
from tests.rules.rulekit import ENV_FILE, MODEL_FILE, RUNTIME_FILE, check_files, line_of

MODE = "serving.kserve.io/deploymentMode"
CLASS = "serving.kserve.io/autoscalerClass"


def _isvc(write_repo: Any, root: Path, overrides: dict[str, str]) -> dict[str, Any]:
    loaded = load_repository(Repository(write_repo(root, files_for(overrides))))
    assert loaded.findings == []
    tree = build_tree(loaded.catalog)
    [isvc] = [o.obj for r in tree.roots for o in r.objects if o.obj["kind"] == "InferenceService"]
    return isvc


def _release(version: str) -> str:
    return ENVIRONMENT.replace('platform: {kserve: "0.20"}', f'platform: {{kserve: "{version}"}}')


# ---------------------------------------------------------------------------------------------
# platform.kserve


def test_an_environment_must_state_its_kserve_release(tmp_path: Path, write_repo: Any) -> None:
    env = ENVIRONMENT.replace('platform: {kserve: "0.20"}\n', "")
    loaded = load_repository(Repository(write_repo(tmp_path, files_for({ENV_FILE: env}))))
    [finding] = loaded.findings
    assert finding.rule == "schema" and "platform" in finding.message


@pytest.mark.parametrize("version", ["0.14", "0.21", "1.0", "0.20.x", "v0.20"])
def test_unsupported_releases_are_refused_by_the_schema(
    version: str, tmp_path: Path, write_repo: Any
) -> None:
    env = _release(version)
    loaded = load_repository(Repository(write_repo(tmp_path, files_for({ENV_FILE: env}))))
    assert [f.rule for f in loaded.findings] == ["schema"]
    assert loaded.findings[0].line == line_of(env, "platform:")


@pytest.mark.parametrize(
    "version, mode, annotation",
    [
        ("0.15", "Standard", "RawDeployment"),
        ("0.15.2", "Knative", "Serverless"),
        ("0.16", "Standard", "Standard"),
        ("0.20", "Knative", "Knative"),
    ],
)
def test_the_deployment_mode_is_spelled_as_the_release_knows_it(
    version: str, mode: str, annotation: str, tmp_path: Path, write_repo: Any
) -> None:
    env = _release(version).replace("models:\n", f"deploymentMode: {mode}\nmodels:\n", 1)
    isvc = _isvc(write_repo, tmp_path, {ENV_FILE: env})
    assert isvc["metadata"]["annotations"][MODE] == annotation


@pytest.mark.parametrize("version, none", [("0.15.0", False), ("0.15.1", True), ("0.20", True)])
def test_class_none_only_where_the_release_accepts_it(
    version: str, none: bool, tmp_path: Path, write_repo: Any
) -> None:
    # A fixed size (min = max = 1) needs no HPA: class none from KServe 0.15.1 (constants.go).
    isvc = _isvc(write_repo, tmp_path, {ENV_FILE: _release(version)})
    assert (isvc["metadata"]["annotations"].get(CLASS) == "none") is none


def test_supported_releases_parse_and_order() -> None:
    assert KServe.parse("0.20") == KServe((0, 20, 0)) > KServe.parse("0.15.1")
    assert str(KServe.parse("0.16")) == "0.16.0"
    assert "none" not in KServe.parse("0.15").autoscaler_classes
    assert KServe.parse("0.15").deployment_modes == {"Serverless", "RawDeployment", "ModelMesh"}
    with pytest.raises(ValueError, match="not a supported release"):
        KServe.parse("0.21")


# ---------------------------------------------------------------------------------------------
# kserve-autoscaling


def test_keda_with_a_scale_metric_is_refused_at_the_metric(tmp_path: Path, write_repo: Any) -> None:
    model = MODEL + "autoscaling: {class: keda, metric: cpu}\nreplicas: {min: 1, max: 3}\n"
    [finding] = check_files(write_repo, tmp_path, {MODEL_FILE: model}, "kserve-autoscaling")
    assert (finding.file, finding.line) == (MODEL_FILE, line_of(model, "autoscaling:"))
    assert finding.message.endswith("ScaleMetric is not supported for KEDA")
    assert finding.path == "spec.predictor.scaleMetric"


@pytest.mark.parametrize("metric", ["cpu", "memory"])
def test_an_hpa_target_above_100_is_refused_for_every_metric(
    metric: str, tmp_path: Path, write_repo: Any
) -> None:
    # inference_service_validation.go: `metric == MetricCPU && target < 1 || target > 100`.
    model = MODEL + f"autoscaling: {{class: hpa, metric: {metric}, target: 150}}\n"
    model += "replicas: {min: 1, max: 3}\n"
    [finding] = check_files(write_repo, tmp_path, {MODEL_FILE: model}, "kserve-autoscaling")
    assert "the target utilization percentage should be a [1-100] integer" in finding.message
    assert "KServe 0.20.0" in finding.message


def test_class_none_is_refused_by_kserve_0_15_0(tmp_path: Path, write_repo: Any) -> None:
    model = MODEL + "autoscaling: {class: none}\n"
    env = _release("0.15")
    [finding] = check_files(
        write_repo, tmp_path, {MODEL_FILE: model, ENV_FILE: env}, "kserve-autoscaling"
    )
    assert "[none] is not a supported autoscaler class type" in finding.message
    assert (finding.file, finding.line) == (MODEL_FILE, line_of(model, "autoscaling:"))


def test_a_valid_hpa_passes(tmp_path: Path, write_repo: Any) -> None:
    model = MODEL + "autoscaling: {class: hpa, metric: memory, target: 80}\n"
    assert check_files(write_repo, tmp_path, {MODEL_FILE: model}, "kserve-autoscaling") == []


# ---------------------------------------------------------------------------------------------
# runtime-collision


def _with_format(fmt: str) -> str:
    return RUNTIME.replace('    version: "1.3.3"\n', '    version: "1.3.3"\n' + fmt, 1)


def test_a_runtime_that_auto_selects_a_builtin_format_is_refused(
    tmp_path: Path, write_repo: Any
) -> None:
    runtime = _with_format('  - {name: huggingface, version: "1", autoSelect: true, priority: 1}\n')
    runtime = runtime.replace("protocolVersions: [v2, grpc-v2]", "protocolVersions: [v2]")
    [finding] = check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "runtime-collision")
    assert finding.file == RUNTIME_FILE
    assert "kserve-huggingfaceserver" in finding.message
    assert "config/runtimes/kserve-huggingfaceserver.yaml" in finding.message


@pytest.mark.parametrize(
    "fmt",
    [
        '  - {name: huggingface, version: "1", autoSelect: false, priority: 1}\n',  # not auto
        '  - {name: huggingface, version: "1", priority: 1}\n',  # autoSelect defaults to off
        '  - {name: huggingface, version: "1", autoSelect: true, priority: 3}\n',  # other priority
        '  - {name: huggingface, version: "2", autoSelect: true, priority: 1}\n',  # other version
    ],
)
def test_runtimes_that_cannot_collide_pass(fmt: str, tmp_path: Path, write_repo: Any) -> None:
    runtime = _with_format(fmt).replace("protocolVersions: [v2, grpc-v2]", "protocolVersions: [v2]")
    assert check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "runtime-collision") == []


def test_two_catalog_runtimes_serving_one_format_collide(tmp_path: Path, write_repo: Any) -> None:
    auto = RUNTIME.replace(
        '    version: "1.3.3"\n', '    version: "1.3.3"\n    autoSelect: true\n    priority: 2\n', 1
    )
    second = auto.replace("name: vllm-runtime", "name: vllm-runtime-b", 1)
    model_b = MODEL.replace("name: llama", "name: llama-b").replace(
        "runtime: vllm-runtime", "runtime: vllm-runtime-b"
    )
    env = ENVIRONMENT + "  - model: llama-b\n    profile: h100\n"
    found = check_files(
        write_repo,
        tmp_path,
        {
            RUNTIME_FILE: auto,
            "catalog/runtimes/vllm-runtime-b.yaml": second,
            "catalog/models/llama-b.yaml": model_b,
            ENV_FILE: env,
        },
        "runtime-collision",
    )
    assert found and all("same priority assigned" in f.message for f in found)


# ---------------------------------------------------------------------------------------------
# kserve-deployment-mode, on hand-written manifests


@pytest.mark.parametrize(
    "version, mode, severity",
    [("0.15", "Standard", "error"), ("0.20", "RawDeployment", "warning"), ("0.20", "Raw", "error")],
)
def test_deployment_modes_the_release_does_not_know(
    version: str, mode: str, severity: str, tmp_path: Path
) -> None:
    isvc = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "iris", "annotations": {MODE: mode}},
        "spec": {
            "predictor": {
                "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://bucket/iris"}
            }
        },
    }
    path = tmp_path / "isvc.yaml"
    path.write_text(yaml.safe_dump(isvc))
    _, out, _ = run_cli(
        "validate-manifests", "--policy", "--format", "json", "--kserve-version", version, path
    )
    [finding] = [f for f in json.loads(out)["findings"] if f["rule"] == "kserve-deployment-mode"]
    assert finding["severity"] == severity and mode in finding["message"]


def test_the_example_catalog_names_its_release() -> None:
    repo = Path(__file__).resolve().parents[2]
    catalog = load_repository(Repository(repo)).catalog
    assert {str(env.kserve) for env in catalog.environments.values()} == {"0.20.0"}


# ---------------------------------------------------------------------------------------------
# runtime-image-variant


def _gpu_pair(runtime_name: str, image: str, annotations: dict[str, str] | None = None) -> str:
    runtime = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ClusterServingRuntime",
        "metadata": {"name": runtime_name, **({"annotations": annotations} if annotations else {})},
        "spec": {
            "supportedModelFormats": [{"name": "huggingface", "version": "1"}],
            "containers": [{"name": "kserve-container", "image": image}],
        },
    }
    isvc = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "qwen", "namespace": "models"},
        "spec": {
            "predictor": {
                "model": {
                    "modelFormat": {"name": "huggingface"},
                    "runtime": runtime_name,
                    "storageUri": "hf://Qwen/Qwen2.5-7B-Instruct",
                    "resources": {
                        "limits": {"nvidia.com/gpu": "1"},
                        "requests": {"nvidia.com/gpu": "1"},
                    },
                }
            }
        },
    }
    return yaml.safe_dump_all([runtime, isvc])


HF = "docker.io/kserve/huggingfaceserver"
DIGEST = "@sha256:" + "ab" * 32


@pytest.mark.parametrize(
    "version, name, image, annotations, verdict",
    [
        ("0.20", "my-hf", f"{HF}:v0.20.0", None, "the CPU build"),
        ("0.20", "my-hf", f"{HF}:v0.20.0-gpu", None, None),
        ("0.20", "kserve-huggingfaceserver", f"{HF}:v0.20.0", None, None),  # KServe swaps it
        (
            "0.19",
            "my-hf",
            f"{HF}:v0.20.0",
            {"serving.kserve.io/server-type": "huggingfaceserver"},
            "the CPU build",
        ),  # the annotation counts from v0.20
        (
            "0.20",
            "my-hf",
            f"{HF}:v0.20.0",
            {"serving.kserve.io/server-type": "huggingfaceserver"},
            None,
        ),
        ("0.20", "kserve-huggingfaceserver", f"{HF}:v0.20.0{DIGEST}", None, "pinned by digest"),
        ("0.15", "kserve-huggingfaceserver", f"{HF}:v0.15.0{DIGEST}", None, "to the digest"),
        ("0.20", "my-hf", f"{HF}:v0.20.0", {"modelserve.io/image-variant": "gpu"}, None),
        ("0.20", "my-hf", "nvcr.io/nim/x:1.0", {"modelserve.io/image-variant": "cpu"}, "CPU build"),
        ("0.20", "my-hf", "nvcr.io/nim/x:1.0", None, None),  # not a split build
    ],
)
def test_gpu_models_on_cpu_builds(
    version: str, name: str, image: str, annotations: Any, verdict: str | None, tmp_path: Path
) -> None:
    path = tmp_path / "pair.yaml"
    path.write_text(_gpu_pair(name, image, annotations))
    _, out, err = run_cli(
        "validate-manifests", "--policy", "--format", "json", "--kserve-version", version, path
    )
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "runtime-image-variant"]
    if verdict is None:
        assert found == [], out + err
    else:
        [finding] = found
        assert verdict in finding["message"] and finding["path"] == "spec.predictor.model.runtime"


def test_the_example_gpu_model_on_the_cpu_image_is_reported_at_its_runtime_line(
    tmp_path: Path, write_repo: Any
) -> None:
    runtime = RUNTIME.replace(RUNTIME.splitlines()[1], f"image: {HF}:v0.20.0{DIGEST}")
    env = ENVIRONMENT.replace("allowed: [nvcr.io]", "allowed: [nvcr.io, docker.io]")
    [finding] = check_files(
        write_repo, tmp_path, {RUNTIME_FILE: runtime, ENV_FILE: env}, "runtime-image-variant"
    )
    assert (finding.file, finding.line) == (MODEL_FILE, line_of(MODEL, "runtime:"))


# ---------------------------------------------------------------------------------------------
# shared-memory and generate's rendered-object schemas


def test_shared_memory_over_the_memory_limit_is_refused(tmp_path: Path, write_repo: Any) -> None:
    runtime = RUNTIME + "sharedMemory: 20Gi\nresources: {cpu: '4', memory: 12Gi}\n"
    [finding] = check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "shared-memory")
    assert (finding.file, finding.line) == (RUNTIME_FILE, line_of(runtime, "sharedMemory"))
    assert "20Gi" in finding.message and "12Gi" in finding.message


def test_generate_refuses_what_the_rendered_schema_refuses(tmp_path: Path, write_repo: Any) -> None:
    runtime = RUNTIME + "resources: {cpu: 500mi, memory: 4Gi}\n"
    root = write_repo(tmp_path, files_for({RUNTIME_FILE: runtime}))
    code, out, _ = run_cli("generate", "--root", root, "--format", "json")
    assert code == 1 and not (root / "deploy").exists()
    [finding] = [f for f in json.loads(out)["findings"] if f["rule"] == "schema"][:1]
    assert finding["file"] == RUNTIME_FILE and "500mi" in finding["message"]


# ---------------------------------------------------------------------------------------------
# Found in review: what each release really does


def _policy(tmp_path: Path, version: str, *docs: dict[str, Any]) -> tuple[int, list[Any]]:
    path = tmp_path / "objects.yaml"
    path.write_text(yaml.safe_dump_all(list(docs)))
    code, out, err = run_cli(
        "validate-manifests", "--policy", "--format", "json", "--kserve-version", version, path
    )
    assert code in (0, 1), out + err  # never an internal error
    return code, json.loads(out)["findings"]


def _hpa_isvc(mode: Any, **predictor: Any) -> dict[str, Any]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "iris", "annotations": {MODE: mode, CLASS: "hpa"}},
        "spec": {
            "predictor": {
                **predictor,
                "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://bucket/iris"},
            }
        },
    }


@pytest.mark.parametrize("version, refused", [("0.16", True), ("0.17", False), ("0.20", False)])
def test_raw_deployment_is_validated_as_standard_from_0_17(
    version: str, refused: bool, tmp_path: Path
) -> None:
    # v0.16 matches "Standard" only (Knative checks refuse cpu); v0.17's defaulter rewrites it.
    _, found = _policy(tmp_path, version, _hpa_isvc("RawDeployment", scaleMetric="cpu"))
    errors = [f for f in found if f["rule"] == "kserve-autoscaling"]
    assert bool(errors) is refused, found


def test_odd_shapes_are_findings_not_crashes(tmp_path: Path) -> None:
    # A list as the annotation value: refused (by the schema here), never an internal error.
    code, found = _policy(tmp_path, "0.20", _hpa_isvc(["Standard"], scaleMetric=None))
    assert code == 1 and found


def test_runtime_version_decides_the_tag_kserve_runs(tmp_path: Path) -> None:
    runtime, isvc = yaml.safe_load_all(_gpu_pair("my-hf", f"{HF}:v0.20.0"))
    isvc["spec"]["predictor"]["model"]["runtimeVersion"] = "v0.20.0-gpu"
    _, found = _policy(tmp_path, "0.20", runtime, isvc)
    assert [f for f in found if f["rule"] == "runtime-image-variant"] == []


def test_kserve_swaps_only_for_gpus_it_detects(tmp_path: Path) -> None:
    # IsGPUEnabled: nvidia.com/gpu limits; MIG profiles count from v0.16 only.
    runtime, isvc = yaml.safe_load_all(_gpu_pair("kserve-huggingfaceserver", f"{HF}:v0.15.0"))
    isvc["spec"]["predictor"]["model"]["resources"] = {"limits": {"nvidia.com/mig-1g.10gb": "1"}}
    _, old = _policy(tmp_path, "0.15", runtime, isvc)
    _, new = _policy(tmp_path, "0.16", runtime, isvc)
    assert [f["rule"] for f in old if f["rule"] == "runtime-image-variant"] == [
        "runtime-image-variant"
    ]
    assert [f for f in new if f["rule"] == "runtime-image-variant"] == []


def test_each_minor_release_uses_its_own_builtin_runtimes() -> None:
    lgb = {
        str(v): [
            f.get("version")
            for r in KServe.parse(v).builtin_runtimes
            if r["name"] == "kserve-lgbserver"
            for f in r["formats"]
        ]
        for v in ("0.16", "0.17")
    }
    assert lgb["0.16"] != lgb["0.17"], lgb


def test_rules_take_values_of_any_type_without_raising() -> None:
    # What an imported CRD's loose metadata schema lets through to the rules.
    from modelserve.rules import OBJECT_RULES, check_objects
    from modelserve.rules.base import ObjectSet

    odd = _hpa_isvc(["Standard"], scaleMetric=None)
    odd["metadata"]["namespace"] = ["models"]
    odd["spec"]["predictor"]["model"]["runtime"] = {"name": "x"}
    runtime = {"kind": "ClusterServingRuntime", "metadata": {"name": ["x"]}, "spec": {"x": 1}}
    found = list(check_objects(ObjectSet([odd, runtime], rendered=False), OBJECT_RULES))
    assert [rule.INFO.id for _, rule, _ in found] == ["kserve-deployment-mode"]


# ---------------------------------------------------------------------------------------------
# Hybrid Manager's documented runtimes (platform/hm_runtimes.json)

_ARCTIC = RUNTIME.replace(
    '  - name: nvidia-nim-llama-3.1-8b-instruct\n    version: "1.3.3"\n',
    '  - name: nvidia-nim-llama-3.1-8b-instruct\n    version: "1.3.3"\n'
    '  - name: nvidia-nim-snowflake-arctic-embed-l\n    version: "1.0.1"\n'
    "    autoSelect: true\n    priority: 1\n",
)
_HM = ENVIRONMENT.replace(
    'platform: {kserve: "0.20"}', 'platform: {kserve: "0.20", hybridManager: true}'
)


def test_a_runtime_colliding_with_hybrid_managers_documented_one_is_refused_there(
    tmp_path: Path, write_repo: Any
) -> None:
    [finding] = check_files(
        write_repo, tmp_path, {RUNTIME_FILE: _ARCTIC, ENV_FILE: _HM}, "runtime-collision"
    )
    assert finding.file == RUNTIME_FILE
    assert "nvidia-nim-snowflake-arctic-embed-l" in finding.message
    assert "Hybrid Manager deploys" in finding.message and "EDB docs" in finding.message


def test_hybrid_managers_runtimes_exist_only_on_hybrid_manager_clusters(
    tmp_path: Path, write_repo: Any
) -> None:
    assert check_files(write_repo, tmp_path, {RUNTIME_FILE: _ARCTIC}, "runtime-collision") == []


def test_the_documented_runtimes_are_the_ones_in_edbs_documentation() -> None:
    from modelserve.platform.hybrid_manager import documented_runtimes
    from tests.helpers import UPSTREAM

    runtimes = {r["name"]: r for r in documented_runtimes()}
    assert "nvidia-nim-snowflake-arctic-embed-l" in runtimes
    for runtime in runtimes.values():
        for source in runtime["sources"]:  # each names a real documentation file
            docs = list(yaml.safe_load_all((UPSTREAM / "samples" / "edb" / source).read_text()))
            [doc] = [d for d in docs if d and d["metadata"]["name"] == runtime["name"]]
            assert doc["spec"]["supportedModelFormats"][0]["name"] == runtime["formats"][0]["name"]


def test_validate_manifests_knows_hybrid_manager_clusters(tmp_path: Path) -> None:
    manifest = tmp_path / "runtime.yaml"
    manifest.write_text(
        """\
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata: {name: my-arctic}
spec:
  protocolVersions: [v2]
  supportedModelFormats:
    - {name: nvidia-nim-snowflake-arctic-embed-l, version: "1.0.1", autoSelect: true, priority: 1}
  containers: [{name: kserve-container, image: nvcr.io/nim/snowflake/arctic-embed-l:1.0.1}]
"""
    )
    args = ("validate-manifests", "--policy", "--format", "json", manifest)
    code, out, _ = run_cli(*args)
    assert code == 0 and "runtime-collision" not in out
    code, out, _ = run_cli(*args, "--hybrid-manager")
    assert code == 1 and "runtime-collision" in out
