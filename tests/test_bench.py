"""The benchmark helpers are sound: synthetic catalogs are valid and deterministic, the naive
layout builds the same InferenceServices as the generated one, and the runner runs.

Fast tests only (small sizes); no timing assertions.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# bench/ is not an installed package: it is importable because pytest's pythonpath has the root.
from bench.naive import build_naive, write_naive
from bench.synth import build_catalog, synthesize
from bench.synth import main as synth_main
from modelserve.deploy.tree import build_tree
from modelserve.load.repository import Repository, load_repository
from modelserve.validate.kustomize import engine
from tests.helpers import PROJECT

RunCli = Callable[..., tuple[int, str, str]]  # the run_cli fixture of conftest.py


def test_synth_is_deterministic() -> None:
    assert build_catalog(20, 2, seed=0) == build_catalog(20, 2, seed=0)
    assert build_catalog(20, 2, seed=0) != build_catalog(20, 2, seed=1)


def test_synth_model_i_does_not_depend_on_the_size() -> None:
    small, large = build_catalog(10, 1), build_catalog(20, 1)
    models = [rel for rel in small if rel.startswith("catalog/models/")]
    assert models and all(small[rel] == large[rel] for rel in models)


def test_synth_names_and_digests(tmp_path: Path) -> None:
    summary = synthesize(tmp_path, 20, 2)
    assert len(summary.models) == 20 and summary.environments == ["dev", "staging"]
    assert all(len(name) <= 40 for name in summary.models)
    for path in (tmp_path / "catalog" / "runtimes").glob("*.yaml"):
        assert re.search(r"^image: \S+@sha256:[0-9a-f]{64}$", path.read_text(), re.M), path.name


def test_synth_catalog_passes_validate(tmp_path: Path, run_cli: RunCli) -> None:
    assert synth_main(["--models", "20", "--envs", "2", str(tmp_path)]) == 0
    code, out, err = run_cli("validate", "--root", tmp_path, "--no-cache", "--format", "text")
    assert code == 0, out + err
    assert "0 error(s)" in out


def test_synth_refuses_a_folder_with_a_catalog(tmp_path: Path) -> None:
    synthesize(tmp_path, 3, 1)
    with pytest.raises(FileExistsError):
        synthesize(tmp_path, 3, 1)
    assert synth_main(["--models", "3", str(tmp_path)]) == 2


def test_naive_layout_builds_the_same_inference_services(tmp_path: Path) -> None:
    synthesize(tmp_path / "repo", 20, 2)
    catalog = load_repository(Repository(tmp_path / "repo")).catalog
    tree = build_tree(catalog)
    naive = write_naive(tmp_path / "repo", tmp_path / "naive")
    assert naive.files == build_naive(catalog, tree).files
    build = engine("pykustomize").build
    for env in catalog.environments:
        built = [o for root in naive.roots[env] for o in build(tmp_path / "naive" / root)]
        rendered = {
            o.obj["metadata"]["name"]: o.obj
            for r in tree.env_roots(env)
            for o in r.objects
            if o.obj["kind"] == "InferenceService"
        }
        isvcs = {o["metadata"]["name"]: o for o in built if o["kind"] == "InferenceService"}
        assert set(isvcs) == set(rendered) and len(isvcs) == 20
        assert isvcs == rendered  # the patches reproduce the generated objects exactly
        overlay = (
            tmp_path / "naive" / "overlays" / env / "models" / "kustomization.yaml"
        ).read_text()
        assert (
            overlay.count("kind: InferenceService\n    name: ") == 20
        )  # one name-targeted patch per model


def run_quick(benchmark: str) -> subprocess.CompletedProcess[str]:
    """``bench.run --quick --only BENCHMARK`` as a process; it must succeed."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--only", benchmark],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_run_quick_generate_prints_a_ratio() -> None:
    proc = run_quick("generate")
    assert re.search(
        r"\| generate 60 x 2: load \([0-9]+ files\) \| .* \| [0-9.]+x of floor \|", proc.stdout
    ), proc.stdout
    assert "nproc:" in proc.stdout and "kustomize api" in proc.stdout


def test_run_quick_commands_times_each_reviewer_command() -> None:
    proc = run_quick("commands")
    for command in (
        "explain prod llama-3-3-70b-instruct (example)",
        "capacity --env prod",
        "endpoints --format sql",
    ):
        assert re.search(rf"\| modelserve {re.escape(command)}.* \| `modelserve -V` ", proc.stdout)
    assert re.search(
        r"\| modelserve capacity --format json \(60 x 2\) \| .* \| < 5 s \|", proc.stdout
    )


def test_naive_build_is_stopped_at_its_time_box(tmp_path: Path) -> None:
    from bench.run import _subprocess_builds

    synthesize(tmp_path / "repo", 5, 1)
    naive = write_naive(tmp_path / "repo", tmp_path / "naive")
    roots = [tmp_path / "naive" / r for r in naive.roots["dev"]]
    assert _subprocess_builds(roots[0], roots, timeout=0.01) is None
