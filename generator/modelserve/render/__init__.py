"""Render: typed catalog objects into Kubernetes objects, each remembering its source.

Every rendered object carries ``origins``: which catalog or environment field produced which
part of it, so a problem found in the rendered output (a schema error from the Kustomize
build, a monitor with no target) is reported at the line a user edits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelserve.findings import Finding, Severity, format_path
from modelserve.model import Source

if TYPE_CHECKING:
    from modelserve.rules.base import RuleInfo

MANAGED_BY = {"app.kubernetes.io/managed-by": "modelserve"}


@dataclass(frozen=True)
class Origin:
    """Rendered field ``prefix`` came from field ``path`` of ``source``; when ``mirrored``, the
    rendered value has the source's shape below it (a label map, a list of ports), so a field
    deeper than ``prefix`` is located at the same place below ``path``."""

    prefix: tuple[Any, ...]
    source: Source
    path: tuple[Any, ...]
    mirrored: bool = False


class Locatable:
    """An object whose fields can be traced to catalog or environment lines: a finding on one of
    its fields is reported there."""

    __slots__ = ()

    @property
    def label(self) -> str:
        raise NotImplementedError

    def locate(self, pointer: tuple[Any, ...]) -> tuple[str, int, int]:
        raise NotImplementedError

    def finding(
        self,
        rule: RuleInfo,
        pointer: tuple[Any, ...],
        message: str,
        fallback: str,
        *,
        severity: Severity | None = None,
        hint: str | None = None,
    ) -> Finding:
        """A finding at ``pointer`` of this object, reported at the catalog or environment line
        that produced it (or at line 1 of ``fallback`` when no field did), naming the object."""
        file, line, col = self.locate(pointer)
        if not file:
            file, line, col = fallback, 1, 1
        return Finding(
            file,
            line,
            col,
            rule.id,
            severity or rule.severity,
            message,
            format_path(pointer),
            self.label,
            rule.hint if hint is None else hint,
        )


class RenderedObject(Locatable):
    """A rendered object; its origins may be given as a function, computed when first located."""

    __slots__ = ("obj", "model", "_origins")

    def __init__(
        self,
        obj: dict[str, Any],
        origins: list[Origin] | Callable[[], list[Origin]] | None = None,
        model: str | None = None,
    ):
        self.obj = obj
        self.model = model
        self._origins = origins if origins is not None else []

    @property
    def origins(self) -> list[Origin]:
        if callable(self._origins):
            self._origins = self._origins()
        return self._origins

    @property
    def key(self) -> tuple[str, str, str]:
        meta = self.obj["metadata"]
        return (self.obj["kind"], meta.get("namespace", ""), meta["name"])

    @property
    def label(self) -> str:
        kind, namespace, name = self.key
        return f"{kind} {namespace + '/' if namespace else ''}{name}"

    def origin_of(self, pointer: tuple[Any, ...]) -> Origin | None:
        """The longest origin prefix that covers ``pointer``; of two equally long, the later
        (an environment's override is listed after the catalog field)."""
        best: Origin | None = None
        for origin in self.origins:
            if pointer[: len(origin.prefix)] == origin.prefix and (
                best is None or len(origin.prefix) >= len(best.prefix)
            ):
                best = origin
        return best

    def locate(self, pointer: tuple[Any, ...]) -> tuple[str, int, int]:
        """The source position of ``origin_of(pointer)``."""
        best = self.origin_of(pointer)
        if best is None:
            return ("", 0, 0)
        if best.mirrored:  # the nearest located ancestor when the source has no such field
            return best.source.at(*best.path, *pointer[len(best.prefix) :])
        return best.source.at(*best.path)


def quantity_map(resources: dict[str, Any]) -> dict[str, str]:
    return {key: str(resources[key]) for key in ("cpu", "memory") if key in resources}
