"""storage-uri: where the weights are, in a scheme KServe's storage initializer reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelserve.rules.examples import MODEL
from tests.rules.rulekit import MODEL_FILE, check_files, line_of

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
