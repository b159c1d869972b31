"""No serving runtime collides with another of the cluster, KServe's built-in ones included.

Mirrors the ClusterServingRuntime and ServingRuntime validating webhooks (failurePolicy Fail,
``pkg/webhook/admission/servingruntime/servingruntime_webhook.go``):
``validateModelFormatPrioritySame`` refuses a runtime that gives one auto-selected format two
different priorities, and
``validateServingRuntimePriority`` refuses a new runtime when another runtime of the same kind
(ServingRuntimes: of the same namespace) that is not disabled, is as multi-model as it, and shares
a protocol version, auto-selects an equal format (``areSupportedModelFormatsEqual``: the name
case-insensitively and the same version, or both without one) with the same priority.
``autoSelect`` counts only when set to true (``IsAutoSelectEnabled``); a runtime of the same name
is the runtime itself. The other runtimes are the ones applied with it and the runtimes KServe
installs with the environment's release (its ``config/runtimes/``, kept in
``modelserve/platform/kserve_runtimes.json``) and, on a Hybrid Manager cluster
(``platform.hybridManager: true``), the runtimes EDB's documentation deploys for HM's model
library (``modelserve/platform/hm_runtimes.json``, from the documentation's own YAML). A
refused runtime fails Flux's apply of the whole runtimes Kustomization, and every model shard
that depends on it stalls.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.platform.hybrid_manager import documented_runtimes
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping, sequence
from modelserve.rules.examples import RUNTIME

RUNTIME_KINDS = ("ClusterServingRuntime", "ServingRuntime")
INFO = RuleInfo(
    "runtime-collision",
    Severity.ERROR,
    "No runtime auto-selects a model format at the priority another runtime of the cluster "
    "(KServe's built-ins included) uses",
    "set autoSelect: false on the format (models name their runtime), or give it another priority",
    frozenset({Scope.OBJECT}),
    kinds=frozenset(RUNTIME_KINDS),
)
EXAMPLES = {
    "fail": {
        "catalog/runtimes/vllm-runtime.yaml": RUNTIME.replace(
            '  - name: nvidia-nim-llama-3.1-8b-instruct\n    version: "1.3.3"\n',
            '  - name: nvidia-nim-llama-3.1-8b-instruct\n    version: "1.3.3"\n'
            '  - name: huggingface\n    version: "1"\n    autoSelect: true\n    priority: 1\n',
        )
    },
    "pass": {},
}


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    kind = obj.get("kind")
    spec = obj.get("spec")
    if kind not in RUNTIME_KINDS or not isinstance(spec, dict) or spec.get("disabled") is True:
        return
    name = _name(obj)
    refused = f"KServe's {kind} webhook refuses {name}"
    others = list(_others(obj, objects))
    # Handle runs validateModelFormatPrioritySame inside its loop over the existing runtimes:
    # a runtime alone of its kind (and namespace) is not checked.
    split = _split_priority(_formats(spec)) if others else None
    if split is not None:
        index, fmt = split
        yield Problem(
            ("spec", "supportedModelFormats", index, "priority"),
            f"{refused}: different priorities assigned for the model format {fmt.get('name')}",
        )
        return
    for other_name, other, where in others:
        if other_name == name:
            continue
        clash = _clash(spec, other)
        if clash is not None:
            index, fmt = clash
            yield Problem(
                ("spec", "supportedModelFormats", index),
                f"{refused}: same priority assigned for the model format {fmt.get('name')} "
                f"in the {kind.lower()}s {other_name} and {name}{where}",
            )
            return


def _others(obj: dict[str, Any], objects: ObjectSet) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(name, spec, where it comes from) of each runtime the webhook lists beside ``obj``."""
    kind, namespace = obj.get("kind"), _namespace(obj)
    by_scope = objects.memo("runtimes-by-scope", lambda: _by_scope(objects.objects))
    scope = (str(kind), namespace if kind == "ServingRuntime" else "")
    for other in by_scope.get(scope, []):
        if other is not obj:
            yield _name(other), other["spec"], ""
    if kind == "ClusterServingRuntime" and objects.builtin_runtimes:
        yield from objects.memo("builtin-runtimes", lambda: _builtins(objects))
    if kind == "ClusterServingRuntime" and objects.hybrid_manager:
        yield from _documented()


def _documented() -> Iterator[tuple[str, dict[str, Any], str]]:
    """The runtimes Hybrid Manager's documentation deploys (platform/hm_runtimes.json)."""
    for runtime in documented_runtimes():
        spec = {
            "supportedModelFormats": runtime["formats"],
            "protocolVersions": runtime["protocols"],
            "multiModel": runtime["multiModel"],
            "disabled": runtime["disabled"],
        }
        where = (
            f" (Hybrid Manager deploys {runtime['name']} for its model library: EDB docs, "
            f"{runtime['sources'][0]})"
        )
        yield runtime["name"], spec, where


def _by_scope(objects: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The runtimes of a set by (kind, namespace of a ServingRuntime), built once per set."""
    index: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for other in objects:
        kind = other.get("kind")
        if kind in RUNTIME_KINDS and isinstance(other.get("spec"), dict):
            scope = _namespace(other) if kind == "ServingRuntime" else ""
            index.setdefault((str(kind), scope), []).append(other)
    return index


def _builtins(objects: ObjectSet) -> list[tuple[str, dict[str, Any], str]]:
    out = []
    for builtin in objects.kserve.builtin_runtimes:
        spec = {
            "supportedModelFormats": builtin["formats"],
            "protocolVersions": builtin["protocols"],
            "multiModel": builtin["multiModel"],
            "disabled": builtin["disabled"],
        }
        where = f" (KServe {objects.kserve} installs {builtin['name']}: {builtin['source']})"
        out.append((builtin["name"], spec, where))
    return out


def _split_priority(formats: list[dict[str, Any]]) -> tuple[int, dict[str, Any]] | None:
    """``validateModelFormatPrioritySame``: an auto-selected format given a priority other than
    the one its first auto-selected occurrence gave (formats without a priority never differ)."""
    first: dict[str, int | None] = {}
    for index, fmt in enumerate(formats):
        if not _auto(fmt):
            continue
        name = str(fmt.get("name"))
        if name not in first:
            first[name] = _priority(fmt)
        elif (
            first[name] is not None and _priority(fmt) is not None and first[name] != _priority(fmt)
        ):
            return index, fmt
    return None


def _clash(spec: dict[str, Any], other: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """``validateServingRuntimePriority``: the first format of ``spec`` that collides."""
    if (
        bool(spec.get("multiModel")) != bool(other.get("multiModel"))
        or other.get("disabled") is True
    ):
        return None
    protocols, theirs = (
        sequence(spec.get("protocolVersions")),
        sequence(other.get("protocolVersions")),
    )
    if not any(p in protocols for p in theirs):
        return None
    for existing in _formats(other):
        for index, fmt in enumerate(_formats(spec)):
            if (
                _auto(existing)
                and _auto(fmt)
                and _same_format(existing, fmt)
                and _priority(existing) is not None
                and _priority(existing) == _priority(fmt)
            ):
                return index, fmt
    return None


def _same_format(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """``areSupportedModelFormatsEqual``: the names equal ignoring case, the versions equal (or
    both unset)."""
    names = a.get("name"), b.get("name")
    if (
        not all(isinstance(n, str) for n in names)
        or str(names[0]).casefold() != str(names[1]).casefold()
    ):
        return False
    return a.get("version") == b.get("version")


def _auto(fmt: dict[str, Any]) -> bool:
    return fmt.get("autoSelect") is True


def _priority(fmt: dict[str, Any]) -> int | None:
    value = fmt.get("priority")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _formats(spec: dict[str, Any]) -> list[dict[str, Any]]:
    formats = spec.get("supportedModelFormats")
    return [f for f in formats if isinstance(f, dict)] if isinstance(formats, list) else []


def _name(obj: dict[str, Any]) -> str:
    meta = mapping(obj.get("metadata"))
    return str(meta.get("name", ""))


def _namespace(obj: dict[str, Any]) -> str:
    meta = mapping(obj.get("metadata"))
    return str(meta.get("namespace", ""))
