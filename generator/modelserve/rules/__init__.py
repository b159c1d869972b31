"""The rule registry: each rule is one module with INFO, EXAMPLES, check() and its docstring."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

from modelserve.findings import Finding
from modelserve.rules import (
    cluster_agree,
    env_name,
    flux_refs,
    gpu_capacity,
    gpu_memory_fit,
    gpu_node_fit,
    gpu_placement,
    image_digest,
    image_latest,
    image_registry,
    monitor_port,
    monitor_target,
    names,
    object_size,
    ref_model,
    ref_profile,
    ref_runtime,
    replicas,
    reserved_name,
    runtime_format,
    runtime_protocol,
    secret_literal,
    storage_uri,
)
from modelserve.rules.base import Context

RULES: tuple[ModuleType, ...] = (
    ref_runtime,
    ref_model,
    ref_profile,
    env_name,
    runtime_format,
    runtime_protocol,
    storage_uri,
    replicas,
    gpu_placement,
    gpu_node_fit,
    gpu_memory_fit,
    gpu_capacity,
    image_registry,
    image_digest,
    image_latest,
    names,
    reserved_name,
    object_size,
    monitor_port,
    monitor_target,
    secret_literal,
    flux_refs,
    cluster_agree,
)
BY_ID = {rule.INFO.id: rule for rule in RULES}
# Rules whose findings mean the catalog cannot be rendered at all.
REFERENCE_RULES = {"ref-runtime", "ref-model", "ref-profile", "env-name-file"}


def run_rules(ctx: Context, only: set[str] | None = None) -> Iterator[Finding]:
    for rule in RULES:
        if only is None or rule.INFO.id in only:
            yield from rule.check(ctx)
