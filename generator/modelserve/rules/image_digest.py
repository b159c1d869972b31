"""Where the environment requires it, every image is pinned by sha256 digest.

A tag can be moved to other bytes at any time; a digest cannot. Production clusters that
mirror images (air-gapped, with skopeo) keep the digest, so pinning costs nothing there.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import DIGEST, RUNTIME
from modelserve.rules.images import DIGEST as DIGEST_PATTERN
from modelserve.rules.images import env_images

INFO = RuleInfo(
    "image-digest",
    Severity.ERROR,
    "Images are pinned by digest where registry.requireDigest is set",
    "append @sha256:<digest> (skopeo inspect docker://IMAGE shows it)",
)
EXAMPLES = {
    "fail": {"catalog/runtimes/vllm-runtime.yaml": RUNTIME.replace(f"@{DIGEST}", "")},
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    for env, runtime, image, source, path in env_images(ctx):
        if image.digest is not None and not DIGEST_PATTERN.match(image.digest):
            yield INFO.at(
                source,
                path,
                f"image '{image.raw}' has a malformed digest '{image.digest}'",
                hint="a digest is sha256: followed by 64 lower-case hex digits",
            )
        elif image.digest is None and env.registry.get("requireDigest"):
            yield INFO.at(
                source,
                path,
                f"environment '{env.name}' requires digests but runtime '{runtime.name}' "
                f"uses '{image.raw}'",
            )
