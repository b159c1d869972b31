"""Endpoints: what a consumer needs to call each model an environment deploys.

Everything is read off the objects KServe creates in Standard mode (``modelserve.derive``), not
off the catalog's intent, so the answer is the cluster's:

- the URL is the predictor Service KServe names ``<isvc>-predictor`` (``PredictorServiceName``)
  and exposes on port 80 (``createDefaultSvc``, reconcilers/service/service_reconciler.go);
  gRPC is offered where that Service has a port of ``appProtocol: kubernetes.io/h2c`` (a
  container port named for grpc or h2c), on that port's number;
- the request path and the name requests carry in ``model`` come from the runtime family and
  the derived ``kserve-container`` (its image, args and env after KServe's placeholders):

  - NVIDIA NIM: the OpenAI API under ``/v1`` (chat ``/v1/chat/completions``, embeddings and
    NV-CLIP ``/v1/embeddings``), reranking ``/v1/ranking``, OCR ``/v1/infer``; the served name is
    ``NIM_SERVED_MODEL_NAME`` or the NIM's own ``<org>/<name>``, the end of its image repository
    (NVIDIA, "NIM for LLMs API reference"; "Text Reranking NIM API reference"; NV-CLIP,
    https://docs.api.nvidia.com/nim/reference/nvidia-nvclip-infer; PaddleOCR,
    https://docs.nvidia.com/nim/ingestion/table-extraction/latest/api-reference.html);
  - KServe's Hugging Face server: the OpenAI routes under ``KSERVE_OPENAI_ROUTE_PREFIX``,
    default ``/openai`` (python/kserve/kserve/protocol/rest/openai/endpoints.py
    ``register_openai_endpoints``: ``/v1/chat/completions``, ``/v1/embeddings``, ``/v1/rerank``),
    the served name ``--served_model_name`` else ``--model_name`` (default ``model``,
    python/kserve/kserve/model_server.py; huggingfaceserver/__main__.py);
  - vLLM's own server: the OpenAI API under ``/v1``, named ``--served-model-name`` else
    ``--model``;
  - KServe's other model servers: the Open Inference Protocol, ``/v1/models/<name>:predict`` or
    ``/v2/models/<name>/infer`` by the model's protocol version.

- the AIDB registration: ``aidb.create_model(name, provider, config, credential)`` of AIDB 7,
  with ``openai_completions`` for chat and ``openai_embeddings`` for embeddings (any
  OpenAI-compatible server, ``url`` the full request URL) and ``nim_reranking`` for a NIM
  reranker (EDB, AIDB 7 docs under https://www.enterprisedb.com/docs/aidb/latest/ :
  "Remote models", integrating-models/remote-models/ ; "External model connections",
  integrating-models/external-model-connections/ ; "Text reranking",
  sql-functions/rerank-text/ ; "Model credentials", integrating-models/credentials/).
  Vision, OCR and predictive models have no AIDB 7 provider documented: they get none.

In-cluster traffic to a KServe Standard-mode predictor is not authenticated; a model's
``endpoint.apiKeySecret`` names the Secret holding the key its consumers send to the gateway
in front (Hybrid Manager's proxy takes ``Authorization: Bearer <access key>``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelserve.derive.predictor import CONTAINER, derive_predictor, predictor_component
from modelserve.imageref import parse_image
from modelserve.model import Catalog, Environment, Model, ModelEntry, Runtime, Source
from modelserve.render import MANAGED_BY, Origin, RenderedObject
from modelserve.shapes import mapping, sequence

if TYPE_CHECKING:
    from modelserve.deploy.tree import Tree

CLUSTER_DOMAIN = "cluster.local"  # the kubelet's default --cluster-domain
H2C = "kubernetes.io/h2c"
AIDB_PROVIDERS = {  # (runtime API, task) -> the AIDB 7 provider that calls it
    ("openai", "chat"): "openai_completions",
    ("openai", "embeddings"): "openai_embeddings",
    ("nim", "chat"): "openai_completions",
    ("nim", "embeddings"): "openai_embeddings",
    ("nim", "rerank"): "nim_reranking",
}
NIM_PATHS = {
    "chat": "/v1/chat/completions",
    "embeddings": "/v1/embeddings",
    "vision": "/v1/embeddings",  # NV-CLIP embeds text and images
    "rerank": "/v1/ranking",
    "ocr": "/v1/infer",
}
OPENAI_PATHS = {
    "chat": "/v1/chat/completions",
    "embeddings": "/v1/embeddings",
    "rerank": "/v1/rerank",
}


@dataclass(frozen=True)
class SecretRef:
    name: str
    key: str


@dataclass(frozen=True)
class Endpoint:
    environment: str
    model: str
    name: str  # the consumer-facing name: endpoint.name, else the model's
    task: str | None
    namespace: str
    service: str
    url: str
    grpc: str | None  # host:port
    api: str  # "openai", "nim", "open-inference"
    base_url: str | None  # the OpenAI-compatible base a client library takes
    path: str | None  # the request path of the model's task
    served_model: str | None  # what requests carry in "model"
    secret: SecretRef | None
    aidb_provider: str | None

    @property
    def request_url(self) -> str | None:
        return None if self.path is None else self.url + self.path

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "model": self.model,
            "name": self.name,
            "task": self.task,
            "namespace": self.namespace,
            "service": self.service,
            "url": self.url,
            "grpc": self.grpc,
            "api": self.api,
            "openaiBaseUrl": self.base_url,
            "requestUrl": self.request_url,
            "servedModelName": self.served_model,
            "apiKeySecret": None
            if self.secret is None
            else {"name": self.secret.name, "key": self.secret.key},
            "aidbProvider": self.aidb_provider,
        }


def endpoint_settings(model: Model, entry: ModelEntry) -> dict[str, Any]:
    """``endpoint``: the catalog's, overridden key by key by the environment entry's."""
    return {**(model.data.get("endpoint") or {}), **(entry.data.get("endpoint") or {})}


def endpoint_name(model: Model, entry: ModelEntry, env: Environment) -> tuple[str, Source, Any]:
    """The consumer-facing name and where it is written (the model's name by default)."""
    if "name" in (entry.data.get("endpoint") or {}):
        return str(entry.data["endpoint"]["name"]), env.source, entry.path + ("endpoint", "name")
    if "name" in (model.data.get("endpoint") or {}):
        return str(model.data["endpoint"]["name"]), model.source, ("endpoint", "name")
    return model.name, model.source, ("name",)


def environment_endpoints(catalog: Catalog, tree: Tree, env_name: str) -> list[Endpoint]:
    """Every rendered model of the environment, in the order of its ``models`` list."""
    objects = [o for r in tree.env_roots(env_name) for o in r.objects]
    return endpoints_of(catalog, catalog.environments[env_name], objects)


def endpoints_of(
    catalog: Catalog, env: Environment, objects: list[RenderedObject]
) -> list[Endpoint]:
    """The endpoints of ``env``'s InferenceServices among ``objects`` (with their runtimes)."""
    isvcs = {o.model: o for o in objects if o.obj.get("kind") == "InferenceService"}
    runtimes = {
        o.obj["metadata"]["name"]: o
        for o in objects
        if o.obj.get("kind") == "ClusterServingRuntime"
    }
    out = []
    for entry in env.entries:
        isvc = isvcs.pop(entry.model, None)  # a repeated entry renders once: report it once
        if isvc is None:
            continue
        model = catalog.models[entry.model]
        runtime = catalog.runtimes[model.runtime]
        out.append(_endpoint(env, entry, model, runtime, isvc, runtimes.get(runtime.name)))
    return out


def _endpoint(
    env: Environment,
    entry: ModelEntry,
    model: Model,
    runtime: Runtime,
    isvc: RenderedObject,
    rendered_runtime: RenderedObject | None,
) -> Endpoint:
    name = str(isvc.obj["metadata"]["name"])
    service = predictor_component(name)
    host = f"{service}.{env.namespace}.svc.{CLUSTER_DOMAIN}"
    derived = derive_predictor(isvc, rendered_runtime, env.kserve).objects
    by_kind = {str(d.obj.get("kind")): d.obj for d in derived}
    ports = sequence(mapping(by_kind.get("Service", {}).get("spec")).get("ports"))
    grpc = next(
        (
            f"{host}:{p['port']}"
            for p in ports
            if isinstance(p, dict) and p.get("appProtocol") == H2C
        ),
        None,
    )
    # Knative mode and multi-node are not derived: the catalog's container, with the one
    # placeholder the runtimes here use, stands in for KServe's merge.
    container = _container(by_kind.get("Deployment")) or {
        "args": [
            str(a).replace("{{.Name}}", name)
            for a in [*sequence(runtime.data.get("args")), *sequence(model.data.get("args"))]
        ],
        "env": [*sequence(runtime.data.get("env")), *sequence(model.data.get("env"))],
    }
    image = str(container.get("image") or env.runtime_image(runtime))
    args = [str(a) for a in sequence(container.get("args"))]
    env_vars = {
        str(e.get("name")): e.get("value")
        for e in sequence(container.get("env"))
        if isinstance(e, dict)
    }
    task = model.data.get("task")
    url = f"http://{host}"
    api, prefix, paths, served = _family(runtime, image, args, env_vars)
    path = paths.get(str(task)) if task else None
    if api == "open-inference":
        version = str(model.data.get("protocolVersion") or "v1")
        path = (
            f"/v2/models/{served}/infer"
            if version.startswith("v2")
            else f"/v1/models/{served}:predict"
        )
    settings = endpoint_settings(model, entry)
    secret = settings.get("apiKeySecret")
    consumer, _, _ = endpoint_name(model, entry, env)
    return Endpoint(
        environment=env.name,
        model=model.name,
        name=consumer,
        task=None if task is None else str(task),
        namespace=env.namespace,
        service=service,
        url=url,
        grpc=grpc,
        api=api,
        base_url=None if prefix is None or api == "open-inference" else url + prefix,
        path=path,
        served_model=served,
        secret=None if not secret else SecretRef(str(secret["name"]), str(secret["key"])),
        aidb_provider=AIDB_PROVIDERS.get((api, str(task))),
    )


def _container(deployment: dict[str, Any] | None) -> dict[str, Any]:
    pod = mapping(mapping(mapping(mapping(deployment).get("spec")).get("template")).get("spec"))
    containers = [c for c in sequence(pod.get("containers")) if isinstance(c, dict)]
    return next((c for c in containers if c.get("name") == CONTAINER), {})


def _flag(args: list[str], *names: str) -> str | None:
    """The last value of any of ``names`` (``--x=v`` or ``--x v``), as argparse keeps it."""
    found = None
    for index, arg in enumerate(args):
        for flag in names:
            if arg.startswith(flag + "="):
                found = arg[len(flag) + 1 :]
            elif arg == flag and index + 1 < len(args):
                found = args[index + 1]
    return found


def _family(
    runtime: Runtime, image: str, args: list[str], env_vars: dict[str, Any]
) -> tuple[str, str | None, dict[str, str], str | None]:
    """(API, OpenAI base path, task -> request path, served model name)."""
    repository = parse_image(image).repository
    if runtime.is_nim:
        named = env_vars.get("NIM_SERVED_MODEL_NAME")
        own = "/".join(repository.split("/")[-2:])
        served = str(named).split(",")[0] if named else own
        return "nim", "/v1", NIM_PATHS, served
    if repository.endswith("kserve/huggingfaceserver"):
        prefix = str(env_vars.get("KSERVE_OPENAI_ROUTE_PREFIX") or "/openai")
        served = _flag(args, "--served_model_name") or _flag(args, "--model_name") or "model"
        return "openai", prefix + "/v1", {t: prefix + p for t, p in OPENAI_PATHS.items()}, served
    if repository.endswith("vllm/vllm-openai"):
        vllm_name = _flag(args, "--served-model-name") or _flag(args, "--model")
        return "openai", "/v1", OPENAI_PATHS, vllm_name
    # KServe's model servers: ModelServer's --model_name, default "model" (model_server.py)
    return "open-inference", None, {}, _flag(args, "--model_name") or "model"


CONFIGMAP_KEY = "endpoints.json"


def render_configmap(
    catalog: Catalog, env: Environment, objects: list[RenderedObject]
) -> RenderedObject | None:
    """The environment's discovery ConfigMap (``endpoints.configMap``), or None."""
    name = (env.data.get("endpoints") or {}).get("configMap")
    if not name:
        return None
    found = endpoints_of(catalog, env, objects)
    # Compact JSON, one endpoint a line: diffs show the model that changed, and a thousand
    # models stay far under the 1 MiB a ConfigMap may hold (rule object-size checks it).
    lines = [json.dumps(e.to_dict(), sort_keys=True, separators=(",", ":")) for e in found]
    payload = '{"endpoints":[\n' + ",\n".join(lines) + "\n]}"
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": str(name),
            "namespace": env.namespace,
            "labels": {**MANAGED_BY, "modelserve.io/environment": env.name},
        },
        "data": {CONFIGMAP_KEY: payload + "\n"},
    }
    return RenderedObject(obj, [Origin((), env.source, ("endpoints", "configMap"))])
