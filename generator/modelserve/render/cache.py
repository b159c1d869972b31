"""Where a model's weights are kept: a NIM's cache claim, and KServe LocalModelCaches.

A NIM downloads its model into ``NIM_CACHE_PATH`` at every start unless the files are there
already; with ``cache.pvc`` that path is a PersistentVolumeClaim (mounted into the predictor,
generated beside the model when a StorageClass is named). Other runtimes read ``storageUri``
through KServe's storage initializer, and a ``cache.localModelCache`` makes KServe download it
once per node of a LocalModelNodeGroup: the InferenceService's storageUri matches the cache's
``sourceModelUri`` (``pkg/apis/serving/v1alpha1`` ``MatchStorageURI``), and its
``serving.kserve.io/nodegroup`` annotation picks the node group's claim (``inference_service_
defaults.go`` ``setLocalModelLabel``: without it KServe takes the cache's first node group,
which for a second environment on another group would be the wrong nodes). LocalModelCache
(``serving.kserve.io/v1alpha1``) is in every KServe release this tool targets (read at v0.15.0
and v0.20.0; v0.16 added ``serviceAccountName`` and ``storage``, which are not emitted), and
needs KServe's ``localModel.enabled`` in its configuration, which the platform sets.
"""

from __future__ import annotations

import math
from typing import Any

from modelserve.model import NIM_CACHE_DEFAULT, Environment, Model, ModelEntry
from modelserve.render import MANAGED_BY, Origin, RenderedObject

CACHE_VOLUME = "model-cache"
NODE_GROUP_ANNOTATION = "serving.kserve.io/nodegroup"


def match_storage_uri(cached: str, uri: str) -> bool:
    """``uri`` is ``cached`` or below it, as KServe decides which InferenceServices a
    LocalModelCache serves (``pkg/apis/serving/v1alpha1/storage_uri_utils.go``
    ``MatchStorageURI``: trailing slashes ignored, a prefix counts only up to a ``/``)."""
    cached, uri = cached.removesuffix("/"), uri.removesuffix("/")
    return uri == cached or uri.startswith(cached + "/")


def gib_quantity(gib: float) -> str:
    """Whole GiB, rounded up: what a request or a size must at least be."""
    return f"{max(1, math.ceil(gib - 1e-9))}Gi"


def pvc_mount_path(entry: ModelEntry) -> str:
    return str(entry.cache.get("pvc", {}).get("mountPath", NIM_CACHE_DEFAULT))


def render_pvc(model: Model, entry: ModelEntry, env: Environment) -> RenderedObject | None:
    """The cache claim, when the environment asks for it to be generated."""
    pvc = entry.cache.get("pvc")
    if not pvc or "storageClassName" not in pvc:
        return None
    obj = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": pvc["claimName"],
            "namespace": env.namespace,
            "labels": {**MANAGED_BY, "modelserve.io/environment": env.name},
        },
        "spec": {
            "accessModes": [pvc.get("accessMode", "ReadWriteOnce")],
            "storageClassName": pvc["storageClassName"],
            "resources": {"requests": {"storage": str(pvc["size"])}},
        },
    }
    where = entry.path + ("cache", "pvc")
    origins = [
        Origin((), env.source, where),
        Origin(("metadata", "namespace"), env.source, ("namespace",)),
        Origin(("metadata", "name"), env.source, where + ("claimName",)),
        Origin(("spec", "accessModes"), env.source, where + ("accessMode",)),
        Origin(("spec", "storageClassName"), env.source, where + ("storageClassName",)),
        Origin(("spec", "resources"), env.source, where + ("size",)),
    ]
    return RenderedObject(obj, origins, model=model.name)


def local_model_caches(
    members: list[Environment], models: dict[str, Model]
) -> list[RenderedObject]:
    """The LocalModelCaches a cluster's environments ask for: one per source URI (KServe's
    webhook refuses a second cache of the same URI: ``localmodelcache_validator.go``
    ``validateUniqueStorageURI``), named after the first model (by name) cached from it, on
    every node group an environment names for it, sized for the largest download."""
    by_uri: dict[str, list[tuple[Model, ModelEntry, Environment]]] = {}
    for env in members:
        for entry in env.entries:
            model = models.get(entry.model)
            uri = entry.storage_uri(model) if model else None
            if model is None or uri is None or "localModelCache" not in entry.cache:
                continue
            by_uri.setdefault(uri, []).append((model, entry, env))
    caches = []
    for uri, users in sorted(by_uri.items()):
        users.sort(key=lambda u: (u[0].name, u[2].name))
        model, entry, env = users[0]
        size = max((m.download_gib or 0.0) for m, _, _ in users)
        obj: dict[str, Any] = {
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "LocalModelCache",
            "metadata": {"name": model.name, "labels": dict(MANAGED_BY)},
            "spec": {
                "sourceModelUri": uri,
                "modelSize": gib_quantity(size),
                "nodeGroups": sorted(
                    {e.cache["localModelCache"]["nodeGroup"] for _, e, _ in users}
                ),
            },
        }
        where = entry.path + ("cache", "localModelCache")
        origins = [
            Origin((), env.source, where),
            Origin(("spec", "sourceModelUri"), *_uri_origin(model, entry, env)),
            Origin(("spec", "modelSize"), model.source, ("size",)),
            Origin(("spec", "nodeGroups"), env.source, where + ("nodeGroup",)),
        ]
        caches.append(RenderedObject(obj, origins, model=model.name))
    return caches


def _uri_origin(model: Model, entry: ModelEntry, env: Environment) -> tuple[Any, ...]:
    if "storageUri" in entry.data:
        return env.source, entry.path + ("storageUri",)
    return model.source, ("storageUri",)


def _node_group(entry: ModelEntry) -> str:
    return str(entry.cache["localModelCache"]["nodeGroup"])
