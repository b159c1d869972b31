"""The objects KServe derives from each InferenceService, checked as the API server checks them.

For every InferenceService of a Kustomize root, the Deployment, Service and autoscaler KServe's
Standard-mode reconciler builds from it and its runtime (``modelserve.derive.predictor``) are
validated against the Kubernetes schemas of the environment's version and by the rules whose
scope includes ``derived`` (the API server's semantic validation, which no schema holds). What
the reconciler itself refuses is a ``kserve-reconcile`` finding on the InferenceService. Every
finding is reported at the catalog or environment line the field came from, and cached with the
root's other findings (the root's key covers the model, runtime and environment files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelserve.deploy.tree import BuildRoot, Tree
from modelserve.derive import DerivedObject
from modelserve.derive.predictor import derive_predictor
from modelserve.findings import Finding, Severity
from modelserve.model import Catalog
from modelserve.render import RenderedObject
from modelserve.rules import DERIVED_RULES, ObjectRule, check_objects
from modelserve.rules.base import ObjectSet, RuleInfo, Scope
from modelserve.validate.rendered import schema_findings

RECONCILE = RuleInfo(
    "kserve-reconcile",
    Severity.ERROR,
    "KServe's reconciler can build the predictor from the InferenceService and its runtime",
    "give the runtime a container named kserve-container",
)


@dataclass
class DerivedCheck:
    findings: list[Finding] = field(default_factory=list)
    objects: int = 0


def check_derived(
    root: BuildRoot,
    tree: Tree,
    catalog: Catalog,
    store: Any,
    rules: tuple[ObjectRule, ...] = DERIVED_RULES,
) -> DerivedCheck:
    """The derived objects of the InferenceServices of ``root``, checked against ``store``'s
    schemas (None: not) and by ``rules``."""
    result = DerivedCheck()
    isvcs = [o for o in root.objects if o.obj.get("kind") == "InferenceService"]
    env = catalog.environments.get(root.env)
    if not isvcs or env is None:
        return result
    runtimes = _runtimes(tree, root.env)
    derived: list[DerivedObject] = []
    for isvc in isvcs:
        model = isvc.obj["spec"]["predictor"].get("model") or {}
        derivation = derive_predictor(isvc, runtimes.get(str(model.get("runtime"))), env.kserve)
        for pointer, message in derivation.errors:
            text = f"KServe {env.kserve} cannot build the predictor of {isvc.label}: {message}"
            result.findings.append(isvc.finding(RECONCILE, pointer, text, root.kustomization))
        derived += derivation.objects
    result.objects = len(derived)
    if store is not None:  # None: the rules only (the rule examples' tests)
        for obj in derived:
            result.findings += schema_findings(store, obj, obj.obj, root.kustomization)
    objects = ObjectSet(
        [d.obj for d in derived],
        rendered=True,
        profiles=env.profiles,
        monitor_labels=env.monitoring_labels,
        kserve=env.kserve,
        kubernetes_version=env.kubernetes_version,
    )
    for index, rule, problem in check_objects(objects, rules):
        source, path = derived[index].source_of(problem.pointer)
        if (
            Scope.OBJECT in rule.INFO.scopes
            and (rule.INFO.kinds is None or "InferenceService" in rule.INFO.kinds)
            and source is derived[index].owner
            and path[:1] == ("metadata",)
        ):
            continue  # the InferenceService's own metadata: the rule reported it there
        result.findings.append(
            derived[index].finding(
                rule.INFO,
                problem.pointer,
                f"{derived[index].label}: {problem.message}",
                root.kustomization,
                severity=problem.severity,
            )
        )
    return result


def _runtimes(tree: Tree, env: str) -> dict[str, RenderedObject]:
    """The environment's ClusterServingRuntimes by name (those a model names; KServe's
    built-in ones are never named by a catalog model)."""
    return {
        o.obj["metadata"]["name"]: o
        for r in tree.env_roots(env)
        for o in r.objects
        if o.obj.get("kind") == "ClusterServingRuntime"
    }
