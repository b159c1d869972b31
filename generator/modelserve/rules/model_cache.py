"""A model's cache holds its download, can be mounted by all its pods, and sits on its nodes.

- ``cache.pvc`` is mounted at a NIM's cache path (``NIM_CACHE_PATH``): other runtimes read
  their weights through KServe's storage initializer, which takes a claim as
  ``storageUri: pvc://<claim>/<path>``. The claim must hold the model's download
  (``size.downloadGiB``, or its weights).
- A ReadWriteOncePod claim admits one pod: the scheduler refuses a second one
  (kubernetes ``pkg/scheduler/framework/plugins/volumerestrictions`` ``VolumeRestrictions``:
  "node(s) unavailable due to PersistentVolumeClaim with ReadWriteOncePod access mode already
  in-use by another pod"), so more than one replica, or a rolling update that starts the new
  pod beside the old one, never completes. A ReadWriteOnce claim attaches to one node: a pod the
  scheduler puts on another node waits for it ("Multi-Attach error", the attach/detach
  controller), so several replicas or a surge can stall: a warning (``rollout.strategy:
  Recreate`` or ReadWriteMany avoids it).
- ``cache.localModelCache`` makes KServe download the model's ``storageUri`` onto each node of
  a LocalModelNodeGroup and mount it from a claim bound to local volumes of those nodes
  (``pkg/controller/v1alpha1/localmodel``): KServe matches InferenceServices to caches by
  storageUri only (``inference_service_defaults.go`` ``setLocalModelLabel``), so a model
  without one (a NIM) is never cached; the node group must be the nodes of the model's pool
  (``localModelNodeGroups.<g>.profile`` names the same pool), or the pod needs a node that is in
  neither; and the node group's ``storageLimit`` is the disk each node has for every model
  cached there. KServe v0.15 to v0.20 do not enforce ``storageLimit`` (no code reads it beyond
  its type), so a cache that does not fit fails when the node's disk fills: checked here.
- A NIM without a cache downloads at every start into its container's disk; without ``size``
  its ephemeral-storage cannot be reserved (a warning).
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.model import Environment
from modelserve.quantity import parse_quantity
from modelserve.render.cache import local_model_caches
from modelserve.rules.base import Context, Placement, RuleInfo
from modelserve.rules.examples import ENVIRONMENT

INFO = RuleInfo(
    "model-cache",
    Severity.ERROR,
    "Model caches hold the download, can be mounted by every pod, and sit on the model's nodes",
    "size the cache for the model's download, pick an access mode its replicas and rollout can "
    "share, and cache on a node group of the model's pool",
)
EXAMPLES = {
    # 8B bf16 weights are 14.9 GiB: a 10Gi claim cannot hold them
    "fail": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            "    profile: h100\n",
            "    profile: h100\n"
            "    cache:\n"
            "      pvc: {claimName: llama-cache, size: 10Gi, storageClassName: standard-rwo}\n",
        )
    },
    "pass": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            "    profile: h100\n",
            "    profile: h100\n"
            "    rollout: {strategy: Recreate}\n"
            "    cache:\n"
            "      pvc: {claimName: llama-cache, size: 20Gi, storageClassName: standard-rwo}\n",
        )
    },
}

GIB = 1024**3
# Access modes that limit who mounts a claim: (the limit, what it does to more pods, severity).
ACCESS_LIMITS: dict[str, tuple[str, str, Severity | None]] = {
    "ReadWriteOncePod": ("one pod can use", "would never start", None),
    "ReadWriteOnce": (
        "attaches to one node",
        "placed on another node would wait for it (Multi-Attach)",
        Severity.WARNING,
    ),
}


def check(ctx: Context) -> Iterator[Finding]:
    for p in ctx.placements():
        if p.model is None or p.runtime is None:
            continue
        cache = p.entry.cache
        if "pvc" in cache:
            yield from _pvc(p)
        elif "localModelCache" in cache:
            yield from _local(p)
        elif p.runtime.is_nim and p.model.download_gib is None:
            yield INFO.at(
                p.model.source,
                ("name",),
                f"NIM model '{p.model.name}' downloads its weights at every start in "
                f"'{p.env.name}' and states no size, so no disk is reserved for them: add "
                "size (or size.downloadGiB), or a cache in the environment",
                severity=Severity.WARNING,
            )
    yield from _node_group_totals(ctx)


def _pvc(p: Placement) -> Iterator[Finding]:
    assert p.model is not None and p.runtime is not None
    pvc = p.entry.cache["pvc"]
    where = p.entry.path + ("cache", "pvc")
    name = f"cache claim '{pvc['claimName']}' of '{p.model.name}' in '{p.env.name}'"
    if not p.runtime.is_nim:
        yield INFO.at(
            p.env.source,
            where,
            f"{name}: runtime '{p.runtime.name}' is not a NIM, so nothing reads a cache path; "
            "give the weights as storageUri: pvc://<claim>/<path> instead",
        )
        return
    size = parse_quantity(pvc["size"])
    need = p.model.download_gib
    if size is not None and need is not None and size < need * GIB:
        yield INFO.at(
            p.env.source,
            where + ("size",),
            f"{name} is {pvc['size']} but the model downloads {need:.1f} GiB",
        )
    mode = pvc.get("accessMode", "ReadWriteOnce")
    _, high = p.entry.replica_bounds(p.model)
    if mode in ACCESS_LIMITS and (high > 1 or p.entry.surge(p.model) > 0):
        limit, outcome, severity = ACCESS_LIMITS[mode]
        what = f"{high} replicas" if high > 1 else "a rolling update's new pod beside the old"
        yield INFO.at(
            p.env.source,
            where + ("accessMode",),
            f"{name} is {mode}, which {limit}: {what} {outcome}; use ReadWriteMany, or one "
            "replica with rollout.strategy: Recreate",
            severity=severity,
        )


def _local(p: Placement) -> Iterator[Finding]:
    assert p.model is not None
    group = p.entry.cache["localModelCache"]["nodeGroup"]
    where = p.entry.path + ("cache", "localModelCache", "nodeGroup")
    if p.entry.storage_uri(p.model) is None:
        yield INFO.at(
            p.env.source,
            where,
            f"model '{p.model.name}' has no storageUri, and KServe matches LocalModelCaches to "
            "InferenceServices by storageUri: it would never be cached (a NIM needs cache.pvc)",
        )
        return
    declared = p.env.node_groups.get(group)
    if declared is None:
        known = ", ".join(sorted(p.env.node_groups)) or "none"
        yield INFO.at(
            p.env.source,
            where,
            f"node group '{group}' of model '{p.model.name}' is not in localModelNodeGroups "
            f"of '{p.env.name}' (declared: {known})",
        )
        return
    profile = p.env.profiles.get(str(declared["profile"]))
    if profile is None:
        return  # the node group's own finding, below, reports it once
    if p.profile is not None and profile.pool_name != p.profile.pool_name:
        yield INFO.at(
            p.env.source,
            where,
            f"node group '{group}' holds its cache on the nodes of pool '{profile.pool_name}', "
            f"but model '{p.model.name}' runs on pool '{p.profile.pool_name}' in "
            f"'{p.env.name}': its claim binds to volumes of nodes it cannot be scheduled on",
        )


def _node_group_totals(ctx: Context) -> Iterator[Finding]:
    """Every cache on a node group takes disk on each of its nodes: together within its limit."""
    by_cluster: dict[str, list[Environment]] = {}
    for env in sorted(ctx.catalog.environments.values(), key=lambda e: e.name):
        by_cluster.setdefault(env.cluster, []).append(env)
    for members in by_cluster.values():
        caches = local_model_caches(members, ctx.catalog.models)
        for env in members:
            for group, spec in sorted(env.node_groups.items()):
                where = ("localModelNodeGroups", group)
                if str(spec["profile"]) not in env.profiles:
                    yield INFO.at(
                        env.source,
                        (*where, "profile"),
                        f"node group '{group}' names profile '{spec['profile']}', which "
                        f"'{env.name}' does not have",
                    )
                limit = parse_quantity(spec["storageLimit"])
                held = [c for c in caches if group in c.obj["spec"]["nodeGroups"]]
                total = sum(parse_quantity(c.obj["spec"]["modelSize"]) or 0 for c in held)
                if limit is not None and total > limit:
                    names = ", ".join(
                        f"{c.obj['metadata']['name']} ({c.obj['spec']['modelSize']})" for c in held
                    )
                    yield INFO.at(
                        env.source,
                        (*where, "storageLimit"),
                        f"node group '{group}' has storageLimit {spec['storageLimit']} per node "
                        f"but caches {float(total / GIB):g}Gi on each: {names}",
                    )
