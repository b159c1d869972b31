"""A replica's GPUs fit on one node of its pool.

A pod cannot span nodes: a model that asks for more GPUs than any node of the pool has stays
Pending forever, whatever the pool's total.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import MODEL

INFO = RuleInfo(
    "gpu-node-fit",
    Severity.ERROR,
    "GPUs per replica fit on one node of the profile",
    "lower gpu.count, or choose a profile whose nodes have enough GPUs",
)
EXAMPLES = {
    "fail": {
        "catalog/models/llama.yaml": MODEL.replace("  count: 1\n", "  count: 16\n").replace(
            "parametersBillions: 8", "parametersBillions: 405"
        )
    },
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    for p in ctx.placements():
        if (
            p.model is None
            or p.profile is None
            or not p.model.gpu_count
            or p.profile.devices_per_node is None
        ):
            continue
        if p.model.gpu_count > p.profile.devices_per_node:
            message = (
                f"model '{p.model.name}' needs {p.model.gpu_count} GPUs per replica but nodes of "
                f"profile '{p.profile.name}' in '{p.env.name}' have "
                f"{p.profile.devices_per_node} {p.profile.devices}"
            )
            yield INFO.at(p.model.source, ("gpu", "count"), message)
            yield INFO.at(p.env.source, p.entry.path + ("profile",), message)
