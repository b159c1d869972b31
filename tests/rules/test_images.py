"""The image rules: image-registry, image-digest and image-latest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelserve.rules.examples import DIGEST, ENVIRONMENT, RUNTIME
from tests.helpers import run_cli
from tests.rules.rulekit import ENV_FILE, RUNTIME_FILE, check_files, line_of

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
# image-latest: one object rule, on rendered objects and on hand-written manifests


def test_image_latest_reads_the_same_in_validate_and_validate_manifests(
    tmp_path: Path, write_repo: Any
) -> None:
    image = "nvcr.io/nim/meta/llama-3.1-8b-instruct:latest"
    catalog = tmp_path / "repo"
    [in_catalog] = check_files(write_repo, catalog, {RUNTIME_FILE: _image(image)}, "image-latest")
    # Reported at the runtime's image line, not at the rendered ClusterServingRuntime.
    assert (in_catalog.file, in_catalog.line) == (RUNTIME_FILE, 2)
    assert in_catalog.path == "spec.containers[0].image"

    manifest = tmp_path / "runtime.yaml"
    manifest.write_text(
        "apiVersion: serving.kserve.io/v1alpha1\nkind: ClusterServingRuntime\n"
        "metadata: {name: vllm-runtime}\nspec:\n  supportedModelFormats: [{name: vllm}]\n"
        f"  containers:\n    - name: kserve-container\n      image: {image}\n"
    )
    code, out, _ = run_cli("validate-manifests", "--policy", "--format", "json", manifest)
    [by_hand] = [f for f in json.loads(out)["findings"] if f["rule"] == "image-latest"]
    assert code == 1 and by_hand["line"] == 8
    assert (by_hand["message"], by_hand["hint"], by_hand["path"]) == (
        in_catalog.message,
        in_catalog.hint,
        in_catalog.path,
    )
    assert in_catalog.message == f"image '{image}' runs with the latest tag"
