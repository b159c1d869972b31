"""Every command speaks its formats: numeric JSON summaries, and SARIF that GitHub code scanning
can describe and track (rule metadata, partialFingerprints stable across line moves)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers import copy_example, run_cli


def _sarif(repo: Path) -> dict[str, Any]:
    code, out, _ = run_cli("validate", "--root", str(repo), "--format", "sarif")
    assert code == 1
    run: dict[str, Any] = json.loads(out)["runs"][0]
    return run


def _broken(tmp_path: Path) -> Path:
    repo = copy_example(tmp_path / "repo")
    model = repo / "catalog/models/llama-3-1-8b-instruct.yaml"
    model.write_text(model.read_text().replace("task: chat", "task: vison"))
    env = repo / "environments/prod.yaml"
    env.write_text(
        env.read_text().replace(
            "  - model: nvclip\n    profile: h100\n", "  - model: nvclip\n    profile: h10\n"
        )
    )
    return repo


def test_sarif_describes_every_rule_it_reports(tmp_path: Path) -> None:
    run = _sarif(_broken(tmp_path))
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["ref-profile", "schema"]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert "Fix:" in rule["help"]["text"] and rule["helpUri"].startswith("https://")
    ref = rules[0]
    assert (
        ref["shortDescription"]["text"]
        == "Deployments name an existing profile; GPU models always name one"
    )
    assert ref["helpUri"].endswith("/docs/rules.md#ref-profile")
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_fingerprints_survive_a_line_moving(tmp_path: Path) -> None:
    repo = _broken(tmp_path)
    before = {
        r["ruleId"]: (r["partialFingerprints"], r["locations"]) for r in _sarif(repo)["results"]
    }
    env = repo / "environments/prod.yaml"
    env.write_text("# a comment line added above everything\n" + env.read_text())
    after = {
        r["ruleId"]: (r["partialFingerprints"], r["locations"]) for r in _sarif(repo)["results"]
    }
    assert before["ref-profile"][0] == after["ref-profile"][0]
    line = lambda loc: loc[0]["physicalLocation"]["region"]["startLine"]  # noqa: E731
    assert line(after["ref-profile"][1]) == line(before["ref-profile"][1]) + 1
    assert len({fp["modelserveFinding/v1"] for fp, _ in after.values()}) == len(after)


def test_json_summaries_carry_numbers(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    code, out, _ = run_cli("generate", "--root", str(repo), "--format", "json")
    assert code == 0
    summary = json.loads(out)["summary"]
    assert summary["files"] > 0 and summary["environments"] == 3
    assert summary["written"] == summary["files"] and summary["removed"] == 0
    assert isinstance(summary["seconds"], float)
    code, out, _ = run_cli("validate", "--root", str(repo), "--format", "json")
    assert code == 0
    summary = json.loads(out)["summary"]
    for key in ("files", "objects", "builds", "cached", "derived"):
        assert isinstance(summary[key], int) and summary[key] >= 0, key
    assert summary["objects"] > 0 and summary["builds"] >= summary["cached"]
    assert isinstance(summary["seconds"], float) and summary["engine"]
    assert summary["errors"] == 0 and "note" in summary


def test_check_and_generate_speak_sarif(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    code, out, _ = run_cli("generate", "--root", str(repo), "--format", "sarif")
    assert code == 0 and json.loads(out)["version"] == "2.1.0"  # one document, nothing else
    code, out, _ = run_cli("check", "--root", str(repo), "--format", "sarif")
    assert code == 0 and json.loads(out)["runs"][0]["results"] == []
    model = repo / "catalog/models/nvclip.yaml"
    model.write_text(
        model.read_text().replace("  max: 1", "  max: 1\n  # note", 1) + "labels: {team: vision}\n"
    )
    code, out, _ = run_cli("check", "--root", str(repo), "--format", "sarif")
    run = json.loads(out)["runs"][0]
    assert code == 1 and run["results"]
    assert {r["ruleId"] for r in run["results"]} == {"deploy-drift"}
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert all(u.startswith("deploy/") and u.endswith("/nvclip.yaml") for u in uris)
    [rule] = run["tool"]["driver"]["rules"]
    assert rule["shortDescription"]["text"].startswith("The committed deploy/")
