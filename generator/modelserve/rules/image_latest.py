"""No image runs by the ``latest`` tag, or by no tag at all, unless pinned by digest.

``latest`` changes under a running deployment and makes rollbacks meaningless; HM's own
documentation uses it for several NIMs, which is exactly what this rule catches.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import DIGEST, RUNTIME
from modelserve.rules.images import env_images

INFO = RuleInfo(
    "image-latest",
    Severity.ERROR,
    "Images do not use the latest tag (or no tag) without a digest",
    "pin a released version tag, and a digest",
)
EXAMPLES = {
    "fail": {"catalog/runtimes/vllm-runtime.yaml": RUNTIME.replace(f":1.3.3@{DIGEST}", ":latest")},
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    for env, runtime, image, source, path in env_images(ctx):
        if image.digest is None and image.tag in (None, "latest"):
            shown = "the latest tag" if image.tag else "no tag (so latest)"
            yield INFO.at(
                source,
                path,
                f"runtime '{runtime.name}' runs '{image.raw}' with {shown} in '{env.name}'",
            )
