"""The rule registry: every module of this package with an ``INFO`` is a rule, found by name.

A rule is one module: ``INFO`` (id, severity, summary, hint, scopes), ``EXAMPLES`` (a failing
and a passing catalog, run by the tests and shown in docs/rules.md), its docstring (the docs),
and ``check(ctx)`` for the catalog scope and/or ``check_object(obj, objects)`` for the object
scope. Adding a rule is writing the module and running ``make docs``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator
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
    objects: ObjectSet,
    rules: tuple[ObjectRule, ...] = OBJECT_RULES,
    indexes: Iterable[int] | None = None,
) -> Iterator[tuple[int, ObjectRule, Problem]]:
    """(index of the object, rule, problem) for each of ``rules`` on every object of the set
    (or those at ``indexes``; the others are still there to be looked up), of the kinds each
    rule looks at."""
    by_kind: dict[Any, tuple[ObjectRule, ...]] = {}
    for index in range(len(objects.objects)) if indexes is None else indexes:
        obj = objects.objects[index]
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
    ``only``, just the rules of those ids.

    With ``ctx.cache`` and the roots' keys, the object rules' findings are cached per Kustomize
    root: what they find on a root's objects depends on those objects (the root's key), the
    environment's runtimes (its runtimes root's key) and, for monitors, which predictors the
    environment's labels select (a digest of every InferenceService's name and labels).
    """
    for rule in CATALOG_RULES:
        if only is None or rule.INFO.id in only:
            yield from rule.check(ctx)
    object_rules = tuple(r for r in OBJECT_RULES if only is None or r.INFO.id in only)
    if ctx.tree is None or not object_rules:
        return
    # Each environment sees its cluster's shared objects (its runtimes) beside its own; they
    # are checked once, with the first environment of the cluster (root.env).
    by_env: dict[str, list[tuple[RenderedObject, BuildRoot]]] = {}
    for root in ctx.tree.roots:
        for env_name in root.envs:
            by_env.setdefault(env_name, []).extend((rendered, root) for rendered in root.objects)
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
        for root, indexes, key in _root_groups(ctx, env_name, placed, object_rules):
            hit = ctx.cache.get(key) if ctx.cache is not None and key else None
            if hit is not None:
                yield from hit
                continue
            found = []
            for index, object_rule, problem in check_objects(objects, object_rules, indexes):
                rendered = placed[index][0]
                found.append(
                    rendered.finding(
                        object_rule.INFO,
                        problem.pointer,
                        problem.message,
                        root.kustomization,
                        severity=problem.severity,
                    )
                )
            if ctx.cache is not None and key:
                ctx.cache.put(key, found)
            yield from found


def _root_groups(
    ctx: Context,
    env_name: str,
    placed: list[tuple[RenderedObject, BuildRoot]],
    rules: tuple[ObjectRule, ...],
) -> Iterator[tuple[BuildRoot, list[int], str]]:
    """The indexes of the objects of each root ``env_name`` checks, and the key of its
    object-rule findings ("" when they are not to be cached: no keys, or a root made from a
    credential)."""
    groups: dict[str, tuple[BuildRoot, list[int]]] = {}
    for index, (_, root) in enumerate(placed):
        if root.env == env_name:
            groups.setdefault(root.path, (root, []))[1].append(index)
    keys = ctx.root_keys
    runtimes = next((r.path for _, r in placed if r.path.startswith("shared/")), "")
    from modelserve.cache.findings import make_key

    selected = ""
    if keys:
        # The renderer writes labels in a fixed order, so they need no sorting here (another
        # order would only be a cache miss).
        selected = make_key(
            *sorted(
                repr(
                    (
                        o.obj["metadata"].get("namespace"),
                        o.obj["metadata"]["name"],
                        o.obj["metadata"].get("labels"),
                    )
                )
                for o, _ in placed
                if o.obj.get("kind") == "InferenceService"
            )
        )
    for path, (root, indexes) in groups.items():
        key = ""
        if keys and path in keys and runtimes in keys and not root.sources & ctx.uncacheable:
            key = make_key(
                "object-rules", keys[path], keys[runtimes], selected, *(r.INFO.id for r in rules)
            )
        yield root, indexes, key
