"""modelserve.deploy.write: deploy/ is written atomically; only the generator's files change."""

from __future__ import annotations

import json
import os
import random
import re
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from modelserve.deploy import write as write_module
from modelserve.deploy.tree import OWNED_MANIFEST
from modelserve.deploy.write import STAGE_MARKER, plan, recover, safe_relpath, write_tree
from modelserve.deploy.write import STAGE_MARKER_TEXT as MARKER_TEXT
from modelserve.errors import ConfigError, FatalError
from tests.helpers import copy_example, modelserve_argv, run_modelserve

FILES = {
    "base/runtimes/rt/kustomization.yaml": "resources:\n- clusterservingruntime.yaml\n",
    "base/runtimes/rt/clusterservingruntime.yaml": "kind: ClusterServingRuntime\n",
    "overlays/dev/kustomization.yaml": "resources:\n- runtimes\n",
    "overlays/dev/models/00/llama.yaml": "kind: InferenceService\nname: llama\n",
    "overlays/dev/models/00/only-here/qwen.yaml": "kind: InferenceService\nname: qwen\n",
}


# --- helpers -------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every file (bytes) and symlink (target, not followed) under ``root``."""
    found: dict[str, tuple[str, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in filenames + dirnames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_file():
                found[rel] = ("file", path.read_bytes())
    return found


def stats(root: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of every file or link under ``root``, links not followed."""
    out = {}
    for rel in snapshot(root):
        st = os.lstat(root / rel)
        out[rel] = (st.st_ino, st.st_mtime_ns)
    return out


def expected(files: dict[str, str]) -> dict[str, tuple[str, bytes | str]]:
    tree: dict[str, tuple[str, bytes | str]] = {k: ("file", v.encode()) for k, v in files.items()}
    manifest = json.dumps({"generator": "modelserve", "files": sorted(files)}, indent=1) + "\n"
    tree[OWNED_MANIFEST] = ("file", manifest.encode())
    return tree


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".modelserve-stage-" in p.name)


def stage_folder(parent: Path, suffix: str = "abc12345") -> Path:
    """A staging folder as a crashed run leaves it: the exact name, and the marker inside."""
    stage = parent / f".deploy.modelserve-stage-{suffix}"
    stage.mkdir()
    (stage / STAGE_MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    return stage


# --- writing -------------------------------------------------------------------------------


def test_write_into_fresh_dir(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    result = write_tree(deploy, FILES)
    assert result.written == sorted(FILES)
    assert (result.unchanged, result.removed, result.foreign) == ([], [], [])
    assert snapshot(deploy) == expected(FILES)
    assert leftovers(tmp_path) == []


def test_second_write_of_same_files_writes_nothing(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    before, deploy_inode = stats(deploy), deploy.stat().st_ino
    result = write_tree(deploy, dict(FILES))
    assert not result.changed
    assert result.written == [] and result.unchanged == sorted(FILES)
    assert stats(deploy) == before  # same inodes, same mtimes: nothing was rewritten
    assert deploy.stat().st_ino == deploy_inode  # and deploy/ was not even swapped
    assert leftovers(tmp_path) == []


def test_changed_file_rewritten_unchanged_files_hard_linked(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    before = stats(deploy)
    changed = {
        **FILES,
        "overlays/dev/models/00/llama.yaml": "kind: InferenceService\nname: llama\nv: 2\n",
    }
    result = write_tree(deploy, changed)
    assert result.written == ["overlays/dev/models/00/llama.yaml"]
    assert result.unchanged == sorted(set(FILES) - {"overlays/dev/models/00/llama.yaml"})
    after = stats(deploy)
    for rel in result.unchanged:
        assert after[rel] == before[rel], f"{rel} was rewritten although its bytes did not change"
        assert os.lstat(deploy / rel).st_nlink == 1  # the old tree's link is gone
    assert snapshot(deploy) == expected(changed)
    assert leftovers(tmp_path) == []


def test_removed_owned_file_is_deleted(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    fewer = {k: v for k, v in FILES.items() if "only-here" not in k}
    result = write_tree(deploy, fewer)
    assert result.removed == ["overlays/dev/models/00/only-here/qwen.yaml"]
    assert result.written == []
    assert snapshot(deploy) == expected(fewer)
    assert not (deploy / "overlays/dev/models/00/only-here").exists()


def test_deploy_dir_gets_normal_permissions(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    reference = tmp_path / "reference"
    reference.mkdir()  # what any other tool would create under this umask
    write_tree(deploy, FILES)
    assert deploy.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777


# --- files the generator does not own ------------------------------------------------------


def test_foreign_files_and_symlinks_kept_byte_identical(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not ours\n")
    (deploy / "notes").mkdir()
    (deploy / "notes/README.md").write_text("# hand-written\n")
    (deploy / "overlays/dev/extra.yaml").write_bytes(b"kind: ConfigMap\n# keep me\n")
    os.symlink("../base/runtimes/rt/kustomization.yaml", deploy / "overlays/link.yaml")
    os.symlink(str(outside), deploy / "outside-link")
    foreign = ["notes/README.md", "outside-link", "overlays/dev/extra.yaml", "overlays/link.yaml"]
    before = {rel: value for rel, value in snapshot(deploy).items() if rel in foreign}
    outside_before = snapshot(outside)

    changed = {**FILES, "overlays/dev/kustomization.yaml": "resources:\n- runtimes\n- models/00\n"}
    result = write_tree(deploy, changed)

    assert (
        result.foreign == foreign
    )  # the linked folder is not followed: no outside-link/secret.txt
    assert result.written == ["overlays/dev/kustomization.yaml"]
    after = snapshot(deploy)
    assert {rel: after[rel] for rel in foreign} == before
    assert (deploy / "outside-link").is_symlink() and (deploy / "overlays/link.yaml").is_symlink()
    assert snapshot(outside) == outside_before
    owned = json.loads((deploy / OWNED_MANIFEST).read_text())["files"]
    assert owned == sorted(changed)  # foreign files are never adopted
    # With nothing to write, they are still reported.
    assert write_tree(deploy, changed).foreign == foreign


def test_foreign_file_at_generated_path_is_refused(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    (deploy / "overlays/dev/models/00/new.yaml").write_text("# written by hand\n")
    before_files, before_stats = snapshot(deploy), stats(deploy)
    with pytest.raises(
        FatalError, match="overlays/dev/models/00/new.yaml was not written by modelserve"
    ):
        write_tree(deploy, {**FILES, "overlays/dev/models/00/new.yaml": "kind: InferenceService\n"})
    assert snapshot(deploy) == before_files
    assert stats(deploy) == before_stats
    assert leftovers(tmp_path) == []


def test_foreign_file_where_a_generated_folder_goes_is_refused(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    (deploy / "overlays/prod").write_text("# a hand-written file named like a folder\n")
    before = snapshot(deploy)
    try:
        with pytest.raises(FatalError, match="overlays/prod"):
            write_tree(deploy, {**FILES, "overlays/prod/kustomization.yaml": "resources: []\n"})
    finally:
        assert snapshot(deploy) == before


@pytest.mark.parametrize(
    "manifest", ["{not json", '["overlays/dev/kustomization.yaml"]', '{"files": "all"}']
)
def test_a_damaged_owned_files_manifest_owns_nothing_so_nothing_is_overwritten(
    manifest: str, tmp_path: Path
) -> None:
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    (deploy / OWNED_MANIFEST).write_text(manifest)
    before = snapshot(deploy), stats(deploy)
    changed = {**FILES, "overlays/dev/kustomization.yaml": "resources: []\n"}
    with pytest.raises(FatalError, match="was not written by modelserve but is a file it must"):
        write_tree(deploy, changed)
    assert (snapshot(deploy), stats(deploy)) == before
    assert leftovers(tmp_path) == []


# --- paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel",
    [
        "../x",
        "/abs",
        "/etc/passwd",
        "a/../../b",
        "a/b/..",
        "..",
        "",
        ".",
        "a\\b",
        "..\\x",
        "a\x00b",
    ],
)
def test_safe_relpath_refuses_paths_leaving_deploy(rel: str) -> None:
    with pytest.raises(FatalError, match="output paths must stay inside deploy/"):
        safe_relpath(rel)


@pytest.mark.parametrize("rel", ["a//b.yaml", "a/./b.yaml", "a/"])
def test_safe_relpath_refuses_empty_and_dot_parts(rel: str) -> None:
    with pytest.raises(FatalError):
        safe_relpath(rel)


def test_safe_relpath_keeps_plain_relative_paths() -> None:
    assert safe_relpath("overlays/dev/models/00/llama.yaml") == "overlays/dev/models/00/llama.yaml"


def test_write_tree_refuses_escaping_paths_and_writes_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    before = snapshot(tmp_path)
    with pytest.raises(FatalError):
        write_tree(repo / "deploy", {**FILES, "../../etc/passwd": "root::0:0::/:/bin/sh\n"})
    assert snapshot(tmp_path) == before
    assert not (repo / "deploy").exists()


def test_deploy_symlink_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere"
    write_tree(real, FILES)
    deploy = tmp_path / "repo" / "deploy"
    deploy.parent.mkdir()
    deploy.symlink_to(real, target_is_directory=True)
    before = snapshot(real), stats(real)
    with pytest.raises(FatalError, match="symbolic link"):
        write_tree(deploy, {**FILES, "new.yaml": "x: 1\n"})
    with pytest.raises(FatalError, match="symbolic link"):
        plan(deploy, FILES)
    assert deploy.is_symlink()
    assert (snapshot(real), stats(real)) == before


# --- crash recovery ------------------------------------------------------------------------


def _crashed_between_renames(tmp_path: Path) -> tuple[Path, dict[str, tuple[int, int]]]:
    """The state the two-rename fallback leaves when killed between its renames."""
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    old_stats = stats(deploy)
    stage = stage_folder(tmp_path)
    os.rename(deploy, stage / "old")
    (stage / "tree" / "overlays").mkdir(parents=True)
    (stage / "tree" / "overlays/half-written.yaml").write_text("kind: Inference")
    return deploy, old_stats


def test_crash_between_renames_is_recovered_then_written(tmp_path: Path) -> None:
    deploy, old_stats = _crashed_between_renames(tmp_path)
    new = {**FILES, "overlays/dev/kustomization.yaml": "resources:\n- runtimes\n- models/00\n"}
    result = write_tree(deploy, new)
    assert result.written == ["overlays/dev/kustomization.yaml"]
    assert snapshot(deploy) == expected(new)
    # The unchanged files are the old tree's own inodes: it was restored, then updated.
    for rel in result.unchanged:
        assert stats(deploy)[rel] == old_stats[rel]
    assert leftovers(tmp_path) == []


def test_crash_between_renames_restores_old_tree(tmp_path: Path) -> None:
    deploy, old_stats = _crashed_between_renames(tmp_path)
    result = write_tree(deploy, FILES)
    assert not result.changed
    assert snapshot(deploy) == expected(FILES)
    assert stats(deploy) == old_stats  # the very files of the old tree, back in place
    assert leftovers(tmp_path) == []


def test_crash_after_both_renames_keeps_new_tree(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    before = stats(deploy)
    stage = stage_folder(tmp_path, "zz77zz77")
    write_tree(
        stage / "old", {"stale.yaml": "old: true\n"}
    )  # killed before the old tree was deleted
    assert not write_tree(deploy, FILES).changed
    assert stats(deploy) == before
    assert leftovers(tmp_path) == []


def test_recover_restores_old_tree_when_deploy_is_missing(tmp_path: Path) -> None:
    deploy, _ = _crashed_between_renames(tmp_path)
    recover(deploy)
    assert snapshot(deploy) == expected(FILES)
    assert leftovers(tmp_path) == []


# --- SIGKILL -------------------------------------------------------------------------------


def _previous_catalog(repo: Path) -> None:
    """One model changed and one deployment fewer: the old tree differs in bytes and in file set."""
    model = repo / "catalog/models/qwen2-5-7b-instruct.yaml"
    model.write_text(model.read_text().replace("--max-model-len=8192", "--max-model-len=4096"))
    staging = repo / "environments/staging.yaml"
    text = staging.read_text()
    assert "  - model: paddleocr\n    profile: l40s\n" in text
    staging.write_text(text.replace("  - model: paddleocr\n    profile: l40s\n", ""))


def _calibrate(repo: Path) -> tuple[float, float]:
    """When, on this machine, a run starts staging the new tree and when it exits (seconds).

    Only used to aim the kills; nothing is asserted about time.
    """
    start = time.perf_counter()
    staged_at = None
    with subprocess.Popen(
        modelserve_argv("generate", "--root", repo),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as proc:
        while proc.poll() is None:
            if staged_at is None and any(".modelserve-stage-" in p.name for p in repo.iterdir()):
                staged_at = time.perf_counter() - start
            time.sleep(0.001)
    full_run = time.perf_counter() - start
    assert proc.returncode == 0
    return (staged_at if staged_at is not None else 0.7 * full_run), full_run


def _mix(now: dict, old: dict, new: dict) -> str:
    paths = set(now) | set(old) | set(new)
    as_old = sorted(p for p in paths if now.get(p) == old.get(p) != new.get(p))
    as_new = sorted(p for p in paths if now.get(p) == new.get(p) != old.get(p))
    neither = sorted(p for p in paths if now.get(p) not in (old.get(p), new.get(p)))
    return f"as in the old tree {as_old}, as in the new tree {as_new}, as in neither {neither}"


@pytest.mark.slow  # 30 killed runs: about 18 s on 2 busy cores
def test_sigkill_leaves_old_or_new_tree_never_a_mix(tmp_path: Path) -> None:
    new_repo = copy_example(tmp_path / "new")
    run_modelserve("generate", "--root", str(new_repo), check_rc=0)
    new_tree = snapshot(new_repo / "deploy")

    old_repo = copy_example(tmp_path / "old")
    _previous_catalog(old_repo)
    run_modelserve("generate", "--root", str(old_repo), check_rc=0)
    old_tree = snapshot(old_repo / "deploy")
    assert set(old_tree) != set(new_tree) and old_tree.keys() & new_tree.keys()
    assert any(
        old_tree[k] != new_tree[k] for k in old_tree.keys() & new_tree.keys() if k != OWNED_MANIFEST
    )

    repo = copy_example(tmp_path / "repo")
    deploy = repo / "deploy"
    shutil.copytree(old_repo / "deploy", deploy, symlinks=True)
    write_starts, full_run = _calibrate(repo)
    assert snapshot(deploy) == new_tree

    rng = random.Random(20240601)
    for i in range(30):
        shutil.rmtree(deploy)
        shutil.copytree(old_repo / "deploy", deploy, symlinks=True)
        with subprocess.Popen(
            modelserve_argv("generate", "--root", repo),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ) as proc:
            # Some kills early in the run, most around the short write phase at its end.
            time.sleep(
                rng.uniform(0.0, 0.08)
                if i % 3 == 0
                else rng.uniform(max(0.0, write_starts - 0.02), full_run)
            )
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        if not deploy.exists():
            # Only possible on the two-rename fallback; the next run repairs it from the stage.
            assert leftovers(repo)
            recover(deploy)
        now = snapshot(deploy)
        assert now in (old_tree, new_tree), (
            f"iteration {i}: deploy/ is a mix: {_mix(now, old_tree, new_tree)}"
        )

    # An uninterrupted run afterwards finishes the job and cleans up whatever a kill left behind.
    run_modelserve("generate", "--root", str(repo), check_rc=0)
    assert snapshot(deploy) == new_tree
    assert leftovers(repo) == []


# --- names cannot steer the writer ---------------------------------------------------------


def _rename_model(repo: Path, name: str) -> None:
    model = repo / "catalog/models/sklearn-iris.yaml"
    model.write_text(model.read_text().replace("name: sklearn-iris", f"name: {name}"))
    for env in (repo / "environments").glob("*.yaml"):
        env.write_text(env.read_text().replace("model: sklearn-iris", f"model: {name}"))


def _rename_runtime(repo: Path, name: str) -> None:
    old = "kserve-sklearnserver-0.20.0"
    for path in [repo / f"catalog/runtimes/{old}.yaml", repo / "catalog/models/sklearn-iris.yaml"]:
        path.write_text(path.read_text().replace(old, name))


def _rename_environment(repo: Path, name: str) -> None:
    env = repo / "environments/dev.yaml"
    env.write_text(env.read_text().replace("name: dev", f"name: {name}"))


@pytest.mark.parametrize(
    "rename",
    [_rename_model, _rename_runtime, _rename_environment],
    ids=["model", "runtime", "environment"],
)
@pytest.mark.parametrize("name", ["../../etc", '"../../../../tmp/x"', "/etc/cron.d"])
def test_generate_refuses_names_that_leave_deploy(
    tmp_path: Path, example_repo: Path, rename, name: str
) -> None:
    repo = example_repo
    rename(repo, name)
    before = snapshot(tmp_path)
    proc = run_modelserve("generate", "--root", str(repo), "--format", "text")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "error schema name" in proc.stdout and "nothing was written" in proc.stdout
    assert snapshot(tmp_path) == before  # nothing written anywhere, deploy/ not even created
    assert not (repo / "deploy").exists()


# --- one writer at a time ------------------------------------------------------------------


def _changed(repo: Path) -> None:
    model = repo / "catalog/models/qwen2-5-7b-instruct.yaml"
    model.write_text(model.read_text().replace("--max-model-len=8192", "--max-model-len=4096"))


def test_a_second_run_waits_for_the_lock_or_gives_up_with_exit_2(tmp_path: Path) -> None:
    from modelserve.deploy.write import deploy_lock

    repo = copy_example(tmp_path / "repo")
    run_modelserve("generate", "--root", str(repo), check_rc=0)
    before = snapshot(repo / "deploy")
    _changed(repo)
    with deploy_lock(repo / "deploy"):
        proc = run_modelserve("generate", "--root", repo, env={"MODELSERVE_LOCK_TIMEOUT": "0.5"})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "another modelserve run" in proc.stderr and "waiting" in proc.stderr
    assert snapshot(repo / "deploy") == before and leftovers(repo) == []
    with deploy_lock(repo / "deploy"):
        waiting = subprocess.Popen(
            modelserve_argv("generate", "--root", repo),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "MODELSERVE_LOCK_TIMEOUT": "60"},
        )
        # the lock is released only once the second run says it waits (its start-up can take
        # longer than any fixed sleep on a loaded machine)
        assert waiting.stderr is not None
        ready, _, _ = select.select([waiting.stderr], [], [], 60)
        first = waiting.stderr.readline() if ready else ""
        assert "waiting" in first, first
        assert waiting.poll() is None, "the second run must wait while the lock is held"
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, out + first + err
    assert snapshot(repo / "deploy") != before and leftovers(repo) == []


@pytest.mark.slow  # 3 rounds of 6 concurrent runs: about 9 s on 2 busy cores
def test_concurrent_generates_never_corrupt_deploy(tmp_path: Path) -> None:
    """Before the lock, a run's clean-up deleted another's staging folder: exit 3, partial trees."""
    repo = copy_example(tmp_path / "repo")
    run_modelserve("generate", "--root", str(repo), check_rc=0)
    for round_ in range(3):
        model = repo / "catalog/models/qwen2-5-7b-instruct.yaml"
        model.write_text(
            re.sub(r"--max-model-len=\d+", f"--max-model-len={4096 + round_}", model.read_text())
        )
        procs = [
            subprocess.Popen(
                modelserve_argv("generate", "--root", repo),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
        for p in procs:
            p.stderr.close()  # type: ignore[union-attr]
        assert [code for code, _ in results] == [0] * 6, results
        expected_tree = copy_example(tmp_path / f"expected-{round_}")
        shutil.copy(model, expected_tree / "catalog/models" / model.name)
        run_modelserve("generate", "--root", str(expected_tree), check_rc=0)
        assert snapshot(repo / "deploy") == snapshot(expected_tree / "deploy")
        assert leftovers(repo) == []


# --- staging folders: only our own are ever removed ----------------------------------------


def test_only_marked_staging_folders_are_removed(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    users = {
        ".deploy.old-before-upgrade": "notes.txt",
        ".deploy.tmp-mine": "keep.yaml",
        ".deploy.modelserve-stage-unmarked": "data.yaml",  # our name, but no marker: not ours
        ".deploy.modelserve-stage-abcdefgh": "data.yaml",
    }  # exact name, no marker, not empty
    for folder, name in users.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text("the user's\n")
    ours = stage_folder(tmp_path, "k3k3k3k3")
    (ours / "tree").mkdir()
    (ours / "tree" / "half.yaml").write_text("x")
    empty_exact = tmp_path / ".deploy.modelserve-stage-emptyemp"
    empty_exact.mkdir()  # a run killed before it wrote its marker: removable, it holds nothing
    write_tree(deploy, {**FILES, "new.yaml": "x: 1\n"})
    for folder, name in users.items():
        assert (tmp_path / folder / name).read_text() == "the user's\n"
    assert not ours.exists() and not empty_exact.exists()


def test_look_alikes_of_a_staging_name_are_never_removed(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    short = stage_folder(tmp_path, "short")  # marked, but not the exact name: not ours
    upper = stage_folder(tmp_path, "ABCDEFGH")
    a_file = tmp_path / ".deploy.modelserve-stage-filefile"  # the exact name, but a file
    a_file.write_text(MARKER_TEXT)
    write_tree(deploy, {**FILES, "new.yaml": "x: 1\n"})
    assert (short / STAGE_MARKER).read_text() == MARKER_TEXT
    assert (upper / STAGE_MARKER).read_text() == MARKER_TEXT
    assert a_file.read_text() == MARKER_TEXT


def test_a_marker_that_is_a_link_or_wrong_does_not_make_a_folder_ours(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    linked = tmp_path / ".deploy.modelserve-stage-linklink"
    linked.mkdir()
    (tmp_path / "elsewhere").write_text(MARKER_TEXT)
    (linked / STAGE_MARKER).symlink_to(tmp_path / "elsewhere")
    wrong = tmp_path / ".deploy.modelserve-stage-wrongwro"
    wrong.mkdir()
    (wrong / STAGE_MARKER).write_text("something else\n")
    recover(deploy)
    assert linked.is_dir() and wrong.is_dir()


# --- what the filesystem refuses: exit 2, nothing swapped, nothing left behind -----------------


def _refuse_writes(path: Path) -> None:
    """Make ``path`` refuse changes, even for root: the immutable flag (chattr +i), else chmod."""
    if os.geteuid() != 0:
        path.chmod(0o555 if path.is_dir() else 0o444)
        return
    proc = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(
            f"running as root and chattr +i is refused here ({proc.stderr.strip()}): "
            "cannot make a file that root may not change"
        )


def _allow_writes(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    else:
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.parametrize("what", ["deploy", "kept-file"])
def test_a_deploy_that_cannot_be_written_is_exit_2_with_nothing_left(
    what: str, tmp_path: Path
) -> None:
    repo = copy_example(tmp_path / "repo")
    run_modelserve("generate", "--root", str(repo), check_rc=0)
    deploy = repo / "deploy"
    target = deploy
    if what == "kept-file":
        target = deploy / "notes.md"  # a file of the team's: kept by hard link, which is refused
        target.write_text("ours\n")
    before = snapshot(deploy)
    _changed(repo)
    _refuse_writes(target)
    try:
        proc = run_modelserve("generate", "--root", str(repo))
    finally:
        _allow_writes(target)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cannot write deploy/" in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(deploy) == before and leftovers(repo) == []


def test_an_unreadable_folder_in_deploy_is_exit_2_and_nothing_is_swapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root no permission stops a read, so the refusal is simulated at os.scandir there."""
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    hidden = deploy / "team-notes"
    hidden.mkdir()
    (hidden / "secret-plan.md").write_text("ours\n")
    before = snapshot(deploy)
    if os.geteuid() == 0:
        real_scandir = os.scandir

        def scandir(path=".", *args, **kwargs):  # type: ignore[no-untyped-def]
            if isinstance(path, (str, os.PathLike)) and os.fspath(path) == str(hidden):
                raise PermissionError(13, "Permission denied", str(hidden))
            return real_scandir(path, *args, **kwargs)

        monkeypatch.setattr(os, "scandir", scandir)
    else:
        hidden.chmod(0)
    try:
        with pytest.raises(ConfigError, match="cannot read deploy/team-notes"):
            write_tree(deploy, {**FILES, "new.yaml": "x: 1\n"})
    finally:
        monkeypatch.undo()
        hidden.chmod(0o755)
    assert snapshot(deploy) == before and leftovers(tmp_path) == []


def test_a_foreign_tree_too_deep_to_walk_is_exit_2(tmp_path: Path) -> None:
    """os.walk recursed: a committed folder 1,200 levels deep ended generate and check in exit 3."""
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    folder = deploy / "x"
    for _ in range(120):
        folder = folder / "a"
    folder.mkdir(parents=True)
    (folder / "f").write_text("deep\n")
    before = snapshot(deploy)
    with pytest.raises(ConfigError, match="folders deep"):
        write_tree(deploy, {**FILES, "new.yaml": "x: 1\n"})
    with pytest.raises(ConfigError, match="folders deep"):
        plan(deploy, FILES)
    assert snapshot(deploy) == before and leftovers(tmp_path) == []


# --- without renameat2 or syncfs: the two-rename fallback ------------------------------------


def _without_libc(monkeypatch: pytest.MonkeyPatch) -> None:
    """As where ctypes finds no C library: no renameat2 exchange, no syncfs."""
    monkeypatch.setattr(write_module.ctypes.util, "find_library", lambda name: None)


def test_without_an_exchange_two_renames_write_the_new_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    before = stats(deploy)
    _without_libc(monkeypatch)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    changed = {**FILES, "overlays/dev/kustomization.yaml": "resources:\n- runtimes\n- x\n"}
    result = write_tree(deploy, changed)
    assert result.written == ["overlays/dev/kustomization.yaml"]
    assert snapshot(deploy) == expected(changed)
    for rel in result.unchanged:
        assert stats(deploy)[rel] == before[rel]  # hard-linked from the old tree, as with exchange
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == mask  # stop signals held, then freed
    assert leftovers(tmp_path) == []


def test_a_failed_second_rename_puts_the_old_tree_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy = tmp_path / "deploy"
    write_tree(deploy, FILES)
    before = snapshot(deploy), stats(deploy)
    _without_libc(monkeypatch)
    real_rename = os.rename

    def rename(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(src).name == "tree" and Path(dst) == deploy:
            raise OSError(28, "No space left on device", str(src))
        return real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(ConfigError) as info:
        write_tree(deploy, {**FILES, "new.yaml": "x: 1\n"})
    monkeypatch.undo()
    message = str(info.value)
    assert message.startswith("cannot write deploy/ (writing the new tree: ")
    assert "No space left on device); deploy/ was left as it was (fix: free some disk space)" in (
        message
    )
    assert (snapshot(deploy), stats(deploy)) == before  # the very old tree, back in place
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("value", "expected_message"),
    [
        ("soon", "MODELSERVE_LOCK_TIMEOUT='soon' is not a number of seconds"),
        ("-1", "MODELSERVE_LOCK_TIMEOUT='-1' must be between 0 and 86400 seconds"),
        ("86400", "MODELSERVE_LOCK_TIMEOUT='86400' must be between 0 and 86400 seconds"),
    ],
)
def test_a_lock_timeout_that_is_no_number_of_seconds_is_exit_2(
    value: str, expected_message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli
) -> None:
    repo = copy_example(tmp_path / "repo")
    monkeypatch.setenv("MODELSERVE_LOCK_TIMEOUT", value)
    code, out, err = run_cli("generate", "--root", repo)
    assert code == 2, out + err
    assert expected_message in err
    assert not (repo / "deploy").exists() and leftovers(repo) == []


def test_a_deploy_whose_folder_is_missing_cannot_be_locked(tmp_path: Path) -> None:
    deploy = tmp_path / "missing" / "deploy"
    with pytest.raises(ConfigError, match=f"cannot open {deploy.parent} to lock it"):
        write_tree(deploy, FILES)
    assert not deploy.parent.exists()
