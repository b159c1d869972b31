"""The rendered objects against their schemas, before anything is written or built.

``validate`` checks what Kustomize builds; the builds equal what was rendered (else a
build-mismatch finding), so checking the rendered objects themselves gives ``generate`` the same
verdict at the rendered-object stage, without the builds: a catalog value that passes the input
schema but not the object's (``cpu: "500mi"``) is refused by both, at the same catalog line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelserve.deploy.tree import Tree
from modelserve.findings import Finding, Severity, format_path
from modelserve.model import Catalog
from modelserve.render import Locatable
from modelserve.rules.base import RuleInfo

# The hint of a problem found in a rendered object: where to fix it.
AT_SOURCE = "fix the catalog or environment field this comes from"


def rendered_schema_findings(
    tree: Tree, catalog: Catalog, store_dirs: list[Path], strict: bool = False
) -> list[Finding]:
    from modelserve.validate.derived import check_derived
    from modelserve.validate.kubeschemas import SchemaStore
    from modelserve.validate.store import StoreIndex

    index = StoreIndex.scan(store_dirs)
    stores: dict[str, Any] = {}
    findings: list[Finding] = []
    for root in tree.roots:
        env = catalog.environments.get(root.env)
        version = env.kubernetes_version if env else "1.33"
        if version not in stores:
            stores[version] = SchemaStore(version, store_dirs, strict=strict, index=index)
        for rendered in root.objects:
            findings += schema_findings(stores[version], rendered, rendered.obj, root.kustomization)
        findings += check_derived(root, tree, catalog, stores[version]).findings
    return findings


def schema_findings(
    store: Any, rendered: Locatable, obj: dict[str, Any], fallback: str
) -> list[Finding]:
    """``obj`` (``rendered``'s object, what a build made of it, or an object KServe derives)
    against its schema; each problem at the catalog or environment line of the field (else line
    1 of ``fallback``)."""
    from modelserve.validate.objects import validate_object

    findings = []
    for problem in validate_object(store, obj):
        pointer = tuple(problem.pointer)
        severity = Severity.ERROR if problem.severity == "error" else Severity.WARNING
        message = f"{rendered.label}: {format_path(pointer) or 'object'}: {problem.message}"
        check = RuleInfo(problem.rule, severity, "", AT_SOURCE)  # schema, cel, api-version
        findings.append(rendered.finding(check, pointer, message, fallback))
    return findings
