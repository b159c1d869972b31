"""Hostile names, values and symlinks: refused with file, line and field, exit 1, nothing written.

Every case runs through the real CLI in-process (``generate`` and ``validate``). YAML-level
hostility (bombs, BOMs, tabs...) is in tests/test_yamlio.py, the atomic write in
tests/test_output.py; this file covers what reaches the catalog's names, values and paths.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from modelserve.rules.examples import ENVIRONMENT, MODEL, RUNTIME, files_for
from tests.helpers import PROJECT, run_modelserve

MODEL_FILE = "catalog/models/llama.yaml"
RUNTIME_FILE = "catalog/runtimes/vllm-runtime.yaml"
ENV_FILE = "environments/dev.yaml"


def renamed_model(name: str) -> dict[str, str]:
    """The example catalog with its model renamed to ``name`` in the catalog and the environment."""
    return {
        MODEL_FILE: MODEL.replace("name: llama", f"name: {name}"),
        ENV_FILE: ENVIRONMENT.replace("  - model: llama", f"  - model: {name}"),
    }


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def tree(root: Path) -> dict[str, bytes | str]:
    """Every file (content) and symlink (target) under ``root``, links not followed."""
    found: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                found[rel] = path.read_bytes()
    return found


# (id, files to replace, file, line, rule, field) of the finding that must be reported.
LONG = "a" * 49
CASES = [
    ("slash-in-name", renamed_model("ll/ama"), MODEL_FILE, 1, "schema", "name"),
    ("dotdot-name", renamed_model("../../etc/x"), MODEL_FILE, 1, "schema", "name"),
    ("uppercase-name", renamed_model("Llama"), MODEL_FILE, 1, "schema", "name"),
    ("cyrillic-a-in-name", renamed_model("ll\u0430ma"), MODEL_FILE, 1, "schema", "name"),
    (
        "fullwidth-name",
        renamed_model("\uff4c\uff4c\uff41\uff4d\uff41"),
        MODEL_FILE,
        1,
        "schema",
        "name",
    ),
    ("100-char-name", renamed_model("a" * 100), MODEL_FILE, 1, "schema", "name"),
    (
        "49-char-name-breaks-kserve-labels",
        renamed_model(LONG),
        MODEL_FILE,
        1,
        "name-length",
        "name",
    ),
    (
        "runtime-name-with-slash",
        {
            RUNTIME_FILE: RUNTIME.replace("name: vllm-runtime", "name: vllm/../../runtime"),
            MODEL_FILE: MODEL.replace("runtime: vllm-runtime", "runtime: vllm/../../runtime"),
        },
        RUNTIME_FILE,
        1,
        "schema",
        "name",
    ),
    (
        "environment-name-with-dotdot",
        {ENV_FILE: ENVIRONMENT.replace("name: dev", "name: ../dev")},
        ENV_FILE,
        1,
        "schema",
        "name",
    ),
    (
        "namespace-with-slash",
        {ENV_FILE: ENVIRONMENT.replace("namespace: models", "namespace: ../kube-system")},
        ENV_FILE,
        line_of(ENVIRONMENT, "namespace:"),
        "schema",
        "namespace",
    ),
    (
        "environment-refers-to-a-path",
        {ENV_FILE: ENVIRONMENT.replace("  - model: llama", "  - model: ../models/llama")},
        ENV_FILE,
        line_of(ENVIRONMENT, "  - model: llama"),
        "ref-model",
        "models[0].model",
    ),
    (
        "storage-uri-ftp",
        {MODEL_FILE: MODEL + "storageUri: ftp://models.example.com/llama\n"},
        MODEL_FILE,
        MODEL.count("\n") + 1,
        "storage-uri",
        "storageUri",
    ),
    (
        "storage-uri-javascript",
        {MODEL_FILE: MODEL + "storageUri: 'javascript:alert(1)'\n"},
        MODEL_FILE,
        MODEL.count("\n") + 1,
        "storage-uri",
        "storageUri",
    ),
    (
        "storage-uri-file-dotdot",
        {MODEL_FILE: MODEL + "storageUri: file:///mnt/models/../../etc/shadow\n"},
        MODEL_FILE,
        MODEL.count("\n") + 1,
        "storage-uri",
        "storageUri",
    ),
    (
        "storage-uri-pvc-dotdot",
        {MODEL_FILE: MODEL + "storageUri: pvc://models/../../secrets\n"},
        MODEL_FILE,
        MODEL.count("\n") + 1,
        "storage-uri",
        "storageUri",
    ),
    (
        "storage-uri-no-scheme",
        {MODEL_FILE: MODEL + "storageUri: /etc/passwd\n"},
        MODEL_FILE,
        MODEL.count("\n") + 1,
        "storage-uri",
        "storageUri",
    ),
    (
        "image-without-registry",
        {RUNTIME_FILE: RUNTIME.replace("image: nvcr.io/nim/meta/", "image: ")},
        RUNTIME_FILE,
        line_of(RUNTIME, "image:"),
        "image-registry",
        "image",
    ),
    (
        "image-override-without-registry",
        {ENV_FILE: ENVIRONMENT + "runtimeImages:\n  vllm-runtime: vllm/vllm-openai:v0.6.0\n"},
        ENV_FILE,
        ENVIRONMENT.count("\n") + 2,
        "image-registry",
        "runtimeImages.vllm-runtime",
    ),
]


@pytest.mark.parametrize(
    ("files", "file", "line", "rule", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
@pytest.mark.parametrize("command", ["generate", "validate"])
def test_hostile_value_is_refused_with_its_location(
    command, files, file, line, rule, field, tmp_path, write_repo, run_cli
) -> None:
    root = write_repo(tmp_path / "repo", files_for(files))
    before = tree(tmp_path)
    code, out, err = run_cli(command, "--root", root, "--format", "json")
    assert code == 1, out + err
    findings = json.loads(out)["findings"]
    match = [
        f
        for f in findings
        if f["file"] == file
        and f["line"] == line
        and f["rule"] == rule
        and f["severity"] == "error"
    ]
    assert match, f"no {rule} error at {file}:{line} in {findings}"
    assert any(
        f["path"] == field or f"'{field}'" in f["message"] or field in f["message"] for f in match
    )
    assert tree(tmp_path) == before, "a refused catalog must leave every file as it was"
    assert not (root / "deploy").exists()


@pytest.mark.parametrize(
    "case",
    [
        "slash-in-name",
        "cyrillic-a-in-name",
        "49-char-name-breaks-kserve-labels",
        "storage-uri-ftp",
        "image-without-registry",
    ],
)
def test_text_report_names_file_line_and_rule(case, tmp_path, write_repo, run_cli) -> None:
    _, files, file, line, rule, _ = next(c for c in CASES if c[0] == case)
    root = write_repo(tmp_path / "repo", files_for(files))
    for command in ("generate", "validate"):
        code, out, _ = run_cli(command, "--root", root, "--format", "text")
        assert code == 1
        assert any(
            row.startswith(f"{file}:{line}:") and f" error {rule} " in row
            for row in out.splitlines()
        ), out
    assert not (root / "deploy").exists()


def test_the_unmodified_example_passes_so_each_case_fails_on_its_own(
    tmp_path, write_repo, run_cli
) -> None:
    root = write_repo(tmp_path / "repo", files_for({}))
    assert run_cli("validate", "--root", root)[0] == 0
    assert run_cli("generate", "--root", root)[0] == 0


def test_a_dns_valid_48_char_name_still_fits(tmp_path, write_repo, run_cli) -> None:
    root = write_repo(tmp_path / "repo", files_for(renamed_model("a" * 48)))
    code, out, err = run_cli("generate", "--root", root)
    assert code == 0, out + err


# --- symlinks ---------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path, write_repo) -> Path:
    return write_repo(tmp_path / "repo", files_for({}))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


def _refused_everywhere(root: Path, run_cli, rel: str) -> None:
    for command in ("validate", "generate"):
        code, out, err = run_cli(command, "--root", root, "--format", "text")
        assert code == 1, out + err
        rows = [
            r
            for r in out.splitlines()
            if re.match(rf"{re.escape(rel)}(:\d+:\d+)?: error file-outside-repo ", r)
        ]
        assert rows and f"{rel} is a link to" in rows[0] and "outside the repository" in rows[0], (
            out
        )


def test_symlinked_catalog_file_pointing_outside_is_refused(repo, outside, run_cli) -> None:
    target = outside / "other.yaml"
    target.write_text(MODEL.replace("name: llama", "name: other"))
    os.symlink(target, repo / "catalog/models/other.yaml")
    before = tree(outside.parent)
    _refused_everywhere(repo, run_cli, "catalog/models/other.yaml")
    assert tree(outside.parent) == before
    assert not (repo / "deploy").exists()


def test_relative_symlink_escaping_through_dotdot_is_refused(repo, outside, run_cli) -> None:
    (outside / "m.yaml").write_text(MODEL.replace("name: llama", "name: other"))
    os.symlink("../../../outside/m.yaml", repo / "catalog/models/other.yaml")
    _refused_everywhere(repo, run_cli, "catalog/models/other.yaml")


def test_symlinked_environments_folder_is_refused(repo, outside, run_cli) -> None:
    (repo / "environments/dev.yaml").rename(outside / "dev.yaml")
    (repo / "environments").rmdir()
    os.symlink(outside, repo / "environments")
    before = tree(outside.parent)
    _refused_everywhere(repo, run_cli, "environments/dev.yaml")
    assert tree(outside.parent) == before
    assert sorted(os.listdir(outside)) == ["dev.yaml"]


def test_symlinked_catalog_folder_is_refused(repo, outside, run_cli) -> None:
    os.rename(repo / "catalog", outside / "catalog")
    os.symlink(outside / "catalog", repo / "catalog")
    _refused_everywhere(repo, run_cli, "catalog/models/llama.yaml")


def test_symlink_inside_the_repository_is_read_like_the_file(repo, run_cli) -> None:
    # Documented: only links that leave the repository are refused.
    (repo / "shared").mkdir()
    (repo / "environments/dev.yaml").rename(repo / "shared/dev.yaml")
    os.symlink("../shared/dev.yaml", repo / "environments/dev.yaml")
    code, out, err = run_cli("generate", "--root", repo)
    assert code == 0, out + err


def test_deploy_symlink_is_refused_and_its_target_untouched(repo, outside, run_cli) -> None:
    os.symlink(outside, repo / "deploy")
    for command in ("generate", "check"):
        code, out, err = run_cli(command, "--root", repo)
        assert code == 1, out + err
        assert "deploy/ is a symbolic link; refusing to write through it" in err
        assert os.listdir(outside) == []
    assert os.readlink(repo / "deploy") == str(outside)
    assert sorted(os.listdir(repo)) == ["catalog", "deploy", "environments"]


def test_foreign_symlink_inside_deploy_is_kept_not_followed(repo, outside, run_cli) -> None:
    assert run_cli("generate", "--root", repo)[0] == 0
    target = outside / "secret.txt"
    target.write_text("outside the repository\n")
    os.symlink(target, repo / "deploy/link.yaml")
    code, out, err = run_cli("generate", "--root", repo)
    assert code == 0, out + err
    assert "kept deploy/link.yaml: not generated by modelserve" in err
    assert os.readlink(repo / "deploy/link.yaml") == str(target)
    assert target.read_text() == "outside the repository\n"
    assert sorted(os.listdir(outside)) == ["secret.txt"]


def test_symlink_at_a_path_generate_must_write_is_refused(repo, outside, run_cli) -> None:
    target = outside / "k.yaml"
    target.write_text("original\n")
    link = repo / "deploy/overlays/dev/kustomization.yaml"
    link.parent.mkdir(parents=True)
    os.symlink(target, link)
    code, out, err = run_cli("generate", "--root", repo)
    assert code == 1, out + err
    assert "deploy/overlays/dev/kustomization.yaml was not written by modelserve" in err
    assert os.readlink(link) == str(target) and target.read_text() == "original\n"


def test_owned_file_replaced_by_a_symlink_is_rewritten_not_followed(repo, outside, run_cli) -> None:
    assert run_cli("generate", "--root", repo)[0] == 0
    target = outside / "k.yaml"
    target.write_text("original\n")
    link = repo / "deploy/overlays/dev/kustomization.yaml"
    link.unlink()
    os.symlink(target, link)
    code, out, err = run_cli("generate", "--root", repo)
    assert code == 0, out + err
    assert not link.is_symlink() and "kind: Kustomization" in link.read_text()
    assert target.read_text() == "original\n"


def test_symlinked_folder_inside_deploy_target_is_never_written(repo, outside, run_cli) -> None:
    assert run_cli("generate", "--root", repo)[0] == 0
    _replace_with_link(repo / "deploy/overlays", outside)
    run_cli("generate", "--root", repo)
    assert os.listdir(outside) == []
    assert os.readlink(repo / "deploy/overlays") == str(outside)


def test_symlinked_folder_inside_deploy_is_refused_cleanly(repo, outside, run_cli) -> None:
    # Found by the fuzzer: this crashed with exit 3 (FileExistsError) before plan() checked folders.
    assert run_cli("generate", "--root", repo)[0] == 0
    _replace_with_link(repo / "deploy/overlays", outside)
    code, out, err = run_cli("generate", "--root", repo)
    assert code == 1, out + err
    assert "deploy/overlays was not written by modelserve" in err


def _replace_with_link(folder: Path, target: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    folder.rmdir()
    os.symlink(target, folder)


# --- deploy/ that is not what the generator left -------------------------------------------------


def test_deploy_as_a_regular_file_is_refused(repo, run_cli) -> None:
    (repo / "deploy").write_text("someone's notes\n")
    code, out, err = run_cli("generate", "--root", repo)
    assert sorted(os.listdir(repo)) == ["catalog", "deploy", "environments"]
    assert code == 1 and (repo / "deploy").read_text() == "someone's notes\n"


@pytest.mark.parametrize(
    "manifest", ['{"files": [1]}', "[]", "null", '{"files": null}', '"x"', '{"files": [["a"]]}']
)
@pytest.mark.parametrize("command", ["generate", "check"])
def test_garbled_owned_manifest_does_not_crash(command, manifest, repo, run_cli) -> None:
    # Found by the fuzzer: each of these made generate and check exit 3 before read_owned()
    # checked shapes.
    (repo / "deploy").mkdir()
    (repo / "deploy/.modelserve-owned.json").write_text(manifest)
    code, out, err = run_cli(command, "--root", repo)
    assert code in (0, 1), out + err
    assert "internal error" not in err


def test_owned_manifest_listing_paths_outside_deploy_is_ignored(repo, outside, run_cli) -> None:
    victim = outside / "victim.yaml"
    victim.write_text("keep me\n")
    (repo / "deploy").mkdir()
    (repo / "deploy/.modelserve-owned.json").write_text(
        json.dumps(
            {"files": ["../../outside/victim.yaml", str(victim), "../catalog/models/llama.yaml"]}
        )
    )
    code, out, err = run_cli("generate", "--root", repo)
    assert code == 0, out + err
    assert victim.read_text() == "keep me\n"
    assert (repo / MODEL_FILE).read_text() == MODEL


def test_fifo_in_catalog_does_not_hang(repo) -> None:
    os.mkfifo(repo / "catalog/models/pipe.yaml")
    try:
        proc = run_modelserve("generate", "--root", repo, timeout=8, cwd=PROJECT)
    except subprocess.TimeoutExpired:
        pytest.fail("generate blocked on a FIFO in catalog/models")
    assert proc.returncode == 1 and "catalog/models/pipe.yaml" in proc.stdout


def test_a_long_value_does_not_make_the_tool_slow(tmp_path, write_repo) -> None:
    root = write_repo(
        tmp_path / "repo", files_for({MODEL_FILE: MODEL + "description: " + "y" * 100_000 + "\n"})
    )
    try:
        proc = run_modelserve("generate", "--root", root, timeout=8, cwd=PROJECT)
    except subprocess.TimeoutExpired:
        pytest.fail("generate took over 8 s on a 100 kB description")
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- names the layout uses itself ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["model", "runtime"])
@pytest.mark.parametrize("name", ["kustomization", "namespace"])
def test_names_of_the_layout_files_are_refused(
    kind: str, name: str, tmp_path, write_repo, run_cli
) -> None:
    if kind == "model":
        files = renamed_model(name)
    else:
        files = {
            RUNTIME_FILE: RUNTIME.replace("name: vllm-runtime", f"name: {name}"),
            MODEL_FILE: MODEL.replace("runtime: vllm-runtime", f"runtime: {name}"),
            # the environment's own image: the runtime is rendered in full beside namespace.yaml
            ENV_FILE: ENVIRONMENT
            + f"runtimeImages:\n  {name}: nvcr.io/mirror/x:1@sha256:{'a' * 64}\n",
        }
    root = write_repo(tmp_path / "repo", files_for(files))
    code, out, _ = run_cli("generate", "--root", root, "--format", "json")
    reserved = kind == "runtime" or name == "kustomization"
    if not reserved:  # a model named "namespace" shares no folder with namespace.yaml
        assert code == 0
        return
    assert code == 1, out
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "reserved-name"]
    assert found and found[0]["line"] == 1 and found[0]["path"] == "name"
    assert not (root / "deploy").exists()


def test_the_layout_never_overwrites_one_generated_file_with_another() -> None:
    from modelserve.deploy.tree import LayoutCollision, LazyFiles

    files = LazyFiles()
    files["a/kustomization.yaml"] = "x"
    with pytest.raises(LayoutCollision):
        files["a/kustomization.yaml"] = "y"


# --- values that once crashed (exit 3) --------------------------------------------------------


@pytest.mark.parametrize("uri", ["https://[x", "s3://[::1", "http://[::1]:x/"])
def test_an_unparsable_storage_uri_is_a_finding(uri: str, tmp_path, write_repo, run_cli) -> None:
    root = write_repo(
        tmp_path / "repo", files_for({MODEL_FILE: MODEL + f"storageUri: {json.dumps(uri)}\n"})
    )
    for command in ("validate", "generate"):
        code, out, err = run_cli(command, "--root", root)
        assert code == 1 and "storage-uri" in out, out + err


POLICY_SHAPES = {
    "spec-is-a-list": {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "m"},
        "spec": [1, 2],
    },
    "predictor-is-a-string": {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "m"},
        "spec": {"predictor": "x"},
    },
    "template-spec-is-a-list": {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"template": {"spec": ["c"]}},
    },
    "template-is-a-string": {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"template": "x"},
    },
    "containers-are-strings": {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {"name": "r"},
        "spec": {"containers": ["x"]},
    },
    "unknown-kind-odd-spec": {
        "apiVersion": "x.example.com/v1",
        "kind": "Thing",
        "metadata": {"name": "t"},
        "spec": {"template": {"spec": {"containers": [None, 3, {"env": "x"}]}}},
    },
    "metadata-labels-a-list": {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": [1]},
    },
    # found by make fuzz: an unhashable kind crashed the cluster-scope check (exit 3)
    "kind-is-a-list": {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": ["ClusterServingRuntime"],
        "metadata": {"name": "r", "namespace": "x"},
    },
    "kind-is-a-mapping": {"apiVersion": "v1", "kind": {"a": 1}, "metadata": {"name": "r"}},
}


@pytest.mark.parametrize("shape", sorted(POLICY_SHAPES))
def test_policy_rules_take_any_shape_of_manifest(shape: str, tmp_path, run_cli) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(json.dumps(POLICY_SHAPES[shape]))
    code, out, err = run_cli("validate-manifests", "--policy", manifest)
    assert code in (0, 1) and "internal error" not in err, out + err


def test_validate_manifests_refuses_a_link_out_of_the_repository(tmp_path, run_cli) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    secret = tmp_path / "kubeconfig.yaml"
    secret.write_text("apiVersion: v1\nkind: Config\nusers: [{name: admin, user: {token: abc}}]\n")
    (repo / "innocent.yaml").symlink_to(secret)
    code, out, _ = run_cli("validate-manifests", "--root", repo, repo / "innocent.yaml", cwd=repo)
    assert code == 1 and "file-outside-repo" in out and "Config" not in out


@pytest.mark.parametrize("replacement", ["link-to-dev-zero", "link-out", "fifo", "folder"])
@pytest.mark.parametrize("command", [("generate",), ("check",), ("check", "--fix")])
def test_an_owned_files_manifest_that_is_no_file_owns_nothing(
    replacement, command, repo, outside, run_cli
) -> None:
    """A link to /dev/zero made these commands exhaust memory, a FIFO hang, a link out read out."""
    assert run_cli("generate", "--root", repo)[0] == 0
    manifest = repo / "deploy/.modelserve-owned.json"
    manifest.unlink()
    if replacement == "link-to-dev-zero":
        manifest.symlink_to("/dev/zero")
    elif replacement == "link-out":
        (outside / "owned.json").write_text('{"files": ["../../outside/owned.json"]}')
        manifest.symlink_to(outside / "owned.json")
    elif replacement == "fifo":
        os.mkfifo(manifest)
    else:
        manifest.mkdir()
    code, out, err = run_cli(*command, "--root", repo)
    assert code in (1, 2), (
        out + err
    )  # everything under deploy/ is then foreign: refused, not overwritten
    assert "internal error" not in err


def test_deep_folders_in_the_catalog_or_given_to_validate_manifests_do_not_crash(
    tmp_path, write_repo, run_cli
) -> None:
    root = write_repo(tmp_path / "repo", files_for({}))
    deep = root / "catalog" / "models" / "stray"
    deep.mkdir()
    for _ in range(1200):  # one level at a time: os.makedirs itself recurses
        deep = deep / "a"
        deep.mkdir()
    (deep / "x.yaml").write_text("kind: Nothing\n")
    try:
        code, out, err = run_cli("validate", "--root", root)
        assert code == 1 and "file-not-loaded" in out and "internal error" not in err
        code, out, err = run_cli("validate-manifests", root / "catalog" / "models" / "stray")
        assert code in (1, 2) and "internal error" not in err
    finally:
        # Bottom up, one level at a time: pytest's clean-up (shutil.rmtree) would recurse too deep.
        (deep / "x.yaml").unlink()
        while deep != root / "catalog" / "models":
            deep.rmdir()
            deep = deep.parent
