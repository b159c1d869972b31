"""The objects KServe derives (Deployment, Service, HPA) and the API server's semantic checks on
them: findings at the catalog or environment line each derived field came from, per release."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelserve.derive.predictor import derive_all
from modelserve.findings import Severity
from modelserve.platform.kserve import KServe
from modelserve.rules.examples import ENVIRONMENT, MODEL, RUNTIME, files_for
from tests.helpers import PROJECT, run_cli
from tests.rules.rulekit import ENV_FILE, MODEL_FILE, RUNTIME_FILE, check_files, line_of, load


def _derived(write_repo: Any, root: Path, overrides: dict[str, str | None]) -> list[Any]:
    loaded, ctx = load(write_repo(root, files_for(overrides)))
    assert loaded.findings == [] and ctx.tree is not None
    env = loaded.catalog.environments["dev"]
    objects = [o for r in ctx.tree.roots for o in r.objects]
    return [d for _, derivation in derive_all(objects, env.kserve) for d in derivation.objects]


def _kinds(derived: list[Any]) -> dict[str, dict[str, Any]]:
    return {d.obj["kind"]: d.obj for d in derived}


def _release(version: str) -> str:
    return ENVIRONMENT.replace('kserve: "0.20"', f'kserve: "{version}"')


# ---------------------------------------------------------------------------------------------
# What is derived


def test_the_base_example_derives_a_deployment_and_a_service(
    tmp_path: Path, write_repo: Any
) -> None:
    objs = _kinds(_derived(write_repo, tmp_path, {}))
    assert set(objs) == {"Deployment", "Service"}  # fixed size: class none, no HPA
    deployment, service = objs["Deployment"], objs["Service"]
    assert deployment["metadata"]["name"] == "llama-predictor"
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "isvc.llama-predictor"}}
    # class none but no minReplicas: KServe leaves replicas unset (the API server defaults 1)
    assert "replicas" not in deployment["spec"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "kserve-container"
    assert {"name": "INFERENCE_SERVICE_NAME", "value": "llama"} in container["env"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    # no readiness in the runtime: KServe's TCP probe on the first declared port
    assert container["readinessProbe"]["tcpSocket"] == {"port": 8000}
    assert deployment["spec"]["template"]["spec"]["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": 8000, "protocol": "TCP"}
    ]


def test_an_autoscaled_model_gets_an_hpa_as_kserve_builds_it(
    tmp_path: Path, write_repo: Any
) -> None:
    model = (
        MODEL + "replicas: {min: 1, max: 3}\nautoscaling: {class: hpa, metric: cpu, target: 70}\n"
    )
    objs = _kinds(_derived(write_repo, tmp_path, {MODEL_FILE: model}))
    hpa = objs["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "llama-predictor",
    }
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (1, 3)
    assert hpa["metrics"][0]["resource"] == {
        "name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": 70},
    }
    assert "replicas" not in objs["Deployment"]["spec"]  # the HPA owns the size


def test_knative_mode_derives_nothing(tmp_path: Path, write_repo: Any) -> None:
    env = ENVIRONMENT + "deploymentMode: Knative\n"
    assert _derived(write_repo, tmp_path, {ENV_FILE: env}) == []


def test_every_release_derives_the_predictor_and_only_later_ones_add_the_env_var(
    tmp_path: Path, write_repo: Any
) -> None:
    for version, has_name in (("0.16", False), ("0.17", True), ("0.20", True)):
        objs = _kinds(_derived(write_repo, tmp_path / version, {ENV_FILE: _release(version)}))
        [container] = objs["Deployment"]["spec"]["template"]["spec"]["containers"]
        names = [e["name"] for e in container.get("env", [])]
        assert ("INFERENCE_SERVICE_NAME" in names) is has_name, version


def test_validate_counts_the_derived_objects_it_checked() -> None:
    code, out, err = run_cli("validate", "--root", PROJECT, "--no-cache", "--format", "text")
    assert code == 0, out + err
    assert " derived objects checked" in out
    count = int(out.split(" derived objects checked")[0].rsplit(" ", 1)[1])
    assert count > 0


# ---------------------------------------------------------------------------------------------
# The API server's checks on derived objects, reported where the field was written


def test_a_port_name_without_a_letter_is_refused_at_the_runtime_port(
    tmp_path: Path, write_repo: Any
) -> None:
    runtime = RUNTIME.replace("- name: http", "- name: '8000'")
    [finding] = check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "api-ports")
    assert finding.file == RUNTIME_FILE
    assert finding.line == line_of(runtime, "- name: '8000'")
    assert "Deployment models/llama-predictor" in finding.subject
    assert "must contain at least one letter" in finding.message


def test_duplicate_port_names_are_refused(tmp_path: Path, write_repo: Any) -> None:
    runtime = RUNTIME.replace(
        "    containerPort: 8000\n",
        "    containerPort: 8000\n  - name: http\n    containerPort: 9000\n",
    )
    found = check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "api-ports")
    assert any("Duplicate value" in f.message and f.file == RUNTIME_FILE for f in found)


def test_a_second_container_port_80_clashes_in_the_derived_service(
    tmp_path: Path, write_repo: Any
) -> None:
    runtime = RUNTIME.replace(
        "    containerPort: 8000\n",
        "    containerPort: 8000\n  - name: metrics\n    containerPort: 80\n",
    )
    found = check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "api-ports")
    [clash] = [f for f in found if "Service" in f.subject]
    assert "port 80/TCP is exposed twice" in clash.message
    assert clash.file == RUNTIME_FILE


def test_a_taint_key_with_a_value_glued_on_is_refused_at_the_profile(
    tmp_path: Path, write_repo: Any
) -> None:
    env = ENVIRONMENT.replace(
        '{key: nvidia.com/gpu, value: "true", effect: NoSchedule}',
        "{key: sku=gpu, effect: NoSchedule}",
    )
    [finding] = check_files(write_repo, tmp_path, {ENV_FILE: env}, "api-tolerations")
    assert finding.file == ENV_FILE and finding.severity is Severity.ERROR
    assert '"sku=gpu"' in finding.message


def test_a_gpu_product_with_spaces_can_never_schedule(tmp_path: Path, write_repo: Any) -> None:
    env = ENVIRONMENT.replace("NVIDIA-H100-80GB-HBM3", '"NVIDIA H100 80GB HBM3"')
    [finding] = check_files(write_repo, tmp_path, {ENV_FILE: env}, "node-labels")
    assert finding.file == ENV_FILE
    assert "no node can carry" in finding.message


def test_a_label_value_with_a_space_is_refused_once_on_the_inferenceservice(
    tmp_path: Path, write_repo: Any
) -> None:
    model = MODEL + 'labels: {team: "ml ops"}\n'
    found = check_files(write_repo, tmp_path, {MODEL_FILE: model}, "api-labels")
    # The derived Deployment copies the label: reported once, where it was written.
    assert [f.subject.split(" ")[0] for f in found] == ["InferenceService"]
    assert found[0].file == MODEL_FILE and found[0].line == line_of(model, "labels:")


def test_runtime_pod_labels_are_checked_in_the_derived_deployment(
    tmp_path: Path, write_repo: Any
) -> None:
    runtime = RUNTIME + 'podLabels: {tier: "gpu pool"}\n'
    found = check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "api-labels")
    # KServe copies them into the Deployment, its pod template and the Service: each is refused
    assert sorted(f.subject.split(" ")[0] for f in found) == ["Deployment", "Deployment", "Service"]
    assert {(f.file, f.line) for f in found} == {(RUNTIME_FILE, line_of(runtime, "podLabels"))}


def test_an_upper_case_repository_cannot_be_pulled(tmp_path: Path, write_repo: Any) -> None:
    runtime = RUNTIME.replace("nvcr.io/nim/", "nvcr.io/NIM/")
    [finding] = check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "image-reference")
    assert finding.file == RUNTIME_FILE and finding.line == line_of(runtime, "image:")
    assert "InvalidImageName" in finding.message


@pytest.mark.parametrize("version, refused", [("0.19", True), ("0.20", False)])
def test_a_model_secret_over_a_runtime_value_is_refused_before_kserve_0_20(
    version: str, refused: bool, tmp_path: Path, write_repo: Any
) -> None:
    runtime = RUNTIME + "  - name: HF_TOKEN\n    value: none\n"
    model = MODEL + "env:\n  - name: HF_TOKEN\n    secretKeyRef: {name: hf, key: token}\n"
    overrides = {RUNTIME_FILE: runtime, MODEL_FILE: model, ENV_FILE: _release(version)}
    found = check_files(write_repo, tmp_path, overrides, "api-env")
    if refused:
        [finding] = found
        assert finding.file == MODEL_FILE and f"KServe {KServe.parse(version)}" in finding.message
    else:
        assert found == []


def test_a_readiness_probe_on_an_undeclared_port_is_a_warning(
    tmp_path: Path, write_repo: Any
) -> None:
    runtime = RUNTIME + "readiness:\n  path: /v1/health/ready\n  port: 9000\n"
    [finding] = check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "api-probes")
    assert finding.severity is Severity.WARNING and finding.file == RUNTIME_FILE


def test_the_example_catalog_derives_clean() -> None:
    code, out, err = run_cli("validate", "--root", PROJECT, "--no-cache", "--format", "json")
    assert code == 0, out + err


def test_generate_refuses_what_the_derived_objects_fail(tmp_path: Path, write_repo: Any) -> None:
    runtime = RUNTIME.replace("- name: http", "- name: '8000'")
    root = write_repo(tmp_path, files_for({RUNTIME_FILE: runtime}))
    code, out, err = run_cli("generate", "--root", root)
    assert code == 1, out + err
    assert "api-ports" in out + err
    assert not (root / "deploy").exists()


# ---------------------------------------------------------------------------------------------
# Knative mode: the Knative Service's container, as Knative Serving's webhook admits it


@pytest.mark.parametrize("version", ["0.15", "0.20"])
def test_knative_refuses_a_port_named_http(version: str, tmp_path: Path, write_repo: Any) -> None:
    env = _release(version) + "deploymentMode: Knative\n"
    [finding] = check_files(write_repo, tmp_path, {ENV_FILE: env}, "knative-ports")
    assert "Port name http is not allowed" in finding.message
    assert finding.file == MODEL_FILE and finding.line == line_of(MODEL, "runtime:")


def test_knative_refuses_two_ports(tmp_path: Path, write_repo: Any) -> None:
    runtime = RUNTIME.replace("- name: http\n", "- name: h2c\n").replace(
        "    containerPort: 8000\n",
        "    containerPort: 8000\n  - name: metrics\n    containerPort: 9000\n",
    )
    env = ENVIRONMENT + "deploymentMode: Knative\n"
    found = check_files(
        write_repo, tmp_path, {ENV_FILE: env, RUNTIME_FILE: runtime}, "knative-ports"
    )
    assert [f.message.split(":")[1].strip() for f in found] == [
        "More than one container port is set (runtime 'vllm-runtime' declares h2c, metrics)"
    ]


def test_standard_mode_takes_any_port_names(tmp_path: Path, write_repo: Any) -> None:
    assert check_files(write_repo, tmp_path, {}, "knative-ports") == []


# ---------------------------------------------------------------------------------------------
# The rules that reason about KServe's objects without deriving them agree with derive


def test_monitor_targets_are_the_derived_services_and_pods() -> None:
    """monitor-target simulates each predictor's Service ports and pod labels (deriving every
    InferenceService of an environment for each check would cost seconds on a large catalog):
    on the example they are exactly what derive builds."""
    from modelserve.deploy.tree import build_tree
    from modelserve.load.repository import Repository, load_repository
    from modelserve.rules.monitor_target import simulated_targets

    loaded = load_repository(Repository(PROJECT))
    tree = build_tree(loaded.catalog)
    checked = 0
    for env in loaded.catalog.environments.values():
        rendered = [o for r in tree.env_roots(env.name) for o in r.objects]
        targets = {
            t["labels"]["serving.kserve.io/inferenceservice"]: t
            for t in simulated_targets([o.obj for o in rendered])
        }
        for isvc, derivation in derive_all(rendered, env.kserve):
            objs = {d.obj["kind"]: d.obj for d in derivation.objects}
            target = targets[isvc.obj["metadata"]["name"]]
            assert target["service_ports"] == {
                p.get("name", "") for p in objs["Service"]["spec"]["ports"]
            }
            pod = objs["Deployment"]["spec"]["template"]
            assert target["labels"].items() <= pod["metadata"]["labels"].items()
            declared = {
                p["name"]
                for c in pod["spec"]["containers"]
                for p in c.get("ports", [])
                if p.get("name")
            }
            assert target["pod_ports"] == declared
            checked += 1
    assert checked == sum(len(e.entries) for e in loaded.catalog.environments.values())


def test_the_derived_name_name_length_guards_is_the_derived_label() -> None:
    """name-length bounds isvc.<model>-predictor at 63 by hand; it is the app label derive puts
    on the Deployment, its pods and the Service's selector (a label value: 63 at most)."""
    from modelserve.deploy.tree import build_tree
    from modelserve.load.repository import Repository, load_repository

    loaded = load_repository(Repository(PROJECT))
    tree = build_tree(loaded.catalog)
    for env in loaded.catalog.environments.values():
        rendered = [o for r in tree.env_roots(env.name) for o in r.objects]
        for isvc, derivation in derive_all(rendered, env.kserve):
            name = isvc.obj["metadata"]["name"]
            for obj in (d.obj for d in derivation.objects):
                assert obj["metadata"]["labels"]["app"] == f"isvc.{name}-predictor"


def test_a_model_port_comes_first_as_strategic_merge_orders_it() -> None:
    """A port the InferenceService adds is new to the runtime's list: the merge puts it first
    (mergeSortedSlice), so the Service exposes it on 80; monitor-target sees the same."""
    from modelserve.derive.predictor import derive_predictor
    from modelserve.render import RenderedObject
    from modelserve.rules.monitor_target import simulated_targets

    runtime = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ClusterServingRuntime",
        "metadata": {"name": "rt"},
        "spec": {
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "nvcr.io/x:1",
                    "ports": [{"name": "http", "containerPort": 8000}],
                }
            ]
        },
    }
    isvc = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": "m",
            "namespace": "ns",
            "annotations": {"serving.kserve.io/deploymentMode": "Standard"},
        },
        "spec": {
            "predictor": {
                "model": {
                    "modelFormat": {"name": "x"},
                    "runtime": "rt",
                    "ports": [{"name": "grpc", "containerPort": 9000}],
                }
            }
        },
    }
    derivation = derive_predictor(
        RenderedObject(isvc), RenderedObject(runtime), KServe.parse("0.20")
    )
    service = next(d.obj for d in derivation.objects if d.obj["kind"] == "Service")
    assert [(p["name"], p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [
        ("grpc", 80, 9000),
        ("http", 8000, 8000),
    ]
    assert service["spec"]["ports"][0]["appProtocol"] == "kubernetes.io/h2c"
    [target] = simulated_targets([isvc, runtime])
    assert target["service_ports"] == {"grpc", "http"}
