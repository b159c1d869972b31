"""Names are DNS-1123 and short enough for every object KServe and Flux derive from them.

KServe labels predictor pods ``app: isvc.<name>-predictor`` (a label value: at most 63
characters), names the ModelEntry and Service ``<name>-predictor``, and in Knative mode the
host label ``<name>-predictor-<namespace>``. So a model name over 48 characters breaks in
Standard mode, and name plus namespace over 52 in Knative mode. Flux Kustomization names
derived from the environment must fit 63 too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from modelserve.derive.predictor import predictor_component
from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT, MODEL

INFO = RuleInfo(
    "name-length",
    Severity.ERROR,
    "Names are DNS-1123 and every derived name fits 63 characters",
    "shorten the model (or environment) name",
)
LONG = "llama-3-1-8b-instruct-with-a-very-long-descriptive-suffix"
EXAMPLES = {
    "fail": {
        "catalog/models/llama.yaml": MODEL.replace("name: llama", f"name: {LONG}"),
        "environments/dev.yaml": ENVIRONMENT.replace("  - model: llama", f"  - model: {LONG}"),
    },
    "pass": {},
}

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE_MAX = 63
FLUX_SUFFIX = len("-modelserve-models-0000")


def check(ctx: Context) -> Iterator[Finding]:
    for model in sorted(ctx.catalog.models.values(), key=lambda m: m.name):
        derived = f"isvc.{predictor_component(model.name)}"  # the Deployment's app label
        if len(derived) > LABEL_VALUE_MAX:
            yield INFO.at(
                model.source,
                ("name",),
                f"model name '{model.name}' is {len(model.name)} characters; KServe's pod label "
                f"'{derived}' would be {len(derived)} (max 63), so at most 48 fit",
            )
    for p in ctx.placements():
        if p.model is None or p.env.deployment_mode != "Knative":
            continue
        host = f"{p.model.name}-predictor-{p.env.namespace}"
        if len(host) > LABEL_VALUE_MAX:
            yield INFO.at(
                p.env.source,
                p.entry.path + ("model",),
                f"Knative host label '{host}' is {len(host)} characters (max 63)",
            )
    for env in sorted(ctx.catalog.environments.values(), key=lambda e: e.name):
        if len(env.name) + FLUX_SUFFIX > LABEL_VALUE_MAX:
            yield INFO.at(
                env.source,
                ("name",),
                f"environment name '{env.name}' makes Flux Kustomization names over 63 characters",
            )
