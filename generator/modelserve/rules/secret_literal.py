"""Credentials never appear as literal values; they come from Secrets by reference.

Any string in a catalog or environment file that looks like a credential (NGC, OpenAI and
Anthropic API keys, AWS/GCP keys, Hugging Face, GitHub and Slack tokens, JWTs, bearer tokens,
PEM and PGP private keys, passwords in URLs of any scheme, or a random value in a variable,
flag or key named like *KEY, *TOKEN, *SECRET, *PASSWORD, in ``env``, ``args`` or anywhere else)
is refused, and so is a mapping key that is one (an annotation or label key). The message
shows only the first characters, so the value does not leak again into CI logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Finding, Severity, format_path
from modelserve.model import Environment, Model, Runtime, Source
from modelserve.rules.base import Context, ObjectSet, Problem, RuleInfo, Scope, mapping
from modelserve.rules.examples import RUNTIME
from modelserve.rules.images import containers_of
from modelserve.validate.secrets import find_in, redact, redacted_path

INFO = RuleInfo(
    "secret-literal",
    Severity.ERROR,
    "No literal credentials; secrets only by secretKeyRef",
    "store the value in a Secret and reference it with secretKeyRef {name, key}; "
    "rotate the exposed credential",
    frozenset({Scope.CATALOG, Scope.OBJECT}),
    any_shape=True,
)
EXAMPLES = {
    "fail": {
        "catalog/runtimes/vllm-runtime.yaml": RUNTIME.replace(
            "    secretKeyRef: {name: nvidia-nim-secrets, key: NGC_API_KEY}",
            "    value: nvapi-Zx81kQm2vB7LrT0pYw5sNd3Hc9Jf6Ga4Ue1Xi8Ko",
        )
    },
    "pass": {},
}


def sources(ctx: Context) -> Iterator[Source]:
    catalog = ctx.catalog
    for group in (catalog.runtimes, catalog.models, catalog.environments):
        items: list[Runtime | Model | Environment] = list(group.values())
        for item in sorted(items, key=lambda x: x.name):
            yield item.source


def check(ctx: Context) -> Iterator[Finding]:
    for source in sources(ctx):
        if source.file in ctx.known_clean:
            continue  # searched with find_in when it entered the parse cache, and clean
        for path, label, value in find_in(source.doc.data):
            file, line, col = source.at(*path)
            where = format_path(list(redacted_path(path, value)))
            yield Finding(
                file,
                line,
                col,
                INFO.id,
                INFO.severity,
                f"{where} holds {label}: '{redact(value)}'",
                where,
                hint=INFO.hint,
            )


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    """Literal credentials in containers' env, args and command, and in labels and annotations
    (keys included), whatever the object's shape; a Secret's own data is where credentials
    belong and is not searched. Rendered objects are skipped: they are made of catalog files
    that ``check`` reads whole, so each credential is reported once, at its catalog line."""
    if objects.rendered:
        return
    places = [
        (pointer + (field,), container.get(field))
        for pointer, container in containers_of(obj)
        for field in ("env", "args", "command")
    ]
    meta = mapping(obj.get("metadata"))
    places += [(("metadata", field), meta.get(field)) for field in ("labels", "annotations")]
    for base, value in places:
        for path, label, found in find_in(value, base):
            where = format_path(list(redacted_path(path, found)))
            yield Problem(path, f"{where} holds {label}: '{redact(found)}'")
