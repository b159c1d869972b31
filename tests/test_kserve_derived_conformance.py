"""KServe's own reconciler tests, as conformance cases for ``modelserve.derive``.

``tests/conformance/kserve-<version>/derived_objects.yaml`` holds scenarios of KServe's Go tests at
that release (the Standard-mode Deployment, Service, HPA and KEDA reconcilers, the container and pod
spec merges, ``UpdateImageTag``, and a few controller envtests), each with the fields KServe's test
expects (the file's header says how the Go inputs were translated). A case runs
``derive_predictor`` on its InferenceService and ServingRuntime with that KServe release, or one
helper derive mirrors (``call``), and every expected field must hold:

- ``expect``: ``<kind>`` (or ``result`` for a helper) -> JSON pointer -> value;
- ``count``: how many objects of a kind are derived; ``errors``: what derive must refuse with;
- ``skip_reason``: not expressible (multi-node, existing cluster state, the configmap): skipped;
- ``xfail`` and ``xfail_paths``: a known disagreement, strict: the case must fail, and at exactly
  those expectations (a different failure is a real one).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelserve.derive.merge import merge_container, merge_pod_spec
from modelserve.derive.predictor import (
    _set_default_deployment_spec,
    derive_predictor,
    update_image_tag,
)
from modelserve.platform.kserve import KServe
from modelserve.render import RenderedObject

CONFORMANCE = Path(__file__).parent / "conformance"
FIXTURE = "derived_objects.yaml"
VERSIONS = ("0.16.0", "0.20.0")
_RECONCILERS = "pkg/controller/v1beta1/inferenceservice"
UPSTREAM_FILES = {
    f"{_RECONCILERS}/reconcilers/deployment/deployment_reconciler_test.go",
    f"{_RECONCILERS}/reconcilers/service/service_reconciler_test.go",
    f"{_RECONCILERS}/reconcilers/hpa/hpa_reconciler_test.go",
    f"{_RECONCILERS}/reconcilers/keda/keda_reconciler_test.go",
    f"{_RECONCILERS}/utils/utils_test.go",
    f"{_RECONCILERS}/rawkube_controller_test.go",
}
# pkg/utils/container_merge_test.go is new in v0.20.0 (MergeContainerWithPatch).
UPSTREAM_FILES_FROM = {"pkg/utils/container_merge_test.go": (0, 20, 0)}
# Upstream test functions each version's fixture must mirror with at least one expressible case.
MIRRORED = (
    "TestCreateDefaultDeployment",
    "TestNewDeploymentReconciler",
    "TestSetDefaultDeploymentSpec",
    "TestCreateRawDeploymentWithPrecedence",
    "TestCreateServiceRawServiceConfigEmpty",
    "TestCreateHPA",
    "TestGetHPAMetrics",
    "TestMergeRuntimeContainers",
    "TestMergePodSpec",
    "TestUpdateImageTag",
    # reconcilers/keda/keda_reconciler_test.go
    "TestNewKedaReconciler",
    "TestCreateKedaScaledObject",
    "TestCreateKedaScaledObject_DefaultMinReplicas",
    "TestCreateKedaScaledObject_MaxReplicasLessThanMinReplicas",
    "TestCreateKedaScaledObject_SetsBasicFields",
    "TestCreateKedaScaledObject_SetsTriggers",
    "TestCreateKedaScaledObject_UsesDefaultMinReplicas",
    "TestCreateKedaScaledObject_AdvancedConfigFromComponentExt",
    "TestGetKedaMetrics_ResourceMetricSourceType",
    "TestGetKedaMetrics_ExternalMetricSourceType",
    "TestGetKedaMetrics_PodMetricSourceType",
    "TestGetKedaMetrics_AverageValueMetricSourceType",
    "TestGetKedaMetrics_ValueMetricSourceType",
    "TestGetKedaMetrics_DefaultCPUUtilization",
    "TestGetKedaMetrics_NilAutoScaling",
    "TestGetKedaMetrics_ResourceMetricSourceType_Utilization",
    "TestGetKedaMetrics_ResourceMetricSourceType_Utilization_DefaultCPU",
    "TestGetKedaMetrics_ResourceMetricSourceType_AverageValue",
    "TestGetKedaMetrics_ResourceMetricSourceType_Value",
    "TestGetKedaMetrics_ExternalMetricSourceType_WithNamespaceAndAuth",
    "TestGetKedaMetrics_ExternalMetricSourceType_WithoutNamespaceOrAuth",
    "TestGetKedaMetrics_PodMetricSourceType_Success",
    "TestGetKedaMetrics_StringPreservation",
    "TestGetOriginalStringMQ",
    "TestReconcile_CreateScaledObject",
)
MIRRORED_FROM = {"TestMergeContainerWithPatch": (0, 20, 0)}
MIN_EXPRESSIBLE = 40
KINDS = ("Deployment", "Service", "HorizontalPodAutoscaler", "ScaledObject")
MISSING = object()
ABSENT, UNORDERED = "$absent", "$unordered"


def _set_default_spec(spec: dict[str, Any]) -> dict[str, Any]:
    _set_default_deployment_spec(spec)
    return spec


# What a case's `call` runs, on a deep copy of its input.
CALLS = {
    "merge_container": lambda args, kserve: merge_container(args["base"], args["patch"]),
    "merge_pod_spec": lambda args, kserve: merge_pod_spec(args["base"], args["patch"]),
    # the container's image, as the Go test reads it (container.Image)
    "update_image_tag": lambda args, kserve: {
        "image": update_image_tag(
            args["image"],
            args["resources"],
            args["runtimeVersion"],
            args["servingRuntime"],
            args.get("runtimeAnnotations") or {},
            kserve,
        )
    },
    "set_default_deployment_spec": lambda args, kserve: _set_default_spec(args["spec"]),
}


class KnownGap(Exception):
    """The case fails at exactly its ``xfail_paths``: the disagreement its fixture records."""


# --- loading --------------------------------------------------------------------------------------


def _path(version: str) -> Path:
    return CONFORMANCE / f"kserve-{version}" / FIXTURE


def _load(version: str) -> list[dict[str, Any]]:
    cases = yaml.safe_load(_path(version).read_text(encoding="utf-8"))
    assert isinstance(cases, list) and cases, f"{_path(version)}: not a list of cases"
    return cases


def _case_id(version: str, case: dict[str, Any]) -> str:
    upstream = case.get("upstream") or {}
    name = f"{Path(str(upstream.get('file'))).name}::{upstream.get('test')}"
    if upstream.get("case"):
        name += f"/{upstream['case']}"
    return f"kserve-{version}/{name}"


def _params() -> list[Any]:
    params = []
    for version in VERSIONS:
        if not _path(version).is_file():
            continue  # test_fixture_file_exists fails for it, with one clear message
        for case in _load(version):
            marks = []
            if case.get("xfail"):
                marks.append(
                    pytest.mark.xfail(strict=True, raises=KnownGap, reason=str(case["xfail"]))
                )
            params.append(pytest.param(version, case, id=_case_id(version, case), marks=marks))
    return params


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _check_shape(version: str, case: dict[str, Any]) -> None:
    """A malformed case fails rather than passes vacuously."""
    upstream = case.get("upstream")
    assert isinstance(upstream, dict), "no upstream mapping"
    file = upstream.get("file")
    allowed = UPSTREAM_FILES | {
        f for f, since in UPSTREAM_FILES_FROM.items() if _version_tuple(version) >= since
    }
    assert file in allowed, f"upstream file {file!r}"
    assert isinstance(upstream.get("test"), str) and upstream["test"], "no upstream test"
    assert upstream.get("case") is None or isinstance(upstream["case"], str), "case not a string"
    assert upstream.get("tag") == f"v{version}", f"tag {upstream.get('tag')!r} in kserve-{version}"
    checks = [k for k in ("expect", "count", "errors") if k in case]
    if "skip_reason" in case:
        assert isinstance(case["skip_reason"], str) and case["skip_reason"].strip(), "no reason"
        assert not checks and "xfail" not in case, "a skipped case with expectations"
        return
    assert checks, "neither skip_reason nor expect, count or errors"
    call = case.get("call")
    inputs = case.get("input")
    assert isinstance(inputs, dict), "no input"
    if call is not None:
        assert call in CALLS, f"call {call!r}"
        assert set(case.get("expect", {})) == {"result"}, "a call's expect has only result"
    else:
        isvc, runtime = inputs.get("inferenceService"), inputs.get("runtime")
        assert isinstance(isvc, dict) and isvc.get("kind") == "InferenceService", "no isvc"
        assert runtime is None or (
            isinstance(runtime, dict)
            and runtime.get("kind") in ("ServingRuntime", "ClusterServingRuntime")
        ), "runtime not a (Cluster)ServingRuntime"
        assert set(case.get("expect", {})) <= set(KINDS), f"expect kinds {set(case['expect'])}"
        assert set(case.get("count", {})) <= set(KINDS), f"count kinds {set(case['count'])}"
    for kind, fields in case.get("expect", {}).items():
        assert isinstance(fields, dict) and fields, f"no fields expected of {kind}"
        for pointer in fields:
            assert pointer == "" or pointer.startswith("/"), f"pointer {pointer!r}"
    if "xfail" in case:
        assert isinstance(case["xfail"], str) and case["xfail"].strip(), "no xfail reason"
        paths = case.get("xfail_paths")
        assert isinstance(paths, list) and paths, "an xfail without xfail_paths"
        expected = set(_expectation_keys(case))
        assert set(paths) <= expected, f"xfail_paths not expectations: {set(paths) - expected}"
    else:
        assert "xfail_paths" not in case, "xfail_paths without xfail"


def _expectation_keys(case: dict[str, Any]) -> list[str]:
    keys = [
        f"{kind}{pointer}" for kind, fields in case.get("expect", {}).items() for pointer in fields
    ]
    keys += [f"{kind}#count" for kind in case.get("count", {})]
    return keys + (["errors"] if "errors" in case else [])


# --- comparing ------------------------------------------------------------------------------------


def _resolve(document: Any, pointer: str) -> Any:
    """RFC 6901; MISSING where the path leads nowhere."""
    if pointer == "":
        return document
    current = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict):
            current = current.get(token, MISSING)
        elif isinstance(current, list) and token.isdigit():
            index = int(token)
            current = current[index] if index < len(current) else MISSING
        else:
            return MISSING
        if current is MISSING:
            return MISSING
    return current


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and set(expected) == {ABSENT}:
        return actual is MISSING
    if isinstance(expected, dict) and set(expected) == {UNORDERED}:
        if not isinstance(actual, list):
            return False
        canon = [json.dumps(e, sort_keys=True) for e in expected[UNORDERED]]
        return sorted(canon) == sorted(json.dumps(e, sort_keys=True) for e in actual)
    return actual is not MISSING and actual == expected


def _show(value: Any) -> str:
    return "<missing>" if value is MISSING else json.dumps(value, sort_keys=True)


def _mismatches(version: str, case: dict[str, Any]) -> dict[str, str]:
    """Each expectation of the case that does not hold, with what the code produced."""
    kserve = KServe.parse(version)
    inputs = copy.deepcopy(case["input"])
    found: dict[str, str] = {}
    if case.get("call"):
        documents = {"result": CALLS[case["call"]](inputs, kserve)}
    else:
        runtime = inputs.get("runtime")
        derivation = derive_predictor(
            RenderedObject(inputs["inferenceService"]),
            RenderedObject(runtime) if runtime is not None else None,
            kserve,
        )
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for derived in derivation.objects:
            by_kind.setdefault(derived.obj["kind"], []).append(derived.obj)
        documents = {kind: objs[0] for kind, objs in by_kind.items()}
        messages = [message for _, message in derivation.errors]
        if "errors" in case:
            wanted = case["errors"]
            if not all(any(w in m for m in messages) for w in wanted) or derivation.objects:
                found["errors"] = (
                    f"expected errors {wanted} and no objects, got {messages} and {sorted(by_kind)}"
                )
        elif messages:
            found["errors"] = f"unexpected errors {messages}"
        for kind, number in case.get("count", {}).items():
            if len(by_kind.get(kind, [])) != number:
                found[f"{kind}#count"] = f"expected {number}, got {len(by_kind.get(kind, []))}"
    for kind, fields in case.get("expect", {}).items():
        for pointer, expected in fields.items():
            actual = _resolve(documents[kind], pointer) if kind in documents else MISSING
            if not _matches(expected, actual):
                where = "" if kind in documents else f" (no {kind} derived)"
                found[f"{kind}{pointer}"] = (
                    f"expected {json.dumps(expected, sort_keys=True)}, got {_show(actual)}{where}"
                )
    return found


# --- tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_fixture_file_exists(version: str) -> None:
    assert _path(version).is_file(), (
        f"missing conformance fixture {_path(version).relative_to(CONFORMANCE.parent.parent)}"
    )


@pytest.mark.parametrize(("version", "case"), _params())
def test_kserve_derived_conformance(version: str, case: dict[str, Any]) -> None:
    _check_shape(version, case)
    if "skip_reason" in case:
        pytest.skip(f"not expressible: {case['skip_reason']}")
    found = _mismatches(version, case)
    report = "\n".join(f"  {key}: {detail}" for key, detail in sorted(found.items()))
    if case.get("xfail"):
        if set(found) == set(case["xfail_paths"]):
            raise KnownGap(f"{case['xfail']}\n{report}")
        pytest.fail(
            f"KServe {version}: the known gap is at {sorted(case['xfail_paths'])}, the failures "
            f"are at {sorted(found)}:\n{report}"
        )
    assert not found, f"KServe {version} builds these differently from derive:\n{report}"


@pytest.mark.parametrize("version", VERSIONS)
def test_fixture_mirrors_the_upstream_tests(version: str) -> None:
    """Unique case ids, enough expressible cases, every mirrored function and upstream file."""
    if not _path(version).is_file():
        pytest.skip("no fixture file: test_fixture_file_exists reports it")
    cases = _load(version)
    ids = [_case_id(version, case) for case in cases]
    assert len(ids) == len(set(ids)), (
        f"repeated case ids: {sorted({i for i in ids if ids.count(i) > 1})}"
    )
    expressible = [case for case in cases if "skip_reason" not in case]
    assert len(expressible) >= MIN_EXPRESSIBLE, f"{len(expressible)} expressible cases"
    functions = {case["upstream"]["test"] for case in expressible}
    wanted = set(MIRRORED) | {
        f for f, since in MIRRORED_FROM.items() if _version_tuple(version) >= since
    }
    assert not wanted - functions, f"no expressible case of {sorted(wanted - functions)}"
    files = {case["upstream"]["file"] for case in expressible}
    wanted_files = UPSTREAM_FILES | {
        f for f, since in UPSTREAM_FILES_FROM.items() if _version_tuple(version) >= since
    }
    assert files == wanted_files, f"no expressible case from {sorted(wanted_files - files)}"
