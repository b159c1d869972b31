"""Explain: where every value of a model's effective objects in one environment comes from.

The objects are the ones ``deploy/`` holds for the model (its InferenceService, monitor and
claim: the overlays add nothing to them, so these are what Flux applies), its runtime, and what
KServe's Standard-mode reconciler derives from them (``modelserve.derive``). Each leaf gets one
origin:

- ``file``: the catalog or environment line that holds it (``render.Origin``, followed through
  ``derive.Trace`` for derived objects);
- ``modelserve``: a default of this tool, named (``MODELSERVE_DEFAULTS``), or a value it computes
  from a file without copying a field of it;
- ``kserve``: set by KServe's reconciler of the environment's release, naming the function
  (``KSERVE_BUILDERS``, from the KServe source ``derive.predictor`` follows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from modelserve.deploy.tree import Tree
from modelserve.derive import DerivedObject
from modelserve.derive.predictor import derive_predictor
from modelserve.findings import format_path
from modelserve.model import Catalog
from modelserve.render import Origin, RenderedObject

Pointer = tuple[Any, ...]

# Values modelserve writes that no catalog field holds: (pattern over the field path, why).
MODELSERVE_DEFAULTS: tuple[tuple[str, str], ...] = (
    ("apiVersion", "the API version modelserve writes this kind in"),
    ("kind", "the kind modelserve renders the file into"),
    ("metadata.labels.modelserve.io/environment", "the environment's name"),
    ("spec.endpoints[*].interval", "30s, where the environment's monitoring sets no interval"),
    ("spec.podMetricsEndpoints[*].interval", "30s, where monitoring sets no interval"),
    ("metadata.labels.app.kubernetes.io/managed-by", "marks every object modelserve writes"),
    (
        "metadata.annotations.serving.kserve.io/autoscalerClass",
        "none for a fixed replica count in Standard mode (render.isvc), where the release "
        "has class none",
    ),
    ("spec.predictor.model.env[*]", "NIM_CACHE_PATH, the mount path of cache.pvc"),
    ("spec.containers[*].name", "kserve-container, the container KServe merges the model into"),
    ("spec.containers[*].ports[*].protocol", "TCP, where the runtime's port names none"),
    (
        "spec.selector.matchLabels.component",
        "selects the predictor's Service, which KServe labels component: predictor",
    ),
)
# a pattern's `*` is one name (dots allowed: label keys have them), `[*]` one list index

KSERVE_BUILDERS = {
    "Deployment": "createRawDefaultDeployment, setDefaultPodSpec and setDefaultDeploymentSpec "
    "(reconcilers/deployment/deployment_reconciler.go)",
    "Service": "createDefaultSvc (reconcilers/service/service_reconciler.go)",
    "HorizontalPodAutoscaler": "createHPA (reconcilers/hpa/hpa_reconciler.go)",
    "ScaledObject": "createKedaScaledObject (reconcilers/keda/keda_reconciler.go)",
}


@dataclass(frozen=True)
class FieldOrigin:
    kind: str  # "file" | "modelserve" | "kserve"
    detail: str = ""  # why modelserve sets it, or which KServe function does
    file: str = ""  # the line it came from (for "kserve": what KServe computed it from)
    line: int = 0
    column: int = 0
    version: str = ""  # the KServe release

    @property
    def margin(self) -> str:
        where = f"{self.file}:{self.line}" if self.file else ""
        if self.kind == "file":
            return where
        if self.kind == "kserve":
            return f"KServe {self.version}" + (f" from {where}" if where else "")
        return "modelserve default"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.file:
            out |= {"file": self.file, "line": self.line, "column": self.column}
        if self.version:
            out["kserve"] = self.version
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass
class ExplainedObject:
    label: str
    obj: dict[str, Any]
    derived_by: str = ""  # the KServe functions that build it, for a derived object
    fields: list[tuple[Pointer, Any, FieldOrigin]] = field(default_factory=list)


def leaves(value: Any, pointer: Pointer = ()) -> Iterator[tuple[Pointer, Any]]:
    """Every scalar (and empty map or list) of ``value`` with its pointer, in document order."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, (*pointer, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, (*pointer, index))
    else:
        yield pointer, value


def _get(value: Any, pointer: Pointer) -> tuple[bool, Any]:
    """(found, the value at ``pointer``)."""
    for step in pointer:
        within = (
            step in value
            if isinstance(value, dict)
            else isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value)
        )
        if not within:
            return False, None
        value = value[step]
    return True, value


def _pattern(text: str) -> re.Pattern[str]:
    """A MODELSERVE_DEFAULTS pattern, matching the field or anything below it."""
    body = re.escape(text).replace(r"\[\*\]", r"\[\d+\]").replace(r"\*", r"[^\[\]]*?")
    return re.compile(body + r"(?:[.\[].*)?")


_DEFAULTS = tuple((_pattern(pattern), why) for pattern, why in MODELSERVE_DEFAULTS)


def _named_default(pointer: Pointer) -> str | None:
    text = format_path(list(pointer))
    return next((why for pattern, why in _DEFAULTS if pattern.fullmatch(text)), None)


def rendered_origin(obj: RenderedObject, pointer: Pointer) -> FieldOrigin:
    """The line that holds the value at ``pointer``, or the named default that gave it."""
    origin = obj.origin_of(pointer)
    # An origin of the whole object (prefix ()) says where it was declared: that is where its
    # name is, not its kind or the labels every object of the tool gets.
    if origin is not None and (origin.prefix or pointer == ("metadata", "name")):
        path = _source_path(origin, pointer)
        if path in origin.source.doc.positions:
            file, line, column = origin.source.at(*path)
            return FieldOrigin("file", file=file, line=line, column=column)
    named = _named_default(pointer)
    if named is not None:
        return FieldOrigin("modelserve", named)
    where = f" from {origin.source.file}" if origin is not None else ""
    return FieldOrigin("modelserve", f"computed{where}")


def _source_path(origin: Origin, pointer: Pointer) -> Pointer:
    return (*origin.path, *pointer[len(origin.prefix) :]) if origin.mirrored else origin.path


def _builder(obj: DerivedObject) -> str:
    return KSERVE_BUILDERS.get(str(obj.obj.get("kind")), "the Standard-mode reconciler")


def derived_origin(obj: DerivedObject, pointer: Pointer, value: Any) -> FieldOrigin:
    """The rendered field KServe copied the value from, else the reconciler function (with
    the line of the field it computed the value from, when there is one)."""
    source, path = obj.source_of(pointer)
    if path:
        found, copied = _get(source.obj, path)
        if found and copied == value:
            return rendered_origin(source, path)
        if found:
            upstream = rendered_origin(source, path)
            return FieldOrigin(
                "kserve",
                _builder(obj),
                upstream.file,
                upstream.line,
                upstream.column,
                version=str(obj.kserve),
            )
    return FieldOrigin("kserve", _builder(obj), version=str(obj.kserve))


def explain(catalog: Catalog, tree: Tree, env_name: str, model_name: str) -> list[ExplainedObject]:
    """The model's objects in the environment with an origin for every leaf; empty when the
    environment does not deploy the model."""
    env = catalog.environments[env_name]
    objects = [o for r in tree.env_roots(env_name) for o in r.objects]
    own = [o for o in objects if o.model == model_name]
    isvc = next((o for o in own if o.obj.get("kind") == "InferenceService"), None)
    if isvc is None:
        return []
    runtime_name = catalog.models[model_name].runtime
    runtime = next(
        (
            o
            for o in objects
            if o.obj.get("kind") == "ClusterServingRuntime"
            and o.obj["metadata"]["name"] == runtime_name
        ),
        None,
    )
    explained = [_explain_rendered(o) for o in own]
    if runtime is not None:
        explained.append(_explain_rendered(runtime))
        for derived in derive_predictor(isvc, runtime, env.kserve).objects:
            builder = f"KServe {derived.kserve} {_builder(derived)}"
            item = ExplainedObject(derived.label, derived.obj, builder)
            for pointer, value in leaves(derived.obj):
                item.fields.append((pointer, value, derived_origin(derived, pointer, value)))
            explained.append(item)
    return explained


def _explain_rendered(obj: RenderedObject) -> ExplainedObject:
    item = ExplainedObject(obj.label, obj.obj)
    for pointer, value in leaves(obj.obj):
        item.fields.append((pointer, value, rendered_origin(obj, pointer)))
    return item
