"""Installing modelserve as the README says, from a local clone at its version tag: pip from
git, and pipx. Each gets the in-process Kustomize engine from `modelserve engine install`, with
no pip flag, and validates the example catalog. Real pip, real pipx, from the package index."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from modelserve import __version__
from tests.helpers import HOOK_SOURCE, PROJECT

pytestmark = pytest.mark.slow

TAG = f"v{__version__}"
IN_PROCESS = "kustomize engine: pykustomize (in-process)"


def run(argv: list[str | Path], **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MODELSERVE_", "PIP_IGNORE"))}
    proc = subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        check=False,
        env={**clean, **env},
        timeout=600,
    )
    assert proc.returncode == 0, f"{argv}: {proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of this source, tagged as a release is."""
    root = tmp_path_factory.mktemp("modelserve-release")
    for name in HOOK_SOURCE:
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / name)
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    for step in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "release"]):
        run(["git", "-C", root, *identity, *step])
    run(["git", "-C", root, "tag", TAG])
    return root


def check_installed(bin_dir: Path, cache: Path) -> None:
    modelserve = bin_dir / "modelserve"
    assert run([modelserve, "--version"]).strip() == f"modelserve {__version__}"
    before = run([modelserve, "engine"])
    assert "passed over: pykustomize (not installed: `modelserve engine install`)" in before
    assert "installed pykustomize 0.1.4" in run([modelserve, "engine", "install"])
    out = run([modelserve, "validate", "--root", PROJECT], MODELSERVE_CACHE_DIR=str(cache))
    assert re.search(r"^0 error\(s\), 0 warning\(s\);", out, re.M) and IN_PROCESS in out, out


def test_pip_install_from_git_at_the_tag(clone: Path, tmp_path: Path) -> None:
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    run([env / "bin/pip", "install", "--quiet", f"git+file://{clone}@{TAG}"])
    check_installed(env / "bin", tmp_path / "cache")


def test_pipx_install_from_git_at_the_tag(clone: Path, tmp_path: Path) -> None:
    tool = tmp_path / "pipx-tool"
    venv.create(tool, with_pip=True)
    run([tool / "bin/pip", "install", "--quiet", "pipx"])
    home, bin_dir = tmp_path / "pipx-home", tmp_path / "pipx-bin"
    pipx = {"PIPX_HOME": str(home), "PIPX_BIN_DIR": str(bin_dir), "PIPX_MAN_DIR": str(tmp_path)}
    run([tool / "bin/pipx", "install", f"git+file://{clone}@{TAG}"], **pipx)
    check_installed(bin_dir, tmp_path / "cache")
    assert (home / "venvs/modelserve").is_dir()


def test_the_tag_is_the_version_everywhere() -> None:
    """pyproject, `modelserve --version` and the CHANGELOG's newest release agree."""
    text = (PROJECT / "pyproject.toml").read_text()
    assert f'version = "{__version__}"' in text
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", (PROJECT / "CHANGELOG.md").read_text(), re.M)
    assert released and released[0] == __version__
    for name in ("README.md", ".github/workflows/modelserve.yml"):
        pinned = set(re.findall(r"@v(\d+\.\d+\.\d+)", (PROJECT / name).read_text()))
        assert pinned == {__version__}, name
    assert sys.version_info >= (3, 11)
