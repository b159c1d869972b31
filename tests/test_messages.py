"""Messages that fix the problem: enum values listed with the nearest suggested, case-only
mismatches named, every schema hint an action, and no cascade from a misspelt profile."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modelserve.validate.inputs import _enum
from tests.helpers import copy_example, run_cli

ACTION = re.compile(
    r"^(add|set|write|quote|change|raise|lower|shorten|fill in|correct|did you mean|case matters|"
    r"allowed fields|credentials must)\b"
)


def _validate(repo: Path) -> list[str]:
    code, out, _ = run_cli("validate", "--root", str(repo), "--format", "text")
    assert code == 1
    return [line for line in out.splitlines() if ": error " in line]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def test_enum_errors_list_the_values_and_suggest_the_closest(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    _edit(repo / "catalog/models/llama-3-1-8b-instruct.yaml", "task: chat", "task: vison")
    _edit(repo / "catalog/models/arctic-embed-l.yaml", "task: embeddings", "task: Embeddings")
    lines = _validate(repo)
    [typo] = [line for line in lines if "vison" in line]
    assert "(allowed: chat, embeddings, rerank, vision, ocr, predictive)" in typo
    assert typo.endswith("(fix: did you mean 'vision'?)")
    [case] = [line for line in lines if "Embeddings" in line]
    assert case.endswith("(fix: case matters: write 'embeddings')")


def test_many_allowed_values_show_the_nearest_only() -> None:
    options = [f"value-{i:02d}" for i in range(40)] + ["vision"]
    message, hint = _enum("task", "visoin", options)
    assert "41 allowed values, the nearest: vision" in message and "value-39" not in message
    assert hint == "did you mean 'vision'?"
    message, hint = _enum("replicas", 7, [1, 2, 3])
    assert message == "replicas: 7 is not an allowed value (allowed: 1, 2, 3)"
    assert hint == "set replicas to one of the allowed values"


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("catalog/models/nvclip.yaml", "  min: 1", "  min: one"),
        ("catalog/models/nvclip.yaml", "  min: 1", "  min: -1"),
        ("environments/dev.yaml", 'kubernetesVersion: "1.33"', "kubernetesVersion: 1.33"),
        ("environments/dev.yaml", "namespace: models-dev", "namespace: Models_Dev"),
        ("environments/dev.yaml", "    gpusPerNode: 2", "    gpusPerNod: 2"),
        ("environments/dev.yaml", "name: dev", "nme: dev"),
    ],
)
def test_every_schema_hint_is_an_action(tmp_path: Path, file: str, old: str, new: str) -> None:
    repo = copy_example(tmp_path / "repo")
    _edit(repo / file, old, new)
    lines = [line for line in _validate(repo) if " schema " in line]
    assert lines
    for line in lines:
        hint = line.rsplit("(fix: ", 1)[1]
        assert ACTION.match(hint), line


def test_a_case_only_profile_typo_is_one_finding_at_the_typo(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    env = repo / "environments/prod.yaml"
    _edit(env, "  - model: nvclip\n    profile: h100\n", "  - model: nvclip\n    profile: H100\n")
    [line] = _validate(repo)
    assert line.startswith("environments/prod.yaml:") and "ref-profile" in line
    assert line.endswith("(fix: names are case-sensitive: write 'h100')")
    # nothing on the untouched model's file, and the model is not rendered on no pool
    code, out, _ = run_cli("validate", "--root", str(repo), "--format", "text")
    assert "catalog/models/nvclip.yaml" not in out
