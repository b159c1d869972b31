"""The rule registry and every rule: its documented examples, then the edge cases that matter.

Each example is written to a real repository in tmp_path, loaded, rendered and checked exactly
as ``modelserve validate`` does before its Kustomize stage.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from modelserve.deploy.tree import build_tree
from modelserve.findings import Finding, Severity
from modelserve.load.repository import Layout, Loaded, load_repository
from modelserve.model import Profile, Taint
from modelserve.rules import RULES, Context, run_rules
from modelserve.rules.examples import DIGEST, ENVIRONMENT, MODEL, RUNTIME, files_for
from modelserve.rules.flux_refs import find_cycle
from modelserve.rules.gpu_placement import check_predictor
from modelserve.rules.monitor_target import check_monitor, simulated_targets

RULE_IDS = [rule.INFO.id for rule in RULES]
# Ids are what users filter and suppress by: a rename breaks their configuration. New rules may
# be added freely; these must stay.
KNOWN_IDS = {
    "ref-runtime",
    "ref-model",
    "ref-profile",
    "env-name-file",
    "runtime-format",
    "runtime-protocol",
    "storage-uri",
    "replicas",
    "gpu-placement",
    "gpu-node-fit",
    "gpu-memory-fit",
    "gpu-capacity",
    "image-registry",
    "image-digest",
    "image-latest",
    "name-length",
    "monitor-port",
    "monitor-target",
    "secret-literal",
    "flux-refs",
    "cluster-agree",
}
RUNTIME_FILE = "catalog/runtimes/vllm-runtime.yaml"
MODEL_FILE = "catalog/models/llama.yaml"
ENV_FILE = "environments/dev.yaml"


def load(root: Path) -> tuple[Loaded, Context]:
    loaded = load_repository(Layout(root))
    return loaded, Context(loaded.catalog, build_tree(loaded.catalog))


def check_files(
    write_repo: Any, root: Path, overrides: dict[str, str | None], rule_id: str | None = None
) -> list[Finding]:
    """Findings (loader + rules, or one rule) for the base example with ``overrides`` applied."""
    loaded, ctx = load(write_repo(root, files_for(overrides)))
    assert loaded.findings == [], "the test's own files must load cleanly"
    if rule_id is None:
        return list(run_rules(ctx))
    return [f for f in run_rules(ctx, {rule_id}) if f.rule == rule_id]


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


# ---------------------------------------------------------------------------------------------
# The registry


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_rule_module_is_complete(rule: ModuleType) -> None:
    info = rule.INFO
    assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", info.id), info.id
    assert isinstance(info.severity, Severity)
    assert info.summary.strip() and info.hint.strip()
    assert (inspect.getdoc(rule) or "").strip(), (
        f"{rule.__name__} needs a docstring: it is the rule's documentation"
    )
    assert set(rule.EXAMPLES) == {"fail", "pass"}
    assert rule.EXAMPLES["fail"], "a failing example must change at least one file"
    assert callable(rule.check)


def test_rule_ids_are_unique_and_stable() -> None:
    assert len(RULE_IDS) == len(set(RULE_IDS))
    assert set(RULE_IDS) >= KNOWN_IDS, f"renamed or removed: {sorted(KNOWN_IDS - set(RULE_IDS))}"


# ---------------------------------------------------------------------------------------------
# Every rule's documented examples


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_failing_example_fails_at_a_real_line(
    rule: ModuleType, tmp_path: Path, write_repo: Any
) -> None:
    loaded, ctx = load(write_repo(tmp_path, files_for(rule.EXAMPLES["fail"])))
    assert loaded.findings == []
    own = [f for f in rule.check(ctx) if f.rule == rule.INFO.id]
    assert own, f"{rule.INFO.id}: the failing example produced no finding"
    for finding in own:
        assert (tmp_path / finding.file).is_file(), finding
        assert finding.line >= 1 and finding.col >= 1, finding
        assert finding.message and finding.hint


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_passing_example_passes_and_is_clean(
    rule: ModuleType, tmp_path: Path, write_repo: Any
) -> None:
    loaded, ctx = load(write_repo(tmp_path, files_for(rule.EXAMPLES["pass"])))
    assert loaded.findings == []
    assert [f for f in rule.check(ctx) if f.rule == rule.INFO.id] == []
    assert errors(list(run_rules(ctx))) == []


def test_base_example_has_no_error_from_any_rule(tmp_path: Path, write_repo: Any) -> None:
    loaded, ctx = load(write_repo(tmp_path, files_for({})))
    assert loaded.findings == []
    assert set(loaded.catalog.models) == {"llama"} and set(loaded.catalog.environments) == {"dev"}
    assert errors(list(run_rules(ctx))) == []


# ---------------------------------------------------------------------------------------------
# runtime-format


def test_runtime_format_case_mismatch_hints_at_case(tmp_path: Path, write_repo: Any) -> None:
    model = MODEL.replace(
        "  name: nvidia-nim-llama-3.1-8b-instruct", "  name: NVIDIA-NIM-Llama-3.1-8B-Instruct"
    )
    [finding] = check_files(write_repo, tmp_path, {MODEL_FILE: model}, "runtime-format")
    assert (finding.file, finding.line) == (MODEL_FILE, line_of(model, "NVIDIA-NIM"))
    assert "does not serve format 'NVIDIA-NIM-Llama-3.1-8B-Instruct'" in finding.message
    assert "case-sensitive" in finding.hint and "'nvidia-nim-llama-3.1-8b-instruct'" in finding.hint


def test_runtime_format_other_name_gets_the_generic_hint(tmp_path: Path, write_repo: Any) -> None:
    model = MODEL.replace("  name: nvidia-nim-llama-3.1-8b-instruct", "  name: pytorch")
    [finding] = check_files(write_repo, tmp_path, {MODEL_FILE: model}, "runtime-format")
    assert (
        "nvidia-nim-llama-3.1-8b-instruct:1.3.3" in finding.message
    )  # lists what the runtime serves
    assert "case-sensitive" not in finding.hint


def test_runtime_format_version_mismatch(tmp_path: Path, write_repo: Any) -> None:
    model = MODEL.replace('version: "1.3.3"', 'version: "1.4.0"')
    [finding] = check_files(write_repo, tmp_path, {MODEL_FILE: model}, "runtime-format")
    assert (finding.line, finding.path) == (line_of(model, "1.4.0"), "format.version")
    assert "1.3.3" in finding.message and "1.4.0" in finding.message


@pytest.mark.parametrize(
    "model, runtime",
    [
        (MODEL.replace('  version: "1.3.3"\n', ""), RUNTIME),  # the model asks for no version
        (
            MODEL.replace('version: "1.3.3"', 'version: "9.9"'),
            RUNTIME.replace('    version: "1.3.3"\n', ""),
        ),  # any
    ],
)
def test_runtime_format_versions_that_match(
    model: str, runtime: str, tmp_path: Path, write_repo: Any
) -> None:
    assert (
        check_files(
            write_repo, tmp_path, {MODEL_FILE: model, RUNTIME_FILE: runtime}, "runtime-format"
        )
        == []
    )


# ---------------------------------------------------------------------------------------------
# gpu-memory-fit


def test_gpu_memory_fit_message_shows_the_arithmetic(tmp_path: Path, write_repo: Any) -> None:
    # Llama 3.3 70B as in the example catalog: 70.6e9 x 2 bytes = 131.5 GiB, +20% = 157.8 GiB.
    model = MODEL.replace("parametersBillions: 8", "parametersBillions: 70.6")
    [finding] = check_files(write_repo, tmp_path, {MODEL_FILE: model}, "gpu-memory-fit")
    assert (finding.file, finding.line) == (ENV_FILE, line_of(ENVIRONMENT, "profile: h100"))
    for number in ("157.8 GiB", "131.5 GiB", "bf16", "20%", "1 x 80 GiB", "80.0 GiB", "'h100'"):
        assert number in finding.message, (number, finding.message)


def test_gpu_memory_fit_exact_70b(tmp_path: Path, write_repo: Any) -> None:
    model = MODEL.replace("parametersBillions: 8", "parametersBillions: 70")
    [finding] = check_files(write_repo, tmp_path, {MODEL_FILE: model}, "gpu-memory-fit")
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
    [finding] = check_files(write_repo, tmp_path, {MODEL_FILE: model}, "gpu-memory-fit")
    assert "141 GiB" in finding.message and "80 GiB" in finding.message


def test_both_memory_problems_reach_the_report(
    tmp_path: Path, write_repo: Any, run_cli: Any
) -> None:
    model = MODEL.replace("parametersBillions: 8", "parametersBillions: 70.6").replace(
        "  count: 1\n", "  count: 1\n  minMemoryGiB: 141\n"
    )
    assert len(check_files(write_repo, tmp_path, {MODEL_FILE: model}, "gpu-memory-fit")) == 2
    _, out, _ = run_cli("validate", "--root", tmp_path, "--no-cache", "--format", "text")
    assert "at least 141 GiB" in out and "157.8 GiB" in out


# ---------------------------------------------------------------------------------------------
# gpu-capacity


def _with_replicas(low: int, high: int) -> str:
    return ENVIRONMENT.replace(
        "    profile: h100\n", f"    profile: h100\n    replicas: {{min: {low}, max: {high}}}\n"
    )


def test_gpu_capacity_over_at_max_is_a_warning(tmp_path: Path, write_repo: Any) -> None:
    [finding] = check_files(write_repo, tmp_path, {ENV_FILE: _with_replicas(8, 9)}, "gpu-capacity")
    assert finding.severity is Severity.WARNING
    assert "8 GPUs (1 nodes x 8)" in finding.message and "9 at maximum" in finding.message
    assert (finding.file, finding.line) == (ENV_FILE, line_of(ENVIRONMENT, "nodes: 1"))


def test_gpu_capacity_over_at_min_is_an_error(tmp_path: Path, write_repo: Any) -> None:
    [finding] = check_files(write_repo, tmp_path, {ENV_FILE: _with_replicas(9, 12)}, "gpu-capacity")
    assert finding.severity is Severity.ERROR
    assert "9 at minimum" in finding.message


def test_gpu_capacity_exactly_full_passes(tmp_path: Path, write_repo: Any) -> None:
    assert check_files(write_repo, tmp_path, {ENV_FILE: _with_replicas(8, 8)}, "gpu-capacity") == []


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
# image-registry and image-digest


def _image(ref: str) -> str:
    return RUNTIME.replace(
        f"image: nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3@{DIGEST}", f"image: {ref}"
    )


def test_image_without_registry_is_refused(tmp_path: Path, write_repo: Any) -> None:
    runtime = _image(f"nim/llama:1.3.3@{DIGEST}")
    [finding] = check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "image-registry")
    assert (finding.file, finding.line) == (RUNTIME_FILE, 2)
    assert "names no registry" in finding.message and "docker.io/nim/llama" in finding.hint


@pytest.mark.parametrize(
    "registry, allowed",
    [
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com", True),
        ("999.dkr.ecr.us-east-1.amazonaws.com", True),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", False),
        ("dkr.ecr.us-east-1.amazonaws.com.evil.example", False),
        ("nvcr.io", True),
        ("ghcr.io", False),
    ],
)
def test_image_registry_wildcard_patterns(
    registry: str, allowed: bool, tmp_path: Path, write_repo: Any
) -> None:
    env = ENVIRONMENT.replace(
        "allowed: [nvcr.io]", "allowed: [nvcr.io, '*.dkr.ecr.us-east-1.amazonaws.com']"
    )
    runtime = _image(f"{registry}/nim/llama:1.3.3@{DIGEST}")
    found = check_files(
        write_repo, tmp_path, {RUNTIME_FILE: runtime, ENV_FILE: env}, "image-registry"
    )
    if allowed:
        assert found == []
    else:
        [finding] = found
        assert f"registry '{registry}'" in finding.message and "not allowed" in finding.message


def test_image_registry_checks_the_environment_override_where_it_is_written(
    tmp_path: Path, write_repo: Any
) -> None:
    env = ENVIRONMENT.replace(
        "registry:\n",
        f"runtimeImages:\n  vllm-runtime: ghcr.io/x/llama:1.3.3@{DIGEST}\nregistry:\n",
    )
    [finding] = check_files(write_repo, tmp_path, {ENV_FILE: env}, "image-registry")
    assert (finding.file, finding.line, finding.path) == (
        ENV_FILE,
        line_of(env, "vllm-runtime: ghcr.io"),
        "runtimeImages.vllm-runtime",
    )


@pytest.mark.parametrize(
    "digest", ["sha256:abc", "sha256:" + "A" * 64, "md5:" + "0" * 32, "sha256:" + "0" * 63 + "g"]
)
def test_image_digest_malformed(digest: str, tmp_path: Path, write_repo: Any) -> None:
    runtime = _image(f"nvcr.io/nim/llama:1.3.3@{digest}")
    [finding] = check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "image-digest")
    assert f"malformed digest '{digest}'" in finding.message and "64" in finding.hint


def test_image_digest_only_required_where_the_environment_says(
    tmp_path: Path, write_repo: Any
) -> None:
    runtime = _image("nvcr.io/nim/llama:1.3.3")
    [finding] = check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "image-digest")
    assert "requires digests" in finding.message
    env = ENVIRONMENT.replace("requireDigest: true", "requireDigest: false")
    assert (
        check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime, ENV_FILE: env}, "image-digest")
        == []
    )


# ---------------------------------------------------------------------------------------------
# secret-literal

PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)
SECRETS = [
    ("NIM_SETTING", "nvapi-Qm2vB7LrT0pYw5sNd3Hc9Jf6Ga4Ue1Xi8KoZx81", "an NGC API key"),
    ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", "an AWS access key"),
    ("SSH_IDENTITY", PRIVATE_KEY, "a private key"),
    ("AUTH_HEADER", "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0", "a bearer token"),
    ("HF_HUB", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "a Hugging Face token"),
    ("MY_SERVICE_TOKEN", "q8Zt3LmX0vR7pWk2Jd9FhN4c", "a random value for MY_SERVICE_TOKEN"),
]


def _runtime_env(name: str, value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar, newlines and all.
    return RUNTIME + f"  - name: {name}\n    value: {json.dumps(value)}\n"


@pytest.mark.parametrize("name, secret, label", SECRETS, ids=[s[2] for s in SECRETS])
def test_secret_literal_is_found_and_never_repeated(
    name: str, secret: str, label: str, tmp_path: Path, write_repo: Any
) -> None:
    runtime = _runtime_env(name, secret)
    [finding] = check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "secret-literal")
    assert (finding.file, finding.line, finding.path) == (
        RUNTIME_FILE,
        line_of(runtime, "    value: "),
        "env[1].value",
    )
    assert label in finding.message
    shown = " ".join((finding.message, finding.hint, finding.path, finding.obj))
    assert secret not in shown and secret.strip()[4:] not in shown


def test_secret_literal_in_an_environment_override(tmp_path: Path, write_repo: Any) -> None:
    token = "hf_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210"
    env = ENVIRONMENT + f"    env:\n      - name: HF_TOKEN\n        value: {token}\n"
    [finding] = check_files(write_repo, tmp_path, {ENV_FILE: env}, "secret-literal")
    assert (finding.file, finding.line) == (
        ENV_FILE,
        line_of(env, token),
    ) and token not in finding.message


@pytest.mark.parametrize(
    "name, value",
    [
        ("NIM_CACHE_PATH", "/tmp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel-collector.monitoring.svc:4317/v1/traces"),
        ("NIM_MODEL_PROFILE", "tensorrt_llm-h100-bf16-tp1-throughput"),
        ("HF_HUB_OFFLINE", "1"),
        ("NGC_API_KEY_NAME", "NGC_API_KEY"),
    ],
)
def test_ordinary_values_are_not_secrets(
    name: str, value: str, tmp_path: Path, write_repo: Any
) -> None:
    assert (
        check_files(
            write_repo, tmp_path, {RUNTIME_FILE: _runtime_env(name, value)}, "secret-literal"
        )
        == []
    )


def test_a_secret_reference_is_never_a_secret(tmp_path: Path, write_repo: Any) -> None:
    runtime = RUNTIME.replace("key: NGC_API_KEY}", "key: HUGGING_FACE_HUB_TOKEN}")
    assert check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "secret-literal") == []


def test_secret_never_reaches_the_cli_report(tmp_path: Path, write_repo: Any, run_cli: Any) -> None:
    name, secret, _ = SECRETS[0]
    root = write_repo(tmp_path, files_for({RUNTIME_FILE: _runtime_env(name, secret)}))
    for fmt in ("text", "json", "github", "sarif"):
        code, out, err = run_cli("validate", "--root", root, "--no-cache", "--format", fmt)
        assert code == 1 and "secret-literal" in out
        assert secret not in out + err and secret[8:] not in out + err


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
    assert list(check_monitor(_monitor(dev_objects), simulated_targets(dev_objects), WANTED)) == []


def test_monitor_selecting_nothing(dev_objects: list[dict[str, Any]]) -> None:
    monitor = _monitor(dev_objects)
    monitor["spec"]["selector"]["matchLabels"]["serving.kserve.io/inferenceservice"] = "lama"
    problems = list(check_monitor(monitor, simulated_targets(dev_objects), WANTED))
    assert problems == [
        (
            ("spec", "selector"),
            "ServiceMonitor selects no InferenceService predictor in namespace 'models'",
        )
    ]


def test_monitor_in_another_namespace_selects_nothing(dev_objects: list[dict[str, Any]]) -> None:
    monitor = _monitor(dev_objects)
    monitor["metadata"]["namespace"] = "monitoring"
    [(pointer, _)] = check_monitor(monitor, simulated_targets(dev_objects), WANTED)
    assert pointer == ("spec", "selector")


def test_monitor_with_a_port_the_service_lacks(dev_objects: list[dict[str, Any]]) -> None:
    monitor = _monitor(dev_objects)
    monitor["spec"]["endpoints"][0]["port"] = "metrics"
    [(pointer, message)] = check_monitor(monitor, simulated_targets(dev_objects), WANTED)
    assert pointer == ("spec", "endpoints", 0, "port")
    assert "port 'metrics' does not exist" in message and "(http)" in message


def test_monitor_missing_prometheus_labels(dev_objects: list[dict[str, Any]]) -> None:
    monitor = _monitor(dev_objects)
    del monitor["metadata"]["labels"]["release"]
    [(pointer, message)] = check_monitor(monitor, simulated_targets(dev_objects), WANTED)
    assert pointer == ("metadata", "labels") and "release: kube-prometheus-stack" in message


def test_pod_monitor_uses_the_pod_ports(dev_objects: list[dict[str, Any]]) -> None:
    monitor = _monitor(dev_objects)
    monitor["kind"] = "PodMonitor"
    monitor["spec"]["podMetricsEndpoints"] = monitor["spec"].pop("endpoints")
    assert list(check_monitor(monitor, simulated_targets(dev_objects), WANTED)) == []
    monitor["spec"]["podMetricsEndpoints"][0]["port"] = "nope"
    [(pointer, _)] = check_monitor(monitor, simulated_targets(dev_objects), WANTED)
    assert pointer == ("spec", "podMetricsEndpoints", 0, "port")


def test_monitor_target_without_monitoring_labels_warns_at_the_environment(
    tmp_path: Path, write_repo: Any
) -> None:
    env = ENVIRONMENT.replace("  labels: {release: kube-prometheus-stack}\n", "  labels: {}\n")
    [finding] = check_files(write_repo, tmp_path, {ENV_FILE: env}, "monitor-target")
    assert finding.severity is Severity.WARNING
    assert (finding.file, finding.line) == (ENV_FILE, line_of(env, "monitoring:"))


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


# ---------------------------------------------------------------------------------------------
# flux-refs


@pytest.mark.parametrize(
    "graph, cycle",
    [
        ({}, []),
        ({"a": ["b"], "b": ["c"], "c": []}, []),
        ({"a": ["kserve"], "b": ["a", "kserve"]}, []),  # external names are not in the graph
        ({"a": ["a"]}, ["a", "a"]),
        ({"a": ["b"], "b": ["a"]}, ["a", "b", "a"]),
        ({"a": ["b"], "b": ["c"], "c": ["b"]}, ["b", "c", "b"]),
        ({"x": [], "m": ["n"], "n": ["o"], "o": ["m"]}, ["m", "n", "o", "m"]),
        ({"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}, []),  # a diamond is not a cycle
    ],
)
def test_find_cycle(graph: dict[str, list[str]], cycle: list[str]) -> None:
    assert find_cycle(graph) == cycle


def test_find_cycle_on_a_long_chain() -> None:
    chain = {f"k{i:04d}": [f"k{i + 1:04d}"] for i in range(500)}
    assert find_cycle(chain) == []
    chain["k0500"] = ["k0000"]
    found = find_cycle(chain)
    assert found[0] == found[-1] and len(found) == 502


def test_flux_refs_self_dependency_is_a_cycle_at_depends_on(
    tmp_path: Path, write_repo: Any
) -> None:
    rule = next(r for r in RULES if r.INFO.id == "flux-refs")
    env = rule.EXAMPLES["fail"][ENV_FILE]
    found = check_files(write_repo, tmp_path, {ENV_FILE: env}, "flux-refs")
    cycles = [f for f in found if "cycle" in f.message]
    assert cycles and "dev-modelserve-runtimes -> dev-modelserve-runtimes" in cycles[0].message
    assert cycles[0].line == line_of(env, "dependsOn")


def test_flux_refs_unknown_external_dependency_is_allowed_only_when_declared(
    tmp_path: Path, write_repo: Any
) -> None:
    env = ENVIRONMENT.replace(
        "  sourceRef: {kind: GitRepository, name: flux-system}\n",
        "  sourceRef: {kind: GitRepository, name: flux-system}\n  dependsOn: [kserve]\n",
    )
    assert check_files(write_repo, tmp_path, {ENV_FILE: env}, "flux-refs") == []


# ---------------------------------------------------------------------------------------------
# cluster-agree

QA = ENVIRONMENT.replace("name: dev\n", "name: qa\n").replace(
    "namespace: models", "namespace: models-qa"
)
OTHER_IMAGE = f"runtimeImages:\n  vllm-runtime: nvcr.io/nim/meta/llama:1.3.4@{DIGEST}\n"


def test_cluster_agree_names_both_environment_files(tmp_path: Path, write_repo: Any) -> None:
    qa = QA.replace("registry:\n", OTHER_IMAGE + "registry:\n")
    [finding] = check_files(write_repo, tmp_path, {"environments/qa.yaml": qa}, "cluster-agree")
    assert finding.file == "environments/qa.yaml" and finding.line == line_of(qa, "cluster:")
    assert "environments/dev.yaml" in finding.message and "environments/qa.yaml" in finding.message
    assert (
        "ClusterServingRuntime 'vllm-runtime'" in finding.message
        and "dev-cluster" in finding.message
    )


def test_cluster_agree_other_cluster_may_differ(tmp_path: Path, write_repo: Any) -> None:
    qa = QA.replace("cluster: dev-cluster", "cluster: qa-cluster").replace(
        "registry:\n", OTHER_IMAGE + "registry:\n"
    )
    assert check_files(write_repo, tmp_path, {"environments/qa.yaml": qa}, "cluster-agree") == []


def test_cluster_agree_same_namespace_on_one_cluster(tmp_path: Path, write_repo: Any) -> None:
    qa = ENVIRONMENT.replace("name: dev\n", "name: qa\n")
    found = check_files(write_repo, tmp_path, {"environments/qa.yaml": qa}, "cluster-agree")
    [finding] = [f for f in found if "namespace" in f.message]
    assert finding.file == "environments/qa.yaml" and "environments/dev.yaml" in finding.message


# ---------------------------------------------------------------------------------------------
# name-length


@pytest.mark.parametrize("length, fails", [(48, False), (49, True), (63, True)])
def test_model_name_length(length: int, fails: bool, tmp_path: Path, write_repo: Any) -> None:
    name = ("llama-" + "x" * 63)[:length]
    files = {
        MODEL_FILE: MODEL.replace("name: llama", f"name: {name}"),
        ENV_FILE: ENVIRONMENT.replace("  - model: llama", f"  - model: {name}"),
    }
    found = check_files(write_repo, tmp_path, files, "name-length")
    if not fails:
        assert found == []
    else:
        [finding] = found
        assert (finding.file, finding.line) == (MODEL_FILE, 1)
        assert f"{length} characters" in finding.message and "48" in finding.message


def test_knative_host_label_length(tmp_path: Path, write_repo: Any) -> None:
    name = "llama-" + "x" * 30  # 36 + len("-predictor-") + namespace
    env = (
        ENVIRONMENT.replace("  - model: llama", f"  - model: {name}").replace(
            "namespace: models", "namespace: models-with-a-long-namespace"
        )
        + "deploymentMode: Knative\n"
    )
    model = MODEL.replace("name: llama", f"name: {name}")
    found = check_files(write_repo, tmp_path, {MODEL_FILE: model, ENV_FILE: env}, "name-length")
    assert [f.file for f in found] == [ENV_FILE] and "Knative host label" in found[0].message


# ---------------------------------------------------------------------------------------------
# storage-uri


@pytest.mark.parametrize(
    "uri, problem",
    [
        ("ftp://models.example.com/llama", "scheme 'ftp'"),
        ("http://models.example.com/llama", "scheme 'http'"),
        ("models/llama", "no scheme"),
        ("s3://", "names no bucket"),
        ("gs:///", "names no bucket"),
        ("s3://bucket/../other-team/llama", "contains '..'"),
        ("hf://org/model", None),
        ("s3://models/llama-3.1-8b", None),
        ("pvc://model-store/llama", None),
        ("oci://nvcr.io/models/llama:1", None),
        ("https://huggingface.co/org/model", None),
    ],
)
def test_storage_uri(uri: str, problem: str | None, tmp_path: Path, write_repo: Any) -> None:
    model = MODEL + f"storageUri: {json.dumps(uri)}\n"
    found = check_files(write_repo, tmp_path, {MODEL_FILE: model}, "storage-uri")
    if problem is None:
        assert found == []
    else:
        [finding] = found
        assert problem in finding.message
        assert (finding.line, finding.path) == (line_of(model, "storageUri"), "storageUri")


def test_placements_are_resolved_once_and_shared_by_the_rules() -> None:
    project = Path(__file__).resolve().parents[1]
    ctx = Context(load_repository(Layout(project)).catalog)
    first = list(ctx.placements())
    assert len(first) == sum(len(env.deployments) for env in ctx.catalog.environments.values()) > 0
    assert all(a is b for a, b in zip(first, ctx.placements(), strict=True))
