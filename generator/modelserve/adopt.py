"""Adopt existing KServe manifests: InferenceServices, ServingRuntimes and ClusterServingRuntimes
become catalog runtimes, catalog models and one environment's entries (``modelserve import``).

Nothing is dropped silently. Every field of a manifest is either carried into the catalog or
reported as a Note at its file:line: ``unexpressible`` (the catalog has no field for it),
``fixed`` (changed so the catalog accepts it: a runtime name with '_', a model that named no
runtime), ``default`` (a value the catalog needs that the manifest did not say) or ``secret``
(a literal credential turned into a Secret reference). Secrets stay references: a Secret
manifest is never read into the catalog and a credential never reaches a written file.

What KServe does with the manifests is followed from its source (v0.20.0):
- ``predictor.sklearn``, ``predictor.huggingface``, ... are the model format of that name with
  the same fields (pkg/apis/serving/v1beta1/inference_service_defaults.go,
  setPredictorModelDefaults and assign*Runtime);
- a model naming no runtime gets the auto-selected runtime of highest priority that supports
  its format and protocol (pkg/controller/v1beta1/inferenceservice/components/predictor.go,
  which calls GetSupportingRuntimes in pkg/apis/serving/v1beta1/predictor_model.go: only
  runtimes with autoSelect true, sorted by priority); the import names it;
- a ServingRuntime's ``spec.annotations`` and ``spec.labels`` go to the model's pods, and
  ``prometheus.kserve.io/port`` and ``path`` among them are where it is scraped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelserve.findings import format_path as pointer
from modelserve.imageref import DOCKER_HUB, parse_image
from modelserve.load.yamlio import Document, YamlError, load_text, read_text
from modelserve.model import is_nim_runtime
from modelserve.validate.apimachinery import (
    is_dns1035_label,
    is_dns1123_subdomain,
    is_valid_port_name,
)
from modelserve.validate.secrets import find_in, redact

SERVING_GROUP = "serving.kserve.io/"
RUNTIME_KINDS = ("ClusterServingRuntime", "ServingRuntime")
FRAMEWORKS = (
    "sklearn",
    "tensorflow",
    "xgboost",
    "pytorch",
    "triton",
    "onnx",
    "huggingface",
    "pmml",
    "lightgbm",
    "paddle",
)
# setPredictorModelDefaults: "set 'v2' as default protocol version for triton and vllm servers"
V2_BY_DEFAULT = ("triton", "vLLM")
GPU_RESOURCE = "nvidia.com/gpu"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
# Set on every GPU node by NVIDIA GPU Feature Discovery (gpu-feature-discovery's
# internal/lm/labelers: "nvidia.com/gpu.present"): the pool of a GPU model whose manifest
# named none.
GPU_PRESENT = {"nvidia.com/gpu.present": "true"}
METRIC_ANNOTATIONS = ("prometheus.kserve.io/port", "prometheus.kserve.io/path")
SHM_PATH = "/dev/shm"
RUNTIME_NAME_MAX = 63  # the catalog's runtime name (a label value of the rendered objects)

Path_ = tuple[Any, ...]


@dataclass(frozen=True, order=True)
class Note:
    """One thing the import could not carry over as it was, at its place in the manifest."""

    file: str
    line: int
    col: int
    kind: str  # unexpressible | placement | fixed | default | secret | skipped | error
    path: str
    message: str

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "kind": self.kind,
            "path": self.path,
            "message": self.message,
        }


@dataclass(frozen=True)
class Manifest:
    """One YAML document of an input file."""

    file: str
    doc: Document

    @property
    def data(self) -> dict[str, Any]:
        return self.doc.data if isinstance(self.doc.data, dict) else {}

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    @property
    def name(self) -> str:
        meta = self.data.get("metadata")
        return str(meta.get("name", "")) if isinstance(meta, dict) else ""


@dataclass
class Adopted:
    """What the manifests become: catalog documents, environment entries and notes."""

    runtimes: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    namespaces: set[str] = field(default_factory=set)
    modes: set[str] = field(default_factory=set)
    notes: list[Note] = field(default_factory=list)
    known_runtimes: frozenset[str] = frozenset()  # runtimes the catalog has already
    multi_node: set[str] = field(default_factory=set)  # runtimes with a workerSpec
    prometheus: set[str] = field(default_factory=set)  # KEDA's Prometheus, from the manifests
    image_paths: dict[str, tuple[Manifest, Path_]] = field(default_factory=dict)
    unselectable: set[str] = field(default_factory=set)  # disabled or multi-model

    @property
    def failed(self) -> bool:
        return any(n.kind == "error" for n in self.notes)


class _Recorder:
    """Notes about one manifest, located at its fields."""

    def __init__(self, manifest: Manifest, notes: list[Note]):
        self.manifest = manifest
        self.notes = notes

    def note(self, kind: str, path: Path_, message: str) -> None:
        line, col = self.manifest.doc.locate(path)
        self.notes.append(Note(self.manifest.file, line, col, kind, pointer(path), message))


# --- reading -----------------------------------------------------------------------------------


def input_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Each YAML file named, or found (sorted) under a folder named."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
            )
        else:
            yield path


def read_manifests(paths: Iterable[Path], shown: Any = str) -> tuple[list[Manifest], list[Note]]:
    """Every document of the files; a file that cannot be read or parsed is an error note."""
    manifests: list[Manifest] = []
    notes: list[Note] = []
    for path in input_files(paths):
        name = shown(path)
        try:
            docs = load_text(read_text(path), multi=True)
        except YamlError as err:
            notes.append(Note(name, err.line, err.col, "error", "", err.message))
            continue
        except (OSError, UnicodeError, ValueError) as err:
            notes.append(Note(name, 0, 0, "error", "", f"cannot read: {err}"))
            continue
        manifests += [Manifest(name, doc) for doc in docs if doc.data is not None]
    return manifests, notes


# --- the walk that keeps nothing from being dropped silently ------------------------------------


def report_unconsumed(rec: _Recorder, node: Any, consumed: set[Path_], path: Path_ = ()) -> None:
    """A note for each largest part of ``node`` that no consumed path covers."""
    if path in consumed:
        return
    if not any(c[: len(path)] == path for c in consumed) or not isinstance(node, dict | list):
        shown = pointer(path) or "the document"
        rec.note("unexpressible", path, f"{shown}: the catalog has no field for this")
        return
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        report_unconsumed(rec, value, consumed, path + (key,))


# --- runtimes ----------------------------------------------------------------------------------


def _fixed_name(name: str, limit: int, label: bool = False) -> str:
    """``name`` made a DNS-1123 subdomain (or, with ``label``, a DNS-1035 label: no dots, a
    letter first): lower case, other characters as '-', no empty or dashed parts."""
    fixed = re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-.")
    fixed = re.sub(r"[-.]*\.[-.]*", lambda m: "." if m[0] == "." else "-", fixed)
    if label:
        fixed = fixed.replace(".", "-").lstrip("0123456789-")
    return fixed[:limit].rstrip("-.")


def _runtime_name_ok(name: str) -> bool:
    return not is_dns1123_subdomain(name) and len(name) <= RUNTIME_NAME_MAX


def _env(
    rec: _Recorder, items: Any, at: Path_, consumed: set[Path_], owner: str
) -> list[dict[str, Any]]:
    """Container env as the catalog writes it: value, secretKeyRef or configMapKeyRef."""
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items or []):
        here = at + (i,)
        if not isinstance(item, dict) or "name" not in item:
            continue
        name = str(item["name"])
        if "value" in item:
            value = "" if item["value"] is None else str(item["value"])
            if next(find_in({"name": name, "value": value}), None) is not None:
                # a DNS-1123 label, as a Secret's name is: no dots, room for the suffix
                label = _fixed_name(owner, 51).replace(".", "-").strip("-")
                secret = f"{label or 'imported'}-credentials"
                out.append({"name": name, "secretKeyRef": {"name": secret, "key": name}})
                rec.note(
                    "secret",
                    here + ("value",),
                    f"{name} held a literal credential ({redact(value)}); imported as a "
                    f"reference to Secret {secret}, key {name}: create that Secret and rotate "
                    "the credential",
                )
            else:
                out.append({"name": name, "value": value})
            consumed.update({here + ("name",), here + ("value",)})
            continue
        source = item.get("valueFrom") or {}
        for ref in ("secretKeyRef", "configMapKeyRef"):
            chosen = source.get(ref) if isinstance(source, dict) else None
            if isinstance(chosen, dict) and "name" in chosen and "key" in chosen:
                out.append(
                    {"name": name, ref: {"name": str(chosen["name"]), "key": str(chosen["key"])}}
                )
                consumed.update(
                    {
                        here + ("name",),
                        here + ("valueFrom", ref, "name"),
                        here + ("valueFrom", ref, "key"),
                    }
                )
                break
        else:
            consumed.add(here + ("name",))
            rec.note(
                "unexpressible",
                here,
                f"env {name}: only value, secretKeyRef and configMapKeyRef are expressible",
            )
    return out


def _cpu_memory(
    rec: _Recorder, resources: Any, at: Path_, consumed: set[Path_]
) -> tuple[dict[str, str], dict[str, str]]:
    """(cpu/memory, other resources such as GPUs) of a container's resources; the catalog sets
    requests equal to limits, so a difference is reported."""
    if not isinstance(resources, dict):
        return {}, {}
    limits = resources.get("limits") or {}
    requests = resources.get("requests") or {}
    kept: dict[str, str] = {}
    others: dict[str, str] = {}
    for key in sorted(set(limits) | set(requests)):
        limit, request = limits.get(key), requests.get(key)
        value = limit if limit is not None else request
        if key in ("cpu", "memory"):
            kept[key] = str(value)
        else:
            others[str(key)] = str(value)
        for side in ("limits", "requests"):
            if key in (resources.get(side) or {}):
                consumed.add(at + (side, key))
        if limit is not None and request is not None and str(limit) != str(request):
            rec.note(
                "fixed",
                at + ("requests", key),
                f"{key} requests {request} differ from limits {limit}; the catalog sets both to "
                f"{value} (Guaranteed, as GPU serving is run)",
            )
        elif limit is None or request is None:
            side = "limits" if limit is None else "requests"
            rec.note(
                "default",
                at + (side, key),
                f"{key} had no {side}; the catalog sets {side} = {value} as well",
            )
    return kept, others


def _shared_memory(
    rec: _Recorder,
    spec: dict[str, Any],
    container: dict[str, Any],
    c_at: Path_,
    consumed: set[Path_],
) -> str | None:
    """The size of a memory-backed emptyDir mounted at /dev/shm, if the runtime has one."""
    mounts = {str(m.get("name")): (i, m) for i, m in enumerate(container.get("volumeMounts") or [])}
    for v, volume in enumerate(spec.get("volumes") or []):
        empty = volume.get("emptyDir") if isinstance(volume, dict) else None
        mount = mounts.get(str(volume.get("name"))) if isinstance(volume, dict) else None
        if (
            isinstance(empty, dict)
            and empty.get("medium") == "Memory"
            and mount
            and mount[1].get("mountPath") == SHM_PATH
        ):
            consumed.update(
                {
                    ("spec", "volumes", v, "name"),
                    ("spec", "volumes", v, "emptyDir", "medium"),
                    ("spec", "volumes", v, "emptyDir", "sizeLimit"),
                    c_at + ("volumeMounts", mount[0], "name"),
                    c_at + ("volumeMounts", mount[0], "mountPath"),
                }
            )
            if volume.get("name") != "dshm":
                for at in (
                    ("spec", "volumes", v, "name"),
                    c_at + ("volumeMounts", mount[0], "name"),
                ):
                    rec.note(
                        "fixed",
                        at,
                        f"the /dev/shm volume '{volume.get('name')}' is written as sharedMemory, "
                        "which the generator names dshm",
                    )
            if empty.get("sizeLimit") is None:
                rec.note(
                    "default",
                    ("spec", "volumes", v, "emptyDir", "sizeLimit"),
                    "/dev/shm had no sizeLimit; imported as 1Gi: set sharedMemory to what the "
                    "server needs",
                )
                return "1Gi"
            return str(empty["sizeLimit"])
    return None


def _serving_container(spec: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    containers = spec.get("containers") or []
    for i, c in enumerate(containers):
        if isinstance(c, dict) and c.get("name") == "kserve-container":
            return i, c
    return (0, containers[0]) if containers and isinstance(containers[0], dict) else None


def adopt_runtime(manifest: Manifest, notes: list[Note]) -> dict[str, Any] | None:
    """The catalog runtime of a ServingRuntime or ClusterServingRuntime manifest."""
    rec = _Recorder(manifest, notes)
    data = manifest.data
    spec: dict[str, Any] = data["spec"] if isinstance(data.get("spec"), dict) else {}
    consumed: set[Path_] = {("apiVersion",), ("kind",), ("metadata", "name")}
    name = manifest.name
    runtime: dict[str, Any] = {"name": name}
    if not _runtime_name_ok(name):
        runtime["name"] = _fixed_name(name, RUNTIME_NAME_MAX)
        if not _runtime_name_ok(runtime["name"]):
            rec.note("error", ("metadata", "name"), f"'{name}' cannot be made a DNS-1123 name")
            return None
        rec.note(
            "fixed",
            ("metadata", "name"),
            f"'{name}' is not a DNS-1123 name the API server accepts; imported as "
            f"'{runtime['name']}' (models naming it follow)",
        )
    namespace = (data.get("metadata") or {}).get("namespace")
    if namespace:
        consumed.add(("metadata", "namespace"))
        if manifest.kind == "ClusterServingRuntime":
            rec.note(
                "fixed",
                ("metadata", "namespace"),
                f"namespace {namespace} dropped: a ClusterServingRuntime is cluster-scoped (the "
                "API server ignores it)",
            )
    if manifest.kind == "ServingRuntime":
        rec.note(
            "fixed",
            ("kind",),
            "a namespaced ServingRuntime becomes a ClusterServingRuntime: catalog runtimes are "
            "shared by the cluster's environments",
        )
    found = _serving_container(spec)
    if found is None:
        rec.note("error", ("spec",), "no containers: nothing to serve with")
        return None
    index, container = found
    c_at: Path_ = ("spec", "containers", index)
    consumed.add(c_at + ("name",))
    if container.get("name") != "kserve-container":
        rec.note(
            "fixed",
            c_at + ("name",),
            f"container '{container.get('name')}' is imported as kserve-container, the name "
            "KServe merges a predictor's model fields into",
        )
    if not container.get("image"):
        rec.note("error", c_at, "the serving container names no image")
        return None
    runtime["image"] = str(container["image"])
    consumed.add(c_at + ("image",))
    formats = []
    for i, fmt in enumerate(spec.get("supportedModelFormats") or []):
        if not isinstance(fmt, dict) or not fmt.get("name"):
            continue
        entry: dict[str, Any] = {"name": str(fmt["name"])}
        for key in ("version", "autoSelect", "priority"):
            if fmt.get(key) is not None:
                entry[key] = str(fmt[key]) if key == "version" else fmt[key]
                consumed.add(("spec", "supportedModelFormats", i, key))
        consumed.add(("spec", "supportedModelFormats", i, "name"))
        formats.append(entry)
    if not formats:
        misplaced = "supportedModelFormats" in data and "supportedModelFormats" not in spec
        rec.note(
            "error",
            ("supportedModelFormats",) if misplaced else ("spec",),
            "no spec.supportedModelFormats: no model could name this runtime"
            + ("; it is at the document's top level: indent it under spec" if misplaced else ""),
        )
        return None
    runtime["modelFormats"] = formats
    if spec.get("protocolVersions"):
        runtime["protocolVersions"] = [str(p) for p in spec["protocolVersions"]]
        consumed.add(("spec", "protocolVersions"))
    ports = []
    for i, port in enumerate(container.get("ports") or []):
        if not isinstance(port, dict) or "containerPort" not in port:
            continue
        item: dict[str, Any] = {"name": port.get("name"), "containerPort": port["containerPort"]}
        if not item["name"] or is_valid_port_name(str(item["name"])):
            item["name"] = "http" if i == 0 else f"port-{i}"
            rec.note(
                "default",
                c_at + ("ports", i, "name"),
                f"port {port['containerPort']} had no valid name; named '{item['name']}' (the "
                "Service port takes it; the catalog requires one)",
            )
        else:
            consumed.add(c_at + ("ports", i, "name"))
        if port.get("protocol"):
            item["protocol"] = port["protocol"]
            consumed.add(c_at + ("ports", i, "protocol"))
        consumed.add(c_at + ("ports", i, "containerPort"))
        ports.append(item)
    if ports:
        runtime["ports"] = ports
    annotations = dict(spec.get("annotations") or {})
    metrics_port, metrics_path = (annotations.get(k) for k in METRIC_ANNOTATIONS)
    if metrics_port is not None and str(metrics_port).isdigit():
        runtime["metrics"] = {
            "port": int(str(metrics_port)),
            "path": str(metrics_path or "/metrics"),
        }
        consumed.update(("spec", "annotations", k) for k in METRIC_ANNOTATIONS if k in annotations)
        if metrics_path is None:
            rec.note(
                "default",
                ("spec", "annotations"),
                "prometheus.kserve.io/path absent; KServe's default /metrics is written",
            )
    pod_annotations = {
        str(k): str(v) for k, v in annotations.items() if ("spec", "annotations", k) not in consumed
    }
    if pod_annotations:
        runtime["podAnnotations"] = pod_annotations
        consumed.update(("spec", "annotations", k) for k in pod_annotations)
    if spec.get("labels"):
        runtime["podLabels"] = {str(k): str(v) for k, v in spec["labels"].items()}
        consumed.add(("spec", "labels"))
    probe = container.get("readinessProbe")
    if isinstance(probe, dict) and isinstance(probe.get("httpGet"), dict):
        http = probe["httpGet"]
        readiness: dict[str, Any] = {"path": str(http.get("path") or "/")}
        consumed.add(c_at + ("readinessProbe", "httpGet", "path"))
        if isinstance(http.get("port"), int):
            readiness["port"] = http["port"]
            consumed.add(c_at + ("readinessProbe", "httpGet", "port"))
        for key in ("initialDelaySeconds", "periodSeconds", "failureThreshold"):
            if isinstance(probe.get(key), int):
                readiness[key] = probe[key]
                consumed.add(c_at + ("readinessProbe", key))
        runtime["readiness"] = readiness
    for key in ("command", "args"):
        if container.get(key):
            runtime[key] = [str(a) for a in container[key]]
            consumed.add(c_at + (key,))
    env = _env(rec, container.get("env"), c_at + ("env",), consumed, runtime["name"])
    if env:
        runtime["env"] = env
    shm = _shared_memory(rec, spec, container, c_at, consumed)
    if shm:
        runtime["sharedMemory"] = shm
    kept, others = _cpu_memory(rec, container.get("resources"), c_at + ("resources",), consumed)
    if kept:
        runtime["resources"] = kept
    for key in others:
        rec.note(
            "unexpressible",
            c_at + ("resources",),
            f"resource {key} on the runtime: the catalog asks for GPUs per model (gpu.count)",
        )
    secrets = [
        str(s.get("name")) for s in spec.get("imagePullSecrets") or [] if isinstance(s, dict)
    ]
    if secrets:
        runtime["imagePullSecrets"] = secrets
        consumed.update(
            ("spec", "imagePullSecrets", i, "name") for i in range(len(spec["imagePullSecrets"]))
        )
    report_unconsumed(rec, data, consumed)
    return runtime


# --- models and placement ----------------------------------------------------------------------


def _predictor_model(
    rec: _Recorder, predictor: dict[str, Any]
) -> tuple[dict[str, Any], Path_, str | None]:
    """(the model spec, its path, the format a framework key implies) of a predictor."""
    if isinstance(predictor.get("model"), dict):
        return predictor["model"], ("spec", "predictor", "model"), None
    for key in FRAMEWORKS:
        if isinstance(predictor.get(key), dict):
            rec.note(
                "fixed",
                ("spec", "predictor", key),
                f"predictor.{key} is written as model.modelFormat.name: {key}, as KServe's "
                "defaulting does (setPredictorModelDefaults)",
            )
            return predictor[key], ("spec", "predictor", key), key
    return {}, ("spec", "predictor"), None


def _select_runtime(
    fmt: str, version: str | None, protocol: str, multinode: bool, adopted: Adopted
) -> str | None:
    """KServe's auto-selection among the imported runtimes (GetSupportingRuntimes): not
    disabled, single-model, multi-node exactly when the model is, autoSelect for the format (and
    its version when the model names one), serving the protocol; highest priority first, then
    by name."""
    best: tuple[int, str] | None = None
    for name, runtime in adopted.runtimes.items():
        if name in adopted.unselectable or (name in adopted.multi_node) != multinode:
            continue
        if protocol not in (runtime.get("protocolVersions") or ["v1"]):
            continue
        for f in runtime.get("modelFormats") or []:
            if (
                f.get("name") == fmt
                and f.get("autoSelect")
                and (version is None or str(f.get("version")) == version)
            ):
                key = (-int(f.get("priority") or 0), name)
                best = key if best is None or key < best else best
    return best[1] if best else None


def _profile_for(
    rec: _Recorder,
    predictor: dict[str, Any],
    gpus: int,
    adopted: Adopted,
    existing: dict[str, dict[str, Any]],
    consumed: set[Path_],
) -> str | None:
    """The profile of a predictor's placement, and a note on each placement field it replaces:
    the environment renders affinity and tolerations from the profile instead."""
    name = _match_profile(rec, predictor, gpus, adopted, existing, consumed)
    if name is not None:
        for key in ("nodeSelector", "affinity", "tolerations"):
            if predictor.get(key):
                rec.note(
                    "placement",
                    ("spec", "predictor", key),
                    f"{key} becomes GPU profile '{name}' (its nodeLabels and taints), from which "
                    "the environment derives the required node affinity and tolerations",
                )
    return name


def _match_profile(
    rec: _Recorder,
    predictor: dict[str, Any],
    gpus: int,
    adopted: Adopted,
    existing: dict[str, dict[str, Any]],
    consumed: set[Path_],
) -> str | None:
    """The GPU profile a predictor's nodeSelector, required node affinity and tolerations
    describe: an existing one they match, or a new one named after the GPU product."""
    labels = {str(k): str(v) for k, v in (predictor.get("nodeSelector") or {}).items()}
    consumed.add(("spec", "predictor", "nodeSelector"))
    terms = (
        ((predictor.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms") or []
    if len(terms) == 1:
        exprs = terms[0].get("matchExpressions") or []
        base = (
            "spec",
            "predictor",
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
            0,
            "matchExpressions",
        )
        for i, expr in enumerate(exprs):
            values = expr.get("values") or []
            if expr.get("operator") == "In" and len(values) == 1:
                labels[str(expr["key"])] = str(values[0])
                consumed.update({base + (i, "key"), base + (i, "operator"), base + (i, "values")})
    taints = []
    for i, tol in enumerate(predictor.get("tolerations") or []):
        if not isinstance(tol, dict) or not tol.get("key"):
            continue
        taint: dict[str, Any] = {"key": str(tol["key"])}
        if tol.get("operator", "Equal") == "Equal" and tol.get("value") is not None:
            taint["value"] = str(tol["value"])
        taint["effect"] = str(tol.get("effect") or "NoSchedule")
        if not tol.get("effect"):
            rec.note(
                "default",
                ("spec", "predictor", "tolerations", i),
                f"toleration of {tol['key']} names no effect (tolerating all); the pool's "
                "taint is imported as NoSchedule: set the effect its nodes carry",
            )
        consumed.update(
            ("spec", "predictor", "tolerations", i, k)
            for k in ("key", "operator", "value", "effect")
        )
        taints.append(taint)
    if not labels and not taints:
        if gpus == 0:
            return None
        labels = dict(GPU_PRESENT)
        rec.note(
            "default",
            ("spec", "predictor"),
            "a GPU model with no node selector, affinity or tolerations; placed on a profile "
            "selecting nvidia.com/gpu.present=true (set by GPU Feature Discovery on every GPU "
            "node), since a GPU model without placement is refused (rule gpu-placement): name "
            "the pool's labels and taints",
        )
    for name, known in {**existing, **adopted.profiles}.items():
        if known.get("nodeLabels") == labels and _same_taints(known.get("taints"), taints):
            return name
    product = labels.get(GPU_PRODUCT_LABEL)
    name = _fixed_name(product or "gpu", 63).replace(".", "-") or "gpu"
    taken = set(existing) | set(adopted.profiles)
    base_name, n = name, 2
    while name in taken:
        name, n = f"{base_name}-{n}", n + 1
    profile: dict[str, Any] = {"nodeLabels": labels}
    if taints:
        profile["taints"] = taints
    if product:
        profile["gpuProduct"] = product
    adopted.profiles[name] = profile
    rec.note(
        "default",
        ("spec", "predictor"),
        f"new GPU profile '{name}' from the placement this model used; add gpusPerNode, "
        "gpuMemoryGiB and nodes so the capacity and memory-fit checks can run",
    )
    return name


def _same_taints(a: Any, b: list[dict[str, Any]]) -> bool:
    def key(t: dict[str, Any]) -> tuple[str, str, str]:
        return (str(t.get("key")), str(t.get("value")), str(t.get("effect")))

    return sorted(map(key, a or [])) == sorted(map(key, b))


_SUMMED = re.compile(r"^\s*(?:sum\s*\(\s*)?([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s*\)?\s*$")


def _keda_scaling(
    rec: _Recorder,
    predictor: dict[str, Any],
    runtime_name: str,
    adopted: Adopted,
    consumed: set[Path_],
) -> dict[str, Any]:
    """KServe's LLM autoscaling (one External prometheus metric on a gauge the runtime family
    exposes) as the catalog's ``autoscaling.metric``/``target``; anything else stays
    unexpressible. The query is then written per model (summed over its pods) and the server
    address is the environment's."""
    metrics = (predictor.get("autoScaling") or {}).get("metrics") or []
    runtime = adopted.runtimes.get(runtime_name)
    if len(metrics) != 1 or runtime is None or metrics[0].get("type") != "External":
        return {}
    from modelserve.metrics import family_for

    at: Path_ = ("spec", "predictor", "autoScaling", "metrics", 0, "external")
    external = metrics[0].get("external") or {}
    source, target = external.get("metric") or {}, external.get("target") or {}
    match = _SUMMED.match(str(source.get("query", "")))
    family = family_for(str(runtime["image"]), is_nim_runtime(runtime), "chat")
    key = next((k for k, m in family.scaling.items() if match and m.name == match[1]), None)
    if source.get("backend") != "prometheus" or key is None or target.get("value") is None:
        return {}
    value = float(str(target["value"]))
    consumed.update(
        {
            ("spec", "predictor", "autoScaling", "metrics", 0, "type"),
            at + ("metric", "backend"),
            at + ("metric", "query"),
            at + ("target", "type"),
            at + ("target", "value"),
        }
    )
    rec.note(
        "fixed",
        at + ("metric", "query"),
        f"query {source.get('query')!r} is autoscaling.metric {key}: written summed over the "
        "model's pods (KEDA's prometheus scaler refuses a query of several series)",
    )
    if source.get("serverAddress"):
        consumed.add(at + ("metric", "serverAddress"))
        adopted.prometheus.add(str(source["serverAddress"]))
        rec.note(
            "fixed",
            at + ("metric", "serverAddress"),
            "the Prometheus address is the environment's monitoring.prometheusAddress",
        )
    return {"class": "keda", "metric": key, "target": int(value) if value.is_integer() else value}


def adopt_model(
    manifest: Manifest, adopted: Adopted, existing_profiles: dict[str, dict[str, Any]]
) -> None:
    """The catalog model and environment entry of an InferenceService manifest."""
    rec = _Recorder(manifest, adopted.notes)
    data = manifest.data
    meta = data.get("metadata") or {}
    predictor = ((data.get("spec") or {}).get("predictor")) or {}
    consumed: set[Path_] = {("apiVersion",), ("kind",), ("metadata", "name")}
    name = manifest.name
    if is_dns1035_label(name):
        fixed = _fixed_name(name, 63, label=True)
        if is_dns1035_label(fixed):
            rec.note("error", ("metadata", "name"), f"'{name}' cannot be made a DNS-1035 label")
            return
        rec.note(
            "fixed", ("metadata", "name"), f"'{name}' imported as '{fixed}' (a DNS-1035 label)"
        )
        name = fixed
    if name in adopted.models:
        rec.note("error", ("metadata", "name"), f"a second InferenceService named '{name}'")
        return
    if meta.get("namespace"):
        adopted.namespaces.add(str(meta["namespace"]))
        consumed.add(("metadata", "namespace"))
    spec_model, m_at, framework = _predictor_model(rec, predictor)
    fmt_spec = spec_model.get("modelFormat") or {}
    fmt = framework or str(fmt_spec.get("name") or "")
    if not fmt:
        rec.note(
            "error", ("spec", "predictor"), "no model format: name predictor.model.modelFormat"
        )
        return
    model: dict[str, Any] = {"name": name}
    consumed.add(m_at + ("modelFormat", "name"))
    protocol = spec_model.get("protocolVersion")
    if protocol is None and fmt in V2_BY_DEFAULT:
        protocol = "v2"
        rec.note(
            "default",
            m_at + ("protocolVersion",),
            f"no protocolVersion: KServe's defaulting sets v2 for format {fmt} "
            "(setPredictorModelDefaults); written out",
        )
    runtime = spec_model.get("runtime")
    if runtime:
        consumed.add(m_at + ("runtime",))
        runtime = str(runtime)
        renamed = _fixed_name(runtime, RUNTIME_NAME_MAX)
        if runtime not in adopted.runtimes and renamed in adopted.runtimes:
            rec.note(
                "fixed",
                m_at + ("runtime",),
                f"runtime '{runtime}' follows its rename to '{renamed}'",
            )
            runtime = renamed
    else:
        version = fmt_spec.get("version")
        runtime = _select_runtime(
            fmt,
            None if version is None else str(version),
            str(protocol or "v1"),
            "workerSpec" in predictor,
            adopted,
        )
        if runtime is None:
            rec.note(
                "error",
                m_at,
                f"names no runtime and no imported runtime auto-selects format '{fmt}'"
                f"{' with protocol ' + str(protocol) if protocol else ''}: import the runtime "
                "it runs on with it",
            )
            return
        rec.note(
            "fixed",
            m_at + ("runtime",),
            f"named no runtime; KServe would auto-select '{runtime}' (highest priority for "
            f"'{fmt}'), which the catalog names explicitly",
        )
    if runtime not in adopted.runtimes and runtime not in adopted.known_runtimes:
        rec.note(
            "error",
            m_at + ("runtime",),
            f"runtime '{runtime}' is neither among the imported manifests nor in "
            "catalog/runtimes/: import its manifest with the model",
        )
        return
    model["runtime"] = runtime
    model["format"] = {"name": fmt}
    if fmt_spec.get("version") is not None:
        model["format"]["version"] = str(fmt_spec["version"])
        consumed.add(m_at + ("modelFormat", "version"))
    if protocol:
        model["protocolVersion"] = str(protocol)
        consumed.add(m_at + ("protocolVersion",))
    if spec_model.get("storageUri"):
        model["storageUri"] = str(spec_model["storageUri"])
        consumed.add(m_at + ("storageUri",))
    kept, others = _cpu_memory(rec, spec_model.get("resources"), m_at + ("resources",), consumed)
    gpus = 0
    for key, value in others.items():
        if key == GPU_RESOURCE and value.isdigit():
            gpus = int(value)
        else:
            rec.note(
                "unexpressible",
                m_at + ("resources",),
                f"resource {key}: the catalog asks for whole {GPU_RESOURCE} GPUs only",
            )
    if gpus:
        model["gpu"] = {"count": gpus}
    if kept:
        model["resources"] = kept
    if spec_model.get("args"):
        model["args"] = [str(a) for a in spec_model["args"]]
        consumed.add(m_at + ("args",))
    env = _env(rec, spec_model.get("env"), m_at + ("env",), consumed, name)
    if env:
        model["env"] = env
    replicas = {
        k: predictor[src]
        for k, src in (("min", "minReplicas"), ("max", "maxReplicas"))
        if isinstance(predictor.get(src), int)
    }
    consumed.update(("spec", "predictor", s) for s in ("minReplicas", "maxReplicas"))
    if replicas:
        model["replicas"] = replicas
    annotations = {str(k): str(v) for k, v in (meta.get("annotations") or {}).items()}
    mode = annotations.pop("serving.kserve.io/deploymentMode", None)
    if mode is not None:
        if mode not in ("Standard", "RawDeployment", "Knative", "Serverless"):
            rec.note(
                "error",
                ("metadata", "annotations", "serving.kserve.io/deploymentMode"),
                f"deploymentMode {mode}: the catalog deploys in Standard or Knative mode only",
            )
            return
        adopted.modes.add("Knative" if mode in ("Serverless", "Knative") else "Standard")
        consumed.add(("metadata", "annotations", "serving.kserve.io/deploymentMode"))
        if mode in ("RawDeployment", "Serverless"):
            rec.note(
                "fixed",
                ("metadata", "annotations", "serving.kserve.io/deploymentMode"),
                f"deploymentMode {mode} is written as the environment's release spells it "
                "(Standard or Knative from KServe 0.16, which keeps the old names as deprecated "
                "aliases: constants.go, DeploymentModeType)",
            )
    autoscaling: dict[str, Any] = {}
    if "serving.kserve.io/autoscalerClass" in annotations:
        autoscaling["class"] = annotations.pop("serving.kserve.io/autoscalerClass")
        consumed.add(("metadata", "annotations", "serving.kserve.io/autoscalerClass"))
    for key, src in (("metric", "scaleMetric"), ("target", "scaleTarget")):
        if predictor.get(src) is not None:
            autoscaling[key] = predictor[src]
            consumed.add(("spec", "predictor", src))
    scaling = _keda_scaling(rec, predictor, model["runtime"], adopted, consumed)
    if scaling:
        autoscaling.update(scaling)
    if autoscaling:
        model["autoscaling"] = autoscaling
    if annotations:
        model["annotations"] = annotations
        consumed.update(("metadata", "annotations", k) for k in annotations)
    if meta.get("labels"):
        model["labels"] = {str(k): str(v) for k, v in meta["labels"].items()}
        consumed.add(("metadata", "labels"))
    entry: dict[str, Any] = {"model": name}
    profile = _profile_for(rec, predictor, gpus, adopted, existing_profiles, consumed)
    if profile:
        entry["profile"] = profile
    adopted.models[name] = model
    adopted.entries.append(entry)
    report_unconsumed(rec, data, consumed)


def _apply_images(manifest: Manifest, adopted: Adopted) -> None:
    """A Kustomization's ``images`` entries applied to the imported runtimes' images, as
    ``kustomize build`` of it would (KServe's config/runtimes name placeholder images such as
    kserve-sklearnserver:replace and set the real ones there). It applies to every runtime
    imported with it, not only to the files its ``resources`` list: the import does not resolve
    those names; each change is a note at the entry that made it."""
    rec = _Recorder(manifest, adopted.notes)
    for i, entry in enumerate(manifest.data.get("images") or []):
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        for runtime in adopted.runtimes.values():
            image = str(runtime["image"])
            ref = parse_image(image)
            if ref.name != str(entry["name"]):
                continue
            name = str(entry.get("newName") or entry["name"])
            if entry.get("digest"):
                new = f"{name}@{entry['digest']}"
            elif entry.get("newTag") is not None:
                new = f"{name}:{entry['newTag']}"
            else:
                new = name + image[len(ref.name) :]
            runtime["image"] = new
            rec.note(
                "fixed",
                ("images", i),
                f"runtime {runtime['name']}: image {image} is {new} after this "
                "Kustomization's images transformer",
            )


def registry_of(image: str) -> str:
    """The registry an image is pulled from: the one it names, else Docker Hub."""
    return parse_image(image).registry or DOCKER_HUB


def _qualify_images(adopted: Adopted) -> None:
    """Images that name no registry get the one the container runtime pulls them from
    (docker.io, and library/ for a bare name): the catalog's registry policy needs it said."""
    for name, runtime in adopted.runtimes.items():
        image = str(runtime["image"])
        if parse_image(image).registry:
            continue
        runtime["image"] = f"{DOCKER_HUB}/{'' if '/' in image else 'library/'}{image}"
        manifest, path = adopted.image_paths[name]
        _Recorder(manifest, adopted.notes).note(
            "fixed",
            path,
            f"image {image} names no registry; written as {runtime['image']}, what the "
            "container runtime pulls",
        )


# --- all of it ---------------------------------------------------------------------------------


def adopt(
    manifests: list[Manifest],
    existing_profiles: dict[str, dict[str, Any]] | None = None,
    notes: list[Note] | None = None,
    known_runtimes: Iterable[str] = (),
) -> Adopted:
    """Runtimes first (models may auto-select them), then the InferenceServices; any other
    kind is reported and left alone."""
    adopted = Adopted(notes=list(notes or []), known_runtimes=frozenset(known_runtimes))
    existing = dict(existing_profiles or {})
    store = _schema_store() if any(_serving(m) for m in manifests) else None
    sound = [m for m in manifests if not _serving(m) or _admissible(m, adopted.notes, store)]
    for m in sound:
        rec = _Recorder(m, adopted.notes)
        if not (_serving(m) and m.kind in RUNTIME_KINDS):
            continue
        runtime = _guarded(rec, lambda m=m: adopt_runtime(m, adopted.notes))
        if runtime is None:
            continue
        if runtime["name"] in adopted.runtimes:
            rec.note("error", ("metadata", "name"), f"a second runtime named '{runtime['name']}'")
            continue
        adopted.runtimes[runtime["name"]] = runtime
        adopted.image_paths[runtime["name"]] = (m, image_path(m))
        spec = m.data.get("spec") or {}
        if spec.get("workerSpec"):
            adopted.multi_node.add(runtime["name"])
        if spec.get("disabled") or spec.get("multiModel"):
            adopted.unselectable.add(runtime["name"])
    kustomizations = [
        m for m in sound if m.kind == "Kustomization" and isinstance(m.data.get("images"), list)
    ]
    for m in kustomizations:
        _guarded(_Recorder(m, adopted.notes), lambda m=m: _apply_images(m, adopted))
    _qualify_images(adopted)
    for m in sound:
        rec = _Recorder(m, adopted.notes)
        api = str(m.data.get("apiVersion", ""))
        if m in kustomizations or (_serving(m) and m.kind in RUNTIME_KINDS):
            continue
        if _serving(m):
            _guarded(rec, lambda m=m: adopt_model(m, adopted, existing))
        elif m.kind == "Secret":
            rec.note(
                "skipped",
                ("kind",),
                f"Secret {m.name} is not imported: keep it in your secret store; the catalog "
                "refers to it by name",
            )
        elif m.kind in (*RUNTIME_KINDS, "InferenceService"):
            rec.note(
                "skipped",
                ("apiVersion",),
                f"{m.kind} {m.name}: apiVersion '{api}' is not serving.kserve.io's; left as it is",
            )
        else:
            rec.note(
                "skipped",
                ("kind",),
                f"{m.kind or 'a document without kind'}{' ' + m.name if m.name else ''}: not a "
                "catalog object (InferenceService, ServingRuntime, ClusterServingRuntime); left "
                "as it is",
            )
    adopted.notes.sort()
    return adopted


def _serving(m: Manifest) -> bool:
    """A KServe object this import reads."""
    api = str(m.data.get("apiVersion", ""))
    return m.kind in (*RUNTIME_KINDS, "InferenceService") and api.startswith(SERVING_GROUP)


def _schema_store() -> Any:
    """One schema store for all the manifests: loading the definitions is most of its cost."""
    from modelserve.platform import DEFAULT_KUBERNETES_VERSION
    from modelserve.validate.kubeschemas import SchemaStore

    return SchemaStore(DEFAULT_KUBERNETES_VERSION, strict=True)


def _admissible(m: Manifest, notes: list[Note], store: Any) -> bool:
    """The manifest is one the API server accepts (its CRD's schema, as ``validate-manifests``
    checks it); else each problem is an error at its line and the manifest is not read: what the
    cluster refuses is never adopted, and no field of the wrong shape reaches a catalog file.
    A credential anywhere but an env value (which becomes a Secret reference) is refused too."""
    from modelserve.validate.objects import validate_object

    rec = _Recorder(m, notes)
    errors = [p for p in validate_object(store, m.data) if p.severity == "error"]
    for problem in errors:
        rec.note("error", tuple(problem.pointer), f"{m.kind} {m.name}: {problem.message}")
    leaked = False
    for path, label, value in find_in(m.data):
        if len(path) >= 3 and path[-1] == "value" and path[-3] == "env":
            continue  # an env value: _env turns it into a Secret reference
        leaked = True
        rec.note(
            "error",
            path,
            f"{label} at {pointer(path)} ({redact(value)}): a credential is never imported; "
            "store it in a Secret, reference it, and rotate it",
        )
    return not errors and not leaked


def _guarded(rec: _Recorder, adopt_one: Any) -> Any:
    """``adopt_one()``, with a shape the import does not read (the CRDs leave some objects open)
    an error at the manifest rather than a crash."""
    try:
        return adopt_one()
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as err:
        rec.note(
            "error",
            (),
            f"{rec.manifest.kind} {rec.manifest.name}: not read ({type(err).__name__}: {err}); "
            "check it with `modelserve validate-manifests`",
        )
        return None


def image_path(m: Manifest) -> Path_:
    """Where the serving container's image is written in a runtime manifest."""
    found = _serving_container(m.data.get("spec") or {})
    return ("spec", "containers", found[0] if found else 0, "image")
