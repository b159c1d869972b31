"""runtime-format: the format (name and version) a model asks for is one its runtime serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelserve.rules.examples import MODEL, RUNTIME
from tests.rules.rulekit import MODEL_FILE, RUNTIME_FILE, check_files, line_of

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
