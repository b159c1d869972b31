"""`modelserve capacity`: the plan per cluster and pool, from the scheduling simulation rule
gpu-capacity runs, as markdown, JSON and an SVG picture per pool.

The figures are checked against the example's own YAML (read here with PyYAML, not through the
loader), an overflow is checked to agree with rule gpu-capacity, the picture against a golden
file and, rendered to PNG by resvg, pixel by pixel: every slot in its model's colour, text drawn.
"""

from __future__ import annotations

import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelserve.capacity import NodeUse, PoolPlan
from modelserve.commands.capacity import picture_name
from modelserve.report import capacity as report
from tests.helpers import PROJECT, copy_example, run_cli

GOLDEN = Path(__file__).parent / "golden" / "capacity"
UPDATE = os.environ.get("MODELSERVE_UPDATE_GOLDEN") == "1"


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def capacity_json(*args: str | Path) -> dict[str, Any]:
    code, out, err = run_cli("capacity", "--format", "json", *args)
    assert code == 0, err
    return json.loads(out)


def expected_commitments(root: Path) -> dict[str, dict[str, int]]:
    """Per profile of every environment, GPUs at minimum and maximum replicas, straight from the
    YAML: the entry's replicas, else the model's, else one."""
    models = {m["name"]: m for m in map(load, (root / "catalog" / "models").glob("*.yaml"))}
    out: dict[str, dict[str, int]] = {}
    for path in sorted((root / "environments").glob("*.yaml")):
        env = load(path)
        for entry in env["models"]:
            if "profile" not in entry:
                continue
            model = models[entry["model"]]
            replicas = entry.get("replicas") or model.get("replicas") or {}
            low = replicas.get("min", 1)
            high = replicas.get("max", low)
            pool = env["gpuProfiles"][entry["profile"]].get("pool", entry["profile"])
            key = f"{env['cluster']}/{pool}"
            slot = out.setdefault(key, {"min": 0, "max": 0})
            slot["min"] += low * model["gpu"]["count"]
            slot["max"] += high * model["gpu"]["count"]
    return out


def test_the_json_plan_agrees_with_the_example_yaml() -> None:
    data = capacity_json("--root", PROJECT)
    expected = expected_commitments(PROJECT)
    pools = {f"{p['cluster']}/{p['pool']}": p for p in data["pools"]}
    assert set(pools) == set(expected)
    for key, pool in pools.items():
        assert pool["committed"]["min"] == expected[key]["min"], key
        assert pool["committed"]["max"] == expected[key]["max"], key
        assert pool["committed"]["min"] <= pool["committed"]["peak"], key
        assert pool["free"] == pool["capacity"] - pool["committed"]["min"], key
        # every replica at minimum sits on exactly one node, and nothing is counted twice
        placed = [r for node in pool["placement"] for r in node["replicas"]]
        assert len(placed) == sum(m["minReplicas"] for m in pool["models"]), key
        assert sum(node["free"] for node in pool["placement"]) == pool["free"], key
        assert not any(pool["unplaced"].values()), key
    prod = load(PROJECT / "environments" / "prod.yaml")
    h200 = pools[f"{prod['cluster']}/h200"]
    assert (h200["nodes"], h200["perNode"]) == (1, 8)
    # the 70B model's 4 GPUs twice during a rollout: maxSurge 1 of one replica
    assert h200["committed"] == {"min": 4, "max": 4, "peak": 8}
    assert h200["surging"] == "prod/llama-3-3-70b-instruct"
    assert h200["cpu"]["millicores"] == 190_000 and h200["memory"]["bytes"] == 1900 * 2**30


def test_markdown_shows_each_pool_with_its_nodes(run_cli) -> None:
    code, out, err = run_cli("capacity", "--root", PROJECT, "--env", "prod", "--format", "markdown")
    assert code == 0, err
    assert out.startswith("## Capacity\n")
    assert "### `onprem-prod-1` pool `h100` (profile `h100`; `prod`)" in out
    assert "### `onprem-prod-1` pool `h200`" in out and "pool `l4`" not in out
    assert "| nodes | 2 x 8 = 16 |" in out and "| nodes | 1 x 8 = 8 |" in out
    assert "| at rollout peak | 8 (`prod/llama-3-3-70b-instruct` rolling out) |" in out
    assert "| 1 | 4 | 4 | `prod/llama-3-3-70b-instruct` |" in out
    assert "`prod/llama-3-1-8b-instruct` x 2" in out  # two replicas on one node, counted
    assert "| CPU (cores) | 166 free of 190 |" in out


def test_scopes_and_their_errors(run_cli) -> None:
    clusters = {p["cluster"] for p in capacity_json("--root", PROJECT)["pools"]}
    for cluster in clusters:
        pools = capacity_json("--root", PROJECT, "--cluster", cluster)["pools"]
        assert pools and {p["cluster"] for p in pools} == {cluster}
    dev = capacity_json("--root", PROJECT, "--env", "dev")["pools"]
    assert [p["environments"] for p in dev] == [["dev"]]
    code, _, err = run_cli("capacity", "--root", PROJECT, "--env", "prd")
    assert code == 2 and "no environment 'prd'" in err and "did you mean 'prod'" in err
    code, _, err = run_cli("capacity", "--root", PROJECT, "--cluster", "nowhere")
    assert code == 2 and "no cluster 'nowhere'" in err
    code, _, err = run_cli("capacity", "--root", PROJECT, "--env", "dev", "--cluster", "x")
    assert code == 2 and "not allowed with" in err


def test_an_overflow_is_named_and_agrees_with_rule_gpu_capacity(tmp_path: Path, run_cli) -> None:
    root = copy_example(tmp_path / "gitops")
    path = root / "environments" / "prod.yaml"
    data = load(path)
    entry = next(e for e in data["models"] if e["model"] == "llama-3-3-70b-instruct")
    entry["replicas"] = {"min": 3, "max": 3}  # 12 GPUs of 4 on a pool of one 8-GPU node
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    pool = next(
        p for p in capacity_json("--root", root, "--env", "prod")["pools"] if p["pool"] == "h200"
    )
    assert pool["unplaced"]["min"] == ["prod/llama-3-3-70b-instruct"]
    assert pool["committed"]["min"] == 12 and pool["free"] == -4
    code, out, _ = run_cli("capacity", "--root", root, "--env", "prod")
    assert "**1 replica(s) do not fit** (`prod/llama-3-3-70b-instruct`)" in out
    code, out, _ = run_cli("validate", "--root", root, "--format", "json", "--env", "prod")
    findings = [f for f in json.loads(out)["findings"] if f["rule"] == "gpu-capacity"]
    assert code == 1 and any(
        f["severity"] == "error" and "llama-3-3-70b-instruct" in f["message"] for f in findings
    ), findings


def synthetic_plan(owners: list[str] | None = None) -> PoolPlan:
    """Three nodes of 7 MIG slices, one replica left over: every part of the picture drawn."""
    owners = owners or ["dev/embed", "dev/llm", "staging/llm"]
    return PoolPlan(
        cluster="gke-ml",
        pool="a100-mig",
        profile="a100-mig",
        environments=["dev", "staging"],
        devices="MIG 1g.10gb slices",
        nodes=3,
        per_node=7,
        committed_min=19,
        committed_max=26,
        peak=22,
        surging=owners[1],
        models=[(owners[0], 3, 3, 1), (owners[1], 2, 4, 3), (owners[2], 2, 2, 4)],
        node_use=[
            NodeUse((owners[1], owners[1], owners[0]), (owners[1],) * 6 + (owners[0],), 0, 0, 0),
            NodeUse(
                (owners[2], owners[0], owners[0]), (owners[2],) * 4 + (owners[0],) * 2, 1, 0, 0
            ),
            NodeUse((owners[2],), (owners[2],) * 4, 3, None, None),
        ],
        unplaced_min=[owners[1]],
    )


def test_the_picture_matches_its_golden_file() -> None:
    """Regenerate with MODELSERVE_UPDATE_GOLDEN=1 after an intended change, and look at it."""
    golden = GOLDEN / "mig-pool.svg"
    drawn = report.svg(synthetic_plan())
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(drawn)
    assert golden.is_file(), f"{golden} is missing: run with MODELSERVE_UPDATE_GOLDEN=1"
    assert drawn == golden.read_text(), "the picture changed: MODELSERVE_UPDATE_GOLDEN=1 redraws"
    assert report.svg(synthetic_plan()) == drawn  # no clock, no hash order


def test_hostile_names_stay_text_and_long_ones_widen_the_picture() -> None:
    hostile = ["dev/<script>&x", 'dev/"quoted"', "dev/" + "m" * 120]
    root = ET.fromstring(report.svg(synthetic_plan(hostile)))
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any("dev/<script>&x: 3 replica(s)" in t for t in texts)
    assert not list(root.iter("{http://www.w3.org/2000/svg}script"))
    assert float(root.get("width", "0")) >= 120 * report.CHAR_W


def png_of(svg_text: str) -> Any:
    # Dev dependencies, imported here so the other tests do not pay for them; a missing one
    # fails the test (the suite contract forbids skipping on a declared dependency).
    import resvg_py
    from PIL import Image

    data = bytes(resvg_py.svg_to_bytes(svg_string=svg_text))
    return Image.open(io.BytesIO(data)).convert("RGB")


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


@pytest.mark.parametrize("plan", [synthetic_plan()], ids=["mig-pool"])
def test_the_picture_renders_readably(plan: PoolPlan) -> None:
    """Rendered by resvg (no browser): each slot's middle pixel in its owner's colour, free
    slots white, and text really drawn in the title, the node labels and the legend."""
    drawn = report.svg(plan)
    image = png_of(drawn)
    root = ET.fromstring(drawn)
    assert image.size == (int(root.get("width", "0")), int(root.get("height", "0")))
    colour = report.colours(plan)
    assert plan.per_node is not None
    for column, use in enumerate(plan.node_use):
        x = report.MARGIN + column * (report.SLOT_W + report.GAP) + report.SLOT_W - 6
        for slot in range(plan.per_node):
            y = report.TITLE_H + (plan.per_node - 1 - slot) * report.SLOT_H + report.SLOT_H // 2
            owner = use.slots[slot] if slot < len(use.slots) else None
            want = hex_rgb(colour[owner]) if owner else (255, 255, 255)
            assert image.getpixel((x, y)) == want, (column, slot, owner)

    def inked(box: tuple[int, int, int, int]) -> int:
        """Dark pixels in ``box``: text drawn there (resvg draws nothing without a font)."""
        return sum(1 for p in image.crop(box).getdata() if sum(p) < 200)

    width = image.size[0]
    assert inked((0, 0, width, report.TITLE_H - 4)) > 200, "the title was not drawn"
    labels = report.TITLE_H + plan.per_node * report.SLOT_H
    assert inked((0, labels, width, labels + report.LABEL_H)) > 50, "node labels missing"
    assert inked((report.MARGIN + 20, labels + report.LABEL_H, width, image.size[1])) > 200


def test_svg_pictures_are_written_per_pool_with_the_usual_mode(tmp_path: Path, run_cli) -> None:
    old = os.umask(0o022)
    try:
        code, _, err = run_cli("capacity", "--root", PROJECT, "--env", "prod", "--svg", tmp_path)
    finally:
        os.umask(old)
    assert code == 0, err
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["onprem-prod-1-h100.svg", "onprem-prod-1-h200.svg"]
    assert all((tmp_path / n).stat().st_mode & 0o777 == 0o644 for n in written)
    assert f"wrote {tmp_path / written[0]}" in err
    ET.fromstring((tmp_path / written[0]).read_text())
    assert picture_name("a b/c", "p:1") == "a-b-c-p-1.svg"  # never a path outside DIR
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli("capacity", "--root", PROJECT, "--svg", blocker)
    assert code == 2 and "is not a folder" in err


def test_the_markdown_stays_under_the_comment_limit() -> None:
    plans = [synthetic_plan([f"e{i}/a", f"e{i}/b", f"e{i}/c"]) for i in range(2000)]
    for index, item in enumerate(plans):
        item.pool = f"pool-{index:04d}"
    text = report.markdown(plans)
    assert len(text) <= report.MARKDOWN_LIMIT
    assert "more pool(s) not shown (size limit)" in text
    assert "pool `pool-0000`" in text and "pool `pool-1999`" not in text
    assert report.markdown([]) == "## Capacity\n\nNo GPU deployments.\n"
