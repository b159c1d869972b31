"""name-length: model names short enough for every name Kubernetes and Knative derive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelserve.rules.examples import ENVIRONMENT, MODEL
from tests.rules.rulekit import ENV_FILE, MODEL_FILE, check_files

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
