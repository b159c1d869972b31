"""What every rule module shares: its scope, the context it checks and how it makes a Finding.

A rule's scope says what it reads. A ``catalog`` rule reads the typed catalog (``check(ctx)``);
an ``object`` rule checks one Kubernetes object, rendered or hand-written
(``check_object(obj, objects)``), and answers with problems at JSON pointers into it, which
``validate`` maps back to catalog lines and ``validate-manifests --policy`` to the manifest's own.
A ``derived`` rule checks the objects KServe's reconciler creates from each InferenceService
(``modelserve.validate.derived``) with the same ``check_object``; its problems are reported at
the catalog or environment line each derived field came from.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from modelserve.findings import Finding, Severity, format_path
from modelserve.model import Catalog, Environment, Model, ModelEntry, Profile, Runtime, Source
from modelserve.platform import DEFAULT_KUBERNETES_VERSION
from modelserve.platform.kserve import NEWEST_KSERVE, KServe
from modelserve.shapes import mapping as mapping  # re-exported: the rules import them from here
from modelserve.shapes import sequence as sequence

if TYPE_CHECKING:
    from modelserve.cache.findings import FindingsCache
    from modelserve.deploy.tree import Tree
    from modelserve.load.recency import Recency


T = TypeVar("T")


class Scope(enum.Enum):
    CATALOG = "catalog"
    OBJECT = "object"
    DERIVED = "derived"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Placement:
    """One model entry of one environment with everything it refers to resolved (None where
    missing)."""

    env: Environment
    entry: ModelEntry
    model: Model | None
    runtime: Runtime | None
    profile: Profile | None


@dataclass
class Context:
    catalog: Catalog
    tree: Tree | None = None
    recency: Recency | None = None  # which file a user edited last, for conflicts of two files
    # validate's cache and its Kustomize roots' keys: object-rule findings are cached per root
    cache: FindingsCache | None = None
    root_keys: dict[str, str] = field(default_factory=dict)
    uncacheable: frozenset[str] | set[str] = frozenset()
    known_clean: frozenset[str] | set[str] = frozenset()  # files known to hold no credential
    _placements: list[Placement] | None = field(default=None, init=False, repr=False, compare=False)

    def placements(self) -> Iterator[Placement]:
        """Every deployment of every environment, resolved once and shared by the rules that ask."""
        if self._placements is None:
            self._placements = []
            for env in sorted(self.catalog.environments.values(), key=lambda e: e.name):
                for entry in env.entries:
                    model = self.catalog.models.get(entry.model)
                    runtime = self.catalog.runtimes.get(model.runtime) if model else None
                    profile = env.profiles.get(entry.profile) if entry.profile else None
                    self._placements.append(Placement(env, entry, model, runtime, profile))
        return iter(self._placements)


@dataclass
class ObjectSet:
    """What an object rule sees beside the object it checks: the objects applied with it (one
    environment's rendered objects, or every document given to ``validate-manifests``)."""

    objects: list[dict[str, Any]]
    rendered: bool
    profiles: Mapping[str, Profile] = field(default_factory=dict)
    monitor_labels: Mapping[str, str] = field(default_factory=dict)
    # The KServe release that admits and reconciles the objects: the environment's, or for
    # hand-written manifests the one given to validate-manifests (default: the newest supported).
    kserve: KServe = NEWEST_KSERVE
    # KServe installs its own ClusterServingRuntimes with every release; runtime-collision counts
    # them as present unless told otherwise (a conformance case that lists its own runtimes).
    builtin_runtimes: bool = True
    # On an EDB Hybrid Manager cluster the runtimes its documentation deploys exist too.
    hybrid_manager: bool = False
    # The environment's Kubernetes minor version: some API server checks changed between them.
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """A value computed once per set (an index of the objects, say) for the rules that ask."""
        if key not in self._memo:
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value

    def runtime_of(self, isvc: dict[str, Any], name: str) -> dict[str, Any] | None:
        """The runtime KServe resolves for the InferenceService ``isvc`` naming runtime
        ``name``: a ServingRuntime of its namespace, else the ClusterServingRuntime of that name
        (``GetServingRuntime``, pkg/controller/v1beta1/inferenceservice/utils/utils.go)."""
        index = self.memo("runtimes-by-name", lambda: _runtime_index(self.objects))
        namespace = mapping(isvc.get("metadata")).get("namespace")
        namespace = namespace if isinstance(namespace, str) else None
        return index.get(("ServingRuntime", namespace, name)) or index.get(
            ("ClusterServingRuntime", None, name)
        )


def _runtime_index(objects: list[dict[str, Any]]) -> dict[tuple[str, Any, Any], dict[str, Any]]:
    index: dict[tuple[str, Any, Any], dict[str, Any]] = {}
    for other in objects:
        kind, meta = other.get("kind"), mapping(other.get("metadata"))
        name, namespace = meta.get("name"), meta.get("namespace")
        if kind in ("ClusterServingRuntime", "ServingRuntime") and isinstance(name, str):
            scope = namespace if kind == "ServingRuntime" and isinstance(namespace, str) else None
            index.setdefault((str(kind), scope, name), other)
    return index


@dataclass(frozen=True)
class Problem:
    """What an object rule found: a message at a JSON pointer into the object it checked."""

    pointer: tuple[Any, ...]
    message: str
    severity: Severity | None = None  # None: the rule's own


@dataclass(frozen=True)
class RuleInfo:
    id: str
    severity: Severity
    summary: str
    hint: str
    scopes: frozenset[Scope] = frozenset({Scope.CATALOG})
    # An object rule that tolerates any shape of object also checks hand-written documents
    # that failed their schema (a credential is no less leaked in a malformed manifest).
    any_shape: bool = False
    # The kinds an object rule looks at (None: every kind); check_objects dispatches by it, so a
    # rule is not called for the thousands of objects it would return from at once.
    kinds: frozenset[str] | None = None

    def at(
        self,
        source: Source,
        path: tuple[Any, ...],
        message: str,
        *,
        obj: str = "",
        severity: Severity | None = None,
        hint: str | None = None,
    ) -> Finding:
        file, line, col = source.at(*path)
        return Finding(
            file,
            line,
            col,
            self.id,
            severity or self.severity,
            message,
            format_path(path),
            obj,
            self.hint if hint is None else hint,
        )
