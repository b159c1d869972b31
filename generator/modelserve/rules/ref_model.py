"""Every model an environment deploys exists in catalog/models/, and only once.

A second entry for the same model would render two InferenceServices with one name: the
later silently replaces the earlier in the Kustomize build.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT

INFO = RuleInfo(
    "ref-model",
    Severity.ERROR,
    "Deployed models exist in the catalog, once per environment",
    "fix the name, add the model under catalog/models/, or remove the duplicate entry",
)
EXAMPLES = {
    "fail": {
        "environments/dev.yaml": ENVIRONMENT.replace("  - model: llama\n", "  - model: lama\n")
    },
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    names = sorted(ctx.catalog.models)
    for env in sorted(ctx.catalog.environments.values(), key=lambda e: e.name):
        seen: dict[str, int] = {}
        for entry in env.entries:
            if entry.model in ctx.catalog.broken.get("model", ()):
                continue  # its file failed to load and is reported on its own
            if entry.model not in ctx.catalog.models:
                close = difflib.get_close_matches(entry.model, names, n=1)
                yield INFO.at(
                    env.source,
                    entry.path + ("model",),
                    f"environment '{env.name}' deploys model '{entry.model}', which is not in "
                    "catalog/models/",
                    hint=f"did you mean '{close[0]}'?" if close else None,
                )
            elif entry.model in seen:
                yield INFO.at(
                    env.source,
                    entry.path + ("model",),
                    f"model '{entry.model}' is deployed twice in '{env.name}' "
                    f"(first at models[{seen[entry.model]}])",
                )
            seen.setdefault(entry.model, entry.index)
