"""Validate hand-written Kubernetes YAML with the same engine as the generated overlays.

Every document of every file is located (file:line:col through yamlio), validated against
its Kubernetes or custom-kind schema, and, with ``policy``, checked by the rules that apply
to any manifest: GPU placement basics, images, secrets and monitor wiring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from .findings import Finding, Severity, format_path
from .rules.gpu_placement import check_predictor
from .rules.images import parse_image
from .rules.monitor_target import TargetIndex, check_monitor, simulated_targets
from .secrets import classify, redact
from .validate.objects import validate_object
from .yamlio import Document, YamlError, load_file

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Located:
    file: str
    doc: Document


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
        else:
            yield path


def load(paths: Iterable[Path], findings: list[Finding]) -> list[Located]:
    located = []
    for path in discover(paths):
        name = path.as_posix()
        try:
            docs = load_file(path, multi=True)
        except YamlError as exc:
            findings.append(Finding(name, exc.line, exc.col, exc.rule, Severity.ERROR, exc.message, hint=exc.hint))
            continue
        except OSError as exc:
            findings.append(Finding(name, 1, 1, "file-unreadable", Severity.ERROR, f"cannot read {name}: {exc}"))
            continue
        kept = [d for d in docs if d.data is not None]
        if not kept:
            findings.append(Finding(name, 1, 1, "file-empty", Severity.ERROR, f"{name} holds no Kubernetes object",
                                    hint="add a manifest or leave the file out"))
        located += [Located(name, d) for d in kept]
    return located


def validate_manifests(paths: list[Path], store: Any, policy: bool = False) -> tuple[list[Finding], int]:
    findings: list[Finding] = []
    located = load(paths, findings)
    for item in located:
        for problem in validate_object(store, item.doc.data):
            line, col = item.doc.locate(tuple(problem.pointer))
            severity = Severity.ERROR if problem.severity == "error" else Severity.WARNING
            findings.append(Finding(item.file, line, col, problem.rule, severity,
                                    f"{_label(item.doc.data)}: {format_path(list(problem.pointer)) or 'object'}: "
                                    f"{problem.message}", format_path(list(problem.pointer)), _label(item.doc.data)))
    findings += list(metadata_findings(located))
    if policy:
        findings += list(policy_findings(located))
    return sorted(set(findings)), len(located)


def _label(obj: Any) -> str:
    if not isinstance(obj, dict):
        return "document"
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return f"{obj.get('kind', '?')} {meta.get('name', '?')}"


def _at(item: Located, pointer: tuple[Any, ...], rule: str, message: str, hint: str = "") -> Finding:
    line, col = item.doc.locate(pointer)
    return Finding(item.file, line, col, rule, Severity.ERROR, message, format_path(list(pointer)),
                   _label(item.doc.data), hint)


def _containers(obj: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    if obj.get("kind") in ("ClusterServingRuntime", "ServingRuntime"):
        for i, c in enumerate(spec.get("containers") or []):
            yield ("spec", "containers", i), c
    elif obj.get("kind") == "InferenceService":
        model = (spec.get("predictor") or {}).get("model")
        if isinstance(model, dict):
            yield ("spec", "predictor", "model"), model
    else:
        pod = ((spec.get("template") or {}).get("spec") or {}) if isinstance(spec.get("template"), dict) else {}
        for i, c in enumerate(pod.get("containers") or []):
            yield ("spec", "template", "spec", "containers", i), c


DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Kinds this tool meets whose objects live outside namespaces.
CLUSTER_SCOPED = {"ClusterServingRuntime", "ClusterStorageContainer", "LocalModelCache", "LocalModelNodeGroup",
                  "LocalModelNode", "Namespace", "PersistentVolume", "CustomResourceDefinition", "ClusterRole",
                  "ClusterRoleBinding", "StorageClass", "PriorityClass", "Node"}


def metadata_findings(located: list[Located]) -> Iterator[Finding]:
    """What the API server checks on every object and no CRD schema holds: names and scope."""
    for item in located:
        obj = item.doc.data
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
            continue
        if str(obj.get("apiVersion", "")).startswith("kustomize.config.k8s.io/"):
            continue
        meta = obj["metadata"]
        name = meta.get("name")
        if isinstance(name, str) and (len(name) > 253 or not DNS_SUBDOMAIN.match(name)):
            yield _at(item, ("metadata", "name"), "name-dns", f"name '{name}' is not a DNS-1123 subdomain; "
                      "the API server refuses it", "use lower-case letters, digits, '-' and '.' only")
        if obj.get("kind") in CLUSTER_SCOPED and "namespace" in meta:
            yield _at(item, ("metadata", "namespace"), "cluster-scoped-namespace",
                      f"{obj.get('kind')} is cluster-scoped but sets metadata.namespace '{meta['namespace']}'",
                      "remove metadata.namespace")


def policy_findings(located: list[Located]) -> Iterator[Finding]:
    objects = [i for i in located if isinstance(i.doc.data, dict)]
    targets = TargetIndex(simulated_targets([i.doc.data for i in objects if isinstance(i.doc.data.get("metadata"), dict)]))
    for item in objects:
        obj = item.doc.data
        if obj.get("kind") == "InferenceService" and isinstance((obj.get("spec") or {}).get("predictor"), dict):
            for pointer, message in check_predictor(obj["spec"]["predictor"], None):
                yield _at(item, pointer, "gpu-placement", message)
        if obj.get("kind") in ("ServiceMonitor", "PodMonitor") and targets.by_namespace \
                and isinstance(obj.get("metadata"), dict):
            for pointer, message in check_monitor(obj, targets, {}):
                yield _at(item, pointer, "monitor-target", message)
        for base, container in _containers(obj):
            if not isinstance(container, dict):
                continue
            image = container.get("image")
            if isinstance(image, str):
                ref = parse_image(image)
                if ref.digest is None and ref.tag in (None, "latest"):
                    yield _at(item, base + ("image",), "image-latest", f"image '{image}' is not pinned (latest)",
                              "pin a version tag and a digest")
            for i, env in enumerate(container.get("env") or []):
                if isinstance(env, dict) and isinstance(env.get("value"), str):
                    label = classify(env["value"], str(env.get("name", "")))
                    if label:
                        yield _at(item, base + ("env", i, "value"), "secret-literal",
                                  f"env {env.get('name')} holds {label}: '{redact(env['value'])}'",
                                  "use valueFrom.secretKeyRef")
