"""The placement simulation against a brute-force search on small random pools.

``place`` must say "fits" exactly when some assignment of replicas to nodes respects every
node's GPUs, CPU and memory (for pools up to ``EXACT_LIMIT`` replicas), and any placement it
returns must be a real one.
"""

from __future__ import annotations

import itertools
import random

import pytest

from modelserve.schedule import EXACT_LIMIT, Demand, Node, best_fit_decreasing, empty_nodes, place


def brute_force(nodes: list[Node], demands: list[Demand]) -> bool:
    for assignment in itertools.product(range(len(nodes)), repeat=len(demands)):
        gpus = [n.gpus for n in nodes]
        cpu = [n.cpu for n in nodes]
        ok = True
        for d, i in zip(demands, assignment, strict=True):
            gpus[i] -= d.gpus
            if cpu[i] is not None:
                cpu[i] -= d.cpu
            if gpus[i] < 0 or (cpu[i] is not None and cpu[i] < 0):
                ok = False
                break
        if ok:
            return True
    return False


def _instance(rng: random.Random) -> tuple[list[Node], list[Demand]]:
    per_node = rng.choice([1, 2, 4, 8])
    cpu = rng.choice([None, rng.randint(4, 32)])
    nodes = empty_nodes(rng.randint(1, 3), per_node, cpu, None)
    demands = [
        Demand(f"env/m{i}", rng.randint(1, per_node), rng.randint(0, 16))
        for i in range(rng.randint(1, 7))
    ]
    return nodes, demands


@pytest.mark.parametrize("seed", range(300))
def test_the_verdict_agrees_with_brute_force(seed: int) -> None:
    nodes, demands = _instance(random.Random(seed))
    assert len(demands) <= EXACT_LIMIT
    placement = place(nodes, demands)
    assert placement.fits == brute_force(nodes, demands), (nodes, demands)
    if placement.fits:
        placed = sorted((d for n in placement.nodes for d in n.placed), key=lambda d: d.owner)
        assert placed == sorted(demands, key=lambda d: d.owner)
        for node in placement.nodes:
            assert node.gpus >= 0 and (node.cpu is None or node.cpu >= 0)
    # the input nodes are left as they were
    assert all(not n.placed for n in nodes)


def test_best_fit_decreasing_alone_can_miss_a_placement_that_the_search_finds() -> None:
    """Why small pools are searched: 3+3+2+2+2+2 GPUs on two nodes of 7 fit (3+2+2, 3+2+2),
    which best-fit decreasing (3+3 then 2s) misses."""
    demands = [Demand(f"e/a{i}", 3) for i in range(2)] + [Demand(f"e/b{i}", 2) for i in range(4)]
    greedy = empty_nodes(2, 7, None, None)
    assert best_fit_decreasing(greedy, demands)  # leaves replicas over
    placement = place(empty_nodes(2, 7, None, None), demands)
    assert placement.fits and placement.exact


def test_the_placement_is_deterministic() -> None:
    nodes, demands = _instance(random.Random(7))
    first = place(nodes, demands)
    second = place(nodes, list(reversed(demands)))
    assert [[d.owner for d in n.placed] for n in first.nodes] == [
        [d.owner for d in n.placed] for n in second.nodes
    ]
