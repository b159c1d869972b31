"""Validate rendered Kubernetes objects against their schemas and CEL rules, offline.

``validate_object`` turns every JSON-Schema error and failing ``x-kubernetes-validations`` rule
into an :class:`ObjectProblem` whose ``pointer`` is the path inside the object (an unknown field
points *at* that field) and whose message says what was expected and what was found.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema_rs

from modelserve.errors import ConfigError
from modelserve.validate.kubeschemas import (
    CelRule,
    ObjectValidator,
    SchemaStore,
    servable,
    split_api_version,
)

Pointer = tuple[str | int, ...]
Kinds = jsonschema_rs.ValidationErrorKind

# kustomize's own files (kustomization.yaml, components) are build input, not cluster objects.
NOT_KUBERNETES_GROUPS = frozenset({"kustomize.config.k8s.io"})


@dataclass(frozen=True)
class ObjectProblem:
    pointer: Pointer  # path inside the object, e.g. ("spec", "predictor", "model", "resources")
    message: str
    rule: str  # "schema" | "schema-missing" | "cel" | "api-version"
    severity: str  # "error" | "warning"


def validate_objects(store: SchemaStore, objs: Iterable[Any]) -> list[list[ObjectProblem]]:
    """``validate_object`` for each object, in the same order."""
    return [validate_object(store, obj) for obj in objs]


def validate_object(store: SchemaStore, obj: Any) -> list[ObjectProblem]:
    header = _header_problems(obj)
    if header:
        return header
    api_version, kind = obj["apiVersion"], obj["kind"]
    wrong = servable(api_version, kind)
    if wrong:
        value = api_version if wrong == "apiVersion" else kind
        return [
            ObjectProblem(
                (wrong,),
                f"{_show(value)} is not {'an apiVersion' if wrong == 'apiVersion' else 'a kind'} "
                "the API server can serve (group: a DNS subdomain; version and kind: "
                "letters, digits and '-', at most 63)",
                "api-version",
                "error",
            )
        ]
    group, version = split_api_version(api_version)
    if group in NOT_KUBERNETES_GROUPS:
        return []
    validator = store.validator_for(api_version, kind)
    if validator is None:
        return [_no_schema(store, group, version, kind)]
    try:
        valid = validator.is_valid(obj)
    except ValueError:
        # Values JSON has no type for (YAML dates, !!binary, int keys) reach the API server as
        # strings; check them that way instead of crashing.
        obj = json.loads(json.dumps(obj, default=str))
        valid = validator.is_valid(obj)
    # The common case costs one compiled check; messages are only built for invalid objects.
    problems = [] if valid else schema_problems(validator, obj)
    if validator.cel_rules:
        problems += cel_problems(validator, obj, [p.pointer for p in problems])
    return problems


def _header_problems(obj: Any) -> list[ObjectProblem]:
    if not isinstance(obj, dict):
        return [
            ObjectProblem(
                (),
                f"not a Kubernetes object: expected a mapping, got {_json_type(obj)}",
                "schema",
                "error",
            )
        ]
    return [
        ObjectProblem((key,), f"missing or non-string '{key}'", "schema", "error")
        for key in ("apiVersion", "kind")
        if not isinstance(obj.get(key), str) or not obj[key]
    ]


def _no_schema(store: SchemaStore, group: str, version: str, kind: str) -> ObjectProblem:
    served = store.served_versions(group, kind)
    api_version = f"{group}/{version}" if group else version
    if served:
        known = ", ".join(f"{group}/{v}" if group else v for v in served)
        return ObjectProblem(
            ("apiVersion",),
            f"{api_version} is not a served version of {kind} (known: {known})",
            "api-version",
            "error",
        )
    return ObjectProblem(
        (),
        f"no schema for {kind} ({api_version}): not checked; add its CRD "
        f"to a schema store to check it",
        "schema-missing",
        "error" if store.strict else "warning",
    )


# ---------------------------------------------------------------------------------------------
# JSON-Schema errors -> problems


def schema_problems(validator: ObjectValidator, obj: Any) -> list[ObjectProblem]:
    seen: dict[ObjectProblem, None] = {}
    for error in validator.iter_errors(obj):
        for problem in _problems_for(validator, error):
            seen[problem] = None
    return list(seen)


def _problems_for(validator: ObjectValidator, error: Any) -> list[ObjectProblem]:
    kind = error.kind
    path: Pointer = tuple(error.instance_path)
    if isinstance(kind, (Kinds.AdditionalProperties, Kinds.UnevaluatedProperties)):
        known = _known_fields(validator, error)
        # A field declared in an allOf part that failed on something else is reported as
        # "unevaluated" too (JSON Schema drops a failed part's annotations); that other error is
        # the real problem, so only names no part declares are unknown.
        return [
            ObjectProblem(
                path + (name,), _unknown_field(name, validator.kind, known), "schema", "error"
            )
            for name in kind.unexpected
            if name not in known
        ]
    if isinstance(kind, (Kinds.AnyOf, Kinds.OneOfNotValid)):
        best = _most_specific_branch(kind.context, path)
        if best is not None:
            return _problems_for(validator, best)
    return [ObjectProblem(path, describe_error(error), "schema", "error")]


def _unknown_field(name: str, kind: str, known: list[str]) -> str:
    import difflib  # only needed when something is wrong; keeps the import cheap for hooks

    message = f"unknown field '{name}' (not in the {kind} schema)"
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
    return message + (f"; did you mean '{close[0]}'?" if close else "")


def _known_fields(validator: ObjectValidator, error: Any) -> list[str]:
    """Field names the schema node owning an additional/unevaluatedProperties error allows."""
    location = error.absolute_keyword_location
    if location and "/" in location:
        parent = location.rsplit("/", 1)[0]
    else:
        # Schemas without $id (imported CRDs) report no absolute location; their keyword path
        # is exact because they have no $ref to cross.
        parent = "#/" + "/".join(
            str(p).replace("~", "~0").replace("/", "~1") for p in error.schema_path[:-1]
        )
    return sorted(_property_names(validator, validator.schema_at(parent), 0))


def _property_names(validator: ObjectValidator, node: Any, depth: int) -> set[str]:
    if not isinstance(node, dict) or depth > 6:
        return set()
    names = set(node.get("properties") or ())
    if "$ref" in node:
        names |= _property_names(validator, validator.resolve(node), depth + 1)
    for sub in node.get("allOf") or ():
        names |= _property_names(validator, sub, depth + 1)
    return names


def _most_specific_branch(branches: list[list[Any]], path: Pointer) -> Any | None:
    """The first error of the first alternative whose *type* matched (int-or-string, quantity).

    When every alternative failed only on its type, None: the caller then lists the types.
    """
    for errors in branches:
        if errors and not any(
            isinstance(e.kind, Kinds.Type) and tuple(e.instance_path) == path for e in errors
        ):
            return errors[0]
    return None


def describe_error(error: Any) -> str:
    """A one-line, human message for a jsonschema_rs error (expected vs got)."""
    kind, got = error.kind, error.instance
    if isinstance(kind, Kinds.Required):
        return f"missing required field '{kind.property}'"
    if isinstance(kind, Kinds.Enum):
        return f"{_show(got)} is not allowed; expected one of {_choices(kind.options)}"
    if isinstance(kind, Kinds.Constant):
        return f"expected {_show(kind.expected_value)}, got {_show(got)}"
    if isinstance(kind, Kinds.Pattern):
        return f"{_show(got)} does not match the required pattern {kind.pattern}"
    if isinstance(kind, Kinds.Type):
        return f"expected {' or '.join(kind.types)}, got {_typed(got)}"
    if isinstance(kind, (Kinds.AnyOf, Kinds.OneOfNotValid)):
        return f"expected {_branch_types(kind.context)}, got {_typed(got)}"
    if isinstance(kind, Kinds.OneOfMultipleValid):
        return f"{_show(got)} matches more than one of the allowed forms; it must match one"
    if isinstance(kind, Kinds.FalseSchema):
        return "this field is not allowed here"
    return str(error.message)


def _branch_types(branches: list[list[Any]]) -> str:
    types = [
        t
        for errors in branches
        for e in errors
        if isinstance(e.kind, Kinds.Type)
        for t in e.kind.types
    ]
    return " or ".join(dict.fromkeys(types)) or "one of the allowed forms"


def _typed(value: Any) -> str:
    """``string "two"``, ``number 0.5``, ``null``."""
    return "null" if value is None else f"{_json_type(value)} {_show(value)}"


def _choices(options: list[Any]) -> str:
    return ", ".join(_show(o) for o in options)


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


# ---------------------------------------------------------------------------------------------
# CEL (x-kubernetes-validations)


def cel_problems(
    validator: ObjectValidator, obj: Any, error_pointers: Iterable[Pointer] = ()
) -> list[ObjectProblem]:
    """Run the validator's CEL rules on every sub-object they apply to.

    Rules under a node that already has a schema error are skipped: the API server would not
    reach them, and their evaluation errors would only repeat the schema problem.
    """
    blocked = list(error_pointers)
    problems: list[ObjectProblem] = []
    for rule in validator.cel_rules:
        for pointer, value in _rule_targets(obj, rule.path, ()):
            if not any(p[: len(pointer)] == pointer for p in blocked):
                problems.extend(_run_rule(rule, pointer, value))
    return problems


def _rule_targets(node: Any, path: tuple[str, ...], at: Pointer) -> Iterator[tuple[Pointer, Any]]:
    if not path:
        yield at, node
        return
    step, rest = path[0], path[1:]
    if step == "[]" and isinstance(node, list):
        for index, item in enumerate(node):
            yield from _rule_targets(item, rest, at + (index,))
    elif step == "{}" and isinstance(node, dict):
        for key, item in node.items():
            yield from _rule_targets(item, rest, at + (key,))
    elif isinstance(node, dict) and step in node:
        yield from _rule_targets(node[step], rest, at + (step,))


# The API server's cost limit of one rule evaluation (k8s.io/apiserver v0.33.0,
# pkg/apis/cel/config.go: PerCallLimit; "roughly 0.1 second for each expression validation call").
PER_CALL_LIMIT = 1_000_000
_OPENS_COMPREHENSION = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\($")


def comprehension_depth(expression: str) -> int:
    """How deeply comprehension macros (``all``, ``exists``, ``map``...) nest in ``expression``."""
    depth = deepest = 0
    stack: list[bool] = []  # one entry per open parenthesis: does it open a comprehension?
    quote = ""
    i = 0
    while i < len(expression):
        char = expression[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            macro = bool(_OPENS_COMPREHENSION.search(expression[max(0, i - 30) : i + 1]))
            stack.append(macro)
            depth += macro
            deepest = max(deepest, depth)
        elif char == ")" and stack:
            depth -= stack.pop()
        i += 1
    return deepest


def largest_collection(value: Any) -> int:
    """The length of the longest list, map or string in ``value`` (one linear walk)."""
    largest, todo = 0, [value]
    while todo:
        node = todo.pop()
        if isinstance(node, (list, dict, str)):
            largest = max(largest, len(node))
            if not isinstance(node, str):
                todo.extend(node.values() if isinstance(node, dict) else node)
    return largest


def estimated_cost(expression: str, subject: Any) -> int:
    """An upper bound of the rule's evaluation cost on ``subject``, in the API server's units.

    cel-go charges about one unit per step of a comprehension's body (cel-go v0.23.2,
    interpreter/runtimecost.go), and nested comprehensions multiply (checker/cost.go,
    costComprehension): so (largest collection + 1) ** nesting x the expression's size.
    """
    depth = comprehension_depth(expression)
    size = len(expression) // 8 + 1
    return size if depth == 0 else (largest_collection(subject) + 1) ** depth * size


def _run_rule(rule: CelRule, pointer: Pointer, value: Any) -> list[ObjectProblem]:
    program, trouble = _program(rule.rule)
    if program is None:
        return [
            ObjectProblem(
                pointer, f"CEL rule not checked ({trouble}): {rule.rule}", "cel", "warning"
            )
        ]
    subject = _with_defaults(value, rule.defaults)
    cost = estimated_cost(rule.rule, subject)
    if cost > PER_CALL_LIMIT:
        # Evaluating it would take as long as it costs (the evaluators here have no cost limit).
        return [
            ObjectProblem(
                pointer,
                f"CEL rule not evaluated: on this object it may cost up to about {cost:,}, "
                f"over the API server's per-call limit of {PER_CALL_LIMIT:,}; if it does, "
                'the API server refuses the object ("call cost exceeds limit for rule"): '
                f"{rule.rule}",
                "cel",
                "warning",
            )
        ]
    try:
        result = program(subject)
    except Exception as exc:  # the evaluators raise KeyError, RuntimeError, ValueError...
        return [
            ObjectProblem(
                pointer,
                f"CEL rule could not be evaluated ({_one_line(exc)}): {rule.rule}",
                "cel",
                "warning",
            )
        ]
    if result is True:
        return []
    if result is False:
        return [
            ObjectProblem(
                pointer + _field_path(rule.field_path), _rule_message(rule, subject), "cel", "error"
            )
        ]
    return [
        ObjectProblem(
            pointer, f"CEL rule returned {result!r}, not a boolean: {rule.rule}", "cel", "warning"
        )
    ]


def _with_defaults(value: Any, defaults: tuple[tuple[str, Any], ...]) -> Any:
    if not defaults or not isinstance(value, dict):
        return value
    return {**{k: v for k, v in defaults if k not in value}, **value}


def _rule_message(rule: CelRule, subject: Any) -> str:
    if rule.message_expression:
        program, _ = _program(rule.message_expression)
        try:
            text = program(subject) if program else None
        except Exception:  # a broken messageExpression falls back to message, like the API server
            text = None
        if isinstance(text, str) and text:
            return text
    return rule.message or f"failed rule: {rule.rule}"


def _field_path(text: str) -> Pointer:
    parts: list[str | int] = []
    for name, quoted, index in re.findall(r"\.([A-Za-z0-9_$-]+)|\['([^']*)'\]|\[(\d+)\]", text):
        parts.append(int(index) if index else (name or quoted))
    return tuple(parts)


def _one_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


Program = Callable[[Any], Any]
_PROGRAMS: dict[str, tuple[Program | None, str]] = {}


def _program(text: str) -> tuple[Program | None, str]:
    """Compile a CEL expression once per process; (None, reason) when that is impossible."""
    if text not in _PROGRAMS:
        compiler = _cel_compiler()
        if compiler is None:
            _PROGRAMS[text] = (None, "no CEL evaluator installed")
        else:
            try:
                _PROGRAMS[text] = (compiler(text), "")
            except Exception as exc:  # syntax errors are ValueError, others vary by backend
                _PROGRAMS[text] = (None, f"does not compile: {_one_line(exc)}")
    return _PROGRAMS[text]


@functools.lru_cache(maxsize=1)
def _cel_compiler() -> Callable[[str], Program] | None:
    module = _load_cel_core()
    if module is not None:

        def compile_cel(text: str) -> Program:
            program = module.compile(text)
            return lambda value: program.execute({"self": value})

        return compile_cel
    return _celpy_compiler()


def _load_cel_core() -> ModuleType | None:
    """The compiled core of common-expression-language, without the package's CLI.

    ``import cel`` also imports its command line (typer, prompt_toolkit: ~0.25 s). Load just the
    extension module and register it as ``cel.cel`` so a later ``import cel`` reuses it instead
    of initialising it twice (which the extension does not survive).
    """
    if "cel.cel" in sys.modules:
        return sys.modules["cel.cel"]
    spec = importlib.util.find_spec("cel")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0])
    binaries = [
        p for p in folder.iterdir() if p.name.startswith("cel.") and p.suffix in (".so", ".pyd")
    ]
    if not binaries:
        return _import_cel_package()
    loader = importlib.machinery.ExtensionFileLoader("cel.cel", str(binaries[0]))
    module_spec = importlib.util.spec_from_file_location("cel.cel", binaries[0], loader=loader)
    if module_spec is None:
        return _import_cel_package()
    sys.modules["cel.cel"] = module = importlib.util.module_from_spec(module_spec)
    try:
        loader.exec_module(module)
    except Exception:  # an unexpected build of the package: let its own import do the work
        del sys.modules["cel.cel"]
        return _import_cel_package()
    return module


def _import_cel_package() -> ModuleType | None:
    try:
        import cel
    except ImportError:
        return None
    return cel


def _celpy_compiler() -> Callable[[str], Program] | None:
    try:
        import celpy
        from celpy import celtypes
    except ImportError:
        return None
    env = celpy.Environment()

    def compile_celpy(text: str) -> Program:
        runner = env.program(env.compile(text))

        def run(value: Any) -> Any:
            result = runner.evaluate({"self": celpy.json_to_cel(value)})  # type: ignore[attr-defined]
            if isinstance(result, Exception):
                raise result
            return bool(result) if isinstance(result, celtypes.BoolType) else result

        return run

    return compile_celpy


# ---------------------------------------------------------------------------------------------
# Optional second opinion: kubeconform


def kubeconform_available() -> bool:
    return shutil.which("kubeconform") is not None


def run_kubeconform(
    files: list[Path], store_dirs: Iterable[Path], k8s_version: str, *, offline: bool = True
) -> list[dict[str, Any]]:
    """Run kubeconform on ``files`` with the CRD schemas of ``store_dirs``; its JSON results.

    Offline (the default) kubeconform cannot fetch core schemas, so kinds without a local schema
    are skipped rather than failed; ``offline=False`` adds its ``default`` (GitHub) location.
    """
    import subprocess

    exe = shutil.which("kubeconform")
    if exe is None:
        raise ConfigError("kubeconform is not on PATH")
    cmd = [
        exe,
        "-strict",
        "-summary",
        "-output",
        "json",
        "-kubernetes-version",
        _full_version(k8s_version),
        "-skip",
        "kustomize.config.k8s.io/v1beta1/Kustomization,kustomize.config.k8s.io/v1alpha1/Component",
    ]
    for folder in store_dirs:
        cmd += [
            "-schema-location",
            f"{folder}/{{{{ .ResourceKind }}}}_{{{{ .ResourceAPIVersion }}}}.json",
        ]
    cmd += ["-ignore-missing-schemas"] if offline else ["-schema-location", "default"]
    try:
        proc = subprocess.run(
            cmd + [str(f) for f in files], capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:  # not executable, or timed out
        raise ConfigError(f"kubeconform could not run: {exc}") from exc
    if proc.returncode not in (0, 1):
        raise ConfigError(f"kubeconform failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
    try:
        report = json.loads(proc.stdout or "{}")
    except ValueError as exc:
        raise ConfigError(f"kubeconform printed no JSON: {proc.stdout[:200]!r}") from exc
    resources = report.get("resources") if isinstance(report, dict) else "not an object"
    if not isinstance(resources, list | None) or not all(
        isinstance(r, dict) for r in resources or []
    ):
        raise ConfigError("kubeconform printed JSON of another shape than its -output json")
    return list(resources or [])


def _full_version(version: str) -> str:
    text = version.lstrip("v")
    return text if text.count(".") >= 2 or text == "master" else f"{text}.0"
