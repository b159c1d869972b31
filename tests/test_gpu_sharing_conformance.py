"""The NVIDIA device plugin's own cases (tests/conformance/nvidia-device-plugin-0.20.0) against
rule gpu-sharing and the profile's device count: the product label its labeller sets, the
devices a GPU becomes, and which requests its allocator refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from modelserve.findings import Severity
from modelserve.model import profile_from
from modelserve.rules.examples import ENVIRONMENT, MODEL
from modelserve.rules.gpu_sharing import product_suffix
from tests.rules.rulekit import ENV_FILE, MODEL_FILE, check_files

CASES = yaml.safe_load(
    (Path(__file__).parent / "conformance/nvidia-device-plugin-0.20.0/sharing.yaml").read_text()
)


def _cases(kind: str) -> list[Any]:
    return [
        pytest.param(
            case,
            id=case["upstream"].split("::")[1],
            marks=[pytest.mark.skip(reason=case["skip"])] if "skip" in case else [],
        )
        for case in CASES[kind]
    ]


def _environment(profile: dict[str, Any], product: str) -> str:
    data = yaml.safe_load(ENVIRONMENT)
    h100 = data["gpuProfiles"]["h100"]
    h100.pop("gpuMemoryGiB")  # memory fit is gpu-memory-fit's, not this rule's
    h100.update(profile)
    h100["nodeLabels"] = {"nvidia.com/gpu.product": product}
    return yaml.safe_dump(data, sort_keys=False)


@pytest.mark.parametrize("case", _cases("labels"))
def test_product_label_and_device_count(
    case: dict[str, Any], tmp_path: Path, write_repo: Any
) -> None:
    profile = profile_from("p", {"nodeLabels": {}, "gpusPerNode": 1, **case["profile"]})
    assert "MOCKMODEL" + (product_suffix(profile) or "") == case["product"]
    assert profile.devices_per_node == case["devicesPerGpu"]
    # the label the labeller sets passes; the plain product fails where it differs
    right = _environment(case["profile"], case["product"])
    assert check_files(write_repo, tmp_path / "right", {ENV_FILE: right}, "gpu-sharing") == []
    plain = check_files(
        write_repo,
        tmp_path / "plain",
        {ENV_FILE: _environment(case["profile"], "MOCKMODEL")},
        "gpu-sharing",
    )
    assert bool(plain) == (case["product"] != "MOCKMODEL"), plain


@pytest.mark.parametrize("case", _cases("requests"))
def test_requests_the_allocator_refuses(
    case: dict[str, Any], tmp_path: Path, write_repo: Any
) -> None:
    profile: dict[str, Any] = {"gpusPerNode": 2}
    if case["sharing"]:
        profile |= {"sharing": case["sharing"], "gpuResource": "nvidia.com/gpu.shared"}
    env = _environment(profile, "MOCKMODEL")
    model = MODEL.replace("  count: 1\n", f"  count: {case['count']}\n").split("size:")[0]
    found = check_files(write_repo, tmp_path, {ENV_FILE: env, MODEL_FILE: model}, "gpu-sharing")
    verdict = (
        "allowed"
        if not found
        else "refused"
        if {f.severity for f in found} == {Severity.ERROR}
        else "warned"
    )
    assert verdict == case["verdict"], found
