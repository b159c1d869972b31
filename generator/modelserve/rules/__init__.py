"""The rule registry: every module of this package with an ``INFO`` is a rule, found by name.

A rule is one module: ``INFO`` (id, severity, summary, hint, scopes), ``EXAMPLES`` (a failing
and a passing catalog, run by the tests and shown in docs/rules.md), its docstring (the docs),
and ``check(ctx)`` for the catalog scope and/or ``check_object(obj, objects)`` for the object
scope. Adding a rule is writing the module and running ``make docs``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from modelserve.findings import Finding
from modelserve.platform import DEFAULT_KUBERNETES_VERSION
from modelserve.platform.kserve import NEWEST_KSERVE
from modelserve.render import RenderedObject
from modelserve.rules.base import Context, ObjectSet, Problem, RuleInfo, Scope

if TYPE_CHECKING:
    from modelserve.deploy.tree import BuildRoot


class Rule(Protocol):
    __name__: str
    __doc__: str | None
    INFO: RuleInfo
    EXAMPLES: dict[str, dict[str, str]]


@runtime_checkable
class CatalogRule(Rule, Protocol):
    def check(self, ctx: Context) -> Iterator[Finding]: ...


@runtime_checkable
class ObjectRule(Rule, Protocol):
    def check_object(self, obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]: ...


def _discover() -> tuple[Rule, ...]:
    found: list[Rule] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if not isinstance(getattr(module, "INFO", None), RuleInfo):
            continue  # a helper shared by rules (base, examples, images)
        rule: Rule = module
        scopes = rule.INFO.scopes
        for wanted, kind in (
            (Scope.CATALOG in scopes, CatalogRule),
            (bool(scopes & {Scope.OBJECT, Scope.DERIVED}), ObjectRule),
        ):
            if wanted != isinstance(rule, kind):
                raise TypeError(f"rule {rule.INFO.id}: its scopes and its functions disagree")
        found.append(rule)
    return tuple(sorted(found, key=lambda r: r.INFO.id))


RULES = _discover()
CATALOG_RULES: tuple[CatalogRule, ...] = tuple(r for r in RULES if isinstance(r, CatalogRule))
OBJECT_RULES: tuple[ObjectRule, ...] = tuple(
    r for r in RULES if isinstance(r, ObjectRule) and Scope.OBJECT in r.INFO.scopes
)
# Rules on the objects KServe derives from each InferenceService (modelserve.validate.derived).
DERIVED_RULES: tuple[ObjectRule, ...] = tuple(
    r for r in RULES if isinstance(r, ObjectRule) and Scope.DERIVED in r.INFO.scopes
)


def check_objects(
    objects: ObjectSet, rules: tuple[ObjectRule, ...] = OBJECT_RULES
) -> Iterator[tuple[int, ObjectRule, Problem]]:
    """(index of the object, rule, problem) for each of ``rules`` on every object of the set
    (of the kinds each rule looks at)."""
    by_kind: dict[Any, tuple[ObjectRule, ...]] = {}
    for index, obj in enumerate(objects.objects):
        kind = obj.get("kind")
        kind = kind if isinstance(kind, str) else None
        applicable = by_kind.get(kind)
        if applicable is None:
            applicable = by_kind[kind] = tuple(
                r for r in rules if r.INFO.kinds is None or kind in r.INFO.kinds
            )
        for rule in applicable:
            for problem in rule.check_object(obj, objects):
                yield index, rule, problem


def run_rules(ctx: Context, only: set[str] | None = None) -> Iterator[Finding]:
    """The catalog rules, then the object rules on each environment's rendered objects, their
    problems reported at the catalog or environment line each object field came from; with
    ``only``, just the rules of those ids."""
    for rule in CATALOG_RULES:
        if only is None or rule.INFO.id in only:
            yield from rule.check(ctx)
    object_rules = tuple(r for r in OBJECT_RULES if only is None or r.INFO.id in only)
    if ctx.tree is None or not object_rules:
        return
    by_env: dict[str, list[tuple[RenderedObject, BuildRoot]]] = {}
    for root in ctx.tree.roots:
        by_env.setdefault(root.env, []).extend((rendered, root) for rendered in root.objects)
    for env_name, placed in sorted(by_env.items()):
        env = ctx.catalog.environments.get(env_name)
        objects = ObjectSet(
            [rendered.obj for rendered, _ in placed],
            rendered=True,
            profiles=env.profiles if env else {},
            monitor_labels=env.monitoring_labels if env else {},
            kserve=env.kserve if env else NEWEST_KSERVE,
            kubernetes_version=env.kubernetes_version if env else DEFAULT_KUBERNETES_VERSION,
            hybrid_manager=env.hybrid_manager if env else False,
        )
        for index, object_rule, problem in check_objects(objects, object_rules):
            rendered, root = placed[index]
            info = object_rule.INFO
            yield rendered.finding(
                info,
                problem.pointer,
                problem.message,
                root.kustomization,
                severity=problem.severity,
            )
