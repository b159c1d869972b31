"""Kubernetes' own unit tests, as conformance cases for ``modelserve.validate.apimachinery``.

``tests/conformance/kubernetes/validation.yaml`` holds, group by group, the cases of the upstream
Go tests each mirror answers to (apimachinery's ``validation_test.go``, kubernetes'
``pkg/apis/core/validation/validation_test.go`` and ``pkg/kubelet/images/image_manager_test.go``,
distribution/reference's ``reference_test.go`` and ``normalize_test.go``); the file's header
says how a case is written. Every case is run through the group's function, once per Kubernetes
version it applies to:

- ``valid``: no error (for a reference parser: a reference, with the ``expect`` fields, and for
  ``parse_reference`` the input back from ``str()``, as the Go test checks);
- ``invalid``: at least one error, exactly ``errors`` or one holding ``message_contains`` when
  given (for a reference parser: no reference);
- ``returns``: exactly that return value.

Each group is also checked for its provenance (upstream test, read_at), and the fixture as a
whole for covering the upstream tests listed in MIRRORED. A missing fixture is one failure.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelserve.validate import apimachinery

FIXTURE = Path(__file__).parent / "conformance" / "kubernetes" / "validation.yaml"
VERSIONS = apimachinery.KUBERNETES_VERSIONS
# The upstream tests the fixture must mirror (at least one group each).
MIRRORED = frozenset(
    {
        "validation_test.go::TestIsDNS1123Label",
        "validation_test.go::TestIsDNS1123Subdomain",
        "validation_test.go::TestIsDNS1035Label",
        "validation_test.go::TestIsCIdentifier",
        "validation_test.go::TestIsValidPortNum",
        "validation_test.go::TestIsInRange",
        "validation_test.go::TestIsValidGroupID",
        "validation_test.go::TestIsValidUserID",
        "validation_test.go::TestIsValidPortName",
        "validation_test.go::TestIsQualifiedName",
        "validation_test.go::TestIsValidLabelValue",
        "validation_test.go::TestIsHTTPHeaderName",
        "validation_test.go::TestIsValidPercent",
        "validation_test.go::TestIsConfigMapKey",
        "validation_test.go::TestIsWildcardDNS1123Subdomain",
        "validation_test.go::TestIsRelaxedEnvVarName",
        "validation_test.go::TestIsDNS1123SubdomainWithUnderscore",
        "validation_test.go::TestValidateEnv",
        "validation_test.go::TestRelaxedValidateEnv",
        "validation_test.go::TestValidatePorts",
        "reference_test.go::TestReferenceParse",
        "normalize_test.go::TestValidateReferenceName",
        "normalize_test.go::TestValidateRemoteName",
        "normalize_test.go::TestParseRepositoryInfo",
        "normalize_test.go::TestParseReferenceWithTagAndDigest",
        "normalize_test.go::TestInvalidReferenceComponents",
        "normalize_test.go::TestNormalizedSplitHostname",
        "image_manager_test.go::pullerTestCases",
        "image_manager_test.go::TestApplyDefaultImageTag",
    }
)
_UPSTREAM = re.compile(
    r"^(?P<repo>kubernetes/apimachinery|kubernetes/kubernetes|distribution/reference) "
    r"(?:\S+/)?(?P<file>[\w.]+\.go)::(?P<func>\w+)(?:/.+| .+)?$"
)
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_REFERENCE_PARSERS = frozenset({"parse_reference", "parse_normalized_named"})


@dataclass(frozen=True)
class Check:
    """One parametrized item: a case run at one version, a group's provenance, or the whole."""

    kind: str  # "case" | "group" | "coverage" | "missing"
    group: dict[str, Any]
    verdict: str = ""
    case: Any = None
    version: str | None = None


def _load() -> dict[str, Any] | None:
    if not FIXTURE.is_file():
        return None
    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data.get("groups"), f"{FIXTURE}: no groups"
    return data


def _resolve(value: Any) -> Any:
    """A fixture value as the Go test's: repeat and concat build strings, fraction a number."""
    if isinstance(value, dict):
        if "repeat" in value:
            return str(value["repeat"]) * int(value["times"])
        if "concat" in value:
            return "".join(str(_resolve(part)) for part in value["concat"])
        if "fraction" in value:
            return Fraction(value["fraction"])
    return value


def _case_value(case: Any) -> Any:
    return case["value"] if isinstance(case, dict) and "value" in case else case


def _arguments(value: Any) -> list[Any]:
    if isinstance(value, dict) and "args" in value:
        return [_resolve(arg) for arg in value["args"]]
    return [_resolve(value)]


def _function(group: dict[str, Any]) -> Callable[..., Any]:
    fn: Callable[..., Any] = getattr(apimachinery, group["function"])
    return fn


def _takes_version(group: dict[str, Any]) -> bool:
    return "kubernetes_version" in inspect.signature(_function(group)).parameters


def _versions(group: dict[str, Any], case: Any) -> list[str | None]:
    listed = case.get("kubernetes_versions") if isinstance(case, dict) else None
    listed = listed or group.get("kubernetes_versions")
    if not _takes_version(group):
        assert not listed, f"{group['function']} takes no kubernetes_version"
        return [None]
    return list(listed or VERSIONS)


def _short(value: Any) -> str:
    """A readable id for a value: repeats as 'a'*63, control and non-ASCII characters escaped."""
    if isinstance(value, dict):
        if "repeat" in value:
            return f"{value['repeat']!r}*{value['times']}"
        if "concat" in value:
            return "+".join(_short(part) for part in value["concat"])
        if "fraction" in value:
            return str(value["fraction"])
        if "args" in value:
            return ",".join(_short(arg) for arg in value["args"])
        return "{" + ",".join(f"{k}:{_short(v)}" for k, v in value.items()) + "}"
    text = repr(value) if isinstance(value, str) else str(value)
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= 60 else text[:57] + "..."


def _label(group: dict[str, Any]) -> str:
    prefix = "wording:" if group.get("kind") == "wording" else ""
    test = str(group["upstream"]).split("::", 1)[-1]
    return prefix + test.replace(" ", "_")


def _checks() -> list[Any]:
    data = _load()
    if data is None:
        return [pytest.param(Check("missing", {}), id="fixture-missing")]
    params: list[Any] = [pytest.param(Check("coverage", data), id="fixture/coverage")]
    seen: set[str] = set()
    for number, group in enumerate(data["groups"]):
        label = _label(group)
        params.append(pytest.param(Check("group", group), id=f"group/{number}:{label}"))
        for verdict in ("valid", "invalid", "returns"):
            for case in group.get(verdict) or []:
                for version in _versions(group, case):
                    at = f"@{version}" if version else ""
                    base = f"{label}/{verdict}/{_short(_case_value(case))}{at}"
                    case_id, n = base, 1
                    while case_id in seen:  # upstream lists repeat a few values
                        n += 1
                        case_id = f"{base}#{n}"
                    seen.add(case_id)
                    check = Check("case", group, verdict, case, version)
                    params.append(pytest.param(check, id=case_id))
    return params


def _errors(result: Any) -> tuple[Any, list[Any]]:
    """(parsed reference or None, errors as plain lists) for any mirror's result."""
    if isinstance(result, tuple):
        reference, errs = result
        return reference, list(errs)
    return None, [list(e) if isinstance(e, tuple) else e for e in result]


def _run_case(check: Check) -> None:
    group, case = check.group, check.case
    name = group["function"]
    value = _case_value(case)
    kwargs = dict(group.get("kwargs") or {})
    if check.version is not None:
        kwargs["kubernetes_version"] = check.version
    result = _function(group)(*_arguments(value), **kwargs)
    if check.verdict == "returns":
        assert result == case["returns"]
        return
    reference, errs = _errors(result)
    detail = case if isinstance(case, dict) else {}
    if check.verdict == "valid":
        assert errs == [], f"{name}({_short(value)}) should be valid"
        if name in _REFERENCE_PARSERS:
            assert reference is not None
            expect = {k: _resolve(v) for k, v in (detail.get("expect") or {}).items()}
            got = {
                "domain": reference.domain,
                "path": reference.path,
                "name": reference.name,
                "tag": reference.tag,
                "digest": reference.digest,
                "string": str(reference),
            }
            assert {k: got[k] for k in expect} == expect
            if name == "parse_reference":
                assert str(reference) == _resolve(value)
        return
    assert errs, f"{name}({_short(value)}) should be refused"
    if name in _REFERENCE_PARSERS:
        assert reference is None
    if "errors" in detail:
        assert errs == detail["errors"]
    if "message_contains" in detail:
        wanted = detail["message_contains"]
        assert any(wanted in str(e) for e in errs), f"no message holds {wanted!r}: {errs}"


def _check_group(group: dict[str, Any]) -> None:
    name = group.get("function")
    assert name in apimachinery.__all__, f"{name!r} is not a public mirror"
    assert callable(getattr(apimachinery, name))
    match = _UPSTREAM.match(group.get("upstream", ""))
    assert match, f"{name}: upstream {group.get('upstream')!r} is not <repo> <file>::<Test>"
    read_at = group.get("read_at")
    assert read_at, f"{group['upstream']}: no read_at"
    for at in read_at:
        assert _COMMIT.match(at) or re.match(r"^(kubernetes-1\.\d+\.0|v0\.[56]\.0)$", at), at
    assert group.get("kind") in (None, "wording")
    cases = [c for verdict in ("valid", "invalid", "returns") for c in group.get(verdict) or []]
    assert cases, f"{group['upstream']}: no cases"
    for version in group.get("kubernetes_versions") or []:
        assert version in VERSIONS, version
    for skipped in group.get("not_expressible") or []:
        assert skipped.get("case") and skipped.get("reason"), skipped


def _check_coverage(data: dict[str, Any]) -> None:
    mirrored = set()
    for group in data["groups"]:
        if group.get("kind") == "wording":
            continue
        match = _UPSTREAM.match(group["upstream"])
        assert match, group["upstream"]
        mirrored.add(f"{match['file']}::{match['func']}")
    assert mirrored >= MIRRORED, f"not mirrored: {sorted(MIRRORED - mirrored)}"
    assert set(data.get("sources") or {}) == {"apimachinery", "kubernetes", "reference"}


@pytest.mark.parametrize("check", _checks())
def test_upstream_conformance(check: Check) -> None:
    if check.kind == "missing":
        pytest.fail(
            f"the conformance fixture {FIXTURE} is missing: it holds the Kubernetes unit-test "
            "cases these tests run (see its header for the format)",
            pytrace=False,
        )
    elif check.kind == "coverage":
        _check_coverage(check.group)
    elif check.kind == "group":
        _check_group(check.group)
    else:
        _run_case(check)
