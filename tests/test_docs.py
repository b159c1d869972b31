"""Generated documentation and schemas are committed in the form their generators write."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import jsonschema

from modelserve.commands.rules import markdown
from modelserve.rules import RULES

ROOT = Path(__file__).resolve().parents[1]


def test_rules_md_is_generated_from_the_rules() -> None:
    assert (ROOT / "docs" / "rules.md").read_text() == markdown(), "run `make docs`"


def test_readme_counts_the_rules() -> None:
    assert (
        f"{len(RULES)} rules, each with a failing and a passing example"
        in (ROOT / "README.md").read_text()
    )


def test_capacity_pictures_and_the_readme_plan_are_generated() -> None:
    """docs/capacity/*.svg and the README's plan are what `modelserve capacity --env prod`
    draws and prints now (tools/make_docs.py writes both)."""
    spec = importlib.util.spec_from_file_location("make_docs", ROOT / "tools" / "make_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pictures, plan = module.capacity_docs()
    assert sorted(p.name for p in pictures) == ["onprem-prod-1-h100.svg", "onprem-prod-1-h200.svg"]
    for path, text in pictures.items():
        assert path.is_file() and path.read_text() == text, f"{path.name}: run `make docs`"
    readme = (ROOT / "README.md").read_text()
    assert f"$ modelserve capacity --env prod\n{plan}```" in readme, "run `make docs`"
    for path in pictures:
        assert f"](docs/capacity/{path.name})" in readme


def test_the_readme_endpoints_are_generated() -> None:
    """The README's endpoints table and SQL are what `modelserve endpoints --env prod` prints."""
    spec = importlib.util.spec_from_file_location("make_docs", ROOT / "tools" / "make_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    block = module.endpoints_docs()
    assert "SELECT aidb.create_model(" in block and "| `nvclip` | `vision` |" in block
    assert block in (ROOT / "README.md").read_text(), "run `make docs`"


def test_rules_md_documents_every_rule_with_examples() -> None:
    text = markdown()
    for rule in RULES:
        assert f"## {rule.INFO.id}\n" in text
        assert rule.INFO.hint in text


def _schema_maker():
    spec = importlib.util.spec_from_file_location(
        "make_input_schemas", ROOT / "tools" / "make_input_schemas.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_input_schemas_are_generated() -> None:
    for name, text in _schema_maker().render_all().items():
        assert (ROOT / "schemas" / name).read_text() == text, (
            f"run `python tools/make_input_schemas.py` ({name})"
        )


def test_input_schemas_are_valid_draft_2020_12_and_describe_every_property() -> None:
    def walk(node, where):
        if isinstance(node, dict):
            for key, sub in (node.get("properties") or {}).items():
                assert "description" in sub or "$ref" in sub, f"{where}.{key} has no description"
            for key, sub in node.items():
                walk(sub, f"{where}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}[{i}]")

    for name in ("runtime", "model", "environment", "config"):
        schema = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["additionalProperties"] is False
        walk(schema, name)


def test_example_files_name_their_schema_for_editors() -> None:
    for folder, schema in (
        ("catalog/runtimes", "runtime"),
        ("catalog/models", "model"),
        ("environments", "environment"),
    ):
        for path in sorted((ROOT / folder).glob("*.yaml")):
            first = path.read_text().splitlines()[0]
            assert (
                first.startswith("# yaml-language-server: $schema=")
                and f"{schema}.schema.json" in first
            ), path


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1].strip()
    assert ci == "make test"
    assert "make test" in (ROOT / "README.md").read_text()
