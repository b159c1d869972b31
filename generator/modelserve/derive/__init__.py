"""Derive: the objects KServe's Standard-mode reconciler creates from an InferenceService.

What fails on a cluster is often not the InferenceService but the Deployment, Service and
HorizontalPodAutoscaler KServe builds from it and its runtime, which the API server then
validates. ``derive_predictor`` (``modelserve.derive.predictor``) builds them as the
environment's KServe release does; each ``DerivedObject`` remembers which field of which
rendered object (the InferenceService or its ClusterServingRuntime) each of its fields came from,
so a problem found in a derived object is reported at the catalog or environment line a user
edits, like a problem in a rendered object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelserve.render import Locatable, RenderedObject


@dataclass(frozen=True)
class Trace:
    """Derived field ``prefix`` came from field ``path`` of the rendered object ``source``."""

    prefix: tuple[Any, ...]
    source: RenderedObject
    path: tuple[Any, ...]


class DerivedObject(Locatable):
    """A derived object and, computed when first asked for, where its fields came from."""

    __slots__ = ("obj", "owner", "kserve", "_traces")

    def __init__(
        self,
        obj: dict[str, Any],
        owner: RenderedObject,
        kserve: str,
        traces: Callable[[], list[Trace]],
    ):
        self.obj = obj
        self.owner = owner  # the InferenceService it is derived from
        self.kserve = kserve
        self._traces: list[Trace] | Callable[[], list[Trace]] = traces

    @property
    def traces(self) -> list[Trace]:
        if callable(self._traces):
            self._traces = self._traces()
        return self._traces

    @property
    def label(self) -> str:
        meta = self.obj["metadata"]
        return (
            f"{self.obj['kind']} {meta['namespace']}/{meta['name']} (KServe {self.kserve} "
            f"derives it from {self.owner.label})"
        )

    def source_of(self, pointer: tuple[Any, ...]) -> tuple[RenderedObject, tuple[Any, ...]]:
        """The rendered object and pointer ``pointer`` of this object came from: the longest
        traced prefix wins (else the InferenceService as a whole)."""
        best: Trace | None = None
        for trace in self.traces:
            if pointer[: len(trace.prefix)] == trace.prefix and (
                best is None or len(trace.prefix) >= len(best.prefix)
            ):
                best = trace
        if best is None:
            return self.owner, ()
        return best.source, best.path + pointer[len(best.prefix) :]

    def locate(self, pointer: tuple[Any, ...]) -> tuple[str, int, int]:
        source, path = self.source_of(pointer)
        return source.locate(path)
