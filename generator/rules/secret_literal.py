"""Credentials never appear as literal values; they come from Secrets by reference.

Any string in a catalog or environment file that looks like a credential (NGC API keys,
AWS/GCP/Azure keys, Hugging Face and GitHub tokens, bearer tokens, private keys, or a long
random value in a variable named like *KEY, *TOKEN, *SECRET, *PASSWORD) is refused. The
message shows only the first characters, so the value does not leak again into CI logs.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..findings import Finding, Severity
from ..model import Source
from ..secrets import classify, redact
from .base import Context, RuleInfo
from .examples import RUNTIME

INFO = RuleInfo("secret-literal", Severity.ERROR, "No literal credentials; secrets only by secretKeyRef",
                "store the value in a Secret and reference it with secretKeyRef {name, key}; rotate the exposed credential")
EXAMPLES = {
    "fail": {"catalog/runtimes/vllm-runtime.yaml": RUNTIME.replace(
        "    secretKeyRef: {name: nvidia-nim-secrets, key: NGC_API_KEY}",
        "    value: nvapi-Zx81kQm2vB7LrT0pYw5sNd3Hc9Jf6Ga4Ue1Xi8Ko")},
    "pass": {},
}

REFERENCES = ("secretKeyRef", "configMapKeyRef")


def walk(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str, str]]:
    """(path, value, variable name) for every string outside secret/config-map references.

    The variable name is only known for an env entry's ``value``; it feeds the heuristic for
    random-looking values, which would otherwise flag ordinary keys and names.
    """
    if isinstance(data, dict):
        name = str(data.get("name", "")) if "value" in data else ""
        for key, value in data.items():
            if key in REFERENCES:
                continue  # a reference is the fix this rule asks for, not a credential
            if isinstance(value, str):
                yield path + (key,), value, name if key == "value" else ""
            else:
                yield from walk(value, path + (key,))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            if isinstance(item, str):
                yield path + (i,), item, ""
            else:
                yield from walk(item, path + (i,))


def sources(ctx: Context) -> Iterator[Source]:
    for group in (ctx.catalog.runtimes, ctx.catalog.models, ctx.catalog.environments):
        for item in sorted(group.values(), key=lambda x: x.name):
            yield item.source


def check(ctx: Context) -> Iterator[Finding]:
    for source in sources(ctx):
        for path, value, name in walk(source.doc.data):
            label = classify(value, name)
            if label:
                yield INFO.at(source, path, f"{'.'.join(map(str, path))} holds {label}: '{redact(value)}'")
