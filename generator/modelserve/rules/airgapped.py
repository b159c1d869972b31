"""An air-gapped environment fetches nothing from outside the cluster.

With ``network: airgapped`` every image must come from ``registry.allowed`` (which must then be
written: without it every registry is allowed, rule image-registry), and every model's weights
from inside: a ``pvc://`` claim, a store listed in ``modelStores`` (matched as KServe matches a
cache to a storageUri, ``MatchStorageURI``), or an ``oci://`` image of an allowed registry. A
LocalModelCache downloads from the same storageUri, so it is held to the same. A NIM downloads
its model from NGC at start unless its cache path already holds it (NVIDIA NIM, "Air Gap
Deployment": the model is downloaded into a cache ahead of time and the cache mounted), so a
NIM needs ``cache.pvc`` with the files put there beforehand.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from modelserve.findings import Finding, Severity
from modelserve.model import Environment
from modelserve.render.cache import match_storage_uri
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT
from modelserve.rules.images import registry_allowed

INFO = RuleInfo(
    "airgapped",
    Severity.ERROR,
    "Air-gapped environments take images and weights only from inside the cluster",
    "mirror the image into an allowed registry, copy the weights into a modelStores store or a "
    "claim (storageUri), and give NIMs a preloaded cache.pvc",
)
EXAMPLES = {
    # the NIM would download its model from NGC at start
    "fail": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            "registry:\n", "network: airgapped\nregistry:\n"
        )
    },
    "pass": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            "registry:\n", "network: airgapped\nregistry:\n"
        ).replace(
            "    profile: h100\n",
            "    profile: h100\n"
            "    rollout: {strategy: Recreate}\n"
            "    cache:\n"
            "      pvc: {claimName: llama-cache, size: 20Gi}\n",
        )
    },
}


def in_cluster(uri: str, env: Environment) -> bool:
    """The weights at ``uri`` are reachable from an air-gapped cluster."""
    if uri.startswith("pvc://"):
        return True
    if uri.startswith(("oci://", "oci+native://", "oci+fetch://")):
        host = urlsplit(uri).netloc
        return registry_allowed(host, list(env.registry.get("allowed") or []))
    return any(match_storage_uri(store, uri) for store in env.model_stores)


def check(ctx: Context) -> Iterator[Finding]:
    for env in sorted(ctx.catalog.environments.values(), key=lambda e: e.name):
        if not env.airgapped:
            continue
        if not env.registry.get("allowed"):
            yield INFO.at(
                env.source,
                ("network",),
                f"'{env.name}' is air-gapped but has no registry.allowed, so no image is held "
                "to the registries it can reach: list its mirror",
            )
    for p in ctx.placements():
        if not p.env.airgapped or p.model is None or p.runtime is None:
            continue
        uri = p.entry.storage_uri(p.model)
        if uri is not None and not in_cluster(uri, p.env):
            stores = ", ".join(p.env.model_stores) or "none"
            at = (
                (p.env.source, p.entry.path + ("storageUri",))
                if "storageUri" in p.entry.data
                else (p.env.source, p.entry.path + ("model",))
            )
            yield INFO.at(
                *at,
                f"model '{p.model.name}' fetches its weights from {uri}, outside air-gapped "
                f"'{p.env.name}' (in-cluster: pvc://, modelStores: {stores}); set storageUri "
                "to a copy inside",
            )
        elif uri is None and p.runtime.is_nim and "pvc" not in p.entry.cache:
            yield INFO.at(
                p.env.source,
                p.entry.path + ("model",),
                f"NIM model '{p.model.name}' downloads its model from NGC at start, which "
                f"air-gapped '{p.env.name}' cannot reach: give it a cache.pvc holding the "
                "model (downloaded there beforehand)",
            )
