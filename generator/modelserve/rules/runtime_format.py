"""The runtime lists the model's format, and its version when the model gives one.

KServe matches formats case-sensitively (``mt:<name>[:<version>]`` in predictor_model.go): a
model of format ``vllm`` does not match a runtime that serves ``vLLM``, and the
InferenceService fails with "specified runtime does not support specified framework/version".
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import MODEL

INFO = RuleInfo(
    "runtime-format",
    Severity.ERROR,
    "The runtime serves the model's format and version",
    "use a format name and version the runtime lists under modelFormats, with the same case",
)
EXAMPLES = {
    "fail": {"catalog/models/llama.yaml": MODEL.replace('version: "1.3.3"', 'version: "1.4.0"')},
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    for model in sorted(ctx.catalog.models.values(), key=lambda m: m.name):
        runtime = ctx.catalog.runtimes.get(model.runtime)
        if runtime is None:
            continue  # ref-runtime reports it
        same_name = [f for f in runtime.formats if f.name == model.format.name]
        listed = ", ".join(
            f"{f.name}" + (f":{f.version}" if f.version else "") for f in runtime.formats
        )
        if not same_name:
            folded = [
                f.name for f in runtime.formats if f.name.lower() == model.format.name.lower()
            ]
            hint = f"KServe compares case-sensitively: write '{folded[0]}'" if folded else INFO.hint
            yield INFO.at(
                model.source,
                ("format", "name"),
                f"runtime '{runtime.name}' does not serve format '{model.format.name}' "
                f"(it serves {listed})",
                hint=hint,
            )
        elif model.format.version is not None and not any(
            f.version is None or f.version == model.format.version for f in same_name
        ):
            yield INFO.at(
                model.source,
                ("format", "version"),
                f"runtime '{runtime.name}' serves '{model.format.name}' only in version(s) "
                f"{', '.join(str(f.version) for f in same_name)}, not {model.format.version}",
            )
