"""Would the replicas schedule: a deterministic placement of pods on a pool's nodes.

The scheduler puts each pod on one node that has room for all of its requests; a pod asking for
5 GPUs needs 5 free GPUs on one node, however many are free in the pool. So totals say little:
three replicas of 5 GPUs do not fit two nodes of 8 (16 >= 15), only two do. This module places
replicas as the scheduler must, node by node, on GPUs and (when the profile gives a node's
allocatable CPU and memory) CPU and memory:

- **best-fit decreasing**: replicas in decreasing order of (GPUs, CPU, memory), each on the node
  it leaves with the fewest free GPUs (then CPU, then memory, then the lowest node number);
  deterministic, and any placement it finds is a real one;
- where that finds none, for up to ``EXACT_LIMIT`` replicas an **exhaustive search** decides
  (nodes with the same free resources are tried once), so "does not fit" is exact there; above
  it, best-fit decreasing alone decides and may call full a pool that a cleverer placement (or
  the scheduler, by luck of arrival order) would fill. Messages say which applied.

The kube-scheduler itself scores nodes (LeastAllocated spreads pods by default) and places pods in
arrival order, so it can leave a pool fragmented where this finds room: a fit here is necessary,
not always sufficient; a misfit here is a misfit there.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

EXACT_LIMIT = 12  # replicas per pool searched exhaustively when best-fit decreasing fails


@dataclass(frozen=True)
class Demand:
    """One replica's requests, and what it belongs to (for messages)."""

    owner: str  # "<environment>/<model>"
    gpus: int
    cpu: int = 0  # millicores
    memory: int = 0  # bytes

    def key(self) -> tuple[int, int, int]:
        return (self.gpus, self.cpu, self.memory)


@dataclass
class Node:
    gpus: int
    cpu: int | None  # millicores; None: not described, not limiting
    memory: int | None  # bytes
    placed: list[Demand] = field(default_factory=list)

    def fits(self, d: Demand) -> bool:
        return (
            d.gpus <= self.gpus
            and (self.cpu is None or d.cpu <= self.cpu)
            and (self.memory is None or d.memory <= self.memory)
        )

    def take(self, d: Demand) -> None:
        self.gpus -= d.gpus
        self.cpu = None if self.cpu is None else self.cpu - d.cpu
        self.memory = None if self.memory is None else self.memory - d.memory
        self.placed.append(d)

    def state(self) -> tuple[int, int | None, int | None]:
        return (self.gpus, self.cpu, self.memory)


@dataclass
class Placement:
    nodes: list[Node]
    unplaced: list[Demand]
    exact: bool  # a "does not fit" verdict came from the exhaustive search

    @property
    def fits(self) -> bool:
        return not self.unplaced


def empty_nodes(count: int, gpus: int, cpu: int | None, memory: int | None) -> list[Node]:
    return [Node(gpus, cpu, memory) for _ in range(count)]


def best_fit_decreasing(nodes: list[Node], demands: list[Demand]) -> list[Demand]:
    """Place ``demands`` on ``nodes`` (changing them); the ones that found no node.

    Nodes are kept in buckets by free GPUs, so a replica looks only at the nodes it would leave
    with the fewest free GPUs, not at the whole pool."""
    top = max([n.gpus for n in nodes], default=0)
    buckets: list[list[int]] = [[] for _ in range(top + 1)]
    for i, node in enumerate(nodes):
        buckets[max(node.gpus, 0)].append(i)
    unplaced = []
    for d in sorted(demands, key=lambda x: (x.key(), x.owner), reverse=True):
        choice = -1
        for free in range(max(d.gpus, 0), top + 1):
            best: tuple[int, int, int] | None = None
            for i in buckets[free]:
                node = nodes[i]
                if not node.fits(d):
                    continue
                left = (
                    (node.cpu - d.cpu) if node.cpu is not None else 0,
                    (node.memory - d.memory) if node.memory is not None else 0,
                    i,
                )
                if best is None or left < best:
                    best = left
                    if node.cpu is None and node.memory is None:
                        break  # the bucket is in node order: the first one is the best
            if best is not None:
                choice = best[2]
                break
        if choice < 0:
            unplaced.append(d)
            continue
        node = nodes[choice]
        buckets[node.gpus].remove(choice)
        node.take(d)
        bisect.insort(buckets[node.gpus], choice)
    return unplaced


def exhaustive_fit(nodes: list[Node], demands: list[Demand]) -> list[Node] | None:
    """A placement of every demand, or None when none exists (an exhaustive search)."""
    order = sorted(demands, key=lambda x: (x.key(), x.owner), reverse=True)
    work = [Node(n.gpus, n.cpu, n.memory, list(n.placed)) for n in nodes]

    def place(k: int) -> bool:
        if k == len(order):
            return True
        seen: set[tuple[int, int | None, int | None]] = set()
        for node in work:
            state = node.state()
            if state in seen or not node.fits(order[k]):
                continue
            seen.add(state)
            before = (node.gpus, node.cpu, node.memory)
            node.take(order[k])
            if place(k + 1):
                return True
            node.gpus, node.cpu, node.memory = before
            node.placed.pop()
        return False

    return work if place(0) else None


def place(nodes: list[Node], demands: list[Demand]) -> Placement:
    """Place ``demands`` on copies of ``nodes``: best-fit decreasing, else an exhaustive search
    for small sets (see the module)."""
    trial = [Node(n.gpus, n.cpu, n.memory, list(n.placed)) for n in nodes]
    unplaced = best_fit_decreasing(trial, demands)
    if not unplaced:
        return Placement(trial, [], exact=False)
    if len(demands) <= EXACT_LIMIT:
        found = exhaustive_fit(nodes, demands)
        if found is not None:
            return Placement(found, [], exact=True)
        return Placement(trial, unplaced, exact=True)
    return Placement(trial, unplaced, exact=False)
