"""Capacity plan: per cluster and node pool, what the catalog commits and where it lands.

The figures come from the scheduling simulation the ``gpu-capacity`` rule runs
(``modelserve.schedule``, ``rules.gpu_capacity.pools``), so the plan and the rule never disagree:
GPUs (or MIG slices, time-sliced replicas) committed at minimum replicas, at maximum, and at the
rollout peak (minimum plus the surge of the largest model, as the rule checks it), what is free,
the CPU and memory headroom where the profile describes a node's allocatable, and which replica
sits on which node at minimum replicas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modelserve.rules.base import Context
from modelserve.rules.gpu_capacity import pool_nodes, pools
from modelserve.schedule import Demand, place


@dataclass(frozen=True)
class NodeUse:
    """One node at minimum replicas: the replica owners ("env/model") and what is left."""

    owners: tuple[str, ...]  # one entry per replica placed, in placement order
    slots: tuple[str, ...]  # one entry per device in use: the owner of that device
    free: int
    cpu_free: int | None  # millicores
    memory_free: int | None  # bytes


@dataclass
class PoolPlan:
    cluster: str
    pool: str
    profile: str  # the profile of the first environment naming the pool
    environments: list[str]
    devices: str  # "GPUs", "MIG 1g.10gb slices", ...
    nodes: int | None  # None: the profile does not say, so nothing is simulated
    per_node: int | None
    committed_min: int
    committed_max: int
    peak: int  # minimum replicas plus the largest model's rollout surge
    surging: str  # whose surge makes the peak ("" : none)
    models: list[tuple[str, int, int, int]] = field(default_factory=list)  # owner, min, max, per
    node_use: list[NodeUse] = field(default_factory=list)
    unplaced_min: list[str] = field(default_factory=list)
    unplaced_max: list[str] = field(default_factory=list)
    unplaced_peak: list[str] = field(default_factory=list)
    cpu_total: int | None = None
    cpu_committed: int = 0
    memory_total: int | None = None
    memory_committed: int = 0

    @property
    def capacity(self) -> int | None:
        return None if self.nodes is None or self.per_node is None else self.nodes * self.per_node

    @property
    def free(self) -> int | None:
        return None if self.capacity is None else self.capacity - self.committed_min


def plan(ctx: Context, env: str | None = None, cluster: str | None = None) -> list[PoolPlan]:
    """Every GPU pool, or those ``env`` draws on, or those of ``cluster``, sorted."""
    out = []
    for (cluster_name, pool_name), pool in sorted(pools(ctx).items()):
        users = sorted({e.name for e, _, _, _ in pool.items})
        if (env is not None and env not in users) or (
            cluster is not None and cluster != cluster_name
        ):
            continue
        low_demands, high_demands = pool.demands(), pool.demands(at_max=True)
        surging = [d for d in pool.surges if pool.surges[d] > 0]
        largest = max(surging, key=lambda d: (d.key(), d.owner)) if surging else None
        extra = [largest] * pool.surges[largest] if largest else []
        result = PoolPlan(
            cluster_name,
            pool_name,
            pool.profile.name,
            users,
            pool.profile.devices,
            pool.profile.nodes,
            pool.profile.devices_per_node,
            _gpus(low_demands),
            _gpus(high_demands),
            _gpus(low_demands + extra),
            largest.owner if largest else "",
            [(d.owner, low, high, d.gpus) for _, low, high, d in pool.items],
            cpu_committed=sum(d.cpu for d in low_demands),
            memory_committed=sum(d.memory for d in low_demands),
        )
        nodes = pool_nodes(pool.profile)
        if nodes is not None:
            result.cpu_total = _total([n.cpu for n in nodes])
            result.memory_total = _total([n.memory for n in nodes])
            at_min = place(nodes, low_demands)
            result.unplaced_min = [d.owner for d in at_min.unplaced]
            result.node_use = [
                NodeUse(
                    tuple(d.owner for d in node.placed),
                    tuple(d.owner for d in node.placed for _ in range(d.gpus)),
                    node.gpus,
                    node.cpu,
                    node.memory,
                )
                for node in at_min.nodes
            ]
            result.unplaced_max = [d.owner for d in place(nodes, high_demands).unplaced]
            if extra:
                result.unplaced_peak = [d.owner for d in place(nodes, low_demands + extra).unplaced]
        out.append(result)
    return out


def _gpus(demands: list[Demand]) -> int:
    return sum(d.gpus for d in demands)


def _total(values: list[int | None]) -> int | None:
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)
