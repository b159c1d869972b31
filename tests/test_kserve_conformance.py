"""KServe's own webhook tests, as conformance cases for the KServe admission rules.

``tests/conformance/kserve-<version>/<upstream test file>.yaml`` holds the scenarios of KServe's
Go tests at that release (``inference_service_validation_test.go``,
``servingruntime_webhook_test.go``) as Kubernetes objects, each with the verdict KServe's test
expects (the files' headers say how the Go structs were translated). Every case runs the four
rules that mirror the webhooks (kserve-autoscaling, kserve-name, kserve-deployment-mode,
runtime-collision) on its objects, with that KServe release and without KServe's built-in
runtimes (a case lists the runtimes it needs):

- ``allowed``: none of the rules reports an error on the case's first object;
- ``refused``: the case's ``rule`` reports an error on it whose message holds ``message``;
- ``not-expressible``: skipped, with the fixture's reason as the skip reason (``-rs`` lists it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelserve.findings import Severity
from modelserve.platform.kserve import KServe
from modelserve.rules import OBJECT_RULES, ObjectRule, check_objects
from modelserve.rules.base import ObjectSet

CONFORMANCE = Path(__file__).parent / "conformance"
RULE_IDS = frozenset(
    {"kserve-autoscaling", "kserve-name", "kserve-deployment-mode", "runtime-collision"}
)
RULES: tuple[ObjectRule, ...] = tuple(r for r in OBJECT_RULES if r.INFO.id in RULE_IDS)
VERDICTS = frozenset({"allowed", "refused", "not-expressible"})
VERSIONS = ("0.16.0", "0.20.0")
# The upstream test functions each version's fixtures must mirror, by upstream test file.
MIRRORED = {
    "inference_service_validation_test.go": (
        "TestAutoscalerClassHPA",
        "TestAutoscalerClassKEDA",
        "TestBadReplicaValues",
        "TestCustomizeDeploymentStrategyUnsupportedForServerless",
        "TestGoodName",
        "TestRejectBadNameStartWithNumber",
        "TestRejectBadNameIncludeDot",
        "TestValidateScalingKedaCompExtension",
        "TestValidateMultiNodeVariables",
    ),
    "servingruntime_webhook_test.go": (
        "TestValidateServingRuntimePriority",
        "TestValidateModelFormatPrioritySame",
        "TestServingRuntimeValidator_Handle",
    ),
}
MIN_EXPRESSIBLE = 10
_UPSTREAM_NAME = re.compile(r"^(?P<file>[\w.]+_test\.go)::(?P<func>Test\w+)(/.+)?$")


def _load(path: Path) -> list[dict[str, Any]]:
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(cases, list) and cases, f"{path}: not a list of cases"
    return cases


def _fixture_files() -> list[Path]:
    """The webhook fixtures (the reconciler's, derived_objects.yaml, have their own test)."""
    stems = {name.removesuffix(".go") for name in MIRRORED}
    return sorted(p for p in CONFORMANCE.glob("kserve-*/*.yaml") if p.stem in stems)


def _version(path: Path) -> str:
    return path.parent.name.removeprefix("kserve-")


def _case_id(path: Path, case: dict[str, Any]) -> str:
    variant = " [as ClusterServingRuntime]" if case.get("variant") else ""
    return f"kserve-{_version(path)}/{case.get('upstream')}{variant}"


def _params() -> list[Any]:
    return [
        pytest.param(_version(path), case, id=_case_id(path, case))
        for path in _fixture_files()
        for case in _load(path)
    ]


def _check_shape(case: dict[str, Any]) -> None:
    """A malformed case fails rather than passes vacuously."""
    assert _UPSTREAM_NAME.match(str(case.get("upstream"))), case.get("upstream")
    verdict = case.get("verdict")
    assert verdict in VERDICTS, f"verdict {verdict!r}"
    if verdict == "not-expressible":
        assert isinstance(case.get("reason"), str) and case["reason"].strip(), "no reason"
        return
    objects = case.get("objects")
    assert isinstance(objects, list) and objects, "no objects"
    assert all(isinstance(o, dict) and o.get("kind") for o in objects), "an object without kind"
    if verdict == "refused":
        assert case.get("rule") in RULE_IDS, f"rule {case.get('rule')!r}"
        assert isinstance(case.get("message"), str) and case["message"], "no message"


def _errors_on_first(version: str, objects: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(rule id, message) of every error the rules report on the first object."""
    found = ObjectSet(objects, rendered=False, kserve=KServe.parse(version), builtin_runtimes=False)
    return [
        (rule.INFO.id, problem.message)
        for index, rule, problem in check_objects(found, RULES)
        if index == 0 and (problem.severity or rule.INFO.severity) is Severity.ERROR
    ]


def test_the_four_rules_are_registered() -> None:
    assert {r.INFO.id for r in RULES} == RULE_IDS


@pytest.mark.parametrize(("version", "case"), _params())
def test_kserve_conformance(version: str, case: dict[str, Any]) -> None:
    _check_shape(case)
    if case["verdict"] == "not-expressible":
        pytest.skip(f"not expressible: {case['reason']}")
    errors = _errors_on_first(version, case["objects"])
    if case["verdict"] == "allowed":
        assert errors == [], f"KServe {version} admits this, the rules refuse it"
    else:
        matching = [m for rule, m in errors if rule == case["rule"] and case["message"] in m]
        assert matching, (
            f"KServe {version} refuses this with {case['message']!r}; "
            f"{case['rule']} did not (errors: {errors})"
        )


def test_every_fixture_file_mirrors_its_upstream_tests() -> None:
    """One file per upstream test file and version; each has at least MIN_EXPRESSIBLE
    expressible cases, unique names, and every mirrored test function."""
    files = _fixture_files()
    assert {(_version(p), p.stem) for p in files} == {
        (version, name.removesuffix(".go")) for version in VERSIONS for name in MIRRORED
    }
    for path in files:
        cases = _load(path)
        names = [_case_id(path, case) for case in cases]
        assert len(names) == len(set(names)), f"{path}: a case name repeats"
        expressible = [c for c in cases if c.get("verdict") in ("allowed", "refused")]
        assert len(expressible) >= MIN_EXPRESSIBLE, f"{path}: {len(expressible)} expressible"
        functions = set()
        for case in cases:
            match = _UPSTREAM_NAME.match(str(case.get("upstream")))
            assert match, f"{path}: upstream {case.get('upstream')!r}"
            assert match["file"] == f"{path.stem}.go", f"{path}: {case['upstream']}"
            functions.add(match["func"])
        missing = set(MIRRORED[f"{path.stem}.go"]) - functions
        assert not missing, f"{path}: no case of {sorted(missing)}"
