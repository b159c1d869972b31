"""MIG and time-sliced pools: rule gpu-sharing, and what sharing changes in the GPU rules.

The device plugin facts are the NVIDIA k8s-device-plugin v0.20.0's; its own unit tests are
mirrored in tests/conformance/nvidia-device-plugin-0.20.0 (tests/test_gpu_sharing_conformance.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from modelserve.findings import Severity
from modelserve.model import profile_from
from modelserve.rules.examples import ENVIRONMENT, MODEL
from tests.rules.rulekit import ENV_FILE, MODEL_FILE, check_files, line_of


def environment(**profile: Any) -> str:
    """The example environment with its h100 profile's fields replaced (None removes one)."""
    data = yaml.safe_load(ENVIRONMENT)
    h100 = data["gpuProfiles"]["h100"]
    for key, value in profile.items():
        if value is None:
            h100.pop(key, None)
        else:
            h100[key] = value
    return yaml.safe_dump(data, sort_keys=False)


MIG_1G = {"strategy": "mig", "migProfile": "1g.10gb", "perGpu": 7}


def test_two_mig_slices_per_replica_are_refused(tmp_path: Path, write_repo: Any) -> None:
    env = environment(
        gpuResource="nvidia.com/mig-3g.40gb",
        sharing={**MIG_1G, "migProfile": "3g.40gb", "perGpu": 2},
    )
    model = MODEL.replace("  count: 1\n", "  count: 2\n")
    found = check_files(write_repo, tmp_path, {ENV_FILE: env, MODEL_FILE: model}, "gpu-sharing")
    assert [(f.file, f.line, f.severity) for f in found] == [
        (MODEL_FILE, line_of(model, "count: 2"), Severity.ERROR),
        (ENV_FILE, line_of(env, "profile: h100"), Severity.ERROR),
    ]
    assert "single MIG device" in found[0].message and "MIG 3g.40gb slices" in found[0].message


@pytest.mark.parametrize(
    ("fail_requests", "severity", "words"),
    [(True, Severity.ERROR, "failRequestsGreaterThanOne"), (False, Severity.WARNING, "of one GPU")],
)
def test_two_time_sliced_replicas_per_replica(
    tmp_path: Path, write_repo: Any, fail_requests: bool, severity: Severity, words: str
) -> None:
    env = environment(
        gpuResource="nvidia.com/gpu.shared",
        gpuMemoryGiB=None,
        sharing={
            "strategy": "time-slicing",
            "perGpu": 4,
            "failRequestsGreaterThanOne": fail_requests,
        },
    )
    model = MODEL.replace("  count: 1\n", "  count: 2\n")
    found = check_files(write_repo, tmp_path, {ENV_FILE: env, MODEL_FILE: model}, "gpu-sharing")
    assert len(found) == 2 and {f.severity for f in found} == {severity}
    assert words in found[0].message


def test_mig_resource_must_be_one_the_device_plugin_advertises(
    tmp_path: Path, write_repo: Any
) -> None:
    env = environment(gpuResource="nvidia.com/gpu.shared", sharing=MIG_1G)
    [found] = check_files(write_repo, tmp_path, {ENV_FILE: env}, "gpu-sharing")
    assert found.line == line_of(env, "gpuResource:")
    assert "nvidia.com/mig-1g.10gb (mixed strategy)" in found.message
    # the +me profiles' resource name has '.' for '+'
    env = environment(
        gpuResource="nvidia.com/mig-1g.10gb.me", sharing={**MIG_1G, "migProfile": "1g.10gb+me"}
    )
    assert check_files(write_repo, tmp_path / "me", {ENV_FILE: env}, "gpu-sharing") == []


def test_single_mig_strategy_relabels_the_product(tmp_path: Path, write_repo: Any) -> None:
    env = environment(sharing=MIG_1G)  # resource nvidia.com/gpu: the single strategy
    [found] = check_files(write_repo, tmp_path, {ENV_FILE: env}, "gpu-sharing")
    assert found.line == line_of(env, "nvidia.com/gpu.product")
    assert (
        "NVIDIA-H100-80GB-HBM3-MIG-1g.10gb" in found.message and "matches no node" in found.message
    )
    env = environment(
        sharing=MIG_1G, nodeLabels={"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3-MIG-1g.10gb"}
    )
    assert check_files(write_repo, tmp_path / "ok", {ENV_FILE: env}, "gpu-sharing") == []


@pytest.mark.parametrize("product", ["NVIDIA-A10G-SHARED", "NVIDIA-A100-SXM4-80GB-MIG-1g.10gb"])
def test_labels_of_split_gpus_on_a_profile_without_sharing(
    tmp_path: Path, write_repo: Any, product: str
) -> None:
    env = environment(nodeLabels={"nvidia.com/gpu.product": product})
    [found] = check_files(write_repo, tmp_path, {ENV_FILE: env}, "gpu-sharing")
    assert "describe the split in sharing" in found.message


def test_memory_fit_is_refused_on_time_sliced_pools(tmp_path: Path, write_repo: Any) -> None:
    env = environment(
        gpuResource="nvidia.com/gpu.shared", sharing={"strategy": "time-slicing", "perGpu": 4}
    )
    found = check_files(write_repo, tmp_path, {ENV_FILE: env}, "gpu-memory-fit")
    assert [(f.file, f.line) for f in found] == [
        (MODEL_FILE, line_of(MODEL, "size:")),
        (ENV_FILE, line_of(env, "profile: h100")),
    ]
    assert "without isolation" in found[0].message and "4 replicas per GPU" in found[0].message
    # a model that states no memory need is left alone
    model = MODEL.split("size:")[0]
    assert (
        check_files(
            write_repo, tmp_path / "no-size", {ENV_FILE: env, MODEL_FILE: model}, "gpu-memory-fit"
        )
        == []
    )


def test_memory_fit_counts_a_mig_slice(tmp_path: Path, write_repo: Any) -> None:
    # 8B bf16: 14.9 GiB + 20% = 17.9 GiB; a 1g.10gb slice holds 10 GB = 9.31 GiB
    env = environment(gpuResource="nvidia.com/mig-1g.10gb", sharing=MIG_1G)
    found = check_files(write_repo, tmp_path, {ENV_FILE: env}, "gpu-memory-fit")
    assert found and "1 x 9.31323 GiB" in found[0].message
    roomy = environment(
        gpuResource="nvidia.com/mig-3g.40gb",
        sharing={**MIG_1G, "migProfile": "3g.40gb", "perGpu": 2, "sliceMemoryGiB": 39.5},
    )
    assert check_files(write_repo, tmp_path / "3g", {ENV_FILE: roomy}, "gpu-memory-fit") == []


def test_capacity_counts_slices(tmp_path: Path, write_repo: Any) -> None:
    # one node of 8 GPUs in 7 slices each: 56 slices; 57 replicas of one slice do not fit
    env = environment(
        gpuResource="nvidia.com/mig-3g.40gb",
        sharing={**MIG_1G, "migProfile": "3g.40gb", "perGpu": 2},
    ).replace("  profile: h100\n", "  profile: h100\n  replicas: {min: 17, max: 17}\n")
    [found] = check_files(write_repo, tmp_path, {ENV_FILE: env}, "gpu-capacity")
    assert "16 MIG 3g.40gb slices (1 nodes x 16)" in found.message
    fits = env.replace("{min: 17, max: 17}", "{min: 16, max: 16}")
    found = check_files(write_repo, tmp_path / "fits", {ENV_FILE: fits}, "gpu-capacity")
    # all 16 slices taken: it fits, but a rollout has no room to surge
    assert [f.severity for f in found] == [Severity.WARNING] and "surge" in found[0].message


@pytest.mark.parametrize(
    ("mig_profile", "gib"), [("1g.10gb", 9.313), ("1g.10gb+me", 9.313), ("7g.80gb", 74.506)]
)
def test_mig_slice_memory_from_the_profile_name(mig_profile: str, gib: float) -> None:
    profile = profile_from(
        "p",
        {
            "nodeLabels": {},
            "gpusPerNode": 8,
            "sharing": {"strategy": "mig", "migProfile": mig_profile, "perGpu": 1},
        },
    )
    assert profile.device_memory_gib == pytest.approx(gib, abs=1e-3)
    assert profile.devices_per_node == 8


def test_time_slicing_guarantees_no_memory() -> None:
    profile = profile_from(
        "p",
        {
            "nodeLabels": {},
            "gpusPerNode": 2,
            "gpuMemoryGiB": 24,
            "sharing": {"strategy": "time-slicing", "perGpu": 4},
        },
    )
    assert profile.device_memory_gib is None and profile.devices_per_node == 8
