"""modelserve diff on a real git repository with two commits of the example catalog.

The second commit adds one model, removes one, changes one model's replicas in prod and one
runtime's image. Expectations (which models, which fields, GPU totals) are computed here from
the YAML files with plain PyYAML, not from the generator's model.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelserve.deploy.tree import DEFAULT_SHARDS, shard_of
from modelserve.diff.compare import field_changes, render_markdown
from tests.helpers import commit_all, copy_example, git, run_modelserve

ENVS = ("dev", "prod", "staging")
ADDED, REMOVED, RESIZED = "arctic-embed-m", "paddleocr", "llama-3-1-8b-instruct"
REMOVED_RUNTIME = "nvidia-nim-baidu-paddleocr-1.0.0"
RESTAMPED = "nvidia-nim-nvclip-2.0.0"
NEW_IMAGE = "nvcr.io/nim/nvidia/nvclip:2.0.1@sha256:" + "ab" * 32


# --- a repository with two commits -----------------------------------------------------------


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def edit_env(root: Path, env: str, change) -> None:
    path = root / "environments" / f"{env}.yaml"
    data = load(path)
    change(data)
    dump(path, data)


def make_change(root: Path) -> None:
    """The second commit's edits: one model added, one removed, one resized, one runtime image."""
    models = root / "catalog" / "models"
    added = load(models / "arctic-embed-l.yaml")
    added["name"] = ADDED
    dump(models / f"{ADDED}.yaml", added)
    (models / f"{REMOVED}.yaml").unlink()
    runtime = root / "catalog" / "runtimes" / f"{RESTAMPED}.yaml"
    dump(runtime, {**load(runtime), "image": NEW_IMAGE})
    edit_env(root, "dev", lambda d: d["models"].append({"model": ADDED, "profile": "l4"}))
    edit_env(
        root,
        "staging",
        lambda d: d.update(models=[m for m in d["models"] if m["model"] != REMOVED]),
    )

    def prod(data: dict[str, Any]) -> None:
        # prod is air-gapped: the added NIM needs its preloaded cache (rule airgapped)
        cache = {"pvc": {"claimName": f"{ADDED}-nim-cache", "size": "8Gi"}}
        data["models"] = [m for m in data["models"] if m["model"] != REMOVED] + [
            {"model": ADDED, "profile": "h100", "rollout": {"strategy": "Recreate"}, "cache": cache}
        ]
        resized = next(m for m in data["models"] if m["model"] == RESIZED)
        resized["replicas"] = {"min": 3, "max": 3}

    edit_env(root, "prod", prod)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = commit_all(copy_example(tmp_path / "gitops"), "example catalog")
    make_change(root)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "add, remove, resize, new image")
    return root


# --- expectations, from the YAML files -------------------------------------------------------


def gpu_totals(root: Path) -> dict[str, dict[str, dict[str, int]]]:
    """Per environment and profile: sum of gpu.count x min and x max replicas."""
    models = {load(p)["name"]: load(p) for p in (root / "catalog" / "models").glob("*.yaml")}
    out: dict[str, dict[str, dict[str, int]]] = {}
    for path in sorted((root / "environments").glob("*.yaml")):
        env = load(path)
        totals = {p: {"min": 0, "max": 0} for p in env.get("gpuProfiles") or {}}
        for dep in env["models"]:
            model = models[dep["model"]]
            gpus = (model.get("gpu") or {}).get("count", 0)
            sizes = {**model.get("replicas", {}), **dep.get("replicas", {})}
            if gpus:
                totals[dep["profile"]]["min"] += gpus * sizes["min"]
                totals[dep["profile"]]["max"] += gpus * sizes["max"]
        out[env["name"]] = totals
    return out


def snapshot(repo: Path, ref: str, dest: Path) -> Path:
    dest.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", ref], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def expected_gpus(repo: Path, tmp_path: Path) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
    before, after = gpu_totals(snapshot(repo, "HEAD~1", tmp_path / "before")), gpu_totals(repo)
    return {
        env: {p: {"before": before[env][p], "after": after[env][p]} for p in before[env]}
        for env in ENVS
    }


EXPECTED_MODELS = {
    "dev": {"added": [ADDED], "removed": [], "changed": []},
    "prod": {"added": [ADDED], "removed": [REMOVED], "changed": [RESIZED]},
    "staging": {"added": [], "removed": [REMOVED], "changed": []},
}
RESIZE_CHANGES = [
    {"object": "InferenceService", "path": "spec.predictor.minReplicas", "old": 2, "new": 3},
    {"object": "InferenceService", "path": "spec.predictor.maxReplicas", "old": 2, "new": 3},
]


def image_change(repo: Path) -> list[dict[str, Any]]:
    old = yaml.safe_load(git(repo, "show", f"HEAD~1:catalog/runtimes/{RESTAMPED}.yaml"))["image"]
    return [
        {
            "object": "ClusterServingRuntime",
            "path": "spec.containers[0].image",
            "old": old,
            "new": NEW_IMAGE,
        }
    ]


def _shards(root: Path, env: str) -> set[str]:
    data = load(root / "environments" / f"{env}.yaml")
    count = int(data["flux"].get("shards") or DEFAULT_SHARDS)
    return {shard_of(m["model"], count) for m in data["models"]}


class ChangedFields(list):  # type: ignore[type-arg]
    """Equal to any non-empty list of changes: a PrometheusRule's groups shift when a model is
    added, and how the diff pairs list items is its own tests' concern."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, list) and bool(other)

    __hash__ = None  # type: ignore[assignment]


def expected_shard_objects(repo: Path, env: str, tmp_path: Path) -> dict[str, Any]:
    """A shard that gains its first model, or loses its last, gains or loses its Flux
    Kustomization; and an environment's endpoints ConfigMap, PrometheusRule and dashboard list
    its models, so the change of models changes them: the only objects besides models and
    runtimes this change touches."""
    before_root = tmp_path / f"before-{env}"
    if not before_root.exists():
        snapshot(repo, "HEAD~1", before_root)
    before, after = _shards(before_root, env), _shards(repo, env)
    name = f"Kustomization flux-system/{env}-modelserve-models-"
    old, new = (_environment_objects(root, env) for root in (before_root, repo))
    changed: dict[str, Any] = {}
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        if key.startswith("ConfigMap "):
            (data_key,) = new[key]["data"]
            changed[key] = [
                {
                    "object": "ConfigMap",
                    "path": f'data["{data_key}"]',
                    "old": old[key]["data"][data_key],
                    "new": new[key]["data"][data_key],
                }
            ]
        else:
            changed[key] = ChangedFields()
    return {
        "added": sorted(name + s for s in after - before),
        "removed": sorted(name + s for s in before - after),
        "changed": changed,
    }


def _environment_objects(root: Path, env: str) -> dict[str, dict[str, Any]]:
    """The environment's own objects (endpoints and dashboard ConfigMaps, PrometheusRule) as the
    catalog in ``root`` renders them."""
    from modelserve.deploy.tree import build_tree
    from modelserve.load.repository import Repository, load_repository

    tree = build_tree(load_repository(Repository(root)).catalog)
    return {
        f"{o.obj['kind']} {o.obj['metadata']['namespace']}/{o.obj['metadata']['name']}": o.obj
        for r in tree.env_roots(env)
        for o in r.objects
        if o.obj["kind"] in ("ConfigMap", "PrometheusRule")
        and o.obj["metadata"].get("labels", {}).get("modelserve.io/environment") == env
    }


# --- JSON ------------------------------------------------------------------------------------


def diff_json(run_cli, repo: Path, *extra: str) -> dict[str, Any]:
    code, out, err = run_cli("diff", "--root", repo, "--base", "HEAD~1", "--format", "json", *extra)
    assert code == 0, err + out
    return json.loads(out)


def test_json_lists_exactly_the_changes(repo: Path, run_cli, tmp_path: Path) -> None:
    diff = diff_json(run_cli, repo)
    assert diff["base"]["commit"] == git(repo, "rev-parse", "HEAD~1").strip()
    envs = diff["environments"]
    assert sorted(envs) == list(ENVS)
    for name, expected in EXPECTED_MODELS.items():
        models = envs[name]["models"]
        assert [m["name"] for m in models["added"]] == expected["added"], name
        assert [m["name"] for m in models["removed"]] == expected["removed"], name
        assert sorted(models["changed"]) == expected["changed"], name
        assert envs[name]["status"] == "changed"
        assert envs[name]["other"] == expected_shard_objects(repo, name, tmp_path), name
        assert envs[name]["models"]["moved"] == [], name
    assert envs["prod"]["models"]["changed"][RESIZED] == RESIZE_CHANGES
    assert envs["dev"]["runtimes"] == {"added": [], "removed": [], "changed": {}}
    # the runtimes these environments use; air-gapped prod runs its mirror's image, which the
    # catalog's new image leaves as it is
    for name, changed in (("prod", {}), ("staging", {RESTAMPED: image_change(repo)})):
        assert envs[name]["runtimes"] == {
            "added": [],
            "removed": [REMOVED_RUNTIME],
            "changed": changed,
        }, name


def test_json_added_model_details(repo: Path, run_cli) -> None:
    added = diff_json(run_cli, repo)["environments"]["prod"]["models"]["added"]
    arctic = load(repo / "catalog" / "models" / f"{ADDED}.yaml")
    assert added == [
        {
            "name": ADDED,
            "runtime": arctic["runtime"],
            "profile": "h100",
            "gpus": arctic["gpu"]["count"],
            "minReplicas": 1,
            "maxReplicas": 1,
        }
    ]


def test_gpu_totals_before_and_after(repo: Path, run_cli, tmp_path: Path) -> None:
    diff = diff_json(run_cli, repo)
    expected = expected_gpus(repo, tmp_path)
    assert {env: diff["environments"][env]["gpus"] for env in ENVS} == expected
    # the change moves the needle where it should: prod h100 +1 (added) -1 (removed) +1 (resized)
    h100 = expected["prod"]["h100"]
    assert h100["after"]["min"] == h100["before"]["min"] + 1


def test_summary_counts(repo: Path, run_cli, tmp_path: Path) -> None:
    summary = diff_json(run_cli, repo)["summary"]
    shard_objects = sum(
        len(e["added"]) + len(e["removed"]) + len(e["changed"])
        for e in (expected_shard_objects(repo, env, tmp_path) for env in ENVS)
    )
    assert shard_objects > 0, "the change adds or empties a shard somewhere"
    assert summary == {
        "environments_changed": 3,
        "models_added": 2,
        "models_removed": 2,
        "models_changed": 1,
        "runtimes_added": 0,
        "runtimes_removed": 2,
        "runtimes_changed": 1,  # staging only: prod runs its mirror
        "other_changed": shard_objects,
        "models_moved": 0,
    }


def test_head_ref_gives_the_same_diff_as_the_working_tree(repo: Path, run_cli) -> None:
    working = diff_json(run_cli, repo)
    committed = diff_json(run_cli, repo, "--head", "HEAD")
    assert committed["head"]["commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert committed["environments"] == working["environments"]


def test_default_base_is_the_merge_base_with_main(repo: Path, run_cli) -> None:
    git(repo, "branch", "-f", "feature", "HEAD")
    git(repo, "checkout", "-q", "feature")
    git(repo, "branch", "-f", "main", "HEAD~1")
    code, out, err = run_cli("diff", "--format", "json", cwd=repo)
    assert code == 0, err
    diff = json.loads(out)
    assert diff["base"] == {
        "ref": "merge base with main",
        "commit": git(repo, "rev-parse", "main").strip(),
    }
    assert diff["environments"] == diff_json(run_cli, repo)["environments"]


def test_diff_writes_nothing_to_the_repository(repo: Path, run_cli) -> None:
    before = git(repo, "status", "--porcelain", "--ignored")
    diff_json(run_cli, repo)
    assert git(repo, "status", "--porcelain", "--ignored") == before == ""


# --- markdown --------------------------------------------------------------------------------


def sections(markdown: str) -> dict[str, str]:
    """Environment name -> its section of the comment."""
    parts = re.split(r"^#### `([^`]+)`.*$", markdown, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=False))


def test_markdown_shows_the_same_changes(repo: Path, run_cli, tmp_path: Path) -> None:
    code, out, err = run_cli("diff", "--root", repo, "--base", "HEAD~1")
    assert code == 0, err
    assert len(out) < 60_000
    found = sections(out)
    assert sorted(found) == list(ENVS)
    for name, expected in EXPECTED_MODELS.items():
        text = found[name]
        for what in ("added", "removed", "changed"):
            title = f"**Models {what}** ({len(expected[what])}):"
            assert (title in text) == bool(expected[what]), (name, what)
            for model in expected[what]:
                assert f"- `{model}`" in text.split(title)[1].split("**")[0], (name, what, model)
    prod = found["prod"]
    assert "  - `spec.predictor.minReplicas`: `2` -> `3`" in prod
    assert "  - `spec.predictor.maxReplicas`: `2` -> `3`" in prod
    image = f"  - `spec.containers[0].image`: `{image_change(repo)[0]['old']}` -> `{NEW_IMAGE}`"
    assert image in found["staging"] and image not in prod
    assert f"**Runtimes removed** (1):\n\n- `{REMOVED_RUNTIME}`" in prod
    assert "Runtimes" not in found["dev"]
    for env, profiles in expected_gpus(repo, tmp_path).items():
        for profile, t in profiles.items():
            cell = [
                f"{t['before'][k]}"
                if t["before"][k] == t["after"][k]
                else f"{t['before'][k]} -> {t['after'][k]}"
                for k in ("min", "max")
            ]
            assert f"| `{profile}` | {cell[0]} | {cell[1]} |" in found[env], (env, profile)


def test_markdown_without_changes(repo: Path, run_cli) -> None:
    code, out, _ = run_cli("diff", "--root", repo, "--base", "HEAD")
    assert code == 0
    assert "No rendered change in any environment." in out
    assert "No rendered change in: `dev`, `prod`, `staging`." in out
    assert "####" not in out


def add_synthetic_models(root: Path, count: int) -> None:
    base = load(root / "catalog" / "models" / "sklearn-iris.yaml")
    names = [f"synthetic-{i:04d}" for i in range(count)]
    for name in names:
        dump(root / "catalog" / "models" / f"{name}.yaml", {**base, "name": name})
    prod = next(
        m
        for m in load(root / "environments" / "prod.yaml")["models"]
        if m["model"] == "sklearn-iris"
    )
    for env in ENVS:  # about 80 characters per entry: 1,500 entries are well over the limit
        # air-gapped prod reads its in-cluster copy of the weights
        extra = {"storageUri": prod["storageUri"]} if env == "prod" else {}
        entries = [{"model": n, **extra} for n in names]
        edit_env(root, env, lambda d, entries=entries: d["models"].extend(entries))


def entry_lines(markdown: str) -> int:
    return sum(
        1
        for line in markdown.splitlines()
        if line.startswith("- ") and not line.startswith("- ... and ")
    )


def test_markdown_truncates_with_a_count(repo: Path, run_cli) -> None:
    add_synthetic_models(repo, 500)
    diff = diff_json(run_cli, repo)
    total = sum(
        len(s["added"]) + len(s["removed"]) + len(s["changed"])
        for env in diff["environments"].values()
        for s in (env["models"], env["runtimes"], env["other"])
    )
    assert total > 1_500
    for limit in (60_000, 5_000):
        extra = ["--max-chars", str(limit)] if limit != 60_000 else []  # 60,000 is the default
        code, out, err = run_cli("diff", "--root", repo, "--base", "HEAD~1", *extra)
        assert code == 0, err
        assert len(out) <= limit
        match = re.search(
            r"^_(\d+) entries left out to keep this comment under ([\d,]+) characters", out, re.M
        )
        assert match, out[-500:]
        assert match.group(2) == f"{limit:,}"
        assert entry_lines(out) + int(match.group(1)) == total
        assert out.startswith("### modelserve diff:")
        assert "| `dev` | +501 " in out  # the overview is never cut


def test_render_markdown_cuts_even_the_fixed_parts() -> None:
    envs = {
        f"env-{i:05d}": {
            "status": "added",
            "cluster": "c",
            "namespace": "n",
            "models": {"added": [], "removed": [], "changed": {}},
            "runtimes": {"added": [], "removed": [], "changed": {}},
            "other": {"added": [], "removed": [], "changed": {}},
            "gpus": {"a": {"before": {"min": 0, "max": 0}, "after": {"min": 1, "max": 1}}},
        }
        for i in range(3_000)
    }
    text = render_markdown(
        {"environments": envs, "summary": {"environments_changed": 3_000}}, limit=20_000
    )
    assert len(text) <= 20_000
    assert text.rstrip().endswith("has everything)_")


# --- errors ----------------------------------------------------------------------------------


def test_unknown_base_ref_is_a_usage_error(repo: Path, run_cli) -> None:
    code, out, err = run_cli("diff", "--root", repo, "--base", "no-such-branch")
    assert code == 2
    assert out == ""
    assert "--base no-such-branch: no such commit" in err


def test_no_default_base_is_a_usage_error(repo: Path, run_cli) -> None:
    git(repo, "branch", "-m", "main", "trunk")
    code, _, err = run_cli("diff", "--root", repo)
    assert code == 2
    assert "pass --base REF" in err


def test_not_a_git_repository(tmp_path: Path, example_repo: Path, run_cli) -> None:
    code, _, err = run_cli("diff", "--root", example_repo, "--base", "HEAD")
    assert code == 2
    assert "is not inside a git repository" in err


def test_a_side_that_does_not_render_is_reported_without_traceback(repo: Path, run_cli) -> None:
    model = repo / "catalog" / "models" / "nvclip.yaml"
    model.write_text(
        model.read_text().replace("runtime: nvidia-nim-nvclip-2.0.0", "runtime: nvclip-9")
    )
    code, out, err = run_cli("diff", "--root", repo, "--base", "HEAD~1")
    assert code == 1
    assert "Traceback" not in out + err
    assert "the head side (`working tree`) does not render" in out
    line = next(
        i for i, text in enumerate(model.read_text().splitlines(), 1) if text.startswith("runtime:")
    )
    assert re.search(
        rf"^- `catalog/models/nvclip\.yaml:{line}:\d+` `ref-runtime`: `.*nvclip-9", out, re.M
    ), out
    code, out, _ = run_cli("diff", "--root", repo, "--base", "HEAD~1", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert [f["rule"] for f in report["findings"]["head"]] == ["ref-runtime"]


def test_a_broken_base_is_named_as_the_base(repo: Path, run_cli) -> None:
    model = repo / "catalog" / "models" / "nvclip.yaml"
    good = model.read_text()
    model.write_text(good.replace("runtime: nvidia-nim-nvclip-2.0.0", "runtime: nvclip-9"))
    git(repo, "commit", "-q", "-am", "broken")
    model.write_text(good)
    code, out, _ = run_cli("diff", "--root", repo, "--base", "HEAD")
    assert code == 1
    assert re.search(r"the base side \(`HEAD, [0-9a-f]{10}`\) does not render", out)
    assert "catalog/models/nvclip.yaml:" in out


# --- the field diff itself -------------------------------------------------------------------


def test_field_changes_paths() -> None:
    old = {
        "metadata": {"annotations": {"serving.kserve.io/x": "a", "gone": "1"}},
        "spec": {"args": ["--a", "--b"], "ports": [1]},
    }
    new = {
        "metadata": {"annotations": {"serving.kserve.io/x": "b", "new": "2"}},
        "spec": {"args": ["--a", "--c"], "ports": [1, 2]},
    }
    assert field_changes(old, new) == [
        {"path": 'metadata.annotations["serving.kserve.io/x"]', "old": "a", "new": "b"},
        {"path": "metadata.annotations.gone", "old": "1"},
        {"path": "metadata.annotations.new", "new": "2"},
        {"path": "spec.args[1]", "old": "--b", "new": "--c"},
        {"path": "spec.ports", "old": [1], "new": [1, 2]},
    ]
    assert field_changes(old, old) == []


@pytest.mark.parametrize(
    "layout", ["repository-in-accented-folder", "catalog-in-accented-subfolder"]
)
def test_paths_with_non_ascii_characters_are_read_on_both_sides(
    layout: str, tmp_path: Path
) -> None:
    """git quotes such paths by default (core.quotePath): the base side once came out empty."""
    top = tmp_path / "équipe" if layout == "repository-in-accented-folder" else tmp_path / "repo"
    root = top if layout == "repository-in-accented-folder" else top / "modèles-ü"
    copy_example(root)
    commit_all(top)
    proc = run_modelserve("diff", "--root", root, "--base", "main", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {name: env["status"] for name, env in data["environments"].items()} == dict.fromkeys(
        ENVS, "unchanged"
    )


def test_the_commits_gitattributes_cannot_hide_or_change_files(repo: Path) -> None:
    """git archive obeyed export-ignore and export-subst: a PR could hide an environment."""
    (repo / ".gitattributes").write_text(
        "/environments/prod.yaml export-ignore\n/catalog/** export-subst\n"
    )
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "hide prod")
    git(repo, "branch", "pr")
    proc = run_modelserve(
        "diff", "--root", repo, "--base", "HEAD~2", "--head", "pr", "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data["environments"]) == set(ENVS)
    assert data["environments"]["prod"]["status"] == "changed"


def test_a_huge_file_on_the_base_side_is_refused_unread(repo: Path) -> None:
    big = repo / "catalog" / "models" / "huge.yaml"
    with open(big, "wb") as handle:
        handle.write(b"# " + b"x" * (9 * 1024 * 1024) + b"\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a 9 MiB file")
    big.unlink()
    proc = run_modelserve("diff", "--root", repo, "--base", "HEAD", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert [f["rule"] for f in json.loads(proc.stdout)["findings"]["base"]] == ["yaml-too-large"]


def test_a_shard_count_change_says_loudly_which_models_move(tmp_path: Path, run_cli) -> None:
    """Adding models never moves one (the count is fixed); changing flux.shards does."""
    root = commit_all(copy_example(tmp_path / "gitops"), "example catalog")
    before = load(root / "environments" / "prod.yaml")["flux"]["shards"]
    edit_env(root, "prod", lambda d: d["flux"].update(shards=before + 1))
    commit_all(root, "more shards")
    diff = diff_json(run_cli, root)
    moved = diff["environments"]["prod"]["models"]["moved"]
    models = [m["model"] for m in load(root / "environments" / "prod.yaml")["models"]]
    expected = sorted(m for m in models if shard_of(m, before) != shard_of(m, before + 1))
    assert expected and [m["name"] for m in moved] == expected
    assert all(m["from"] != m["to"] and m["to"].startswith("overlays/prod/models/") for m in moved)
    assert diff["summary"]["models_moved"] == len(expected)
    code, out, _ = run_cli("diff", "--root", root, "--base", "HEAD~1")
    assert code == 0 and "WARNING: models moving to another Flux Kustomization" in out
    assert all(f"`{name}`" in out for name in expected)


def test_diff_shows_the_packing_of_each_pool_before_and_after(repo: Path, run_cli) -> None:
    """prod's llama-3-1-8b-instruct goes from 2 to 3 replicas of 1 GPU on the h100 pool."""
    diff = diff_json(run_cli, repo)
    prod = load(repo / "environments" / "prod.yaml")
    key = f"{prod['cluster']}/h100"
    pool = diff["environments"]["prod"]["pools"][key]
    before, after = pool["before"], pool["after"]
    assert before["nodes"] == after["nodes"] == prod["gpuProfiles"]["h100"]["nodes"]
    assert before["fits"] and after["fits"]
    # one GPU more for the resize, one GPU less for the removed model, the added one's GPUs more
    models = {load(p)["name"]: load(p) for p in (repo / "catalog" / "models").glob("*.yaml")}
    added = models[ADDED]["gpu"]["count"]
    removed = yaml.safe_load(git(repo, "show", f"HEAD~1:catalog/models/{REMOVED}.yaml"))
    removed_gpus = removed["gpu"]["count"]  # one replica on h100 in the example
    assert before["gpusFree"] - after["gpusFree"] == 1 + added - removed_gpus
    committed = after["committed"]["min"] - before["committed"]["min"]
    assert committed == before["gpusFree"] - after["gpusFree"]
    assert before["capacity"] == after["capacity"] == before["nodes"] * 8
    code, out, _ = run_cli("diff", "--root", repo, "--base", "HEAD~1")
    assert code == 0 and "| node pool (cluster/pool) |" in out and f"`{key}`" in out
    peak = f"{before['committed']['peak']} of 16 -> {after['committed']['peak']} of 16"
    assert "GPUs at rollout peak |" in out and peak in out
    assert "Placement per node: `modelserve capacity --env prod`." in out


def test_diff_packs_autoscaled_gpu_models_at_their_minimum(tmp_path: Path, run_cli) -> None:
    """A GPU model that autoscales from 1 to 4 replicas takes 1 replica's GPUs in the packing
    (gpu-capacity places minimum replicas; the maximum is its warning), not 4."""
    root = commit_all(copy_example(tmp_path / "gitops"), "example catalog")
    prod = load(root / "environments" / "prod.yaml")
    entry = next(e for e in prod["models"] if e["model"] == RESIZED)
    assert entry["replicas"] == {"min": 2, "max": 2}
    edit_env(
        root,
        "prod",
        lambda d: next(e for e in d["models"] if e["model"] == RESIZED).update(
            replicas={"min": 1, "max": 4}
        ),
    )
    commit_all(root, "autoscale the 8B model")
    pool = diff_json(run_cli, root)["environments"]["prod"]["pools"][f"{prod['cluster']}/h100"]
    gpus = load(root / "catalog" / "models" / f"{RESIZED}.yaml")["gpu"]["count"]
    assert pool["after"]["gpusFree"] - pool["before"]["gpusFree"] == gpus  # 2 -> 1 at minimum
