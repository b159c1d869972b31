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
        for dep in env.deployments:
            if dep.model in ctx.catalog.broken.get("model", ()):
                continue  # its file failed to load and is reported on its own
            if dep.model not in ctx.catalog.models:
                close = difflib.get_close_matches(dep.model, names, n=1)
                yield INFO.at(
                    env.source,
                    dep.path + ("model",),
                    f"environment '{env.name}' deploys model '{dep.model}', which is not in catalog/models/",
                    hint=f"did you mean '{close[0]}'?" if close else None,
                )
            elif dep.model in seen:
                yield INFO.at(
                    env.source,
                    dep.path + ("model",),
                    f"model '{dep.model}' is deployed twice in '{env.name}' (first at models[{seen[dep.model]}])",
                )
            seen.setdefault(dep.model, dep.index)
