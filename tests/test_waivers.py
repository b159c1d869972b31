"""`.modelserve.yaml` and inline waivers, through the real CLI: severities, disabled rules,
excluded paths, `# modelserve: ignore[rule] reason` on a line or a mapping, suppressed findings
reported (never dropped), and the warnings about waivers themselves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import copy_example, run_cli

TYPO = ("  - model: nvclip\n    profile: h100\n", "  - model: nvclip\n    profile: h10\n")


def _repo(tmp_path: Path, old: str = TYPO[0], new: str = TYPO[1]) -> Path:
    repo = copy_example(tmp_path / "repo")
    env = repo / "environments/prod.yaml"
    text = env.read_text()
    assert old in text
    env.write_text(text.replace(old, new, 1))
    return repo


def _json(repo: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run_cli("validate", "--root", str(repo), "--format", "json", *extra)
    return code, json.loads(out)


def test_a_waiver_on_the_line_suppresses_and_is_reported(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        TYPO[0],
        TYPO[1].replace("h10\n", "h10  # modelserve: ignore[ref-profile] renaming, OPS-12\n"),
    )
    code, doc = _json(repo)
    assert code == 0 and doc["findings"] == []
    [waived] = doc["suppressed"]
    assert waived["rule"] == "ref-profile" and waived["justification"] == "renaming, OPS-12"
    assert doc["summary"]["suppressed"] == 1
    code, out, _ = run_cli("validate", "--root", str(repo), "--format", "sarif")
    [result] = json.loads(out)["runs"][0]["results"]
    assert result["suppressions"] == [{"kind": "inSource", "justification": "renaming, OPS-12"}]
    code, out, _ = run_cli("validate", "--root", str(repo))
    assert "1 suppressed (listed in --format json and sarif)" in out
    # the waiver is read with the file and kept in the parse cache: a warm run agrees
    assert _json(repo)[1]["suppressed"] == doc["suppressed"]
    assert _json(repo, "--no-cache")[1]["suppressed"] == doc["suppressed"]


def test_a_waiver_on_a_mappings_first_line_covers_the_mapping(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        TYPO[0],
        "  - model: nvclip  # modelserve: ignore[ref-profile,gpu-capacity] pool renamed\n"
        "    profile: h10\n",
    )
    code, doc = _json(repo)
    assert code == 0 and [f["rule"] for f in doc["suppressed"]] == ["ref-profile"]
    # a waiver elsewhere does not reach it
    repo = _repo(
        tmp_path / "other",
        "  - model: paddleocr\n",
        "  - model: paddleocr  # modelserve: ignore[ref-profile] not here\n",
    )
    env = repo / "environments/prod.yaml"
    env.write_text(env.read_text().replace(TYPO[0], TYPO[1]))
    code, doc = _json(repo)
    assert code == 1 and [f["rule"] for f in doc["findings"] if f["rule"] != "waiver"] == [
        "ref-profile"
    ]
    assert any("matches no finding" in f["message"] for f in doc["findings"])


def test_waivers_without_reason_or_match_are_warnings(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path, TYPO[0], TYPO[1].replace("h10\n", "h10  # modelserve: ignore[ref-profile]\n")
    )
    env = repo / "environments/prod.yaml"
    env.write_text(
        env.read_text().replace(
            "  - model: paddleocr\n",
            "  - model: paddleocr  # modelserve: ignore[gpu-capacity] room enough\n",
        )
    )
    code, doc = _json(repo)
    messages = sorted((f["rule"], f["severity"], f["message"]) for f in doc["findings"])
    assert messages == [
        ("waiver", "warning", "waiver gives no reason"),
        ("waiver", "warning", "waiver of gpu-capacity matches no finding"),
    ]
    assert code == 0
    assert run_cli("validate", "--root", str(repo), "--warnings-as-errors")[0] == 1


def _config(repo: Path, text: str) -> None:
    (repo / ".modelserve.yaml").write_text(text)


def test_configuration_sets_severities_disables_and_excludes(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _config(repo, "rules:\n  ref-profile: {severity: warning}\n")
    code, doc = _json(repo)
    assert code == 0 and [f["severity"] for f in doc["findings"]] == ["warning"]
    _config(repo, "rules:\n  ref-profile: {severity: warning}\nwarningsAsErrors: true\n")
    assert _json(repo)[0] == 1
    _config(repo, "rules:\n  ref-profile: {disable: true}\n")
    code, doc = _json(repo)
    assert code == 0 and doc["findings"] == []
    assert doc["suppressed"][0]["justification"] == "rule disabled in .modelserve.yaml"
    _config(repo, "exclude: ['environments/pr*.yaml']\n")
    code, doc = _json(repo)
    assert code == 0
    assert (
        doc["suppressed"][0]["justification"]
        == "excluded in .modelserve.yaml (environments/pr*.yaml)"
    )


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("rules:\n  ref-profile: {severity: fatal}\n", 2, "severity"),
        ("warnings: true\n", 1, "warnings"),
        ("rules: [a]\n", 1, "rules"),
    ],
)
def test_a_broken_configuration_is_an_error_at_its_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    repo = copy_example(tmp_path / "repo")
    _config(repo, text)
    code, doc = _json(repo)
    [found] = [f for f in doc["findings"] if f["file"] == ".modelserve.yaml"]
    assert code == 1 and found["rule"] == "config" and found["line"] == line
    assert words in found["message"]


def test_a_setting_for_no_rule_and_a_link_out_are_reported(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    _config(repo, "rules:\n  gpu-capacty: {severity: error}\n")
    code, doc = _json(repo)
    [found] = [f for f in doc["findings"] if f["rule"] == "config"]
    assert code == 0 and found["severity"] == "warning" and found["line"] == 2
    assert found["hint"] == "did you mean 'gpu-capacity'?"
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("rules: {}\n")
    (repo / ".modelserve.yaml").unlink()
    (repo / ".modelserve.yaml").symlink_to(outside)
    code, doc = _json(repo)
    [found] = [f for f in doc["findings"] if f["rule"] == "config"]
    assert code == 1 and "outside the repository" in found["message"]


def test_generate_and_check_honour_waivers_as_validate_does(tmp_path: Path) -> None:
    """What validate passes because of a waiver, generate writes and check accepts."""
    waived = TYPO[1].replace("h10\n", "h10  # modelserve: ignore[ref-profile] renaming, OPS-12\n")
    repo = _repo(tmp_path, TYPO[0], waived)
    code, out, _ = run_cli("generate", "--root", str(repo), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["status"] == "written" and doc["findings"] == []
    assert [(s["rule"], s["justification"]) for s in doc["suppressed"]] == [
        ("ref-profile", "renaming, OPS-12")
    ]
    code, out, _ = run_cli("check", "--root", str(repo), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["status"] == "up-to-date"
    assert [s["rule"] for s in doc["suppressed"]] == ["ref-profile"]
    # the same error, disabled in .modelserve.yaml instead, also lets generate write
    repo = _repo(tmp_path / "configured")
    assert run_cli("generate", "--root", str(repo))[0] == 1  # refused: nothing written
    _config(repo, "rules:\n  ref-profile: {disable: true}\n")
    code, out, _ = run_cli("generate", "--root", str(repo), "--format", "sarif")
    [result] = json.loads(out)["runs"][0]["results"]
    assert code == 0 and result["ruleId"] == "ref-profile" and result["suppressions"]


def test_check_reports_unreferenced_deploy_files_as_configured(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo", deploy=True)
    (repo / "deploy/notes.yaml").write_text("kind: ConfigMap\n")
    code, _, err = run_cli("check", "--root", str(repo))
    assert code == 0 and "modelserve: warning: deploy/notes.yaml was not written" in err
    _config(repo, "rules:\n  deploy-unreferenced: {severity: error}\n")
    code, _, err = run_cli("check", "--root", str(repo))
    assert code == 1 and "modelserve: error: deploy/notes.yaml was not written" in err
    _config(repo, "rules:\n  deploy-unreferenced: {disable: true}\n")
    code, out, err = run_cli("check", "--root", str(repo), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and err == "" and doc["unreferenced"] == []
    assert [s["rule"] for s in doc["suppressed"]] == ["deploy-unreferenced"]
