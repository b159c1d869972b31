"""Image references, parsed once for the three image-policy rules (parsing itself is
``modelserve.imageref``'s)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

from modelserve.imageref import DIGEST, ImageRef, parse_image
from modelserve.model import Environment, Runtime, Source
from modelserve.rules.base import Context, mapping, sequence

__all__ = ["DIGEST", "ImageRef", "parse_image", "registry_allowed", "env_images", "containers_of"]


def registry_allowed(registry: str, allowed: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(registry, pattern) for pattern in allowed)


def env_images(
    ctx: Context,
) -> Iterator[tuple[Environment, Runtime, ImageRef, Source, tuple[Any, ...]]]:
    """Each image an environment runs, with where it is written (catalog or override)."""
    for env in sorted(ctx.catalog.environments.values(), key=lambda e: e.name):
        used = {
            ctx.catalog.models[d.model].runtime
            for d in env.entries
            if d.model in ctx.catalog.models
        }
        for name in sorted(used & set(ctx.catalog.runtimes)):
            runtime = ctx.catalog.runtimes[name]
            if name in env.runtime_images:
                yield (
                    env,
                    runtime,
                    parse_image(env.runtime_image(runtime)),
                    env.source,
                    ("runtimeImages", name),
                )
            else:
                yield env, runtime, parse_image(runtime.image), runtime.source, ("image",)


def containers_of(obj: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """(pointer, container) of each container an object declares: a runtime's containers, an
    InferenceService's predictor model, or a pod template's; any shape is tolerated."""
    spec = mapping(obj.get("spec"))
    found: list[tuple[tuple[Any, ...], Any]]
    if obj.get("kind") in ("ClusterServingRuntime", "ServingRuntime"):
        found = [
            (("spec", "containers", i), c) for i, c in enumerate(sequence(spec.get("containers")))
        ]
    elif obj.get("kind") == "InferenceService":
        found = [(("spec", "predictor", "model"), mapping(spec.get("predictor")).get("model"))]
    else:
        pod = mapping(mapping(spec.get("template")).get("spec"))
        found = [
            (("spec", "template", "spec", "containers", i), c)
            for i, c in enumerate(sequence(pod.get("containers")))
        ]
    for pointer, container in found:
        if isinstance(container, dict):
            yield pointer, container
