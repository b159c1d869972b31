"""Container images are references the API server accepts and the kubelet can pull.

The API server requires an image and refuses one with leading or trailing whitespace
(``validateContainerCommon`` in ``pkg/apis/core/validation/validation.go``); the kubelet parses
every other one with the image reference grammar of ``github.com/distribution/reference``
before pulling and, when it does not parse, fails the container with ``InvalidImageName``
(``applyDefaultImageTag`` in ``pkg/kubelet/images/image_manager.go``): upper-case letters in the
repository (``nvcr.io/NIM/llama``), a tag of more than 128 characters, a digest that is not
``algorithm:hex``. Checked on the containers of the Deployment KServe derives, where
``UpdateImageTag`` may have changed the tag, and of hand-written workloads.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope
from modelserve.rules.examples import RUNTIME
from modelserve.rules.kubeapi import POD_SPEC_AT, containers, pod_spec
from modelserve.validate.apimachinery import mirrored_version, parse_image_reference

INFO = RuleInfo(
    "image-reference",
    Severity.ERROR,
    "Images are references the kubelet can parse and pull",
    "write the repository in lower case, as registry/path:tag or registry/path@sha256:digest",
    frozenset({Scope.OBJECT, Scope.DERIVED}),
    kinds=frozenset(POD_SPEC_AT),
)
EXAMPLES = {
    "fail": {"catalog/runtimes/vllm-runtime.yaml": RUNTIME.replace("nvcr.io/nim/", "nvcr.io/NIM/")},
    "pass": {},
}
MANIFEST_EXAMPLES = {
    "kserve": "0.20",
    "fail": """\
apiVersion: v1
kind: Pod
metadata: {name: llama}
spec:
  containers: [{name: main, image: "nvcr.io/nim/meta/llama:1.3.3 "}]
""",
    "pass": """\
apiVersion: v1
kind: Pod
metadata: {name: llama}
spec:
  containers: [{name: main, image: nvcr.io/nim/meta/llama:1.3.3}]
""",
}


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    found = pod_spec(obj)
    if found is None:
        return
    for at, container in containers(found[1], found[0]):
        image = container.get("image")
        if not isinstance(image, str):
            continue
        if not image:
            yield Problem(at + ("image",), "image: Required value")
        elif image.strip() != image:
            yield Problem(
                at + ("image",),
                f'image: Invalid value: "{image}": must not have leading or trailing whitespace',
            )
        else:
            errors = parse_image_reference(image, mirrored_version(objects.kubernetes_version))
            if errors:
                yield Problem(
                    at + ("image",), f"the kubelet refuses it (InvalidImageName): {errors[0]}"
                )
