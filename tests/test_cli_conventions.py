"""CLI conventions users of linters expect: -V, --root on either side of the command, the
repository found from a subfolder, "did you mean", one rule's docs, completion, rich --help."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from modelserve.commands import COMMANDS
from tests.helpers import PROJECT, copy_example, git, run_cli, run_modelserve


def test_version_short_and_long_match_the_package() -> None:
    version = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["version"]
    for flag in ("-V", "--version"):
        proc = run_modelserve(flag, check_rc=0)
        assert proc.stdout.strip() == f"modelserve {version}"


def test_root_before_or_after_the_command(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    assert run_cli("--root", str(repo), "generate")[0] == 0
    assert run_cli("generate", "--root", str(repo))[0] == 0
    # after the command wins, as it is the nearer one
    code, _, err = run_cli("--root", str(repo), "generate", "--root", str(tmp_path / "none"))
    assert code == 2 and "is not a folder" in err


def test_the_root_is_found_from_a_subfolder(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    git(repo, "init", "-q")
    code, out, err = run_cli("generate", cwd=repo / "catalog" / "models")
    assert code == 0, err
    assert (repo / "deploy" / "overlays" / "dev" / "kustomization.yaml").is_file()
    assert not (repo / "catalog" / "models" / "deploy").exists()
    assert "3 environments" in out


def test_the_search_stops_at_the_git_work_tree(tmp_path: Path) -> None:
    outer = copy_example(tmp_path / "outer")
    inner = outer / "vendor" / "other"
    inner.mkdir(parents=True)
    git(inner, "init", "-q")
    code, _, err = run_cli("validate", cwd=inner)
    assert code == 2 and "no catalog/ or environments/" in err


def test_unknown_env_suggests_the_closest(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    code, _, err = run_cli("validate", "--root", str(repo), "--env", "dve")
    assert code == 2
    assert "(there are: dev, prod, staging); did you mean 'dev'?" in err
    code, _, err = run_cli("validate", "--root", str(repo), "--env", "PROD")
    assert code == 2 and "did you mean 'prod'?" in err  # case first


def test_rules_id_prints_that_rules_documentation() -> None:
    code, out, _ = run_cli("rules", "gpu-sharing")
    assert code == 0 and out.startswith("## gpu-sharing\n") and "**Fix:**" in out
    assert "## gpu-capacity" not in out
    code, out, _ = run_cli("rules", "gpu-sharing", "--format", "json")
    assert code == 0 and [r["id"] for r in json.loads(out)["rules"]] == ["gpu-sharing"]
    code, _, err = run_cli("rules", "gpu-shareing")
    assert code == 2 and "did you mean 'gpu-sharing'?" in err


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_examples_and_exit_codes_in_its_help(name: str) -> None:
    proc = run_modelserve(name, "--help", check_rc=0)
    assert "\nexamples:\n  " in proc.stdout and "modelserve " in proc.stdout.split("examples:")[1]
    assert "exit codes:\n  0 " in proc.stdout
    top = run_modelserve("--help", check_rc=0).stdout
    assert name in top and "exit codes:" in top


def _complete(script: Path, words: list[str], cwd: Path) -> list[str]:
    body = (
        f"source {script}; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
        f"COMP_CWORD={len(words) - 1}; _modelserve; printf '%s\\n' \"${{COMPREPLY[@]}}\""
    )
    out = subprocess.run(["bash", "-c", body], cwd=cwd, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_bash_completion_completes_commands_options_values_envs_and_rules(
    tmp_path: Path,
) -> None:
    repo = copy_example(tmp_path / "repo")
    script = tmp_path / "modelserve.bash"
    script.write_text(run_modelserve("completion", "bash", check_rc=0).stdout)
    assert _complete(script, ["modelserve", "val"], repo) == ["validate", "validate-manifests"]
    assert _complete(script, ["modelserve", "--root", ".", "validate", "--fo"], repo) == [
        "--format"
    ]
    assert "sarif" in _complete(script, ["modelserve", "validate", "--format", ""], repo)
    assert _complete(script, ["modelserve", "validate", "--env", ""], repo) == [
        "dev",
        "prod",
        "staging",
    ]
    assert _complete(script, ["modelserve", "rules", "gpu-sh"], repo) == ["gpu-sharing"]


def test_zsh_completion_is_the_same_function_through_bashcompinit() -> None:
    bash = run_modelserve("completion", "bash", check_rc=0).stdout
    zsh = run_modelserve("completion", "zsh", check_rc=0).stdout
    assert "autoload -U +X bashcompinit && bashcompinit\n" in zsh
    assert zsh.replace("autoload -U +X bashcompinit && bashcompinit\n", "") == bash
    assert run_modelserve("completion", "fish").returncode == 2
