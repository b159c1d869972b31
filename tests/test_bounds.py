"""Every cost a pull request can drive is linear, with a stated constant (docs/safety.md, "Bounds").

Each case is an input that once cost super-linear time, memory or output (the figures in the
comments were measured before the fix); the assertion is a generous ceiling that a linear
implementation meets by two orders of magnitude and the old one missed by as much, so these are
bounds, not benchmarks. Counts (reads, bytes written, characters printed) are asserted exactly
where they can be.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

import pytest

from modelserve.load import yamlio
from modelserve.load.repository import Repository
from modelserve.rules.examples import ENVIRONMENT, MODEL, files_for
from modelserve.validate import secrets
from modelserve.validate.kubeschemas import SchemaStore
from modelserve.validate.objects import validate_object
from modelserve.validate.pipeline import Options, validate_repository

MODEL_FILE = "catalog/models/llama.yaml"
CEILING = 3.0  # seconds; each case below took 4-45 s before its fix and takes under 0.2 s now


def timed(function: Any, *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


# --- patterns: linear in the value ------------------------------------------------------------

HOSTILE_VALUES = {
    "underscores-after-a-digit": "1" + "_" * 60_000 + "x",  # Go-integer pattern: 14.5-20 s
    "jwt-prefixes": "eyJ-" * 40_000,  # JWT pattern: 5-8 s on 160 kB
    "token-with-many-characters": "".join(
        chr(0x3400 + i % 40_000) for i in range(240_000)
    ),  # entropy: 4.2 s
    "url-without-at": "a://" + ":" * 200_000,
    "assignments": "token=" * 50_000,
    "name-value-lines": "- name: A_TOKEN\n  value: " * 10_000,
    "bearer-words": "bearer " * 50_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE_VALUES))
def test_credential_patterns_are_linear(name: str) -> None:
    value = HOSTILE_VALUES[name]
    for function in (lambda: secrets.classify(value, "MY_TOKEN"), lambda: secrets.scrub(value)):
        _, seconds = timed(function)
        assert seconds < CEILING, f"{name}: {seconds:.1f}s"


@pytest.mark.parametrize("name", sorted(HOSTILE_VALUES))
def test_typing_plain_scalars_is_linear(name: str) -> None:
    text = (
        "x: "
        + json.dumps(HOSTILE_VALUES[name])
        + "\ny: "
        + HOSTILE_VALUES[name].replace("\n", " ")[:100_000]
        + "\n"
    )
    start = time.perf_counter()
    with contextlib.suppress(yamlio.YamlError):  # refused is fine; refused slowly is not
        yamlio.load_text(text, multi=False)
    assert time.perf_counter() - start < CEILING


def test_a_long_underscored_scalar_validates_fast(tmp_path: Path, write_repo) -> None:
    root = write_repo(
        tmp_path, files_for({MODEL_FILE: MODEL + "description: 1" + "_" * 60_000 + "x\n"})
    )
    result, seconds = timed(validate_repository, Repository(root), Options(envs=set()))
    assert seconds < CEILING and not [f for f in result.findings if f.severity.name == "ERROR"]


# --- aliases: charged by what they expand to ---------------------------------------------------


def test_aliases_are_charged_by_their_characters(tmp_path: Path, write_repo, run_cli) -> None:
    """A 55 kB file that aliased a 20 kB scalar 5,000 times made generate write 96 MB in 23 s."""
    text = (
        MODEL
        + "description: &a '"
        + "v" * 20_000
        + "'\nargs:\n"
        + "".join("  - *a\n" for _ in range(5000))
    )
    root = write_repo(tmp_path, files_for({MODEL_FILE: text}))
    (code, out, _), seconds = timed(run_cli, "generate", "--root", root)
    assert code == 1 and "yaml-alias-bomb" in out and seconds < CEILING
    assert not (root / "deploy").exists()


def test_alias_budget_in_characters() -> None:
    scalar = "v" * 1000
    fits = yamlio.MAX_ALIAS_CHARS // 1000 - 1
    yamlio.load_text(f"a: &a '{scalar}'\nb: [{', '.join(['*a'] * fits)}]\n", multi=False)
    with pytest.raises(yamlio.YamlError) as refused:
        yamlio.load_text(f"a: &a '{scalar}'\nb: [{', '.join(['*a'] * (fits + 2))}]\n", multi=False)
    assert refused.value.rule == "yaml-alias-bomb"


def test_a_crd_alias_bomb_is_refused_by_schemas_import(tmp_path: Path, run_cli) -> None:
    """1.5 kB of CRD that expanded to 46 MB of schema."""
    levels = ["l0: &l0 {type: string, description: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}"]
    levels += [
        f"l{i}: &l{i} {{type: object, properties: {{a: *l{i - 1}, b: *l{i - 1}, c: *l{i - 1}, "
        f"d: *l{i - 1}}}}}"
        for i in range(1, 12)
    ]
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: bombs.example.com}\nx-anchors:\n"
        + "".join(f"  {line}\n" for line in levels)
        + "spec:\n  group: example.com\n  names: {kind: Bomb, plural: bombs}\n  scope: Namespaced\n"
        "  versions:\n  - name: v1\n    served: true\n    storage: true\n"
        "    schema: {openAPIV3Schema: *l11}\n"
    )
    source = tmp_path / "bomb.yaml"
    source.write_text(crd)
    assert len(crd) < 2000
    (code, _, err), seconds = timed(
        run_cli, "schemas", "import", source, "--out", tmp_path / "store"
    )
    assert code == 2 and "alias" in err and seconds < CEILING
    assert not (tmp_path / "store").exists() or not list((tmp_path / "store").iterdir())


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["9" * 5000, "0x" + "f" * 3700])
def test_huge_integers_are_refused_not_converted(
    value: str, tmp_path: Path, write_repo, run_cli
) -> None:
    root = write_repo(
        tmp_path, files_for({MODEL_FILE: MODEL.replace("  count: 1", f"  count: {value}")})
    )
    for command in ("validate", "generate"):
        code, out, err = run_cli(command, "--root", root)
        assert code == 1 and "yaml-number" in out, out + err
        assert len(out) < 2000  # the 5,000 digits are not printed back


# --- output: what a long value can make the tool print ----------------------------------------


def test_a_long_value_is_printed_shortened(tmp_path: Path, write_repo, run_cli) -> None:
    """A 60 kB storageUri used to be printed whole in the message, and twice in a 120 kB line."""
    root = write_repo(
        tmp_path, files_for({MODEL_FILE: MODEL + "storageUri: " + "u" * 200_000 + "\n"})
    )
    for fmt in ("text", "json", "github", "sarif"):
        code, out, _ = run_cli("validate", "--root", root, "--format", fmt)
        assert code == 1 and len(out) < 20_000, (fmt, len(out))


def test_an_environment_value_copied_into_every_model_is_bounded(
    tmp_path: Path, write_repo, run_cli
) -> None:
    """A 500 kB monitoring label, copied into each of 200 ServiceMonitors, made a 531 kB input cost
    10.5 s and 588 MB of memory in validate; label values are 63 characters at most (Kubernetes'
    own limit), so an environment-wide value adds at most a few kB to each model."""
    env = ENVIRONMENT.replace(
        "labels: {release: kube-prometheus-stack}",
        "labels: {release: kube-prometheus-stack, big: '" + "x" * 500_000 + "'}",
    )
    root = write_repo(tmp_path, files_for({"environments/dev.yaml": env}))
    (code, out, _), seconds = timed(run_cli, "validate", "--root", root, "--format", "json")
    assert code == 1 and seconds < CEILING
    assert any(
        f["rule"] == "schema" and f["path"] == "monitoring.labels.big"
        for f in json.loads(out)["findings"]
    )


def test_one_model_copied_into_many_environments_is_bounded_per_object(
    tmp_path: Path, write_repo, run_cli
) -> None:
    """One model with 4 MB of args in 100 environments made generate write 412 MB from 4.2 MB of
    input (49 s in validate). Each of those InferenceServices is over what etcd stores, so the
    model is refused (object-size) and nothing is written: output is at most 1.5 MiB per object."""
    args = "".join(f"  - '{'a' * 16_000}'\n" for _ in range(100))
    files = {MODEL_FILE: MODEL + "args:\n" + args, "environments/dev.yaml": None}
    for i in range(20):
        files[f"environments/e{i}.yaml"] = ENVIRONMENT.replace("name: dev", f"name: e{i}").replace(
            "cluster: dev-cluster", f"cluster: c{i}"
        )
    root = write_repo(tmp_path, files_for(files))
    (code, out, _), seconds = timed(run_cli, "generate", "--root", root, "--format", "json")
    assert code == 1 and seconds < CEILING * 3
    sizes = [f for f in json.loads(out)["findings"] if f["rule"] == "object-size"]
    assert len(sizes) == 20 and all(f["file"] == MODEL_FILE for f in sizes)
    assert not (root / "deploy").exists()


def test_the_total_output_is_bounded_before_anything_is_rendered(
    tmp_path: Path, write_repo, run_cli
) -> None:
    """One 1.4 MB model in 100 small environments made generate write 143 MB (validate 27 s):
    each object was under etcd's limit, the total was not bounded. Now the total has a budget."""
    from modelserve.deploy.budget import OUTPUT_BUDGET

    args = "".join(f"  - '{'a' * 16_000}'\n" for _ in range(85))
    count = OUTPUT_BUDGET // (85 * 16_000) + 2
    files = {MODEL_FILE: MODEL + "args:\n" + args, "environments/dev.yaml": None}
    for i in range(count):
        files[f"environments/e{i}.yaml"] = ENVIRONMENT.replace("name: dev", f"name: e{i}").replace(
            "cluster: dev-cluster", f"cluster: c{i}"
        )
    root = write_repo(tmp_path, files_for(files))
    for command in ("generate", "validate"):
        (code, out, _), seconds = timed(run_cli, command, "--root", root, "--format", "json")
        assert code == 1 and seconds < CEILING * 3, (command, seconds)
        assert [f["rule"] for f in json.loads(out)["findings"]] == ["output-size"]
    assert not (root / "deploy").exists()


def test_check_diffs_hostile_committed_files_in_bounded_time(
    tmp_path: Path, write_repo, run_cli
) -> None:
    """difflib is quadratic on crafted files: a committed 1.7 MB file of sorted lines took 49 s."""
    notes = "".join(f"l{i}\n" for i in range(30_000))
    root = write_repo(
        tmp_path,
        files_for(
            {
                MODEL_FILE: MODEL
                + "annotations:\n  note: |\n"
                + "".join(f"    {line}\n" for line in notes.splitlines())
            }
        ),
    )
    assert run_cli("generate", "--root", root)[0] == 0
    target = next((root / "deploy").rglob("llama.yaml"))
    lines = target.read_text().splitlines(True)
    target.write_text("".join(sorted(lines)))
    (code, out, _), seconds = timed(run_cli, "check", "--root", root)
    assert code == 1 and seconds < CEILING and "too long to diff here" in out


# --- CEL: the API server's cost limit, not an open-ended evaluation ---------------------------


def _nested_rule_store(tmp_path: Path) -> SchemaStore:
    (tmp_path / "widget_v1.json").write_text(
        json.dumps(
            {
                "type": "object",
                "properties": {
                    "spec": {
                        "type": "object",
                        "properties": {
                            "items": {
                                "type": "array",
                                "items": {"type": "string"},
                                "x-kubernetes-validations": [
                                    {
                                        "rule": "self.all(x, self.all(y, x == y))",
                                        "message": "all equal",
                                    }
                                ],
                            }
                        },
                    }
                },
            }
        )
    )
    return SchemaStore(store_dirs=[tmp_path])


def test_a_cel_rule_over_its_cost_limit_is_not_evaluated(tmp_path: Path) -> None:
    """A nested all() over a long list took 14 s with no limit; the API server stops at 1e6."""
    store = _nested_rule_store(tmp_path)
    big = {
        "apiVersion": "x.io/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"items": ["a"] * 20_000},
    }
    problems, seconds = timed(validate_object, store, big)
    assert seconds < CEILING
    (problem,) = problems
    assert problem.severity == "warning" and "1,000,000" in problem.message  # PerCallLimit


def test_a_cel_rule_within_its_cost_limit_is_evaluated(tmp_path: Path) -> None:
    store = _nested_rule_store(tmp_path)
    small = {
        "apiVersion": "x.io/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"items": ["a", "b"]},
    }
    (problem,) = validate_object(store, small)
    assert (problem.severity, problem.message) == ("error", "all equal")
    small["spec"]["items"] = ["a"] * 100
    assert validate_object(store, small) == []


# --- the schema store: read once per run, whatever the number of environments ------------------


def test_the_schema_store_is_read_once_per_run(
    tmp_path: Path, write_repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 10 MB store was re-read and re-hashed for each Kustomize root: 21.9 s vs 1.2 s at 500
    environments. Now each store file is read once per run, however many roots there are."""
    envs = {
        f"environments/e{i}.yaml": ENVIRONMENT.replace("name: dev", f"name: e{i}").replace(
            "cluster: dev-cluster", f"cluster: cluster-{i}"
        )
        for i in range(6)
    }
    root = write_repo(tmp_path / "repo", files_for({"environments/dev.yaml": None, **envs}))
    store = tmp_path / "repo" / "schema-store"
    store.mkdir()
    for i in range(3):
        (store / f"widget{i}_v1.json").write_text(
            json.dumps({"type": "object", "description": "x" * 100_000})
        )
    from modelserve.validate import store as schemastore

    reads: list[str] = []
    real = schemastore._read_entry
    monkeypatch.setattr(
        schemastore,
        "_read_entry",
        lambda folder, name, rf: reads.append(name) or real(folder, name, rf),
    )
    result = validate_repository(Repository(root), Options(schema_dirs=[store]))
    assert result.built + result.cached >= 12  # at least two roots per environment
    assert sorted(reads) == ["widget0_v1.json", "widget1_v1.json", "widget2_v1.json"]
