"""The kept build folder: rewrites only what changed, and nothing planted in it is followed or kept.

It lives in the cache folder, which a CI cache restored from a pull request's run may have
written, so the tests plant what an attacker would (links to files outside, a linked folder,
stray files) and check the build folder holds exactly the tree afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path

from modelserve.rules.examples import RUNTIME, files_for
from modelserve.validate.scratch import BuildFolder

TREE = {"a/kustomization.yaml": "resources: [x.yaml]\n", "a/x.yaml": "kind: X\n"}


def _write(folder: BuildFolder, tree: dict[str, str]) -> None:
    for rel, text in tree.items():
        folder.write(rel, text)


def _files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() or p.is_symlink()
    }


def test_an_unchanged_file_is_not_rewritten_and_a_changed_one_is(tmp_path: Path) -> None:
    kept = tmp_path / "scratch"
    with BuildFolder(kept) as folder:
        assert not folder.fresh and folder.path == kept
        _write(folder, TREE)
    before = {rel: os.stat(kept / rel).st_ino for rel in TREE}
    changed = {**TREE, "a/x.yaml": "kind: Y\n"}
    with BuildFolder(kept) as folder:
        _write(folder, changed)
    assert _files(kept) == changed
    assert os.stat(kept / "a/kustomization.yaml").st_ino == before["a/kustomization.yaml"]
    assert os.stat(kept / "a/x.yaml").st_ino != before["a/x.yaml"]  # replaced by a rename


def test_a_planted_link_is_replaced_never_written_through(tmp_path: Path) -> None:
    kept, outside = tmp_path / "scratch", tmp_path / "outside.txt"
    outside.write_text("precious\n")
    (kept / "a").mkdir(parents=True)
    (kept / "a" / "x.yaml").symlink_to(outside)
    (kept / "b").symlink_to(tmp_path)  # a linked folder where the tree has a folder
    with BuildFolder(kept) as folder:
        _write(folder, {**TREE, "b/y.yaml": "kind: Z\n"})
    assert outside.read_text() == "precious\n"
    assert not (kept / "a" / "x.yaml").is_symlink() and not (kept / "b").is_symlink()
    assert not (tmp_path / "y.yaml").exists()
    assert _files(kept) == {**TREE, "b/y.yaml": "kind: Z\n"}


def test_files_the_tree_no_longer_holds_are_removed_from_the_folders_written(
    tmp_path: Path,
) -> None:
    kept = tmp_path / "scratch"
    (kept / "a").mkdir(parents=True)
    (kept / "a" / "stale.yaml").write_text("kind: Old\n")
    (kept / "other").mkdir()
    (kept / "other" / "kustomization.yaml").write_text("resources: []\n")
    with BuildFolder(kept) as folder:
        _write(folder, TREE)
    # another root's folder, not built in this run, is left for the run that builds it
    assert _files(kept) == {**TREE, "other/kustomization.yaml": "resources: []\n"}


def test_a_second_concurrent_run_builds_in_a_fresh_folder(tmp_path: Path) -> None:
    kept = tmp_path / "scratch"
    with BuildFolder(kept) as first, BuildFolder(kept) as second:
        assert not first.fresh and second.fresh and second.path != kept
        _write(second, TREE)
        assert _files(second.path) == TREE
        fresh_path = second.path
    assert not fresh_path.exists()  # the fresh folder goes with its run
    with BuildFolder(kept) as again:  # the lock went with the first run
        assert not again.fresh


def test_a_kept_folder_that_is_a_link_is_not_used(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / "scratch").symlink_to(target)
    with BuildFolder(tmp_path / "scratch") as folder:
        assert folder.fresh
        _write(folder, TREE)
    assert list(target.iterdir()) == []


def test_validate_builds_in_the_kept_folder_and_a_credential_never_lands_there(
    tmp_path: Path, write_repo, run_cli
) -> None:
    clean = write_repo(tmp_path / "clean", files_for({}))
    code, _, _ = run_cli("validate", "--root", clean)
    scratch = Path(os.environ["MODELSERVE_CACHE_DIR"]) / "scratch"
    assert code == 0 and any(p.name.endswith(".yaml") for p in scratch.rglob("*"))
    key = "nvapi-" + "Zx81kQm2vB7LrT0pYw5sNd3Hc9Jf6Ga4Ue1Xi8Ko"
    runtime = RUNTIME.replace(
        "    secretKeyRef: {name: nvidia-nim-secrets, key: NGC_API_KEY}", f"    value: {key}"
    )
    dirty = write_repo(
        tmp_path / "dirty", files_for({"catalog/runtimes/vllm-runtime.yaml": runtime})
    )
    code, out, _ = run_cli("validate", "--root", dirty)
    assert code == 1 and "secret-literal" in out
    kept = b"".join(p.read_bytes() for p in scratch.rglob("*") if p.is_file())
    assert key.encode() not in kept  # the credential's run built elsewhere
