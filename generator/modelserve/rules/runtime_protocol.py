"""The model's inference protocol is one the runtime serves.

KServe defaults a model's ``protocolVersion`` to v1; a runtime that lists protocolVersions
without it cannot serve the model, and auto-selection skips it.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import MODEL

INFO = RuleInfo(
    "runtime-protocol",
    Severity.ERROR,
    "The runtime serves the model's protocol version",
    "set protocolVersion to one the runtime lists under protocolVersions",
)
EXAMPLES = {
    "fail": {
        "catalog/models/llama.yaml": MODEL.replace("protocolVersion: v2", "protocolVersion: v1")
    },
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    for model in sorted(ctx.catalog.models.values(), key=lambda m: m.name):
        runtime = ctx.catalog.runtimes.get(model.runtime)
        if runtime is None or not runtime.protocols:
            continue
        wanted = model.data.get("protocolVersion")
        served = ", ".join(runtime.protocols)
        if wanted is not None and wanted not in runtime.protocols:
            yield INFO.at(
                model.source,
                ("protocolVersion",),
                f"runtime '{runtime.name}' serves {served}, not protocol {wanted}",
            )
        elif wanted is None and "v1" not in runtime.protocols:
            yield INFO.at(
                model.source,
                ("runtime",),
                f"model '{model.name}' has no protocolVersion, so KServe assumes v1, "
                f"which runtime '{runtime.name}' does not serve ({served})",
                severity=Severity.WARNING,
                hint=f"set protocolVersion: {runtime.protocols[0]}",
            )
