"""JSON Schema validation of catalog and environment files, as findings with positions."""

from __future__ import annotations

import difflib
import json
from functools import cache
from typing import Any

import jsonschema_rs

from modelserve.findings import Finding, Severity, format_path
from modelserve.load.shipped import shipped_schemas
from modelserve.load.yamlio import Document

SCHEMA_FILES = {
    "runtime": "runtime.schema.json",
    "model": "model.schema.json",
    "environment": "environment.schema.json",
    "config": "config.schema.json",  # .modelserve.yaml (report.waivers)
}


@cache
def load_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((shipped_schemas() / SCHEMA_FILES[kind]).read_text())
    return schema


@cache
def _validator(kind: str) -> Any:
    return jsonschema_rs.validator_for(load_schema(kind))


def validate_document(kind: str, file: str, doc: Document) -> list[Finding]:
    """Every schema violation of ``doc``, located at the offending key."""
    schema = load_schema(kind)
    findings = []
    for error in _validator(kind).iter_errors(doc.data):
        path = tuple(error.instance_path)
        for message, hint, at in _explain(error, schema, path):
            line, col = doc.locate(at)
            findings.append(
                Finding(
                    file, line, col, "schema", Severity.ERROR, message, format_path(at), hint=hint
                )
            )
    return sorted(set(findings))


def _explain(
    error: Any, schema: dict[str, Any], path: tuple[Any, ...]
) -> list[tuple[str, str, tuple[Any, ...]]]:
    """(message, fix hint, path to point at) for one jsonschema_rs error."""
    kind = error.kind
    sub = _subschema(schema, path)
    field = format_path(path) or "the document"
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
        allowed = sorted((sub or {}).get("properties", {}))
        out = []
        for unexpected in sorted(map(str, kind.unexpected)):
            close = difflib.get_close_matches(unexpected, allowed, n=1)
            hint = (
                f"did you mean '{close[0]}'?" if close else f"allowed fields: {', '.join(allowed)}"
            )
            out.append(
                (f"unknown field '{format_path(path + (unexpected,))}'", hint, path + (unexpected,))
            )
        return out
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        missing = kind.property
        return [
            (
                f"missing required field '{format_path(path + (missing,))}'",
                _describe(sub, missing),
                path,
            )
        ]
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.OneOfNotValid) and path and "env" in path:
        return [
            (
                f"{field}: set exactly one of value, secretKeyRef or configMapKeyRef",
                "credentials must come from a Secret: use secretKeyRef",
                path,
            )
        ]
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Enum):
        message, hint = _enum(field, error.instance, list(kind.options))
        return [(message, hint, path)]
    return [(f"{field}: {error.message}", _action(kind, field, sub), path)]


# At most this many allowed values are listed; beyond, the nearest ones.
MAX_LISTED = 12


def _enum(field: str, value: Any, options: list[Any]) -> tuple[str, str]:
    """The value, the allowed ones (or the nearest when there are many), and the fix."""
    shown = json.dumps(value) if not isinstance(value, str) else f'"{value}"'
    names = [str(o) for o in options]
    same_case = [n for n in names if isinstance(value, str) and n.lower() == value.lower()]
    close = same_case or (
        difflib.get_close_matches(value, names, n=3, cutoff=0.5) if isinstance(value, str) else []
    )
    if len(names) <= MAX_LISTED:
        listed = "allowed: " + ", ".join(names)
    else:
        listed = f"{len(names)} allowed values, the nearest: " + ", ".join(close or names[:5])
    message = f"{field}: {shown} is not an allowed value ({listed})"
    if same_case:
        return message, f"case matters: write '{same_case[0]}'"
    if close:
        return message, f"did you mean '{close[0]}'?"
    return message, f"set {field} to one of the allowed values"


def _action(kind: Any, field: str, sub: dict[str, Any] | None) -> str:
    """What to do about a violation: an instruction first, the field's meaning after it."""
    kinds = jsonschema_rs.ValidationErrorKind
    if isinstance(kind, kinds.Type):
        wanted = " or ".join(str(t) for t in kind.types)
        action = f"quote {field}" if wanted == "string" else f"write {field} as {wanted}"
    elif isinstance(kind, kinds.Pattern):
        action = f"change {field} to match {kind.pattern}"
    elif isinstance(kind, kinds.Minimum | kinds.ExclusiveMinimum):
        action = f"raise {field}"
    elif isinstance(kind, kinds.Maximum | kinds.ExclusiveMaximum):
        action = f"lower {field}"
    elif isinstance(kind, kinds.MaxLength | kinds.MaxItems | kinds.MaxProperties):
        action = f"shorten {field}"
    elif isinstance(kind, kinds.MinLength | kinds.MinItems | kinds.MinProperties):
        action = f"fill in {field}"
    elif isinstance(kind, kinds.Constant):
        action = f"set {field} to {json.dumps(kind.expected_value)}"
    else:
        action = f"correct {field}"
    meaning = (sub or {}).get("description", "")
    return f"{action} ({meaning.rstrip('.')})" if meaning else action


def _describe(schema: dict[str, Any] | None, prop: str) -> str:
    desc = ((schema or {}).get("properties", {}).get(prop) or {}).get("description", "")
    return f"add '{prop}': {desc}" if desc else f"add '{prop}'"


def _subschema(schema: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any] | None:
    """Follow ``path`` through properties/items/additionalProperties and local $refs."""
    node: Any = schema
    for part in path:
        node = _deref(schema, node)
        if isinstance(part, int):
            node = node.get("items") if isinstance(node, dict) else None
        elif isinstance(node, dict) and part in node.get("properties", {}):
            node = node["properties"][part]
        elif isinstance(node, dict) and isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return None
        if node is None:
            return None
    found = _deref(schema, node)
    return found if isinstance(found, dict) else None


def _deref(root: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node
