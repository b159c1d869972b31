"""A model or runtime name never collides with a file the Kustomize layout writes itself.

Each model becomes ``overlays/<env>/models/<shard>/<model>.yaml`` beside the shard's
``kustomization.yaml``: a model named ``kustomization`` would replace the shard's Kustomization
(its InferenceService silently dropped). A runtime with an environment's own image becomes
``shared/<cluster>/runtimes/<runtime>.yaml``; the names ``kustomization`` and ``namespace``
stay reserved for runtimes too, so a catalog is valid whatever the layout version. Such names are
refused, and the layout leaves them out rather than overwrite.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.deploy.tree import RESERVED_MODEL_NAMES, RESERVED_RUNTIME_NAMES
from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT, MODEL

INFO = RuleInfo(
    "reserved-name",
    Severity.ERROR,
    "No model or runtime is named like a file of the layout",
    "rename it (the names kustomization and namespace are the layout's own files)",
)
EXAMPLES = {
    "fail": {
        "catalog/models/llama.yaml": MODEL.replace("name: llama", "name: kustomization"),
        "environments/dev.yaml": ENVIRONMENT.replace(
            "  - model: llama", "  - model: kustomization"
        ),
    },
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    for kind, items, reserved in (
        ("model", ctx.catalog.models, RESERVED_MODEL_NAMES),
        ("runtime", ctx.catalog.runtimes, RESERVED_RUNTIME_NAMES),
    ):
        for name in sorted(set(items) & reserved):
            yield INFO.at(
                items[name].source,
                ("name",),
                f"{kind} name '{name}' is the name of a file the layout "
                f"writes beside the {kind}s' own files ({name}.yaml), so it cannot be used",
            )
