"""JSON Schemas for rendered Kubernetes objects: find them, compile each once, import CRDs.

Three sources, searched in order for ``(apiVersion, kind)``:

1. local store folders in kubeconform's ``{kind}_{version}.json`` layout (what
   :func:`import_crds` and :func:`import_from_cluster` write), so a team can pin the exact CRDs
   of its cluster;
2. the schemas shipped with this project in ``schemas/kinds/`` (KServe, Prometheus-Operator and
   Flux kinds the generator emits), which ``$ref`` core Kubernetes definitions;
3. core Kubernetes kinds from the strict schemas bundled in ``kubernetes-validate``, for the
   Kubernetes version asked for (or the nearest one it ships).

Everything is offline and lazy: a kind's file is read and compiled the first time an object of
that kind is seen, then cached on the store.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs

from modelserve.atomic import write_atomic
from modelserve.errors import ConfigError
from modelserve.load.shipped import shipped_kinds
from modelserve.platform import DEFAULT_KUBERNETES_VERSION
from modelserve.validate.store import StoreIndex, StoreProblem

Schema = dict[str, Any]

GROUP_KEY = "x-modelserve-group"
K8S_DEFS_URI = "https://kubernetes.io/api/_definitions.json"
# The canonical Kubernetes quantity grammar (resource.Quantity); the bundled core definitions
# accept any string, which would let `cpu: "2 cores"` through although the API server rejects it.
QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
_QUANTITY_DEF = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_DEF_REF = re.compile(r"_definitions\.json#/\$defs/([^\"]+)\"")
_STRICT_DIR = re.compile(r"^v(\d+)\.(\d+)\.0-local-strict$")
_SCHEMA_COMBINATORS = ("allOf", "anyOf", "oneOf")


# What the API server can serve at all (apiextensions-apiserver v0.33.0 validation.go): a group is
# a DNS-1123 subdomain, a version a DNS-1035 label, a kind a DNS-1035 label once lower-cased.
# Schema file names are built from these, so nothing else is ever looked up.
_GROUP = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_VERSION = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_KIND = re.compile(r"^[A-Za-z]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$")


def servable(api_version: str, kind: str) -> str:
    """'' when ``api_version`` and ``kind`` could name a served resource, else which is wrong."""
    group, version = split_api_version(api_version)
    if group and not _GROUP.match(group):
        return "apiVersion"
    if not _VERSION.match(version):
        return "apiVersion"
    return "" if _KIND.match(kind) else "kind"


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` -> ``("apps", "v1")``; ``v1`` -> ``("", "v1")``."""
    group, _, version = api_version.rpartition("/")
    return group, version


# ---------------------------------------------------------------------------------------------
# CEL rule sites


@dataclass(frozen=True)
class CelRule:
    """One ``x-kubernetes-validations`` entry and where in an object it applies.

    ``path`` walks the object: a property name, ``"[]"`` for every list item or ``"{}"`` for
    every map value. ``defaults`` are the schema defaults of the node's own properties: the API
    server applies them before it runs CEL, so rules are written assuming they are present.
    """

    path: tuple[str, ...]
    rule: str
    message: str = ""
    message_expression: str = ""
    field_path: str = ""
    defaults: tuple[tuple[str, Any], ...] = field(default=(), compare=False)


def collect_cel_rules(schema: Schema) -> tuple[CelRule, ...]:
    """Every CEL rule of ``schema`` (local ``$ref`` followed), minus transition rules."""
    rules: list[CelRule] = []
    _collect(schema, schema, (), rules, frozenset())
    return tuple(rules)


def _collect(
    node: Any, root: Schema, path: tuple[str, ...], out: list[CelRule], seen: frozenset[str]
) -> None:
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
        _collect(resolve_pointer(root, ref[1:]), root, path, out, seen | {ref})
    for entry in node.get("x-kubernetes-validations") or ():
        rule = _cel_rule(entry, path, node)
        if rule is not None:
            out.append(rule)
    for name, sub in (node.get("properties") or {}).items():
        _collect(sub, root, path + (name,), out, seen)
    if isinstance(node.get("items"), dict):
        _collect(node["items"], root, path + ("[]",), out, seen)
    if isinstance(node.get("additionalProperties"), dict):
        _collect(node["additionalProperties"], root, path + ("{}",), out, seen)
    for sub in node.get("allOf") or ():  # anyOf/oneOf branches only constrain values
        _collect(sub, root, path, out, seen)


def _cel_rule(entry: Any, path: tuple[str, ...], node: Schema) -> CelRule | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("rule"), str):
        return None
    rule = entry["rule"]
    # Transition rules compare with the stored object; offline there is none to compare with.
    if re.search(r"\boldSelf\b", rule):
        return None
    defaults = tuple(
        (k, v["default"])
        for k, v in (node.get("properties") or {}).items()
        if isinstance(v, dict) and "default" in v
    )
    return CelRule(
        path,
        rule,
        str(entry.get("message") or ""),
        str(entry.get("messageExpression") or ""),
        str(entry.get("fieldPath") or ""),
        defaults,
    )


def resolve_pointer(doc: Any, pointer: str) -> Any:
    """The node at JSON pointer ``pointer`` (``/a/b``) in ``doc``, or None."""
    node = doc
    for raw in pointer.lstrip("/").split("/") if pointer.strip("/") else ():
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


# ---------------------------------------------------------------------------------------------
# Compiled validators


class ObjectValidator:
    """A compiled schema for one ``(apiVersion, kind)`` plus its CEL rules."""

    def __init__(
        self,
        api_version: str,
        kind: str,
        schema: Schema,
        source: str,
        origin: str,
        registry: Any = None,
        definitions: Schema | None = None,
        has_rules: bool = True,
        retriever: Any = None,
    ) -> None:
        self.api_version = api_version
        self.kind = kind
        self.schema = schema
        self.source = source  # file the schema came from
        self.origin = origin  # "store" | "shipped" | "core"
        self._definitions = definitions or {}
        try:
            # Every reference is resolved by ``retriever`` (a store's own files) or the registry
            # (the core definitions): never from a file path or a URL.
            self._validator = jsonschema_rs.validator_for(
                schema, registry=registry, retriever=retriever or refuse_retrieval
            )
        except (ValueError, jsonschema_rs.ReferencingError) as exc:
            raise ConfigError(f"{source}: not a usable JSON Schema: {_first_line(exc)}") from None
        self.cel_rules = collect_cel_rules(schema) if has_rules else ()

    def __repr__(self) -> str:
        return f"<ObjectValidator {self.api_version} {self.kind} from {self.origin}:{self.source}>"

    def is_valid(self, obj: Any) -> bool:
        return bool(self._validator.is_valid(obj))

    def iter_errors(self, obj: Any) -> Iterator[jsonschema_rs.ValidationError]:
        return iter(self._validator.iter_errors(obj))

    def schema_at(self, location: str | None) -> Any:
        """The schema node an error's ``absolute_keyword_location`` points into, or None."""
        if not location:
            return None
        base, _, pointer = location.partition("#")
        if base == K8S_DEFS_URI:
            return resolve_pointer(self._definitions, pointer)
        if base in ("", self.schema.get("$id", "")) or not self.schema.get("$id"):
            return resolve_pointer(self.schema, pointer)
        return None

    def resolve(self, node: Any) -> Any:
        """Follow one ``$ref`` (local or into the core definitions)."""
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(ref, str):
            return node
        base, _, pointer = ref.partition("#")
        if base == "":
            return resolve_pointer(self.schema, pointer)
        if base.endswith("_definitions.json"):
            return resolve_pointer(self._definitions, pointer)
        return None


def refuse_retrieval(uri: str) -> Any:
    """The retriever of schemas that must not refer outside themselves (shipped, core)."""
    raise ValueError(f"'{uri}' is not part of this schema; references are not fetched")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------
# Where the schema files are


def core_schema_root() -> Path | None:
    """The ``kubernetes-json-schema`` folder of kubernetes-validate, found without importing it.

    Importing kubernetes_validate would pull in python-jsonschema and referencing (slow, and not
    needed: only its data files are used).
    """
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(list(spec.submodule_search_locations)[0]) / "kubernetes-json-schema"
    return root if root.is_dir() else None


def available_kubernetes_versions(root: Path | None = None) -> list[tuple[int, int]]:
    root = root if root is not None else core_schema_root()
    if root is None:
        return []
    found = (_STRICT_DIR.match(p.name) for p in root.iterdir())
    return sorted((int(m[1]), int(m[2])) for m in found if m)


def parse_kubernetes_version(text: str) -> tuple[int, int] | None:
    """``"1.33"``, ``"v1.33.2"`` -> ``(1, 33)``; ``"latest"``/``"master"`` -> None (newest)."""
    text = str(text).strip()
    if text.lower() in ("latest", "master", ""):
        return None
    m = re.fullmatch(r"v?(\d+)\.(\d+)(\.\d+)?", text)
    if not m:
        raise ConfigError(f"Kubernetes version {text!r} is not of the form 1.33 or v1.33.0")
    return int(m[1]), int(m[2])


def pick_kubernetes_version(
    requested: tuple[int, int] | None, available: list[tuple[int, int]]
) -> tuple[tuple[int, int], str]:
    """The bundled version to use and, when it is not the one asked for, a note saying so."""
    if not available:
        raise ConfigError("no core Kubernetes schemas: install kubernetes-validate")
    if requested is None:
        return available[-1], ""
    if requested in available:
        return requested, ""
    older = [v for v in available if v <= requested]
    # Prefer the newest older release (fields it has exist in the newer one); if the request
    # predates everything shipped, the oldest is the nearest.
    chosen = older[-1] if older else available[0]
    first, last = available[0], available[-1]
    note = (
        f"Kubernetes {_fmt(requested)} schemas are not bundled (kubernetes-validate has "
        f"{_fmt(first)} to {_fmt(last)}); using {_fmt(chosen)}"
    )
    return chosen, note


def _fmt(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def _read_json(path: Path) -> Schema:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read JSON schema: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a JSON schema must be an object")
    return data


# ---------------------------------------------------------------------------------------------
# The store


class SchemaStore:
    """Finds and compiles the schema of each ``(apiVersion, kind)`` once."""

    def __init__(
        self,
        kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
        store_dirs: Iterable[Path | str] = (),
        strict: bool = False,
        index: StoreIndex | None = None,
    ) -> None:
        self.kubernetes_version = kubernetes_version
        self.store_dirs = tuple(Path(d) for d in store_dirs)
        self.strict = strict
        # The store folders, read once per run (bounded, references checked); shared by the
        # stores of every Kubernetes version in a run.
        self.index = index if index is not None else StoreIndex.scan(list(self.store_dirs))
        # Store files found unusable when their validator was compiled: file -> (message, hint).
        self.problems: dict[str, StoreProblem] = {}
        self.shipped_dir = shipped_kinds()
        self.core_root = core_schema_root()
        self.version_note = ""
        self.core_dir: Path | None = None
        requested = parse_kubernetes_version(kubernetes_version)  # a typo fails even without k-v
        if self.core_root is not None:
            chosen, self.version_note = pick_kubernetes_version(
                requested, available_kubernetes_versions(self.core_root)
            )
            self.core_version = _fmt(chosen)
            self.core_dir = self.core_root / f"v{self.core_version}.0-local-strict"
        else:
            self.core_version = ""
            self.version_note = "kubernetes-validate is not installed: core kinds have no schema"
        self._cache: dict[tuple[str, str], ObjectValidator | None] = {}
        self._definitions: Schema | None = None
        self._registry: Any = None

    def __repr__(self) -> str:
        return (
            f"<SchemaStore k8s={self.core_version or '?'} stores={list(self.store_dirs)} "
            f"strict={self.strict}>"
        )

    # -- public API ---------------------------------------------------------------------------

    def validator_for(self, api_version: str, kind: str) -> ObjectValidator | None:
        if servable(api_version, kind):
            return None  # file names are built from these: only names the API server allows
        key = (api_version, kind)
        if key not in self._cache:
            self._cache[key] = self._build(api_version, kind)
        return self._cache[key]

    def served_versions(self, group: str, kind: str) -> list[str]:
        """Versions of ``group``/``kind`` any source has a schema for (for error messages)."""
        versions: set[str] = set()
        if servable(f"{group}/v1" if group else "v1", kind):
            return []
        prefix = kind.lower() + "_"
        for folder, name in self.index.names():
            if name.startswith(prefix) and self._group_matches(folder.schema(name), group, True):
                versions.add(name[len(prefix) : -len(".json")])
        for path in _glob(self.shipped_dir, prefix + "*.json"):
            if self._group_matches(_read_json(path), group, False):
                versions.add(path.stem[len(prefix) :])
        versions.update(self._core_versions(group, kind))
        return sorted(versions)

    def store_problems(self) -> list[StoreProblem]:
        """Store files that are not used: found by the scan, or unusable when compiled."""
        return sorted(
            {*self.index.problems, *self.problems.values()}, key=lambda p: (p.file, p.message)
        )

    def definitions(self) -> Schema:
        """The core ``_definitions.json`` of the chosen version, as the shipped schemas see it:
        quantities get their real grammar, definitions this release lacks become placeholders."""
        if self._definitions is None:
            if self.core_dir is None:
                raise ConfigError("no core Kubernetes definitions: install kubernetes-validate")
            defs = _read_json(self.core_dir / "_definitions.json")
            table = defs.setdefault("$defs", {})
            table[_QUANTITY_DEF] = {
                "description": "A Kubernetes quantity such as 500m, 1Gi or 2.",
                "anyOf": [
                    {"type": ["number", "null"]},
                    {"type": "string", "pattern": QUANTITY_PATTERN},
                ],
            }
            self._add_placeholders(table)
            self._definitions = defs
        return self._definitions

    # -- lookup -------------------------------------------------------------------------------

    def _build(self, api_version: str, kind: str) -> ObjectValidator | None:
        group, version = split_api_version(api_version)
        name = f"{kind}_{version}".lower() + ".json"
        for folder in self.index.folders:
            schema = folder.schema(name)
            if schema is None or not self._group_matches(schema, group, True):
                continue
            try:
                return self._compile(
                    api_version,
                    kind,
                    schema,
                    folder.path / name,
                    "store",
                    folder.files[name].decode("utf-8", "replace"),
                    folder.retrieve,
                )
            except ConfigError as exc:
                # An unusable store file is reported (rule schema-store) and the next source used.
                shown = (folder.path / name).as_posix()
                self.problems[shown] = StoreProblem(
                    shown, str(exc), "regenerate it with `modelserve schemas import`"
                )
        found = self._find(api_version, kind)
        if found is None:
            return None
        path, origin, schema = found
        return self._compile(
            api_version, kind, schema, path, origin, path.read_text(encoding="utf-8")
        )

    def _compile(
        self,
        api_version: str,
        kind: str,
        schema: Schema,
        path: Path,
        origin: str,
        text: str,
        retriever: Any = None,
    ) -> ObjectValidator:
        # A substring test on the file is much cheaper than walking a 2 MB CRD schema: only
        # schemas naming the core definitions load them (~15 ms, once), only those with CEL
        # rules are walked for them.
        uses_defs = "_definitions.json" in text and origin != "store"
        registry = self._definitions_registry() if uses_defs else None
        definitions = self.definitions() if uses_defs else None
        return ObjectValidator(
            api_version,
            kind,
            schema,
            str(path),
            origin,
            registry,
            definitions,
            has_rules="x-kubernetes-validations" in text,
            retriever=retriever,
        )

    def _find(self, api_version: str, kind: str) -> tuple[Path, str, Schema] | None:
        """The shipped or core schema of ``(api_version, kind)`` (store folders are searched
        first)."""
        group, version = split_api_version(api_version)
        name = f"{kind}_{version}".lower() + ".json"
        hit = self._load_matching(self.shipped_dir / name, group, lenient=False)
        if hit is not None:
            return self.shipped_dir / name, "shipped", hit
        return self._find_core(group, version, kind)

    def _load_matching(self, path: Path, group: str, lenient: bool) -> Schema | None:
        if not path.is_file():
            return None
        schema = _read_json(path)
        return schema if self._group_matches(schema, group, lenient) else None

    @staticmethod
    def _group_matches(schema: Schema, group: str, lenient: bool) -> bool:
        # Files converted by kubeconform's openapi2jsonschema.py carry no group: like kubeconform,
        # accept them for any group. Our own files always say which group they are for.
        declared = schema.get(GROUP_KEY)
        return declared == group or (declared is None and lenient)

    def _find_core(self, group: str, version: str, kind: str) -> tuple[Path, str, Schema] | None:
        if self.core_dir is None:
            return None
        path = self.core_dir / _core_file_name(group, version, kind)
        if not path.is_file():
            return None
        schema = _read_json(path)
        gvks = schema.get("x-kubernetes-group-version-kind") or []
        if not any(
            g.get("group") == group and g.get("kind") == kind and g.get("version") == version
            for g in gvks
        ):
            return None  # e.g. a CRD group sharing a first DNS label with a core group
        return path, "core", schema

    def _core_versions(self, group: str, kind: str) -> list[str]:
        if self.core_dir is None:
            return []
        label = group.split(".")[0] + "-" if group else ""
        versions = []
        for path in _glob(self.core_dir, f"{kind.lower()}-{label}v*.json"):
            version = path.stem[len(kind) + 1 + len(label) :]
            if "-" not in version and self._find_core(group, version, kind) is not None:
                versions.append(version)
        return versions

    # -- core definitions ---------------------------------------------------------------------

    def _definitions_registry(self) -> Any:
        if self._registry is None:
            self._registry = jsonschema_rs.Registry([(K8S_DEFS_URI, self.definitions())])
        return self._registry

    def _add_placeholders(self, table: Schema) -> None:
        # Shipped schemas name definitions of recent Kubernetes releases; on an older release a
        # missing one would stop the whole schema from compiling, so it accepts anything instead.
        for path in _glob(self.shipped_dir, "*.json"):
            for name in _DEF_REF.findall(path.read_text(encoding="utf-8")):
                table.setdefault(
                    name,
                    {"description": f"{name}: not in Kubernetes {self.core_version}; not checked"},
                )


def _core_file_name(group: str, version: str, kind: str) -> str:
    label = group.split(".")[0] + "-" if group else ""
    return f"{kind.lower()}-{label}{version}.json"


def _glob(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


# ---------------------------------------------------------------------------------------------
# CRD import (kubeconform repo)


MAX_CRD_FILE_BYTES = 32 * 1024 * 1024  # the largest upstream CRD file here is 2.7 MB
# kubeconform's layout names files {kind}_{version}.json; the API server allows a kind whose lower
# case is a DNS-1035 label and a version that is one (apiextensions-apiserver v0.33.0,
# pkg/apis/apiextensions/validation/validation.go: ValidateCustomResourceDefinitionNames,
# validateCustomResourceDefinitionSpec), so nothing else can name a file.
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


def import_crds(
    paths: Iterable[Path | str], out_dir: Path | str, conflicts: list[str] | None = None
) -> list[Path]:
    """Convert CRD YAML files into strict ``{kind}_{version}.json`` schemas in ``out_dir``.

    All or nothing: every CRD is read and converted before the first file is written, and a
    malformed one (a ConfigError naming its file and line) means nothing is written. Two CRDs
    defining one kind and version differently: the later one is written, and ``conflicts``
    (when given) says so.
    """
    crds: list[tuple[str, Schema]] = []
    input_bytes = 0
    for path in paths:
        found, size = _crds_in_file(Path(path))
        crds += found
        input_bytes += size
    return write_crd_schemas(crds, Path(out_dir), input_bytes=input_bytes, conflicts=conflicts)


def write_crd_schemas(
    crds: Iterable[Schema | tuple[str, Schema]],
    out_dir: Path,
    input_bytes: int | None = None,
    conflicts: list[str] | None = None,
) -> list[Path]:
    """One file per served version of each CRD; returns the paths written (no duplicates).

    Every name is checked (kubeconform's character set) and every target proven to be a file
    directly inside ``out_dir``. The output is bounded by its input: more than
    ``4 x input + 1 MiB`` bytes (a legacy schema shared by thousands of versions) is refused.
    """
    texts: dict[str, str] = {}
    sources: dict[str, str] = {}
    for entry in crds:
        where, crd = entry if isinstance(entry, tuple) else ("CustomResourceDefinition", entry)
        for version, schema in crd_version_schemas(crd, where):
            name = f"{crd['spec']['names']['kind']}_{version}".lower() + ".json"
            # Compact: indent= switches json to its pure-Python encoder (10x slower on big CRDs).
            text = json.dumps(schema, separators=(",", ":")) + "\n"
            if name in texts and texts[name] != text and conflicts is not None:
                conflicts.append(
                    f"{crd['spec']['names']['kind']} {version} is defined differently by "
                    f"{sources[name]} and {where}: the schema of {where} is written"
                )
            texts[name], sources[name] = text, where
    budget = 4 * (input_bytes if input_bytes is not None else sum(map(len, texts.values()))) + (
        1 << 20
    )
    total = sum(len(t) for t in texts.values())
    if total > budget:
        raise ConfigError(
            f"the CRDs would convert into {total:,} bytes of schemas, over {budget:,} (four times "
            "their size): a schema repeated for many versions? Nothing was written"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    real_out = os.path.realpath(out_dir)
    targets = [out_dir / name for name in texts]
    for target in targets:  # every target proven inside before the first write: all or nothing
        if os.path.dirname(os.path.realpath(target)) != real_out:
            raise ConfigError(
                f"refusing to write {target}: it would land outside {out_dir}; nothing was written"
            )
    for target, text in zip(targets, texts.values(), strict=True):
        write_atomic(target, text)
    return targets


def _crds_in_file(path: Path) -> tuple[list[tuple[str, Schema]], int]:
    """The CRDs of one YAML file, each with where it starts (``file:line``), and the file's size.

    Read with the bounded loader (``generator/modelserve/load/yamlio.py``): size, depth and alias
    expansion are capped, so a 1.5 kB alias bomb cannot become a 46 MB schema.
    """
    from modelserve.load.yamlio import YamlError, load_file

    try:
        docs = load_file(path, multi=True, max_bytes=MAX_CRD_FILE_BYTES)
    except YamlError as exc:
        raise ConfigError(
            f"{path}:{exc.line}:{exc.col}: cannot read CRD YAML: {exc.message}"
            + (f" (fix: {exc.hint})" if exc.hint else "")
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read CRD YAML: {exc.strerror or exc}") from None
    found = [(f"{path}:{doc.line}", crd) for doc in docs for crd in _crd_documents([doc.data])]
    return found, path.stat().st_size


def _crd_documents(docs: Iterable[Any]) -> Iterator[Schema]:
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "CustomResourceDefinition":
            yield doc
        elif isinstance(doc.get("items"), list):  # a List (kubectl get crd -o yaml)
            yield from _crd_documents(doc["items"])


def crd_version_schemas(
    crd: Schema, where: str = "CustomResourceDefinition"
) -> Iterator[tuple[str, Schema]]:
    """``(version, strict JSON schema)`` for every served version of ``crd``.

    A CRD of the wrong shape is a ConfigError naming ``where`` (its file and line) and the
    field; nothing about it is assumed.
    """
    spec = crd.get("spec")
    name = (
        crd.get("metadata", {}).get("name", "?") if isinstance(crd.get("metadata"), dict) else "?"
    )
    label = f"{where}: CustomResourceDefinition {str(name)[:100]}"
    if not isinstance(spec, dict):
        raise ConfigError(f"{label}: spec must be a mapping")
    names = spec.get("names")
    kind = names.get("kind") if isinstance(names, dict) else None
    if not kind:
        raise ConfigError(f"{label} has no spec.names.kind")
    if not isinstance(kind, str) or not _DNS1035_LABEL.match(kind.lower()):
        raise ConfigError(
            f"{label}: spec.names.kind {str(kind)[:100]!r} is not a kind the API server accepts "
            "(letters, digits and '-', starting with a letter, at most 63)"
        )
    group = spec.get("group", "")
    if not isinstance(group, str):
        raise ConfigError(f"{label}: spec.group must be a string")
    legacy = spec.get("validation")
    if legacy is not None and not isinstance(legacy, dict):
        raise ConfigError(f"{label}: spec.validation must be a mapping")
    legacy_schema = (legacy or {}).get("openAPIV3Schema")
    versions = spec.get("versions") or ([{"name": spec["version"]}] if spec.get("version") else [])
    if not isinstance(versions, list):
        raise ConfigError(f"{label}: spec.versions must be a list")
    for i, entry in enumerate(versions):
        if not isinstance(entry, dict):
            raise ConfigError(f"{label}: spec.versions[{i}] must be a mapping")
        version = entry.get("name")
        if not isinstance(version, str) or not _DNS1035_LABEL.match(version):
            raise ConfigError(
                f"{label}: spec.versions[{i}].name {str(version)[:100]!r} is not a version the API "
                "server accepts (a DNS-1035 label such as v1 or v1beta1)"
            )
        if entry.get("served", True) is False:
            continue
        holder = entry.get("schema")
        if holder is not None and not isinstance(holder, dict):
            raise ConfigError(f"{label}: spec.versions[{i}].schema must be a mapping")
        openapi = (holder or {}).get("openAPIV3Schema") or legacy_schema
        if openapi is not None and not isinstance(openapi, dict):
            raise ConfigError(
                f"{label}: spec.versions[{i}].schema.openAPIV3Schema must be a mapping"
            )
        if isinstance(openapi, dict):
            try:
                schema = crd_schema_to_json_schema(openapi, group)
                jsonschema_rs.validator_for(
                    schema, retriever=refuse_retrieval
                )  # usable, or refused now
            except RecursionError:
                raise ConfigError(
                    f"{label}: the schema of {version} is nested too deeply"
                ) from None
            except ConfigError as exc:
                raise ConfigError(f"{label}: {version}: {exc}") from None
            except (ValueError, jsonschema_rs.ReferencingError) as exc:
                raise ConfigError(
                    f"{label}: the schema of {version} is not a usable JSON Schema: "
                    f"{_first_line(exc)}"
                ) from None
            yield version, schema


def crd_schema_to_json_schema(openapi: Schema, group: str) -> Schema:
    """An ``openAPIV3Schema`` as a closed JSON Schema (see module docs of kubeconform, §13)."""
    schema = copy.deepcopy(openapi)
    _strictify(schema, close=True)
    schema.setdefault("type", "object")
    if not isinstance(schema.get("properties", {}), dict):
        raise ConfigError("openAPIV3Schema.properties must be a mapping")
    props = schema.setdefault("properties", {})
    # The root is closed too, so the envelope every object carries must be declared.
    props.setdefault("apiVersion", {"type": "string"})
    props.setdefault("kind", {"type": "string"})
    props.setdefault("metadata", {"type": "object"})
    if not schema.get("x-kubernetes-preserve-unknown-fields"):
        schema["additionalProperties"] = False
    schema[GROUP_KEY] = group
    return schema


def _strictify(node: Any, close: bool) -> None:
    """Rewrite one OpenAPI node (and its children) into closed JSON Schema, in place."""
    if not isinstance(node, dict):
        return
    _int_or_string(node)
    _nullable(node)
    properties = node.get("properties")
    for sub in properties.values() if isinstance(properties, dict) else ():
        _strictify(sub, close)
    if isinstance(node.get("additionalProperties"), dict):
        _strictify(node["additionalProperties"], close)
    items = node.get("items")
    for sub in items if isinstance(items, list) else [items]:
        _strictify(sub, close)
    # Branches of allOf/anyOf/oneOf/not only restate properties declared beside them (structural
    # schemas); closing a branch would reject the sibling fields, so they stay open.
    for key in _SCHEMA_COMBINATORS:
        branches = node.get(key)
        for sub in branches if isinstance(branches, list) else ():
            _strictify(sub, close=False)
    _strictify(node.get("not"), close=False)
    if (
        close
        and isinstance(properties, dict)
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        node["additionalProperties"] = False
    if node.get("x-kubernetes-embedded-resource") and isinstance(properties, dict):
        for name, sub in (
            ("apiVersion", {"type": "string"}),
            ("kind", {"type": "string"}),
            ("metadata", {"type": "object"}),
        ):
            properties.setdefault(name, sub)


def _int_or_string(node: Schema) -> None:
    is_ios = node.get("x-kubernetes-int-or-string") or node.get("format") == "int-or-string"
    if not is_ios or "anyOf" in node or "oneOf" in node:
        return
    node.pop("type", None)
    if node.get("format") == "int-or-string":
        node.pop("format")
    node["anyOf"] = [{"type": "integer"}, {"type": "string"}]


def _nullable(node: Schema) -> None:
    if not node.get("nullable"):
        return
    kind = node.get("type")
    if isinstance(kind, str):
        node["type"] = [kind, "null"]
    elif isinstance(node.get("anyOf"), list):
        node["anyOf"] = [*node["anyOf"], {"type": "null"}]
    if isinstance(node.get("enum"), list) and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]


def import_from_cluster(out_dir: Path | str) -> list[Path]:
    """Fetch every CRD of the current kubeconfig context and import it like :func:`import_crds`."""
    try:
        from kubernetes import client, config
    except ImportError as exc:
        raise ConfigError(
            "importing CRDs from a cluster needs the 'kubernetes' package "
            "(pip install kubernetes, into the environment modelserve runs in)"
        ) from exc
    try:
        config.load_kube_config()  # type: ignore[no-untyped-call]
    except Exception as exc:  # the client raises ConfigException, TypeError, OSError...
        raise ConfigError(
            f"no usable kubeconfig (set KUBECONFIG or ~/.kube/config): {exc}"
        ) from exc
    try:
        api_client = client.ApiClient()
        listed = client.ApiextensionsV1Api(api_client).list_custom_resource_definition(
            _request_timeout=30
        )
    except Exception as exc:  # urllib3 and ApiException: both mean "cannot list CRDs"
        raise ConfigError(f"cannot list CustomResourceDefinitions from the cluster: {exc}") from exc
    crds = [
        api_client.sanitize_for_serialization(item)  # type: ignore[no-untyped-call]
        for item in listed.items
    ]
    return write_crd_schemas(crds, Path(out_dir))
