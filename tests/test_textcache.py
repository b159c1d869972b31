"""Reusing generated texts between validations, and the collector pause around the pipeline."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from modelserve.cache.findings import FindingsCache, read_signed_json, write_signed_json
from modelserve.cache.text import TextCache
from modelserve.deploy.tree import build_tree
from modelserve.gcpause import cycle_collection_paused
from modelserve.load.repository import Repository, load_repository
from modelserve.render.yamlout import Documents, dump_all
from modelserve.validate import pipeline
from modelserve.validate.pipeline import Options, validate_repository


def test_fingerprint_follows_everything_the_dump_depends_on() -> None:
    base = Documents([{"a": 1, "b": "x"}], "# h\n")
    assert base.fingerprint() == Documents([{"a": 1, "b": "x"}], "# h\n").fingerprint()
    shared: dict[str, int] = {"n": 1}
    others = [
        Documents([{"a": 1, "b": "x"}], "# other\n"),  # header
        Documents([{"b": "x", "a": 1}], "# h\n"),  # key order
        Documents([{"a": "1", "b": "x"}], "# h\n"),  # str, not int
        Documents([{"a": True, "b": "x"}], "# h\n"),  # bool, not int
        Documents([{"a": 1.0, "b": "x"}], "# h\n"),  # float, not int
        Documents([{1: 1, "b": "x"}], "# h\n"),  # int key: YAML writes it unquoted
    ]
    prints = {d.fingerprint() for d in others} | {base.fingerprint()}
    assert len(prints) == len(others) + 1
    # Shared sub-objects become YAML anchors: the dumps differ, so must the fingerprints.
    aliased, copied = (
        Documents([{"x": shared, "y": shared}]),
        Documents([{"x": {"n": 1}, "y": {"n": 1}}]),
    )
    assert aliased() != copied()
    assert aliased.fingerprint() != copied.fingerprint()


def test_fingerprint_is_none_when_the_objects_cannot_be_pickled() -> None:
    assert Documents([{"f": lambda: 0}]).fingerprint() is None


def test_reused_texts_equal_fresh_dumps_after_a_change(example_repo: Path, tmp_path: Path) -> None:
    cache = TextCache(tmp_path)
    first = build_tree(load_repository(Repository(example_repo)).catalog)
    roots = {r.path: pipeline._root_files(r, first) for r in first.roots}
    for path, rels in roots.items():
        cache.fill(first.files, path, rels)
    assert cache.missed == sum(map(len, roots.values())) and cache.reused == 0

    model = example_repo / "catalog" / "models" / "nvclip.yaml"
    model.write_text(model.read_text().replace("count: 1", "count: 2"))
    second = build_tree(load_repository(Repository(example_repo)).catalog)
    cache.reused = cache.missed = 0
    for root in second.roots:
        cache.fill(second.files, root.path, pipeline._root_files(root, second))
    assert cache.reused > 0 and cache.missed > 0, (
        "the nvclip files are dumped again, the rest reused"
    )
    fresh = build_tree(load_repository(Repository(example_repo)).catalog)
    assert {rel: second.files[rel] for rel in second.files} == {
        rel: fresh.files[rel] for rel in fresh.files
    }
    changed = [rel for rel in second.files if second.files[rel] != first.files.get(rel)]
    assert changed and all("nvclip" in rel for rel in changed)


@pytest.mark.parametrize(
    "junk",
    [b"", b"not json", b"[1, 2]", b'{"a/b.yaml": 3}', b'{"a/b.yaml": ["x", 5]}', b"\xff\xfe"],
)
def test_a_damaged_cache_file_is_ignored(junk: bytes, tmp_path: Path) -> None:
    cache = TextCache(tmp_path)
    files = build_tree(
        load_repository(Repository(Path(__file__).resolve().parents[1])).catalog
    ).files
    rels = [rel for rel in files if rel.startswith("base/runtimes/")][:2]
    cache._path("bucket").parent.mkdir(parents=True)
    cache._path("bucket").write_bytes(junk)
    cache.fill(files, "bucket", rels)
    assert cache.missed == len(rels) and cache.reused == 0
    stored = read_signed_json(cache._path("bucket"))
    assert {rel: text for rel, (_, text) in stored.items()} == {rel: files[rel] for rel in rels}


def test_incremental_validate_reuses_texts_and_still_matches_a_full_run(
    example_repo: Path, tmp_path: Path
) -> None:
    cache = FindingsCache(tmp_path / "cache")
    layout = Repository(example_repo)
    validate_repository(layout, Options(cache=cache))
    texts = list((tmp_path / "cache" / "texts").glob("*.json"))
    assert texts, "a run with a cache keeps the texts of the roots it built"
    model = example_repo / "catalog" / "models" / "nvclip.yaml"
    model.write_text(model.read_text().replace("count: 1", "count: 9"))
    warm = validate_repository(layout, Options(cache=cache))
    full = validate_repository(layout, Options(cache=None))
    assert warm.findings == full.findings
    assert not [f for f in warm.findings if f.rule == "build-mismatch"]


def test_stale_text_in_the_cache_would_be_caught_by_the_build_check(
    example_repo: Path, tmp_path: Path
) -> None:
    """The cache trusts a fingerprint; the build comparison is the net under it."""
    cache = FindingsCache(tmp_path / "cache")
    layout = Repository(example_repo)
    validate_repository(layout, Options(cache=cache))
    for path in (tmp_path / "cache" / "texts").glob("*.json"):
        data = read_signed_json(path)  # signed again below: a stale entry, not a forged one
        for rel, entry in data.items():
            if rel.endswith("/nvclip.yaml"):
                entry[1] = entry[1].replace("nvclip", "nvclip-stale")
        write_signed_json(path, data)
    for entry in (tmp_path / "cache").iterdir():  # forget the findings, keep the texts
        if entry.name != "texts":
            for item in entry.rglob("*.json"):
                item.unlink()
    result = validate_repository(layout, Options(cache=cache))
    assert any(f.rule == "build-mismatch" for f in result.findings)


def test_collector_is_paused_during_validation_and_restored_after(
    example_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []
    real = pipeline.run_rules

    def spy(ctx):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real(ctx)

    monkeypatch.setattr(pipeline, "run_rules", spy)
    assert gc.isenabled()
    validate_repository(Repository(example_repo), Options(envs=set()))
    assert seen == [False] and gc.isenabled()


def test_collector_state_is_restored_when_the_block_fails() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cycle_collection_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with cycle_collection_paused():
            pass
        assert not gc.isenabled(), "a collector the caller disabled stays disabled"
    finally:
        gc.enable()


def test_what_the_block_allocated_leaves_the_young_generation() -> None:
    """Else the collector's next young-generation pass scans all of it (0.1 s at 1,000 x 4)."""
    gc.collect()
    with cycle_collection_paused():
        kept = [{"n": i} for i in range(50_000)]
        assert gc.get_count()[0] > 10_000
    assert gc.get_count()[0] < 1_000 and gc.isenabled()
    assert len(kept) == 50_000


def test_pykustomize_sees_gogc_but_started_processes_do_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from modelserve.validate import kustomize

    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delitem(sys.modules, "pykustomize", raising=False)
    seen = []
    real_import = __import__

    def spy(name: str, *args: object, **kwargs: object) -> object:
        if name == "pykustomize":
            seen.append(os.environ.get("GOGC"))
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("builtins.__import__", spy)
    kustomize.import_pykustomize()
    assert seen == [kustomize.GO_GC_PERCENT] and "GOGC" not in os.environ
    monkeypatch.setenv("GOGC", "150")
    monkeypatch.delitem(sys.modules, "pykustomize", raising=False)
    seen.clear()
    kustomize.import_pykustomize()
    assert seen == ["150"] and os.environ["GOGC"] == "150", "the user's setting wins"


def test_documents_dump_like_dump_all() -> None:
    objs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "on"}}]
    assert Documents(objs, "# h\n")() == dump_all(objs, "# h\n")


def test_build_threads_loading_pykustomize_together_get_the_whole_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A module sits in sys.modules while it is imported: a second build thread took the
    half-initialised one ('partially initialized module ... has no attribute Kustomizer')."""
    import sys
    import threading
    import time

    from modelserve.validate import kustomize

    real = kustomize.import_pykustomize()
    monkeypatch.delitem(sys.modules, "pykustomize")
    real_import = __import__

    def slow(name: str, *args: object, **kwargs: object) -> object:
        if name == "pykustomize":
            sys.modules["pykustomize"] = type(sys)("pykustomize")  # as an import in progress
            time.sleep(0.2)
            sys.modules["pykustomize"] = real
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("builtins.__import__", slow)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(kustomize.import_pykustomize()))]
    threads.append(threading.Thread(target=lambda: got.append(kustomize.import_pykustomize())))
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert got and all(hasattr(module, "Kustomizer") for module in got)
