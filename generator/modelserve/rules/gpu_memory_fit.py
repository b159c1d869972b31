"""The model's weights, plus overhead, fit in the GPU memory a replica gets.

Weights take parameters x bytes per parameter (bf16/fp16: 2, fp8/int8: 1, int4: 0.5,
fp32: 4); the KV cache and activations need more on top (``size.overheadPercent``, default
20%). A model that does not fit crashes at load with CUDA out-of-memory after the image pull,
often many minutes into a rollout.

On shared GPUs (``gpuProfiles.<p>.sharing``) a replica's unit is a MIG slice, with the slice's
memory (hardware-partitioned), or a time-slicing replica, which guarantees no memory at all: the
NVIDIA device plugin hands out replicas of one GPU to several pods that share its memory without
isolation (device plugin ``api/config/v1/replicas.go``; NVIDIA GPU Operator, "Time-Slicing
GPUs in Kubernetes": "there is no memory or fault-isolation between replicas"). So a model that
states what memory it needs (``size`` or ``gpu.minMemoryGiB``) is refused on a time-sliced pool:
the fit cannot be checked, and a neighbour's load can push it out of memory at any time.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.load.yamlio import PathKey
from modelserve.model import BYTES_PER_PARAMETER, GIB
from modelserve.rules.base import Context, Placement, RuleInfo
from modelserve.rules.examples import MODEL

INFO = RuleInfo(
    "gpu-memory-fit",
    Severity.ERROR,
    "Weights plus overhead fit in GPU count x GPU memory",
    "add GPUs (gpu.count), pick a profile with larger GPUs, or serve a quantized variant",
)
EXAMPLES = {
    "fail": {
        "catalog/models/llama.yaml": MODEL.replace(
            "parametersBillions: 8", "parametersBillions: 70"
        )
    },
    "pass": {},
}


def needed_gib(
    parameters_billions: float, dtype: str, overhead_percent: float
) -> tuple[float, float]:
    weights = parameters_billions * 1e9 * BYTES_PER_PARAMETER[dtype] / GIB
    return weights, weights * (1 + overhead_percent / 100)


def at_model_and_entry(p: Placement, field: PathKey, message: str) -> Iterator[Finding]:
    """The finding at the model file's field (the edit that usually causes it), and again at the
    environment's entry that places the model on the profile."""
    if p.model is not None:
        yield INFO.at(p.model.source, field, message)
    yield INFO.at(p.env.source, p.entry.path + ("profile",), message)


def check(ctx: Context) -> Iterator[Finding]:
    for p in ctx.placements():
        if p.model is None or p.profile is None or not p.model.gpu_count:
            continue
        if p.profile.sharing == "time-slicing":
            stated: PathKey | None = (
                ("size",)
                if p.model.data.get("size")
                else ("gpu", "minMemoryGiB")
                if p.model.min_gpu_memory_gib is not None
                else None
            )
            if stated is not None:
                yield from at_model_and_entry(
                    p,
                    stated,
                    f"model '{p.model.name}' states the GPU memory it needs, but profile "
                    f"'{p.profile.name}' in '{p.env.name}' is time-sliced: its "
                    f"{p.profile.per_gpu} replicas per GPU share the GPU's memory without "
                    "isolation, so no fit can be guaranteed (use a MIG or whole-GPU profile)",
                )
            continue
        if p.profile.device_memory_gib is None:
            continue
        per_gpu = float(p.profile.device_memory_gib)
        if p.model.min_gpu_memory_gib is not None and per_gpu < p.model.min_gpu_memory_gib:
            yield from at_model_and_entry(
                p,
                ("gpu", "minMemoryGiB"),
                f"model '{p.model.name}' needs GPUs with at least {p.model.min_gpu_memory_gib:g} "
                f"GiB; profile '{p.profile.name}' in '{p.env.name}' has {per_gpu:g} GiB",
            )
        size = p.model.data.get("size")
        if not size:
            continue
        overhead = float(size.get("overheadPercent", 20))
        weights, needed = needed_gib(float(size["parametersBillions"]), size["dtype"], overhead)
        available = p.model.gpu_count * per_gpu
        if needed > available:
            yield from at_model_and_entry(
                p,
                ("size",),
                f"model '{p.model.name}' needs {needed:.1f} GiB "
                f"({weights:.1f} GiB of {size['dtype']} weights + {overhead:g}%) "
                f"but {p.model.gpu_count} x {per_gpu:g} GiB on profile "
                f"'{p.profile.name}' in '{p.env.name}' gives {available:.1f} GiB",
            )
