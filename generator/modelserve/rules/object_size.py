"""No rendered object is larger than the API server stores.

Every object is stored in etcd, whose default request limit is 1.5 MiB (etcd v3.5.21
``server/embed/config.go``: ``DefaultMaxRequestBytes = 1.5 * 1024 * 1024``, the value the
Kubernetes releases this tool targets ship with), and kube-apiserver refuses request bodies over
3 MiB (k8s.io/apiserver v0.33.0 ``pkg/server/config.go``: ``MaxRequestBodyBytes``). An
InferenceService carries its model's args, env, labels and annotations, and a
ClusterServingRuntime its runtime's: a model or runtime whose object would pass 1.5 MiB as JSON
is refused, once for every environment it is deployed in. It also bounds what ``generate``
writes: at most 1.5 MiB per object.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.model import json_bytes
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import MODEL

ETCD_MAX_REQUEST_BYTES = 1_572_864
# Only data this large can make an object that large (the rest of an object is a few kB), so
# smaller models and runtimes are not measured at all.
_WORTH_MEASURING = 256 * 1024

INFO = RuleInfo(
    "object-size",
    Severity.ERROR,
    "No rendered object passes the 1.5 MiB the API server stores",
    "move large values out of args, env and annotations (into a ConfigMap, or the model's storage)",
)
EXAMPLES = {
    "fail": {
        "catalog/models/llama.yaml": MODEL
        + "annotations:\n"
        + "".join(f"  example.com/note-{i}: '{'x' * 250_000}'\n" for i in range(7))
    },
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.tree is None:
        return
    big_models = {name for name, m in ctx.catalog.models.items() if m.data_bytes > _WORTH_MEASURING}
    big_runtimes = {
        name for name, r in ctx.catalog.runtimes.items() if r.data_bytes > _WORTH_MEASURING
    }
    if not big_models and not big_runtimes:
        return
    seen: set[tuple[str, str]] = set()
    for root in ctx.tree.roots:
        for rendered in root.objects:
            name = rendered.obj["metadata"]["name"]
            if (rendered.model or "") in big_models:
                source = ctx.catalog.models[rendered.model or ""].source
            elif rendered.obj["kind"] == "ClusterServingRuntime" and name in big_runtimes:
                source = ctx.catalog.runtimes[name].source
            else:
                continue
            size = json_bytes(rendered.obj)
            if size > ETCD_MAX_REQUEST_BYTES and (rendered.label, root.env) not in seen:
                seen.add((rendered.label, root.env))
                yield INFO.at(
                    source,
                    ("name",),
                    f"{rendered.label} in environment '{root.env}' is {size:,} bytes "
                    f"as JSON, over the {ETCD_MAX_REQUEST_BYTES:,} bytes etcd stores: the API "
                    "server refuses it",
                )
