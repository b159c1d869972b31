"""Every consumer-facing name is unique in its environment.

``modelserve endpoints`` gives each model of an environment a name consumers use: the AIDB model
name its SQL registers, the key of the discovery output. It is ``endpoint.name`` (catalog or
environment entry), else the model's name. Two models with one name in one environment collide:
AIDB addresses a model by its name alone (``aidb.create_model(name => ...)``, and every AIDB
function after it takes that name), so the second registration would meet the first, and
consumers could not tell the two apart.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.endpoints import endpoint_name
from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT, MODEL

INFO = RuleInfo(
    "endpoint-name-unique",
    Severity.ERROR,
    "Consumer-facing endpoint names are unique per environment",
    "give one of the models another endpoint.name",
)
SECOND = MODEL.replace("name: llama\n", "name: llama-copy\n")
EXAMPLES = {
    "fail": {
        "catalog/models/llama-copy.yaml": SECOND + "endpoint: {name: llama}\n",
        "environments/dev.yaml": ENVIRONMENT + "  - model: llama-copy\n    profile: h100\n",
    },
    "pass": {
        "catalog/models/llama-copy.yaml": SECOND + "endpoint: {name: llama-2}\n",
        "environments/dev.yaml": ENVIRONMENT + "  - model: llama-copy\n    profile: h100\n",
    },
}


def check(ctx: Context) -> Iterator[Finding]:
    for env in sorted(ctx.catalog.environments.values(), key=lambda e: e.name):
        first: dict[str, str] = {}
        for entry in env.entries:
            model = ctx.catalog.models.get(entry.model)
            if model is None or entry.model in first.values():
                continue  # a missing model (ref-model) or a repeated entry (its own rule)
            name, source, path = endpoint_name(model, entry, env)
            if name in first:
                yield INFO.at(
                    source,
                    path,
                    f"endpoint name '{name}' of model '{model.name}' in environment "
                    f"'{env.name}' is already model '{first[name]}''s",
                    hint=f"set endpoint.name of '{model.name}' to a name no other model of "
                    f"'{env.name}' uses",
                )
                continue
            first[name] = model.name
