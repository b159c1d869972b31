"""No image runs by the ``latest`` tag, or by no tag at all, unless pinned by digest.

``latest`` changes under a running deployment and makes rollbacks meaningless; HM's own
documentation uses it for several NIMs, which is exactly what this rule catches. Checked on
every container of the rendered objects (reported at the runtime's ``image`` or the
environment's ``runtimeImages`` entry) and of hand-written manifests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope
from modelserve.rules.examples import DIGEST, RUNTIME
from modelserve.rules.images import containers_of, parse_image

INFO = RuleInfo(
    "image-latest",
    Severity.ERROR,
    "Images do not use the latest tag (or no tag) without a digest",
    "pin a released version tag, and a digest",
    frozenset({Scope.OBJECT}),
)
EXAMPLES = {
    "fail": {"catalog/runtimes/vllm-runtime.yaml": RUNTIME.replace(f":1.3.3@{DIGEST}", ":latest")},
    "pass": {},
}


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    for pointer, container in containers_of(obj):
        image = container.get("image")
        if not isinstance(image, str):
            continue
        ref = parse_image(image)
        if ref.digest is None and ref.tag in (None, "latest"):
            shown = "the latest tag" if ref.tag else "no tag (so latest)"
            yield Problem(pointer + ("image",), f"image '{image}' runs with {shown}")
