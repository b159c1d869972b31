"""The models placed on a profile fit its GPUs: at minimum replicas (error), at maximum (warning).

Capacity is nodes x GPUs per node. Counting whole GPUs per pool is the first thing a
reviewer needs to see in a pull request that adds a model or replicas.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT

INFO = RuleInfo(
    "gpu-capacity",
    Severity.ERROR,
    "GPUs at minimum replicas fit the pool; at maximum, a warning",
    "add nodes to the profile, lower replicas, or move models to another profile",
)
EXAMPLES = {
    "fail": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            "    profile: h100\n", "    profile: h100\n    replicas: {min: 9, max: 9}\n"
        )
    },
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    demand: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for p in ctx.placements():
        if p.model is None or p.profile is None or not p.model.gpu_count:
            continue
        low, high = p.entry.replica_bounds(p.model)
        totals = demand[(p.env.name, p.profile.name)]
        totals[0] += low * p.model.gpu_count
        totals[1] += high * p.model.gpu_count
    for (env_name, profile_name), (at_min, at_max) in sorted(demand.items()):
        env = ctx.catalog.environments[env_name]
        profile = env.profiles[profile_name]
        if profile.nodes is None or profile.gpus_per_node is None:
            continue
        capacity = profile.nodes * profile.gpus_per_node
        where = ("gpuProfiles", profile_name, "nodes")
        text = (
            f"profile '{profile_name}' in '{env_name}' has {capacity} GPUs "
            f"({profile.nodes} nodes x {profile.gpus_per_node})"
        )
        if at_min > capacity:
            yield INFO.at(
                env.source, where, f"{text} but its models need {at_min} at minimum replicas"
            )
        elif at_max > capacity:
            yield INFO.at(
                env.source,
                where,
                f"{text} but its models need {at_max} at maximum replicas",
                severity=Severity.WARNING,
            )
