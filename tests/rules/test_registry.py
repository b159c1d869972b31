"""The rule registry and every rule's documented examples.

Every rule module is complete and its id stable; its failing example fails at a real line and
its passing example passes; the rules share one resolved placement per deployment.
"""

from __future__ import annotations

import inspect
import json
import pkgutil
import re
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

import modelserve.rules as rules_package
from modelserve.findings import Severity
from modelserve.load.repository import Repository, load_repository
from modelserve.rules import OBJECT_RULES, RULES
from modelserve.rules.base import Context, Scope
from modelserve.rules.examples import files_for
from tests.helpers import PROJECT, UPSTREAM, run_cli
from tests.rules.rulekit import errors, load, rule_findings

RULE_IDS = [rule.INFO.id for rule in RULES]
# Ids are what users filter and suppress by: a rename breaks their configuration. New rules may
# be added freely; these must stay.
KNOWN_IDS = {
    "ref-runtime",
    "ref-model",
    "ref-profile",
    "env-name-file",
    "runtime-format",
    "runtime-protocol",
    "storage-uri",
    "replicas",
    "gpu-placement",
    "gpu-node-fit",
    "gpu-memory-fit",
    "gpu-capacity",
    "image-registry",
    "image-digest",
    "image-latest",
    "name-length",
    "monitor-port",
    "monitor-target",
    "secret-literal",
    "flux-refs",
    "cluster-agree",
}


# ---------------------------------------------------------------------------------------------
# The registry


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_rule_module_is_complete(rule: ModuleType) -> None:
    info = rule.INFO
    assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", info.id), info.id
    assert isinstance(info.severity, Severity)
    assert info.summary.strip() and info.hint.strip()
    assert (inspect.getdoc(rule) or "").strip(), (
        f"{rule.__name__} needs a docstring: it is the rule's documentation"
    )
    assert set(rule.EXAMPLES) == {"fail", "pass"}
    manifests = getattr(rule, "MANIFEST_EXAMPLES", None)
    assert rule.EXAMPLES["fail"] or manifests, "a failing example must change at least one file"
    if manifests is not None:
        assert Scope.OBJECT in info.scopes
        assert {"kserve", "fail", "pass"} <= set(manifests) <= {"kserve", "fail", "pass", "store"}
    assert info.scopes and info.scopes <= set(Scope)
    assert callable(getattr(rule, "check", None)) == (Scope.CATALOG in info.scopes)
    assert callable(getattr(rule, "check_object", None)) == bool(
        info.scopes & {Scope.OBJECT, Scope.DERIVED}
    )


def test_the_registry_is_every_rule_module_in_id_order() -> None:
    modules = {info.name for info in pkgutil.iter_modules(rules_package.__path__)} - {
        "base",
        "examples",
        "images",
        "kubeapi",
    }
    assert {rule.__name__.rsplit(".", 1)[1] for rule in RULES} == modules
    assert sorted(RULE_IDS) == RULE_IDS
    assert {r.INFO.id for r in OBJECT_RULES} >= {"image-latest", "gpu-placement", "monitor-target"}


def test_a_rule_whose_scope_and_functions_disagree_is_refused(monkeypatch: Any) -> None:
    import modelserve.rules.image_latest as image_latest

    monkeypatch.setattr(
        image_latest, "INFO", replace(image_latest.INFO, scopes=frozenset({Scope.CATALOG}))
    )
    with pytest.raises(TypeError, match="image-latest: its scopes and its functions disagree"):
        rules_package._discover()


def test_rule_ids_are_unique_and_stable() -> None:
    assert len(RULE_IDS) == len(set(RULE_IDS))
    assert set(RULE_IDS) >= KNOWN_IDS, f"renamed or removed: {sorted(KNOWN_IDS - set(RULE_IDS))}"


# ---------------------------------------------------------------------------------------------
# Every rule's documented examples


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_failing_example_fails_at_a_real_line(
    rule: ModuleType, tmp_path: Path, write_repo: Any
) -> None:
    if not rule.EXAMPLES["fail"]:
        pytest.skip(f"{rule.INFO.id} fails on hand-written manifests only (MANIFEST_EXAMPLES)")
    loaded, ctx = load(write_repo(tmp_path, files_for(rule.EXAMPLES["fail"])))
    assert loaded.findings == []
    own = rule_findings(ctx, rule.INFO.id)
    assert own, f"{rule.INFO.id}: the failing example produced no finding"
    for finding in own:
        assert (tmp_path / finding.file).is_file(), finding
        assert finding.line >= 1 and finding.col >= 1, finding
        assert finding.message and finding.hint


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_passing_example_passes_and_is_clean(
    rule: ModuleType, tmp_path: Path, write_repo: Any
) -> None:
    loaded, ctx = load(write_repo(tmp_path, files_for(rule.EXAMPLES["pass"])))
    assert loaded.findings == []
    assert rule_findings(ctx, rule.INFO.id) == []
    assert errors(rule_findings(ctx)) == []


def test_base_example_has_no_error_from_any_rule(tmp_path: Path, write_repo: Any) -> None:
    loaded, ctx = load(write_repo(tmp_path, files_for({})))
    assert loaded.findings == []
    assert set(loaded.catalog.models) == {"llama"} and set(loaded.catalog.environments) == {"dev"}
    assert errors(rule_findings(ctx)) == []


# ---------------------------------------------------------------------------------------------
# The shared context


def test_placements_are_resolved_once_and_shared_by_the_rules() -> None:
    ctx = Context(load_repository(Repository(PROJECT)).catalog)
    first = list(ctx.placements())
    assert len(first) == sum(len(env.entries) for env in ctx.catalog.environments.values()) > 0
    assert all(a is b for a, b in zip(first, ctx.placements(), strict=True))


MANIFEST_RULES = [rule for rule in RULES if hasattr(rule, "MANIFEST_EXAMPLES")]


@pytest.mark.parametrize("rule", MANIFEST_RULES, ids=[r.INFO.id for r in MANIFEST_RULES])
@pytest.mark.parametrize("label", ["fail", "pass"])
def test_manifest_examples_fail_and_pass_in_validate_manifests(
    rule: ModuleType, label: str, tmp_path: Path
) -> None:
    example = rule.MANIFEST_EXAMPLES
    manifest = tmp_path / "example.yaml"
    manifest.write_text(example[label])
    store: list[str | Path] = []
    if "store" in example:  # KServe's CRD from ../shared/upstream, imported as a user would
        crd = UPSTREAM / "crds" / "kserve" / example["store"]
        code, out, err = run_cli("schemas", "import", crd, "--out", tmp_path / "store")
        assert code == 0, out + err
        store = ["--schema-location", tmp_path / "store"]
    code, out, err = run_cli(
        "validate-manifests",
        "--policy",
        "--format",
        "json",
        "--kserve-version",
        example["kserve"],
        *store,
        manifest,
    )
    own = [f for f in json.loads(out)["findings"] if f["rule"] == rule.INFO.id]
    if label == "fail":
        assert own and code == 1, out + err
        assert all(f["line"] >= 1 and f["message"] and f["hint"] for f in own)
    else:
        assert own == [] and code == 0, out + err


def test_dispatch_by_kind_skips_only_objects_a_rule_ignores() -> None:
    """A rule's ``kinds`` only saves calls: on every other kind of the example's rendered and
    derived objects (and of the manifest examples) the rule finds nothing."""
    from modelserve.deploy.tree import build_tree
    from modelserve.derive.predictor import derive_all
    from modelserve.rules import DERIVED_RULES
    from modelserve.rules.base import ObjectSet

    loaded = load_repository(Repository(PROJECT))
    tree = build_tree(loaded.catalog)
    rendered = [o for r in tree.roots for o in r.objects]
    objects = [o.obj for o in rendered]
    for env in loaded.catalog.environments.values():
        for _, derivation in derive_all(rendered, env.kserve):
            objects += [d.obj for d in derivation.objects]
    for rule in RULES:
        objects += [
            yaml_doc
            for label in ("fail", "pass")
            for yaml_doc in yaml.safe_load_all(
                getattr(rule, "MANIFEST_EXAMPLES", {}).get(label, "")
            )
            if isinstance(yaml_doc, dict)
        ]
    kinds = {o.get("kind") for o in objects}
    assert {"Deployment", "Service", "InferenceService", "ClusterServingRuntime"} <= kinds
    every = ObjectSet(objects, rendered=False)
    for rule in set(OBJECT_RULES) | set(DERIVED_RULES):
        if rule.INFO.kinds is None:
            continue
        others = [o for o in objects if o.get("kind") not in rule.INFO.kinds]
        assert others
        assert [p for o in others for p in rule.check_object(o, every)] == [], rule.INFO.id
