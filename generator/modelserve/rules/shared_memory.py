"""A runtime's /dev/shm fits inside its memory limit.

``sharedMemory`` becomes a memory-backed ``emptyDir`` mounted at ``/dev/shm``. The kubelet
counts the pages of a ``medium: Memory`` emptyDir against the memory limit of the pod's cgroup
(tmpfs pages are charged to the cgroup of the writer; the Kubernetes documentation of emptyDir:
"files you write count against your container's memory limit"), so a runtime whose inference
server fills a /dev/shm larger than its memory limit is OOM-killed before the volume is full,
and the sizeLimit the generator sets never applies. vLLM and Triton fill /dev/shm with tensors
shared between workers, so the volume must leave room for the server's own memory.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.quantity import parse_quantity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import RUNTIME

INFO = RuleInfo(
    "shared-memory",
    Severity.ERROR,
    "sharedMemory is smaller than the runtime's memory limit",
    "lower sharedMemory, or raise resources.memory above it (with room for the server itself)",
)
EXAMPLES = {
    "fail": {
        "catalog/runtimes/vllm-runtime.yaml": RUNTIME
        + "sharedMemory: 20Gi\nresources: {cpu: '4', memory: 12Gi}\n"
    },
    "pass": {
        "catalog/runtimes/vllm-runtime.yaml": RUNTIME
        + "sharedMemory: 8Gi\nresources: {cpu: '4', memory: 24Gi}\n"
    },
}


def check(ctx: Context) -> Iterator[Finding]:
    for runtime in sorted(ctx.catalog.runtimes.values(), key=lambda r: r.name):
        shm = parse_quantity(runtime.data.get("sharedMemory"))
        memory = parse_quantity((runtime.data.get("resources") or {}).get("memory"))
        if shm is None or memory is None or shm < memory:
            continue
        yield INFO.at(
            runtime.source,
            ("sharedMemory",),
            f"runtime '{runtime.name}' mounts {runtime.data['sharedMemory']} of memory-backed "
            f"/dev/shm but its memory limit is {runtime.data['resources']['memory']}: the volume "
            "counts against the limit, so filling it OOM-kills the container",
        )
