"""Image references as the container runtime reads them: registry, repository, tag, digest.

Kept apart from the rules so that rendering, endpoints and import parse images the same way
without importing the rule registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
DOCKER_HUB = "docker.io"


@dataclass(frozen=True)
class ImageRef:
    raw: str
    registry: str  # "" when the reference names none (Docker Hub implied)
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """Registry and repository, without tag or digest: what Kustomize's images transformer
        matches an entry's ``name`` against."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository


def parse_image(ref: str) -> ImageRef:
    name, _, digest = ref.partition("@")
    first, slash, rest = name.partition("/")
    # a registry host has a dot or a port, or is localhost (the reference parser's rule)
    has_registry = bool(slash) and ("." in first or ":" in first or first == "localhost")
    registry, path = (first, rest) if has_registry else ("", name)
    tag = None
    if ":" in path:
        path, tag = path.rsplit(":", 1)
    return ImageRef(ref, registry, path, tag, digest or None)
