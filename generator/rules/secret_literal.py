"""Credentials never appear as literal values; they come from Secrets by reference.

Any string in a catalog or environment file that looks like a credential (NGC API keys,
AWS/GCP/Azure keys, Hugging Face and GitHub tokens, bearer tokens, private keys, or a long
random value in a variable named like *KEY, *TOKEN, *SECRET, *PASSWORD) is refused. The
message shows only the first characters, so the value does not leak again into CI logs.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterator

from ..findings import Finding, Severity
from ..model import Source
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

PATTERNS = [
    ("an NGC API key", re.compile(r"nvapi-[A-Za-z0-9_-]{20,}")),
    ("an NGC legacy key", re.compile(r"\b[a-z0-9]{26}:[a-f0-9-]{36}\b")),
    ("an AWS access key", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("a GitHub token", re.compile(r"\b(ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}\b")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("a bearer token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{16,}=*")),
    ("a Slack token", re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}")),
    ("a JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
    ("a password in a URL", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]{3,}@")),
]
SECRET_NAME = re.compile(r"(?i)(key|token|secret|passw(or)?d|credential|api_?key)$")


def redact(value: str) -> str:
    return value[:4] + "…" + f"({len(value)} characters)"


def entropy(value: str) -> float:
    counts = {c: value.count(c) for c in set(value)}
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def classify(value: str, key_name: str = "") -> str:
    for label, pattern in PATTERNS:
        if pattern.search(value):
            return label
    if SECRET_NAME.search(key_name) and len(value) >= 16 and " " not in value and entropy(value) > 3.5:
        return f"a credential (a random value for {key_name})"
    return ""


def walk(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str, str]]:
    """(path, value, name of the variable or key that holds it) for every string."""
    if isinstance(data, dict):
        name = str(data.get("name", "")) if "value" in data else ""
        for key, value in data.items():
            yield from walk(value, path + (key,)) if not isinstance(value, str) else \
                [(path + (key,), value, name if key == "value" else str(key))]
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
