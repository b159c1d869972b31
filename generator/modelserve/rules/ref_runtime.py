"""A model's ``runtime`` names a runtime in catalog/runtimes/.

KServe resolves ``spec.predictor.model.runtime`` when the InferenceService is reconciled; a
missing ClusterServingRuntime leaves the model un-deployed with only a status condition to
say why.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import MODEL

INFO = RuleInfo(
    "ref-runtime",
    Severity.ERROR,
    "The model's runtime exists in the catalog",
    "fix the name or add the runtime under catalog/runtimes/",
)
EXAMPLES = {
    "fail": {
        "catalog/models/llama.yaml": MODEL.replace("runtime: vllm-runtime", "runtime: vllm-runtme")
    },
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    names = sorted(ctx.catalog.runtimes)
    for model in sorted(ctx.catalog.models.values(), key=lambda m: m.name):
        if (
            model.runtime not in ctx.catalog.runtimes
            and model.runtime not in ctx.catalog.broken.get("runtime", ())
        ):
            close = difflib.get_close_matches(model.runtime, names, n=1)
            hint = f"did you mean '{close[0]}'?" if close else INFO.hint
            yield INFO.at(
                model.source,
                ("runtime",),
                f"model '{model.name}' uses runtime '{model.runtime}', "
                "which is not in catalog/runtimes/",
                hint=hint,
            )
