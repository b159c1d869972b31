"""A GPU model runs a GPU build of its runtime's image.

Some serving images are published as a CPU build and a CUDA build of one version, told apart by
the tag: ``kserve/huggingfaceserver:v0.20.0`` is the CPU build and ``:v0.20.0-gpu`` the CUDA
one, and so are ``tensorflow/serving`` and ``pytorch/torchserve-kfs`` (KServe's
``config/runtimes/kustomization.yaml`` maps each to its ``-gpu`` image). KServe swaps the tag
itself only in ``UpdateImageTag`` (``pkg/controller/v1beta1/inferenceservice/utils/utils.go``):
when the predictor requests GPUs and the runtime is one of its own by name
(``kserve-huggingfaceserver``, ``kserve-tensorflow-serving``, ``kserve-torchserve``; from
v0.20 also by the ``serving.kserve.io/server-type`` annotation), it appends ``-gpu`` to the tag,
but from v0.16 never to an image pinned by digest, and v0.15 appends it to the digest (an image
reference no registry resolves). Any other GPU model on one of these CPU tags runs without CUDA.

A runtime states its build with ``imageVariant: gpu`` or ``cpu`` in the catalog (rendered as
the ``modelserve.io/image-variant`` annotation, which a hand-written runtime may carry too);
``cpu`` under a GPU model is an error whatever the image, ``gpu`` is trusted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping, sequence
from modelserve.rules.examples import RUNTIME  # its model (llama) requests one GPU
from modelserve.rules.gpu_placement import gpu_amounts
from modelserve.rules.images import parse_image

INFO = RuleInfo(
    "runtime-image-variant",
    Severity.ERROR,
    "GPU models run the GPU build of images published as CPU and GPU builds",
    "use the -gpu tag of the image (or set imageVariant: gpu on a runtime whose image is one)",
    frozenset({Scope.OBJECT}),
    kinds=frozenset({"InferenceService"}),
)
HF_CPU = "docker.io/kserve/huggingfaceserver:v0.20.0"
EXAMPLES = {
    "fail": {
        "catalog/runtimes/vllm-runtime.yaml": re.sub(
            r"(?m)^image: .*$", f"image: {HF_CPU}", RUNTIME
        )
    },
    # A NIM image states its build: it is no split build, and says it is a GPU one.
    "pass": {"catalog/runtimes/vllm-runtime.yaml": RUNTIME + "imageVariant: gpu\n"},
}

VARIANT = "modelserve.io/image-variant"
SERVER_TYPE = "serving.kserve.io/server-type"
# Image repositories (as parse_image gives them) published as a CPU tag and a "-gpu" tag, and
# the KServe runtime name and server type for which KServe swaps the tag itself.
SPLIT_BUILDS = {
    "kserve/huggingfaceserver": ("kserve-huggingfaceserver", "huggingfaceserver"),
    "tensorflow/serving": ("kserve-tensorflow-serving", "tensorflow-serving"),
    "pytorch/torchserve-kfs": ("kserve-torchserve", "torchserve"),
}


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    if obj.get("kind") != "InferenceService":
        return
    model = mapping(mapping(mapping(obj.get("spec")).get("predictor")).get("model"))
    resources = mapping(model.get("resources"))
    if not gpu_amounts(resources, "limits") and not gpu_amounts(resources, "requests"):
        return
    if not isinstance(model.get("runtime"), str):
        return
    runtime = objects.runtime_of(obj, model["runtime"])
    if runtime is None:
        return
    name = str(mapping(runtime.get("metadata")).get("name", ""))
    notes = mapping(mapping(runtime.get("metadata")).get("annotations"))
    pointer = ("spec", "predictor", "model", "runtime")
    if notes.get(VARIANT) == "gpu":
        return
    if notes.get(VARIANT) == "cpu":
        yield Problem(pointer, f"GPU model on runtime '{name}', whose image is a CPU build")
        return
    containers = [
        c for c in sequence(mapping(runtime.get("spec")).get("containers")) if isinstance(c, dict)
    ]
    image = next((c.get("image") for c in containers if c.get("name") == "kserve-container"), None)
    image = image if image is not None else (containers[0].get("image") if containers else None)
    if not isinstance(image, str):
        return
    kserve = objects.kserve
    version = model.get("runtimeVersion")
    if isinstance(version, str) and not (kserve.at_least(16) and "@sha256:" in image):
        # UpdateImageTag replaces the tag with runtimeVersion (and appends nothing).
        image = re.sub(r"(:([\w.\-_]*))$", "", image) + ":" + version
        version_set = True
    else:
        version_set = False
    ref = parse_image(image)
    family = SPLIT_BUILDS.get(ref.repository.removeprefix("library/"))
    if family is None or ref.tag is None or ref.tag.endswith("-gpu"):
        return  # not a split build, the GPU build, or a bare digest (set imageVariant)
    if not version_set and _kserve_swaps(name, notes, family, resources, kserve):
        if ref.digest is None:
            return  # KServe runs the -gpu tag
        if not kserve.at_least(16):
            yield Problem(
                pointer,
                f"KServe {kserve} appends '-gpu' to the digest of '{image}' for GPU models: the "
                "image reference it runs resolves nowhere",
            )
        else:
            yield Problem(
                pointer,
                f"GPU model on runtime '{name}': '{image}' is the CPU build, and KServe does not "
                "swap the tag of an image pinned by digest",
            )
        return
    yield Problem(
        pointer,
        f"GPU model on runtime '{name}': '{image}' is the CPU build "
        f"(the CUDA build is tagged '{ref.tag}-gpu')",
    )


def _kserve_swaps(
    name: str,
    notes: dict[str, Any],
    family: tuple[str, str],
    resources: dict[str, Any],
    kserve: Any,
) -> bool:
    """``UpdateImageTag`` appends ``-gpu`` itself: the server type resolves to the family (from
    v0.20 the ``serving.kserve.io/server-type`` annotation first, else the runtime's name) and
    ``IsGPUEnabled`` holds (``pkg/utils/utils.go``: a ``nvidia.com/gpu`` limit; from v0.16 also a
    ``nvidia.com/mig-*`` one; requests and other vendors never count)."""
    server_type = notes.get(SERVER_TYPE) if kserve.at_least(20) else None
    if not server_type:
        server_type = family[1] if name == family[0] else ""
    limits = mapping(resources.get("limits"))
    gpu = "nvidia.com/gpu" in limits or (
        kserve.at_least(16) and any(str(k).startswith("nvidia.com/mig") for k in limits)
    )
    return bool(server_type == family[1] and gpu)
