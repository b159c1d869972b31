"""Generation as a library call: catalog in, deploy/ files out (in memory), or findings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from modelserve.deploy.budget import over_budget
from modelserve.deploy.tree import Tree, build_tree
from modelserve.findings import Finding, Severity
from modelserve.gcpause import cycle_collection_paused
from modelserve.load.repository import Repository, load_repository
from modelserve.model import Catalog
from modelserve.report.waivers import repository_outcome
from modelserve.rules import run_rules
from modelserve.rules.base import Context


@dataclass
class Generated:
    catalog: Catalog
    tree: Tree | None
    findings: list[Finding] = field(default_factory=list)
    # findings an inline waiver or .modelserve.yaml took away, with why: reported, not dropped
    suppressed: list[tuple[Finding, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]


@cycle_collection_paused()
def generate(
    repo: Repository,
    progress: Callable[[str], None] | None = None,
    schema_dirs: list[Path] | None = None,
) -> Generated:
    """Load, check and render; ``tree`` is None when the catalog has errors. With
    ``schema_dirs`` (a list, maybe empty: the shipped schemas are always used) the rendered
    objects are validated against their schemas too, as ``validate`` does after its builds."""
    loaded = load_repository(repo)
    too_large = over_budget(loaded.catalog)
    if too_large is not None:  # not even rendered
        return Generated(loaded.catalog, None, sorted(set(loaded.findings + [too_large])))
    tree = build_tree(loaded.catalog, progress)
    findings = list(loaded.findings) + list(
        run_rules(Context(loaded.catalog, tree, loaded.recency))
    )
    if schema_dirs is not None and not any(f.severity is Severity.ERROR for f in findings):
        from modelserve.validate.rendered import rendered_schema_findings

        findings += rendered_schema_findings(tree, loaded.catalog, schema_dirs)
    # Waived and disabled findings do not stop the write: what validate passes, generate writes.
    outcome = repository_outcome(findings, loaded.catalog, repo.root)
    result = Generated(loaded.catalog, tree, sorted(set(outcome.findings)), outcome.suppressed)
    if result.errors:
        result.tree = None
    return result
