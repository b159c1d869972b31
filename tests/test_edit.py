"""modelserve.edit: round-trip YAML keeps what a user wrote; it stays off the hot path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from modelserve import edit

PROJECT = Path(__file__).resolve().parents[1]
EXAMPLE_MODEL = PROJECT / "catalog" / "models"


def test_an_edit_keeps_comments_order_and_quoting(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(
        "# yaml-language-server: $schema=../../schemas/model.schema.json\n"
        "name: llama  # the model\n"
        "runtime: vllm-runtime\n"
        "format: {name: vllm}\n"
        "replicas:\n"
        "  min: 1  # one is enough in dev\n"
        "  max: 2\n"
        "labels:\n"
        "  team: 'ml'\n"
    )

    def bump(data: dict) -> None:
        data["replicas"]["max"] = 4

    assert edit.edit_file(path, bump) is True
    text = path.read_text()
    assert text == (
        "# yaml-language-server: $schema=../../schemas/model.schema.json\n"
        "name: llama  # the model\n"
        "runtime: vllm-runtime\n"
        "format: {name: vllm}\n"
        "replicas:\n"
        "  min: 1  # one is enough in dev\n"
        "  max: 4\n"
        "labels:\n"
        "  team: 'ml'\n"
    )


def test_an_edit_that_changes_nothing_does_not_write(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text("name: llama\nreplicas: {min: 1}\n")
    before = path.stat().st_mtime_ns
    assert edit.edit_file(path, lambda data: None) is False
    assert path.stat().st_mtime_ns == before


@pytest.mark.parametrize("example", sorted(EXAMPLE_MODEL.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_model_round_trips_unchanged(example: Path) -> None:
    text = example.read_text()
    assert edit.dump(edit.load(text)) == text


@pytest.mark.parametrize("value", ["yes", "no", "on", "off", "null", "~", "1.10", "0x1f", "1:30"])
def test_strings_other_readers_would_retype_are_written_quoted(value: str) -> None:
    text = edit.dump({"tag": value})
    assert yaml.safe_load(text) == {"tag": value}  # PyYAML reads YAML 1.1


def test_create_writes_the_modeline_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "catalog" / "models" / "new.yaml"
    edit.create_file(path, {"name": "new", "runtime": "r"}, "../../schemas/model.schema.json")
    assert path.read_text() == (
        "# yaml-language-server: $schema=../../schemas/model.schema.json\nname: new\nruntime: r\n"
    )
    with pytest.raises(FileExistsError):
        edit.create_file(path, {"name": "other"})
    assert "other" not in path.read_text()


def test_an_edit_keeps_the_file_mode_and_a_new_file_gets_the_umask(tmp_path: Path) -> None:
    """The atomic rename would carry the temporary file's 0600 over a user's 0644 file."""
    path = tmp_path / "model.yaml"
    path.write_text("name: llama\nreplicas: {min: 1}\n")
    path.chmod(0o640)
    assert edit.edit_file(path, lambda d: d["replicas"].update(min=2)) is True
    assert path.stat().st_mode & 0o777 == 0o640
    old = os.umask(0o022)
    try:
        edit.create_file(tmp_path / "new.yaml", {"name": "x"})
    finally:
        os.umask(old)
    assert (tmp_path / "new.yaml").stat().st_mode & 0o777 == 0o644


def test_validate_and_generate_do_not_import_ruamel() -> None:
    code = (
        "import sys\n"
        "from modelserve.cli import build_parser\n"
        "import modelserve.validate.pipeline, modelserve.generate, modelserve.validate.manifests\n"
        "print('ruamel' in ' '.join(sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT / "generator")},
    )
    assert out.stdout.strip() == "False"
