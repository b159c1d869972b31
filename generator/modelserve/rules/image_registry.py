"""Images come from a registry the environment allows, named explicitly.

``registry.allowed`` lists registry hosts (shell patterns such as
``*.dkr.ecr.us-east-1.amazonaws.com``). A reference without a host silently means Docker Hub,
which air-gapped clusters cannot reach and which rate-limits pulls. An image the allow-list
refuses is reported at the image, unless the environment file was edited after the runtime's
(in git, or uncommitted): then the allow-list edit is what broke it, and the finding is on
``registry.allowed``.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import RUNTIME
from modelserve.rules.images import env_images, registry_allowed

INFO = RuleInfo(
    "image-registry",
    Severity.ERROR,
    "Images name their registry, and the environment allows it",
    "mirror the image into an allowed registry, or add the registry to registry.allowed",
)
EXAMPLES = {
    "fail": {
        "catalog/runtimes/vllm-runtime.yaml": RUNTIME.replace("image: nvcr.io/", "image: ghcr.io/")
    },
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    for env, runtime, image, source, path in env_images(ctx):
        if not image.registry:
            yield INFO.at(
                source,
                path,
                f"image '{image.raw}' of runtime '{runtime.name}' names no registry "
                "(Docker Hub is implied)",
                hint="write the full reference, e.g. docker.io/" + image.raw,
            )
            continue
        allowed = list(env.registry.get("allowed") or [])
        if allowed and not registry_allowed(image.registry, allowed):
            message = (
                f"registry '{image.registry}' of runtime '{runtime.name}' is not allowed in "
                f"'{env.name}' (allowed: {', '.join(allowed)})"
            )
            recency = ctx.recency
            if (
                source is not env.source
                and recency is not None
                and (recency.newer(source.file, env.source.file) == env.source.file)
            ):
                # The allow-list is what changed: reported where it was edited.
                yield INFO.at(env.source, ("registry", "allowed"), message)
            else:
                yield INFO.at(source, path, message)
