"""Validate hand-written Kubernetes YAML with the same engine as the generated overlays.

Every document of every file is located (file:line:col through yamlio), validated against
its Kubernetes or custom-kind schema, and, with ``policy``, checked by the rules that apply
to any manifest: GPU placement basics, images, secrets and monitor wiring.

A folder holding a kustomization is a Kustomize root and is checked as Flux applies it: built
as kustomize-controller builds it (load restrictions off), its objects validated and reported
at the file and line they came from (Kustomize's origin annotations), while the files under it
(bases, patches, the kustomization) are its inputs, not objects. YAML that is not Kubernetes,
a Helm chart or a document with neither ``apiVersion`` nor ``kind`` (Helm values), is skipped
with a note.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelserve.findings import Finding, Severity, format_path
from modelserve.load.walk import MAX_DEPTH, TooDeep, files_under
from modelserve.load.yamlio import Document, YamlError, load_file
from modelserve.platform.kserve import NEWEST_KSERVE, KServe
from modelserve.report.waivers import apply_waivers, waivers_of
from modelserve.rules import OBJECT_RULES, check_objects
from modelserve.rules.base import ObjectSet
from modelserve.validate.objects import validate_object

YAML_SUFFIXES = (".yaml", ".yml")
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN = "config.kubernetes.io/origin"


@dataclass
class ManifestsResult:
    findings: list[Finding]
    objects: int  # objects checked: the files' own and the Kustomize builds'
    roots: list[str] = field(default_factory=list)  # Kustomize roots built
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    suppressed: list[tuple[Finding, str]] = field(default_factory=list)  # by inline waivers
    engine: str = ""  # the Kustomize engine's summary, when a root was built


@dataclass
class _Plan:
    manifests: list[Path]
    roots: list[Path]
    skipped: list[tuple[str, str]]


def _plan(paths: Iterable[Path], findings: list[Finding]) -> _Plan:
    """Which files are manifests, which folders are Kustomize roots (their files its inputs),
    and which files are Helm charts."""
    files = list(discover(paths, findings))
    # A file's Kustomize root is the nearest folder above it, up to the working folder, that
    # holds a kustomization, given or not: pre-commit passes only the files that changed.
    roots = sorted({r for f in files if (r := _root_of(f)) is not None})
    charts = {f.parent for f in files if f.name == "Chart.yaml"}
    manifests, skipped = [], []
    for path in files:
        if any(_within(path, r) for r in roots):
            continue
        chart = next((c for c in charts if _within(path, c)), None)
        if chart is not None:
            skipped.append((path.as_posix(), f"part of the Helm chart {chart.as_posix()}/"))
            continue
        manifests.append(path)
    return _Plan(manifests, roots, skipped)


def _root_of(path: Path) -> Path | None:
    here = Path.cwd().resolve()
    for folder in (path.parent, *path.parent.parents):
        if any((folder / n).is_file() for n in KUSTOMIZATION_NAMES):
            return folder
        resolved = folder.resolve()
        if resolved == here or here not in resolved.parents:
            return None
    return None


def _within(path: Path, folder: Path) -> bool:
    return folder == path.parent or folder in path.parents


def _built(roots: list[Path], findings: list[Finding]) -> list[Located]:
    """Each root's objects as Flux builds them, located in the file each came from."""
    from modelserve.validate.kustomize import BuildError, build_as_flux

    located: list[Located] = []
    sources: dict[str, list[Document]] = {}
    for root in roots:
        kustomization = next(
            (root / n).as_posix() for n in KUSTOMIZATION_NAMES if (root / n).exists()
        )
        try:
            objects = build_as_flux(root)
        except BuildError as exc:
            findings.append(
                Finding(
                    kustomization,
                    1,
                    1,
                    "kustomize-build",
                    Severity.ERROR,
                    f"{root.as_posix()} does not build as Flux builds it: {exc}",
                    hint="fix the kustomization or the files it names",
                )
            )
            continue
        for obj in objects:
            origin = _pop_origin(obj)
            file = _shown(origin) if origin else kustomization
            located.append(Located(file, _source_document(obj, origin, sources)))
    return located


def _pop_origin(obj: dict[str, Any]) -> str:
    """The file an object came from (absolute), taking Kustomize's annotation off it."""
    meta: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    notes: dict[str, Any] = meta["annotations"] if isinstance(meta.get("annotations"), dict) else {}
    value = str(notes.pop(ORIGIN, "") or "")
    if not notes and "annotations" in meta:
        del meta["annotations"]
    match = re.search(r"^path:\s*(.+?)\s*$", value, re.M)
    return match[1] if match else ""


def _shown(path: str) -> str:
    relative = os.path.relpath(path)
    return Path(relative if not relative.startswith("..") else path).as_posix()


def _source_document(
    obj: dict[str, Any], origin: str, sources: dict[str, list[Document]]
) -> Document:
    """The built object with the positions of the document it came from, when that document
    can be found by kind and name (a patched or renamed object keeps its source's positions
    for the fields it shares; anything else points at the document's first line)."""
    if origin and origin not in sources:
        try:
            sources[origin] = [d for d in load_file(Path(origin), multi=True) if d.data]
        except (YamlError, OSError):
            sources[origin] = []
    docs = sources.get(origin, [])
    name = (obj.get("metadata") or {}).get("name")
    same_kind = [
        d for d in docs if isinstance(d.data, dict) and d.data.get("kind") == obj.get("kind")
    ]
    match = next(
        (d for d in same_kind if (d.data.get("metadata") or {}).get("name") == name),
        same_kind[0] if len(same_kind) == 1 else None,
    )
    if match is None:
        return Document(obj, {}, docs[0].line if docs else 1)
    return Document(obj, match.positions, match.line, match.waivers)


@dataclass(frozen=True)
class Located:
    file: str
    doc: Document


def discover(paths: Iterable[Path], findings: list[Finding] | None = None) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            try:
                yield from files_under(path, YAML_SUFFIXES)
            except TooDeep as exc:
                if findings is not None:
                    findings.append(
                        Finding(
                            exc.path.as_posix(),
                            1,
                            1,
                            "file-unreadable",
                            Severity.ERROR,
                            f"{exc.path.as_posix()} lies more than {MAX_DEPTH} folders deep; "
                            f"{path.as_posix()} was not read",
                            hint="flatten the folders",
                        )
                    )
        else:
            yield path


def _not_kubernetes(data: Any) -> bool:
    """A document with neither apiVersion nor kind (Helm values, a tool's own config)."""
    return isinstance(data, dict) and "apiVersion" not in data and "kind" not in data


def load(
    paths: Iterable[Path],
    findings: list[Finding],
    root: Path | None = None,
    skipped: list[tuple[str, str]] | None = None,
) -> list[Located]:
    """Every document of every file; a link that leads out of ``root`` (the repository) is
    refused unread, as the catalog loader refuses one (a committed link to ~/.kube/config)."""
    located = []
    real_root = os.path.realpath(root) if root is not None else ""
    # (a path given as written under the unresolved root counts as in the repository too)
    for path in discover(paths, findings):
        name = path.as_posix()
        if real_root and _leaves(path, real_root):
            findings.append(
                Finding(
                    name,
                    1,
                    1,
                    "file-outside-repo",
                    Severity.ERROR,
                    f"{name} is a link to a file outside the repository; not read",
                    hint="replace the symlink with the file itself",
                )
            )
            continue
        try:
            docs = load_file(path, multi=True)
        except YamlError as exc:
            findings.append(
                Finding(
                    name, exc.line, exc.col, exc.rule, Severity.ERROR, exc.message, hint=exc.hint
                )
            )
            continue
        except OSError as exc:
            findings.append(
                Finding(name, 1, 1, "file-unreadable", Severity.ERROR, f"cannot read {name}: {exc}")
            )
            continue
        kept = [d for d in docs if d.data is not None]
        kubernetes = [d for d in kept if not _not_kubernetes(d.data)]
        if kept and not kubernetes:
            if skipped is not None:
                skipped.append((name, "not Kubernetes: no document has apiVersion or kind"))
            continue
        kept = kubernetes
        if not kept:
            findings.append(
                Finding(
                    name,
                    1,
                    1,
                    "file-empty",
                    Severity.ERROR,
                    f"{name} holds no Kubernetes object",
                    hint="add a manifest or leave the file out",
                )
            )
        located += [Located(name, d) for d in kept]
    return located


def _leaves(path: Path, real_root: str) -> bool:
    """``path`` lies in the repository as written, but its real path (links resolved) does not."""

    def within(candidate: str) -> bool:
        return candidate == real_root or candidate.startswith(real_root + os.sep)

    written = os.path.abspath(path)
    parent_real = os.path.realpath(os.path.dirname(written))
    return (within(written) or within(parent_real)) and not within(os.path.realpath(written))


def validate_manifests(
    paths: list[Path],
    store: Any,
    policy: bool = False,
    root: Path | None = None,
    kserve: KServe = NEWEST_KSERVE,
    platform: dict[str, Any] | None = None,
) -> ManifestsResult:
    """``platform`` (``kubernetes_version``, ``hybrid_manager``) is what the object rules know
    of the cluster beside its KServe release."""
    findings: list[Finding] = []
    planned = _plan(paths, findings)
    located = load(planned.manifests, findings, root, planned.skipped)
    located += _built(planned.roots, findings)
    sound = []
    for item in located:
        problems = validate_object(store, item.doc.data)
        if not any(p.severity == "error" for p in problems):
            sound.append(item)
        for problem in problems:
            line, col = item.doc.locate(tuple(problem.pointer))
            severity = Severity.ERROR if problem.severity == "error" else Severity.WARNING
            findings.append(
                Finding(
                    item.file,
                    line,
                    col,
                    problem.rule,
                    severity,
                    f"{_label(item.doc.data)}: {format_path(list(problem.pointer)) or 'object'}: "
                    f"{problem.message}",
                    format_path(list(problem.pointer)),
                    _label(item.doc.data),
                )
            )
    findings += list(metadata_findings(located))
    if policy:
        findings += list(policy_findings(located, sound, kserve, platform or {}))
    waivers = {(item.file, w.line): w for item in located for w in waivers_of(item.file, item.doc)}
    outcome = apply_waivers(sorted(set(findings)), list(waivers.values()))
    return ManifestsResult(
        sorted(set(outcome.findings)),
        len(located),
        [r.as_posix() for r in planned.roots],
        sorted(planned.skipped),
        outcome.suppressed,
        _engine_summary() if planned.roots else "",
    )


def _engine_summary() -> str:
    from modelserve.validate.kustomize import engine

    return engine().summary


def _label(obj: Any) -> str:
    if not isinstance(obj, dict):
        return "document"
    meta = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    return f"{obj.get('kind', '?')} {meta.get('name', '?')}"


def _at(
    item: Located,
    pointer: tuple[Any, ...],
    rule: str,
    message: str,
    hint: str = "",
    severity: Severity = Severity.ERROR,
) -> Finding:
    line, col = item.doc.locate(pointer)
    return Finding(
        item.file,
        line,
        col,
        rule,
        severity,
        message,
        format_path(list(pointer)),
        _label(item.doc.data),
        hint,
    )


DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Kinds this tool meets whose objects live outside namespaces.
CLUSTER_SCOPED = {
    "ClusterServingRuntime",
    "ClusterStorageContainer",
    "LocalModelCache",
    "LocalModelNodeGroup",
    "LocalModelNode",
    "Namespace",
    "PersistentVolume",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "PriorityClass",
    "Node",
}


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
        if name is None or name == "":
            # apimachinery ValidateObjectMetaAccessor (api/validation/objectmeta.go): "name or
            # generateName is required"; Flux and kubectl apply by name, so generateName is no
            # way out.
            yield _at(
                item,
                ("metadata",),
                "name-dns",
                "metadata.name is missing; the API server and Flux refuse an object without a name",
                "set metadata.name",
            )
        elif isinstance(name, str) and (len(name) > 253 or not DNS_SUBDOMAIN.fullmatch(name)):
            yield _at(
                item,
                ("metadata", "name"),
                "name-dns",
                f"name '{name}' is not a DNS-1123 subdomain; the API server refuses it",
                "use lower-case letters, digits, '-' and '.' only",
            )
        kind = obj.get("kind")
        if isinstance(kind, str) and kind in CLUSTER_SCOPED and "namespace" in meta:
            yield _at(
                item,
                ("metadata", "namespace"),
                "cluster-scoped-namespace",
                f"{obj.get('kind')} is cluster-scoped but sets metadata.namespace "
                f"'{meta['namespace']}'",
                "remove metadata.namespace",
            )


def policy_findings(
    located: list[Located],
    sound: list[Located],
    kserve: KServe = NEWEST_KSERVE,
    platform: dict[str, Any] | None = None,
) -> Iterator[Finding]:
    """The object rules, with the ids, messages and hints ``validate`` gives them on rendered
    objects: all of them on the documents that passed their schema (the others have findings
    already), and those that take any shape (secret-literal) on the others too."""
    passed = {id(i) for i in sound}
    failed = [i for i in located if id(i) not in passed and isinstance(i.doc.data, dict)]
    any_shape = tuple(r for r in OBJECT_RULES if r.INFO.any_shape)
    for items, rules in ((sound, OBJECT_RULES), (failed, any_shape)):
        objects = ObjectSet(
            [i.doc.data for i in items], rendered=False, kserve=kserve, **(platform or {})
        )
        for index, rule, problem in check_objects(objects, rules):
            info = rule.INFO
            severity = problem.severity or info.severity
            yield _at(items[index], problem.pointer, info.id, problem.message, info.hint, severity)
