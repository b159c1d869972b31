"""The GPU rules: gpu-memory-fit, gpu-capacity and gpu-placement (on hand-made predictors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelserve.findings import Severity
from modelserve.model import Profile, Taint
from modelserve.rules.examples import ENVIRONMENT, MODEL, files_for
from modelserve.rules.gpu_placement import check_predictor
from tests.rules.rulekit import ENV_FILE, MODEL_FILE, check_files, line_of

# ---------------------------------------------------------------------------------------------
# gpu-memory-fit


def test_gpu_memory_fit_message_shows_the_arithmetic(tmp_path: Path, write_repo: Any) -> None:
    # Llama 3.3 70B as in the example catalog: 70.6e9 x 2 bytes = 131.5 GiB, +20% = 157.8 GiB.
    model = MODEL.replace("parametersBillions: 8", "parametersBillions: 70.6")
    # Reported where the edit was (the model's size) and at the entry placing it on the pool.
    at_model, at_entry = check_files(write_repo, tmp_path, {MODEL_FILE: model}, "gpu-memory-fit")
    assert (at_model.file, at_model.line) == (MODEL_FILE, line_of(model, "size:"))
    assert (at_entry.file, at_entry.line) == (ENV_FILE, line_of(ENVIRONMENT, "profile: h100"))
    assert at_model.message == at_entry.message
    for number in ("157.8 GiB", "131.5 GiB", "bf16", "20%", "1 x 80 GiB", "80.0 GiB", "'h100'"):
        assert number in at_model.message, (number, at_model.message)
    assert "in 'dev'" in at_model.message


def test_gpu_memory_fit_exact_70b(tmp_path: Path, write_repo: Any) -> None:
    model = MODEL.replace("parametersBillions: 8", "parametersBillions: 70")
    finding, _ = check_files(write_repo, tmp_path, {MODEL_FILE: model}, "gpu-memory-fit")
    assert "156.5 GiB" in finding.message and "130.4 GiB" in finding.message


@pytest.mark.parametrize(
    "change",
    [
        {
            "parametersBillions: 8": "parametersBillions: 70.6",
            "  count: 1\n": "  count: 2\n",
        },  # 160 GiB
        {
            "parametersBillions: 8": "parametersBillions: 70.6",
            "dtype: bf16": "dtype: int4",
        },  # 39.4 GiB
        {
            "parametersBillions: 8": "parametersBillions: 60",
            "dtype: bf16": "dtype: fp8",
        },  # 67.1 GiB
    ],
)
def test_gpu_memory_fit_passes_when_it_fits(
    change: dict[str, str], tmp_path: Path, write_repo: Any
) -> None:
    model = MODEL
    for old, new in change.items():
        model = model.replace(old, new)
    assert check_files(write_repo, tmp_path, {MODEL_FILE: model}, "gpu-memory-fit") == []


def test_gpu_memory_fit_overhead_percent_is_used(tmp_path: Path, write_repo: Any) -> None:
    # 36B bf16 = 67.1 GiB of weights: +20% (the default) is 80.5 GiB > 80, +15% is 77.1 GiB.
    model = MODEL.replace("parametersBillions: 8", "parametersBillions: 36")
    assert check_files(write_repo, tmp_path, {MODEL_FILE: model}, "gpu-memory-fit")
    model += "  overheadPercent: 15\n"
    assert check_files(write_repo, tmp_path, {MODEL_FILE: model}, "gpu-memory-fit") == []


def test_gpu_memory_fit_min_memory_per_gpu(tmp_path: Path, write_repo: Any) -> None:
    model = MODEL.replace("  count: 1\n", "  count: 1\n  minMemoryGiB: 141\n")
    finding, _ = check_files(write_repo, tmp_path, {MODEL_FILE: model}, "gpu-memory-fit")
    assert "141 GiB" in finding.message and "80 GiB" in finding.message
    assert (finding.file, finding.line) == (MODEL_FILE, line_of(model, "minMemoryGiB"))


def test_both_memory_problems_reach_the_report(
    tmp_path: Path, write_repo: Any, run_cli: Any
) -> None:
    model = MODEL.replace("parametersBillions: 8", "parametersBillions: 70.6").replace(
        "  count: 1\n", "  count: 1\n  minMemoryGiB: 141\n"
    )
    assert len(check_files(write_repo, tmp_path, {MODEL_FILE: model}, "gpu-memory-fit")) == 4
    _, out, _ = run_cli("validate", "--root", tmp_path, "--no-cache", "--format", "text")
    assert "at least 141 GiB" in out and "157.8 GiB" in out


# ---------------------------------------------------------------------------------------------
# gpu-capacity


def _with_replicas(low: int, high: int) -> str:
    return ENVIRONMENT.replace(
        "    profile: h100\n", f"    profile: h100\n    replicas: {{min: {low}, max: {high}}}\n"
    )


def test_gpu_capacity_over_at_max_is_a_warning(tmp_path: Path, write_repo: Any) -> None:
    found = check_files(write_repo, tmp_path, {ENV_FILE: _with_replicas(8, 9)}, "gpu-capacity")
    [finding] = [f for f in found if "maximum" in f.message]
    assert finding.severity is Severity.WARNING
    assert "8 GPUs (1 nodes x 8)" in finding.message and "9 at maximum" in finding.message
    assert (finding.file, finding.line) == (ENV_FILE, line_of(ENVIRONMENT, "nodes: 1"))


def test_gpu_capacity_over_at_min_is_an_error(tmp_path: Path, write_repo: Any) -> None:
    [finding] = check_files(write_repo, tmp_path, {ENV_FILE: _with_replicas(9, 12)}, "gpu-capacity")
    assert finding.severity is Severity.ERROR
    assert "9 at minimum" in finding.message


def test_gpu_capacity_exactly_full_leaves_no_room_to_roll_out(
    tmp_path: Path, write_repo: Any
) -> None:
    """8 replicas of 1 GPU fill the node; 6 leave room for the default 25% surge (2)."""
    [finding] = check_files(write_repo, tmp_path, {ENV_FILE: _with_replicas(8, 8)}, "gpu-capacity")
    assert finding.severity is Severity.WARNING and "surge replica" in finding.message
    assert (
        check_files(write_repo, tmp_path / "b", {ENV_FILE: _with_replicas(6, 6)}, "gpu-capacity")
        == []
    )


BIG = MODEL.replace("  count: 1\n", "  count: 5\n")
TWO_NODES = ENVIRONMENT.replace("    nodes: 1\n", "    nodes: 2\n")


def test_gpu_capacity_places_replicas_node_by_node(tmp_path: Path, write_repo: Any) -> None:
    """Three replicas of 5 GPUs on two nodes of 8: 15 <= 16 GPUs, but only two can run."""
    env = TWO_NODES.replace(
        "    profile: h100\n", "    profile: h100\n    replicas: {min: 3, max: 3}\n"
    )
    [finding] = check_files(write_repo, tmp_path, {MODEL_FILE: BIG, ENV_FILE: env}, "gpu-capacity")
    assert finding.severity is Severity.ERROR
    assert "fit in total but not node by node" in finding.message
    assert "no placement exists" in finding.message
    assert "node 1: 3 GPUs free; node 2: 3 GPUs free" in finding.message


def test_gpu_capacity_counts_allocatable_cpu_per_node(tmp_path: Path, write_repo: Any) -> None:
    """Two 12-CPU replicas of 1 GPU cannot share a node with 22 allocatable CPUs."""
    model = MODEL + "resources: {cpu: '12', memory: 64Gi}\n"
    env = ENVIRONMENT.replace("    nodes: 1\n", "    nodes: 1\n    cpuPerNode: '22'\n").replace(
        "    profile: h100\n", "    profile: h100\n    replicas: {min: 2, max: 2}\n"
    )
    [finding] = check_files(
        write_repo, tmp_path, {MODEL_FILE: model, ENV_FILE: env}, "gpu-capacity"
    )
    assert finding.severity is Severity.ERROR and "10 CPU" in finding.message


def test_gpu_capacity_environments_on_one_cluster_share_a_pool(
    tmp_path: Path, write_repo: Any
) -> None:
    """Each environment alone fits the 8-GPU pool; together they need 12."""
    dev = _with_replicas(6, 6)
    qa = dev.replace("name: dev\n", "name: qa\n").replace(
        "namespace: models", "namespace: models-qa"
    )
    files = {ENV_FILE: dev, "environments/qa.yaml": qa}
    [finding] = [
        f
        for f in check_files(write_repo, tmp_path, files, "gpu-capacity")
        if f.severity is Severity.ERROR
    ]
    assert "environments dev, qa" in finding.message and "need 12 at minimum" in finding.message
    apart = {
        **files,
        "environments/qa.yaml": qa.replace("cluster: dev-cluster", "cluster: qa-cluster"),
    }
    assert not [
        f
        for f in check_files(write_repo, tmp_path / "apart", apart, "gpu-capacity")
        if f.severity is Severity.ERROR
    ]


def test_gpu_capacity_adds_up_models_on_one_profile(tmp_path: Path, write_repo: Any) -> None:
    second = MODEL.replace("name: llama", "name: llama-big").replace("  count: 1\n", "  count: 4\n")
    env = (
        _with_replicas(2, 2)
        + "  - model: llama-big\n    profile: h100\n    replicas: {min: 2, max: 2}\n"
    )
    [finding] = check_files(
        write_repo,
        tmp_path,
        {"catalog/models/llama-big.yaml": second, ENV_FILE: env},
        "gpu-capacity",
    )
    assert finding.severity is Severity.ERROR and "need 10 at minimum" in finding.message


# ---------------------------------------------------------------------------------------------
# gpu-placement (on hand-made predictors)


PROFILE = Profile(
    name="h100",
    node_labels={"nvidia.com/gpu": "true", "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
    taints=(Taint("nvidia.com/gpu", "NoSchedule", "true"),),
    gpu_resource="nvidia.com/gpu",
    gpu_product=None,
    gpus_per_node=8,
    gpu_memory_gib=80,
    nodes=2,
)


def predictor(gpus: Any = "1", limits: Any = None, **extra: Any) -> dict[str, Any]:
    """A predictor placed exactly as the generator places one on PROFILE, then ``extra`` applied."""
    resources = {
        "requests": {"nvidia.com/gpu": gpus, "cpu": "4"},
        "limits": {"nvidia.com/gpu": gpus if limits is None else limits, "cpu": "4"},
    }
    found = {
        "affinity": PROFILE.affinity(),
        "tolerations": PROFILE.tolerations(),
        "model": {"resources": resources},
    }
    found.update(extra)
    return {k: v for k, v in found.items() if v is not None}


def problems(
    pred: dict[str, Any], profile: Profile | None = PROFILE
) -> list[tuple[tuple[Any, ...], str]]:
    return list(check_predictor(pred, profile))


def test_placement_as_generated_is_clean() -> None:
    assert problems(predictor()) == []


def test_placement_missing_toleration() -> None:
    [(pointer, message)] = problems(predictor(tolerations=None))
    assert pointer == ("spec", "predictor", "tolerations")
    assert message == "no toleration for taint nvidia.com/gpu=true:NoSchedule"


@pytest.mark.parametrize(
    "toleration, ok",
    [
        ({"operator": "Exists"}, True),  # tolerates every taint
        ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}, True),
        ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "true"}, True),  # any effect
        (
            {
                "key": "nvidia.com/gpu",
                "operator": "Equal",
                "value": "false",
                "effect": "NoSchedule",
            },
            False,
        ),
        ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}, False),
        ({"key": "other", "operator": "Exists"}, False),
    ],
)
def test_placement_toleration_semantics(toleration: dict[str, str], ok: bool) -> None:
    found = problems(predictor(tolerations=[toleration]))
    assert (found == []) is ok, found


def test_placement_requests_differ_from_limits() -> None:
    [(pointer, message)] = problems(predictor("1", "2"))
    assert pointer == ("spec", "predictor", "model", "resources")
    assert message == "nvidia.com/gpu requests (1) must equal limits (2)"


def test_placement_fractional_gpus() -> None:
    found = problems(predictor("0.5"))
    assert found and all(p == ("spec", "predictor", "model", "resources") for p, _ in found)
    assert any("whole number of GPUs, not '0.5'" in m for _, m in found)


def test_placement_int_and_string_amounts_are_equal() -> None:
    assert problems(predictor(2, "2")) == []


def test_placement_affinity_missing_a_label() -> None:
    pred = predictor()
    expressions = pred["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"][0]["matchExpressions"]
    expressions[:] = [e for e in expressions if e["key"] != "nvidia.com/gpu"]
    [(pointer, message)] = problems(pred)
    assert pointer == ("spec", "predictor", "affinity")
    assert message == "required node affinity does not select nvidia.com/gpu=true"


def test_placement_every_alternative_term_must_require_the_labels() -> None:
    pred = predictor()
    terms = pred["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    terms.append(
        {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}
    )
    assert len(problems(pred)) == 2  # the second (ORed) term lets the pod onto any Linux node


def test_placement_no_affinity_at_all() -> None:
    found = problems(predictor(affinity=None))
    assert sorted(m for _, m in found) == [
        "required node affinity does not select nvidia.com/gpu.product=NVIDIA-H100-80GB-HBM3",
        "required node affinity does not select nvidia.com/gpu=true",
    ]


def test_placement_without_a_profile_needs_some_placement() -> None:
    [(pointer, _)] = problems(predictor(affinity=None, tolerations=None), None)
    assert pointer == ("spec", "predictor")
    assert (
        problems(predictor(affinity=None, tolerations=None, nodeSelector={"pool": "gpu"}), None)
        == []
    )


def test_placement_ignores_cpu_only_predictors() -> None:
    assert (
        problems({"model": {"resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}}}}) == []
    )


def test_placement_counts_mig_slices_as_gpus() -> None:
    pred = predictor()
    mig = "nvidia.com/mig-1g.10gb"
    pred["model"]["resources"] = {"requests": {mig: "1"}, "limits": {mig: "2"}}
    assert [m for _, m in problems(pred)] == [
        "nvidia.com/mig-1g.10gb requests (1) must equal limits (2)"
    ]


# --- gpu-placement checks what the pods get ---------------------------------------------------

NO_LABELS = ENVIRONMENT.replace(
    "    nodeLabels: {nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3}\n", "    nodeLabels: {}\n"
)


def test_gpu_placement_is_checked_on_the_derived_deployment_once(
    tmp_path: Path, write_repo: Any
) -> None:
    """Standard mode: the predictor Deployment KServe derives (runtime and predictor merged) is
    what is checked, and the InferenceService is not checked a second time."""
    [finding] = check_files(write_repo, tmp_path, {ENV_FILE: NO_LABELS}, "gpu-placement")
    assert finding.message.startswith("Deployment ") and "derives it from" in finding.message
    assert "has no nodeLabels" in finding.message
    assert finding.file == ENV_FILE


def test_gpu_placement_falls_back_to_the_inference_service_in_knative_mode(
    tmp_path: Path, write_repo: Any
) -> None:
    knative = NO_LABELS.replace(
        "namespace: models\n", "namespace: models\ndeploymentMode: Knative\n"
    )
    found = check_files(write_repo, tmp_path, {ENV_FILE: knative}, "gpu-placement")
    assert found and all(f.subject.startswith("InferenceService ") for f in found)
    assert not any("derives it" in f.message for f in found)


def test_gpu_capacity_counts_the_runtime_requests(tmp_path: Path, write_repo: Any) -> None:
    """The kserve-container's requests are the runtime's unless the model overrides them."""
    from modelserve.rules.examples import RUNTIME

    runtime = RUNTIME + "resources: {cpu: '12', memory: 64Gi}\n"
    env = ENVIRONMENT.replace("    nodes: 1\n", "    nodes: 1\n    cpuPerNode: '22'\n").replace(
        "    profile: h100\n", "    profile: h100\n    replicas: {min: 2, max: 2}\n"
    )
    files = {"catalog/runtimes/vllm-runtime.yaml": runtime, ENV_FILE: env}
    [finding] = check_files(write_repo, tmp_path, files, "gpu-capacity")
    assert finding.severity is Severity.ERROR
    lighter = {**files, MODEL_FILE: MODEL + "resources: {cpu: '8'}\n"}
    assert not [
        f
        for f in check_files(write_repo, tmp_path / "b", lighter, "gpu-capacity")
        if f.severity is Severity.ERROR
    ]


def test_a_recreate_rollout_needs_no_room_for_a_surge(tmp_path: Path, write_repo: Any) -> None:
    """A full pool stalls a RollingUpdate; Recreate stops the old replica first."""
    full = _with_replicas(8, 8)
    assert [
        f.severity for f in check_files(write_repo, tmp_path, {ENV_FILE: full}, "gpu-capacity")
    ] == [Severity.WARNING]
    recreate = full.replace(
        "    replicas: {min: 8, max: 8}\n",
        "    replicas: {min: 8, max: 8}\n    rollout: {strategy: Recreate}\n",
    )
    files = {ENV_FILE: recreate}
    assert check_files(write_repo, tmp_path / "b", files, "gpu-capacity") == []
    no_surge = {MODEL_FILE: MODEL + "rollout: {maxSurge: 0, maxUnavailable: 1}\n", ENV_FILE: full}
    assert check_files(write_repo, tmp_path / "c", no_surge, "gpu-capacity") == []


def test_the_rollout_is_rendered_and_derived(tmp_path: Path, write_repo: Any) -> None:
    from modelserve.derive.predictor import derive_all
    from tests.rules.rulekit import load

    model = MODEL + "rollout: {maxSurge: 0, maxUnavailable: 1}\n"
    loaded, ctx = load(write_repo(tmp_path, files_for({MODEL_FILE: model})))
    assert ctx.tree is not None
    objects = [o for r in ctx.tree.roots for o in r.objects]
    [isvc] = [o for o in objects if o.obj["kind"] == "InferenceService"]
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    assert isvc.obj["spec"]["predictor"]["deploymentStrategy"] == strategy
    env = loaded.catalog.environments["dev"]
    [deployment] = [
        d.obj
        for _, derivation in derive_all(objects, env.kserve)
        for d in derivation.objects
        if d.obj["kind"] == "Deployment"
    ]
    assert deployment["spec"]["strategy"] == strategy


def test_knative_mode_refuses_a_rollout_at_its_line(tmp_path: Path, write_repo: Any) -> None:
    """KServe's webhook refuses deploymentStrategy outside Standard mode."""
    env = ENVIRONMENT.replace("namespace: models\n", "namespace: models\ndeploymentMode: Knative\n")
    env = env.replace(
        "    profile: h100\n", "    profile: h100\n    rollout: {strategy: Recreate}\n"
    )
    found = check_files(write_repo, tmp_path, {ENV_FILE: env}, "kserve-autoscaling")
    assert found and found[0].line == line_of(env, "rollout:")
