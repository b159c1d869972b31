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

from modelserve.findings import Finding, Severity, format_path
from modelserve.model import Source
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import RUNTIME
from modelserve.validate.secrets import find_in, redact, redacted_path

INFO = RuleInfo(
    "secret-literal",
    Severity.ERROR,
    "No literal credentials; secrets only by secretKeyRef",
    "store the value in a Secret and reference it with secretKeyRef {name, key}; rotate the exposed credential",
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
    for group in (ctx.catalog.runtimes, ctx.catalog.models, ctx.catalog.environments):
        for item in sorted(group.values(), key=lambda x: x.name):
            yield item.source


def check(ctx: Context) -> Iterator[Finding]:
    for source in sources(ctx):
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
