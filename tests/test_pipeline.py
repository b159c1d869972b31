"""The validation pipeline: rendered problems mapped back to the catalog, caching, kubeconform."""

from __future__ import annotations

import copy
import json
import os
import stat
from pathlib import Path

from modelserve.cache.findings import FindingsCache
from modelserve.deploy.tree import build_tree
from modelserve.load.repository import Repository, load_repository
from modelserve.validate import pipeline
from modelserve.validate.kubeschemas import SchemaStore
from modelserve.validate.pipeline import Options, validate_repository


def test_problem_in_built_object_points_at_the_catalog_line(example_repo: Path) -> None:
    catalog = load_repository(Repository(example_repo)).catalog
    tree = build_tree(catalog)
    root = next(
        r
        for r in tree.roots
        if r.env == "prod" and any(o.model == "llama-3-3-70b-instruct" for o in r.objects)
    )
    built = [copy.deepcopy(o.obj) for o in root.objects]
    isvc = next(
        o
        for o in built
        if o["kind"] == "InferenceService" and o["metadata"]["name"] == "llama-3-3-70b-instruct"
    )
    isvc["spec"]["predictor"]["model"]["runtimeVersoin"] = (
        "1.8.4"  # as if a transformer injected a typo
    )
    findings = pipeline._check_root(root, built, SchemaStore("1.33"))
    schema = [f for f in findings if f.rule == "schema"]
    assert len(schema) == 1
    assert schema[0].file == "catalog/models/llama-3-3-70b-instruct.yaml"
    text = (example_repo / schema[0].file).read_text().splitlines()
    assert text[schema[0].line - 1].startswith("name:")  # the model the object was rendered from
    assert "runtimeVersoin" in schema[0].message
    assert any(f.rule == "build-mismatch" for f in findings), (
        "the built object differs from the rendered one"
    )


def test_missing_and_extra_objects_are_build_mismatches(example_repo: Path) -> None:
    tree = build_tree(load_repository(Repository(example_repo)).catalog)
    root = next(r for r in tree.roots if "/models/" in r.path)
    built = [copy.deepcopy(o.obj) for o in root.objects[1:]]
    extra = copy.deepcopy(root.objects[0].obj)
    extra["metadata"]["name"] = "surprise"
    findings = pipeline._check_root(root, built + [extra], SchemaStore("1.33"))
    messages = " ".join(f.message for f in findings if f.rule == "build-mismatch")
    assert "surprise" in messages and "missing from the build" in messages


def test_incremental_run_reports_what_a_full_run_reports(
    example_repo: Path, tmp_path: Path
) -> None:
    cache = FindingsCache(tmp_path / "cache")
    layout = Repository(example_repo)
    first = validate_repository(layout, Options(cache=cache))
    assert first.built > 0 and first.cached == 0
    model = example_repo / "catalog" / "models" / "nvclip.yaml"
    model.write_text(
        model.read_text().replace("count: 1", "count: 9")
    )  # breaks node fit in two envs
    warm = validate_repository(layout, Options(cache=cache))
    full = validate_repository(layout, Options(cache=None))
    assert warm.cached > 0 and warm.built < first.built, (
        "only the shards holding nvclip are rebuilt"
    )
    assert warm.findings == full.findings
    assert any(f.rule == "gpu-node-fit" for f in full.findings)


def test_env_filter_builds_only_that_environment(example_repo: Path) -> None:
    result = validate_repository(Repository(example_repo), Options(envs={"dev"}))
    all_roots = validate_repository(Repository(example_repo), Options())
    assert 0 < result.built < all_roots.built


def test_kubeconform_runs_as_an_extra_pass_when_on_path(
    example_repo: Path, tmp_path: Path, monkeypatch
) -> None:
    # A stand-in kubeconform that reports one object invalid, in kubeconform's JSON output format.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.txt"
    script = bin_dir / "kubeconform"
    script.write_text(f"""#!/bin/sh
echo "$@" >> {calls}
cat <<'JSON'
{
        json.dumps(
            {
                "resources": [
                    {
                        "filename": "x.yaml",
                        "kind": "InferenceService",
                        "name": "nvclip",
                        "version": "serving.kserve.io/v1beta1",
                        "status": "statusInvalid",
                        "msg": "problem validating schema",
                    }
                ],
                "summary": {},
            }
        )
    }
JSON
exit 1
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = validate_repository(Repository(example_repo), Options(envs={"staging"}))
    found = [f for f in result.findings if f.rule == "kubeconform"]
    assert found and found[0].file == "catalog/models/nvclip.yaml"
    assert "-strict" in calls.read_text()


def test_two_mirrored_versions_of_one_image_each_keep_their_own(tmp_path: Path) -> None:
    # Kustomize's images transformer matches by repository name only; the generator must not
    # let two versions of one repository collapse into the first override.
    import subprocess
    import sys

    out = tmp_path / "synth"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.synth",
            "--models",
            "40",
            "--envs",
            "2",
            "--mirror-all",
            str(out),
        ],
        check=True,
        capture_output=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    result = validate_repository(Repository(out), Options())
    assert not [f for f in result.findings if f.rule == "build-mismatch"]
    images = {}
    for root in result.tree.roots:
        for o in root.objects:
            if o.obj["kind"] == "ClusterServingRuntime":
                images.setdefault(o.obj["spec"]["containers"][0]["image"], set()).add(
                    o.obj["metadata"]["name"]
                )
    assert images and all(len(names) == 1 for names in images.values())


def test_catalog_rules_run_while_kustomize_builds(example_repo: Path, monkeypatch) -> None:
    import threading

    from modelserve.validate import kustomize

    # Each side waits for the other to have started: run one after the other, one wait times out.
    rules_started, builds_started, met = threading.Event(), threading.Event(), []
    real_build, real_rules = kustomize.build_or_error, pipeline.run_rules

    def build_or_error(path):  # type: ignore[no-untyped-def]
        builds_started.set()
        met.append(("builds saw the rules", rules_started.wait(timeout=5)))
        return real_build(path)

    def run_rules(ctx):  # type: ignore[no-untyped-def]
        rules_started.set()
        met.append(("rules saw the builds", builds_started.wait(timeout=5)))
        return real_rules(ctx)

    monkeypatch.setattr(kustomize, "build_or_error", build_or_error)
    monkeypatch.setattr(pipeline, "run_rules", run_rules)
    result = validate_repository(Repository(example_repo), Options())
    assert set(met) == {("builds saw the rules", True), ("rules saw the builds", True)}
    assert result.built > 0 and not [f for f in result.findings if f.rule == "kustomize-build"]


def test_each_generated_file_is_written_once_while_builds_read_them(
    example_repo: Path, monkeypatch
) -> None:
    """Runtimes roots of several environments share base/runtimes/: a second write could land
    while a running build reads the file."""
    from modelserve.validate.scratch import BuildFolder

    writes: list[str] = []
    real_write = BuildFolder.write

    def write(self: BuildFolder, rel: str, text: str) -> None:
        writes.append(rel)
        real_write(self, rel, text)

    monkeypatch.setattr(BuildFolder, "write", write)
    result = validate_repository(Repository(example_repo), Options())
    shared = [w for w in writes if w.startswith("base/runtimes/")]
    assert result.built > 0 and shared, "the example catalog has runtimes in base/"
    assert len(writes) == len(set(writes)), sorted(w for w in writes if writes.count(w) > 1)


def test_a_failing_rule_still_waits_for_the_builds_and_cleans_up(
    example_repo: Path, tmp_path: Path, monkeypatch
) -> None:
    import tempfile

    import pytest

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def broken_rules(ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("rule bug")

    monkeypatch.setattr(pipeline, "run_rules", broken_rules)
    with pytest.raises(RuntimeError, match="rule bug"):
        validate_repository(Repository(example_repo), Options())
    assert not list(tmp_path.glob("modelserve-build-*")), "the build folder is removed"
