"""What gets installed: the import package ``modelserve`` with its schemas, and nothing named
``generator`` (the source root's folder name, see pyproject's ``[tool.setuptools]``).

The wheel is built for real by pip from a copy of the build inputs (so nothing is written in
the working tree), with the build backend pyproject declares, from the configured package index.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from modelserve.report.ruledocs import REPOSITORY
from tests.helpers import PROJECT, run_modelserve

SOURCE_ROOT = PROJECT / "generator"
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "generator", "schemas")


def pyproject() -> dict[str, Any]:
    return tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))


def package_folders() -> set[str]:
    """Dotted names of the folders under generator/modelserve that hold an ``__init__.py``."""
    return {
        ".".join(init.parent.relative_to(SOURCE_ROOT).parts)
        for init in (SOURCE_ROOT / "modelserve").rglob("__init__.py")
    }


def test_the_packages_list_names_every_package_folder() -> None:
    listed = pyproject()["tool"]["setuptools"]["packages"]
    assert len(listed) == len(set(listed)), "a package is listed twice"
    assert set(listed) == package_folders() | {"modelserve.schemas"}


def test_the_schemas_package_is_the_schemas_folder() -> None:
    setuptools = pyproject()["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"": "generator", "modelserve.schemas": "schemas"}
    assert setuptools["package-data"]["modelserve.schemas"] == ["*.json", "kinds/*.json"]


BUILD_OUTPUT: list[str] = []


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        path = PROJECT / name
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        # -v: the build backend's own warnings are shown only then
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    BUILD_OUTPUT.append(proc.stdout + proc.stderr)
    [built] = out.glob("modelserve-*.whl")
    with zipfile.ZipFile(built) as archive:
        yield archive


@pytest.mark.slow
def test_the_wheel_holds_the_package_and_its_schemas(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for package in pyproject()["tool"]["setuptools"]["packages"]:
        if package != "modelserve.schemas":
            assert f"{package.replace('.', '/')}/__init__.py" in names, package
    assert {"modelserve/__main__.py", "modelserve/cli.py"} <= names
    for pattern in ("*.json", "kinds/*.json"):
        expected = {
            f"modelserve/schemas/{p.relative_to(PROJECT / 'schemas').as_posix()}"
            for p in (PROJECT / "schemas").glob(pattern)
        }
        assert expected and expected <= names, sorted(expected - names)


@pytest.mark.slow
def test_nothing_named_generator_is_installed(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert [n for n in names if "generator" in n.split("/")[:-1]] == []
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {
        "modelserve"
    }
    for top_level in (n for n in names if n.endswith(".dist-info/top_level.txt")):
        assert wheel.read(top_level).decode().split() == ["modelserve"]


@pytest.mark.slow
def test_the_wheel_declares_the_console_script(wheel: zipfile.ZipFile) -> None:
    [entry_points] = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "[console_scripts]" in text and "modelserve = modelserve.cli:main" in text


def test_python_dash_m_modelserve_help_exits_0() -> None:
    proc = run_modelserve("--help")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("usage: modelserve")


@pytest.mark.slow
def test_the_build_prints_no_deprecation_warning_and_ships_the_license(
    wheel: zipfile.ZipFile,
) -> None:
    [output] = BUILD_OUTPUT
    assert "Deprecat" not in output, [line for line in output.splitlines() if "eprecat" in line]
    names = wheel.namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = wheel.read(metadata).decode()
    assert "License-Expression: Apache-2.0" in text
    assert f"Project-URL: Repository, {REPOSITORY}" in text
    assert f"Project-URL: Changelog, {REPOSITORY}/blob/main/CHANGELOG.md" in text


def test_the_project_urls_are_the_repository_the_reports_name() -> None:
    urls = pyproject()["project"]["urls"]
    assert urls["Repository"] == urls["Homepage"] == REPOSITORY
    assert all(url.startswith(REPOSITORY) for url in urls.values()), urls


def test_the_docker_image_installs_as_the_install_tests_do() -> None:
    """No Docker engine runs here, so the image is not built; what it runs is what
    tests/test_install.py runs: the package from its build inputs, then the engine step."""
    text = (PROJECT / "Dockerfile").read_text()
    lines = text.splitlines()
    instructions = [line.split()[0] for line in lines if line[:1].isupper()]
    assert instructions[0] == "FROM"
    base = next(line for line in lines if line.startswith("FROM")).split()[1]
    assert base.startswith("python:3.11"), "the oldest Python pyproject's requires-python allows"
    copied = {
        part.rstrip("/").split("/")[-1]
        for line in lines
        if line.startswith("COPY")
        for part in line.split()[1:-1]
    }
    assert copied == set(BUILD_INPUTS)
    assert "pip install --no-cache-dir /src" in text and "modelserve engine install" in text
    assert 'ENTRYPOINT ["modelserve"]' in text and "USER modelserve" in text
    ignored = (PROJECT / ".dockerignore").read_text().split()
    assert ignored[ignored.index("*") + 1 :][: len(BUILD_INPUTS)] == [
        f"!{name}/" if (PROJECT / name).is_dir() else f"!{name}" for name in BUILD_INPUTS
    ]
