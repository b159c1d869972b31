"""What every rule module shares: the context it checks and how it makes a Finding."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modelserve.findings import Finding, Severity, format_path
from modelserve.model import Catalog, Deployment, Environment, Model, Profile, Runtime, Source

if TYPE_CHECKING:
    from modelserve.deploy.tree import Tree


@dataclass(frozen=True)
class Placement:
    """One deployment with everything it refers to resolved (None where missing)."""

    env: Environment
    dep: Deployment
    model: Model | None
    runtime: Runtime | None
    profile: Profile | None


@dataclass
class Context:
    catalog: Catalog
    tree: Tree | None = None
    options: dict[str, Any] = field(default_factory=dict)
    _placements: list[Placement] | None = field(default=None, init=False, repr=False, compare=False)

    def placements(self) -> Iterator[Placement]:
        """Every deployment of every environment, resolved once and shared by the rules that ask."""
        if self._placements is None:
            self._placements = []
            for env in sorted(self.catalog.environments.values(), key=lambda e: e.name):
                for dep in env.deployments:
                    model = self.catalog.models.get(dep.model)
                    runtime = self.catalog.runtimes.get(model.runtime) if model else None
                    profile = env.profiles.get(dep.profile) if dep.profile else None
                    self._placements.append(Placement(env, dep, model, runtime, profile))
        return iter(self._placements)


@dataclass(frozen=True)
class RuleInfo:
    id: str
    severity: Severity
    summary: str
    hint: str

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
