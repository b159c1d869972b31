"""The replicas on a node pool can be placed, node by node: at minimum replicas (error), at
maximum and during a rollout's surge (warnings).

A replica needs all its GPUs on one node (and, when the profile gives them, the CPU and memory it
requests), so the pool is simulated node by node (``modelserve.schedule``: best-fit decreasing,
exhaustive for small pools). Every environment on a cluster that names the same pool
(``gpuProfiles.<p>.pool``, default the profile's name) draws on the same nodes, described by the
first of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from modelserve.findings import Finding, Severity
from modelserve.model import Environment, Profile
from modelserve.quantity import parse_quantity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT
from modelserve.schedule import Demand, Node, Placement, empty_nodes, place

INFO = RuleInfo(
    "gpu-capacity",
    Severity.ERROR,
    "Replicas at minimum fit the pool node by node; at maximum and a rollout's surge, warnings",
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


@dataclass
class Pool:
    """The deployments drawing on one node pool of one cluster."""

    env: Environment  # the first environment naming it: its profile describes the nodes
    profile: Profile
    items: list[tuple[Environment, int, int, Demand]] = field(default_factory=list)
    surges: dict[Demand, int] = field(default_factory=dict)  # extra replicas of a rollout

    def demands(self, at_max: bool = False) -> list[Demand]:
        """Every replica at minimum (or maximum) replicas."""
        return [d for _, low, high, d in self.items for _ in range(high if at_max else low)]


def pools(ctx: Context) -> dict[tuple[str, str], Pool]:
    """(cluster, pool name) -> the GPU deployments drawing on it, from every environment."""
    found: dict[tuple[str, str], Pool] = {}
    for p in ctx.placements():
        if p.model is None or p.profile is None or not p.model.gpu_count:
            continue
        pool = found.setdefault((p.env.cluster, p.profile.pool_name), Pool(p.env, p.profile))
        low, high = p.entry.replica_bounds(p.model)
        # The runtime's requests, overridden per resource by the model's and the environment's
        # (the kserve-container merge: derive.merge.merge_container).
        runtime = (p.runtime.data.get("resources") or {}) if p.runtime else {}
        resources = {**runtime, **p.entry.resources(p.model)}
        demand = Demand(
            f"{p.env.name}/{p.model.name}",
            p.model.gpu_count,
            _units(resources.get("cpu"), 1000, up=True) or 0,
            _units(resources.get("memory"), 1, up=True) or 0,
        )
        pool.items.append((p.env, low, high, demand))
        pool.surges[demand] = max(pool.surges.get(demand, 0), p.entry.surge(p.model))
    return found


def pool_nodes(profile: Profile) -> list[Node] | None:
    """The empty nodes of a profile's pool; None when the profile does not say how many."""
    if profile.nodes is None or profile.devices_per_node is None:
        return None
    return empty_nodes(
        profile.nodes,
        profile.devices_per_node,
        _units(profile.cpu_per_node, 1000, up=False),
        _units(profile.memory_per_node, 1, up=False),
    )


def check(ctx: Context) -> Iterator[Finding]:
    for (cluster, name), pool in sorted(pools(ctx).items()):
        yield from _check_pool(cluster, name, pool)


def _check_pool(cluster: str, name: str, pool: Pool) -> Iterator[Finding]:
    profile, env = pool.profile, pool.env
    nodes = pool_nodes(profile)
    if nodes is None:
        return
    capacity = sum(n.gpus for n in nodes)
    users = sorted({e.name for e, _, _, _ in pool.items})
    what = (
        f"profile '{profile.name}' in '{env.name}'"
        if users == [env.name]
        else f"pool '{name}' on cluster '{cluster}' (environments {', '.join(users)})"
    )
    text = (
        f"{what} has {capacity} {profile.devices} ({len(nodes)} nodes x {profile.devices_per_node})"
    )
    where = ("gpuProfiles", profile.name, "nodes")
    at_min = place(nodes, pool.demands())
    if not at_min.fits:
        yield INFO.at(
            env.source,
            where,
            _message(text, capacity, "minimum", pool.demands(), at_min, profile.devices),
        )
        return
    at_max = place(nodes, pool.demands(at_max=True))
    if not at_max.fits:
        yield INFO.at(
            env.source,
            where,
            _message(
                text,
                capacity,
                "maximum",
                pool.demands(at_max=True),
                at_max,
                profile.devices,
            ),
            severity=Severity.WARNING,
        )
    # A rollout starts its surge replicas beside the old ones (KServe's default RollingUpdate,
    # 25% of the replicas rounded up; none for Recreate or maxSurge 0): the largest model's must
    # fit beside everything at minimum replicas.
    surging = [d for d in pool.surges if pool.surges[d] > 0]
    if not surging:
        return
    largest = max(surging, key=lambda d: (d.key(), d.owner))
    extra = pool.surges[largest]
    surge = place(nodes, pool.demands() + [largest] * extra)
    if not surge.fits:
        yield INFO.at(
            env.source,
            where,
            f"{text}; at minimum replicas a rollout of {largest.owner} cannot start its "
            f"{extra} surge replica(s) ({largest.gpus} {profile.devices} each on one node): "
            f"{_free(surge, profile.devices)}; "
            "the rollout stalls (set rollout.strategy: Recreate, or room for one more)",
            severity=Severity.WARNING,
        )


def _units(value: object, scale: int, *, up: bool) -> int | None:
    """A quantity in whole millicores (scale 1000) or bytes: requests rounded up, capacities
    down, so that a fit here is a fit there."""
    amount = parse_quantity(value)
    if amount is None:
        return None
    scaled = amount * scale
    return math.ceil(scaled) if up else math.floor(scaled)


def _message(
    text: str,
    capacity: int,
    which: str,
    demands: list[Demand],
    placement: Placement,
    unit: str = "GPUs",
) -> str:
    total = sum(d.gpus for d in demands)
    head = (
        f"{text} but its models need {total} at {which} replicas"
        if total > capacity
        else f"{text}: the {total} {unit} at {which} replicas fit in total but not node by node"
    )
    missing = placement.unplaced[0]
    how = (
        "no placement exists"
        if placement.exact
        else "best-fit decreasing finds no placement (too many replicas to search them all)"
    )
    return (
        f"{head}; {how}: {len(placement.unplaced)} replica(s) left over, e.g. {missing.owner} "
        f"({missing.gpus} {unit} on one node); {_free(placement, unit)}"
    )


def _free(placement: Placement, unit: str = "GPUs") -> str:
    parts = []
    for i, node in enumerate(placement.nodes[:8], 1):
        part = f"node {i}: {node.gpus} {unit} free"
        if node.cpu is not None:
            part += f", {node.cpu / 1000:g} CPU"
        if node.memory is not None:
            part += f", {node.memory / 2**30:g}Gi"
        parts.append(part)
    more = len(placement.nodes) - 8
    return "; ".join(parts) + (f"; {more} more nodes" if more > 0 else "")
