"""Shared machinery of the rule tests: a small repository written to tmp_path, loaded, rendered and
checked exactly as ``modelserve validate`` does before its Kustomize stage.

The base repository is ``modelserve.rules.examples`` (one runtime, one model ``llama``, one
environment ``dev``); a test replaces whole files with ``overrides`` and looks at the findings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelserve.deploy.tree import build_tree
from modelserve.findings import Finding, Severity
from modelserve.load.repository import Loaded, Repository, load_repository
from modelserve.rules import DERIVED_RULES, run_rules
from modelserve.rules.base import Context
from modelserve.rules.examples import files_for
from modelserve.validate.derived import check_derived

RUNTIME_FILE = "catalog/runtimes/vllm-runtime.yaml"
MODEL_FILE = "catalog/models/llama.yaml"
ENV_FILE = "environments/dev.yaml"


def load(root: Path) -> tuple[Loaded, Context]:
    loaded = load_repository(Repository(root))
    return loaded, Context(loaded.catalog, build_tree(loaded.catalog), loaded.recency)


def check_files(
    write_repo: Any, root: Path, overrides: dict[str, str | None], rule_id: str | None = None
) -> list[Finding]:
    """Findings (loader + rules, or one rule) for the base example with ``overrides`` applied."""
    loaded, ctx = load(write_repo(root, files_for(overrides)))
    assert loaded.findings == [], "the test's own files must load cleanly"
    return rule_findings(ctx, rule_id)


def rule_findings(ctx: Context, rule_id: str | None = None) -> list[Finding]:
    """What ``validate`` reports from the rules (all, or one): on the catalog, the rendered
    objects, and the objects KServe derives from them (without the schema checks)."""
    found = list(run_rules(ctx, None if rule_id is None else {rule_id}))
    rules = tuple(r for r in DERIVED_RULES if rule_id is None or r.INFO.id == rule_id)
    assert ctx.tree is not None
    for root in ctx.tree.roots:
        found += check_derived(root, ctx.tree, ctx.catalog, None, rules).findings
    return [f for f in found if rule_id is None or f.rule == rule_id]


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]
