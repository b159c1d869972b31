"""flux-refs: the Flux Kustomizations' dependsOn graph has no cycle and names what exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelserve.rules import RULES
from modelserve.rules.examples import ENVIRONMENT
from modelserve.rules.flux_refs import find_cycle
from tests.rules.rulekit import ENV_FILE, check_files, line_of

# ---------------------------------------------------------------------------------------------
# flux-refs


@pytest.mark.parametrize(
    "graph, cycle",
    [
        ({}, []),
        ({"a": ["b"], "b": ["c"], "c": []}, []),
        ({"a": ["kserve"], "b": ["a", "kserve"]}, []),  # external names are not in the graph
        ({"a": ["a"]}, ["a", "a"]),
        ({"a": ["b"], "b": ["a"]}, ["a", "b", "a"]),
        ({"a": ["b"], "b": ["c"], "c": ["b"]}, ["b", "c", "b"]),
        ({"x": [], "m": ["n"], "n": ["o"], "o": ["m"]}, ["m", "n", "o", "m"]),
        ({"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}, []),  # a diamond is not a cycle
    ],
)
def test_find_cycle(graph: dict[str, list[str]], cycle: list[str]) -> None:
    assert find_cycle(graph) == cycle


def test_find_cycle_on_a_long_chain() -> None:
    chain = {f"k{i:04d}": [f"k{i + 1:04d}"] for i in range(500)}
    assert find_cycle(chain) == []
    chain["k0500"] = ["k0000"]
    found = find_cycle(chain)
    assert found[0] == found[-1] and len(found) == 502


def test_flux_refs_self_dependency_is_a_cycle_at_depends_on(
    tmp_path: Path, write_repo: Any
) -> None:
    rule = next(r for r in RULES if r.INFO.id == "flux-refs")
    env = rule.EXAMPLES["fail"][ENV_FILE]
    found = check_files(write_repo, tmp_path, {ENV_FILE: env}, "flux-refs")
    cycles = [f for f in found if "cycle" in f.message]
    shared = "dev-cluster-modelserve-shared"
    assert cycles and f"{shared} -> {shared}" in cycles[0].message
    assert cycles[0].line == line_of(env, "dependsOn")


def test_flux_refs_unknown_external_dependency_is_allowed_only_when_declared(
    tmp_path: Path, write_repo: Any
) -> None:
    env = ENVIRONMENT.replace(
        "  sourceRef: {kind: GitRepository, name: flux-system}\n",
        "  sourceRef: {kind: GitRepository, name: flux-system}\n  dependsOn: [kserve]\n",
    )
    assert check_files(write_repo, tmp_path, {ENV_FILE: env}, "flux-refs") == []
