"""The typed catalog and environments, each value able to say where it came from.

Objects are built only from documents that passed their JSON Schema, so constructors read
fields without re-checking types. ``Source`` keeps the file and its position map so that any
later rule can point at ``file:line:col`` of the field that caused a finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from modelserve.load.yamlio import Document, PathKey
from modelserve.platform.kserve import KServe

# What a GPU profile requests when it names no resource (the NVIDIA device plugin's).
DEFAULT_GPU_RESOURCE = "nvidia.com/gpu"
DEFAULT_FLUX_PATH = "./deploy"
# Where a NIM keeps its downloads unless NIM_CACHE_PATH says otherwise (NVIDIA NIM for LLMs,
# "Configuring a NIM": NIM_CACHE_PATH, default /opt/nim/.cache).
NIM_CACHE_DEFAULT = "/opt/nim/.cache"
BYTES_PER_PARAMETER = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
GIB = 1024**3


def json_bytes(data: Any) -> int:
    """The size of ``data`` as compact UTF-8 JSON, as the API server and etcd measure it."""
    return len(
        json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")
    )


@dataclass(frozen=True)
class Source:
    file: str
    doc: Document = field(compare=False, repr=False)

    def at(self, *path: Any) -> tuple[str, int, int]:
        line, col = self.doc.locate(tuple(path))
        return self.file, line, col


@dataclass(frozen=True)
class Taint:
    key: str
    effect: str
    value: str | None = None

    def toleration(self) -> dict[str, str]:
        # A taint with no value is tolerated with Exists; with a value, Equal on that value.
        if self.value is None:
            return {"key": self.key, "operator": "Exists", "effect": self.effect}
        return {"key": self.key, "operator": "Equal", "value": self.value, "effect": self.effect}


@dataclass(frozen=True)
class Profile:
    name: str
    node_labels: dict[str, str]
    taints: tuple[Taint, ...]
    gpu_resource: str
    gpu_product: str | None
    gpus_per_node: int | None
    gpu_memory_gib: float | None
    nodes: int | None
    cpu_per_node: str | None = None  # allocatable quantities, as written
    memory_per_node: str | None = None
    pool: str = ""  # the node pool's name on the cluster ("" : the profile's name)
    sharing: str | None = None  # "mig" or "time-slicing": the device plugin splits each GPU
    per_gpu: int = 1  # MIG slices or time-slicing replicas of each GPU
    mig_profile: str | None = None  # e.g. "1g.10gb"
    slice_memory_gib: float | None = None  # MIG: memory of one slice, when given
    fail_requests_greater_than_one: bool = False  # time-slicing: the device plugin's flag

    @property
    def pool_name(self) -> str:
        return self.pool or self.name

    @property
    def devices_per_node(self) -> int | None:
        """What the device plugin advertises per node: GPUs, or their MIG slices or replicas."""
        return None if self.gpus_per_node is None else self.gpus_per_node * self.per_gpu

    @property
    def devices(self) -> str:
        """What one unit of the profile's GPU resource is, for messages."""
        if self.sharing == "mig":
            return f"MIG {self.mig_profile} slices"
        if self.sharing == "time-slicing":
            return "time-sliced GPU replicas"
        return "GPUs"

    @property
    def device_memory_gib(self) -> float | None:
        """The GPU memory one unit guarantees: a GPU's, or a MIG slice's (as given, or the
        profile name's GB in GiB, which is below what the slice has); time-slicing guarantees
        none (its replicas share the GPU's memory without isolation)."""
        if self.sharing == "time-slicing":
            return None
        if self.sharing == "mig":
            if self.slice_memory_gib is not None:
                return self.slice_memory_gib
            gb = (self.mig_profile or "").split("+")[0].rpartition(".")[2].removesuffix("gb")
            return int(gb) * 1e9 / 1024**3 if gb.isdigit() else None
        return self.gpu_memory_gib

    def tolerations(self) -> list[dict[str, str]]:
        return [t.toleration() for t in self.taints]

    def affinity(self) -> dict[str, Any]:
        """Required node affinity: the pod lands only on nodes carrying every pool label."""
        expressions = [
            {"key": key, "operator": "In", "values": [value]}
            for key, value in sorted(self.node_labels.items())
        ]
        return {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": expressions}]
                }
            }
        }


@dataclass(frozen=True)
class ModelFormat:
    name: str
    version: str | None = None
    auto_select: bool = False
    priority: int | None = None


@dataclass(frozen=True)
class Port:
    name: str
    container_port: int
    protocol: str = "TCP"


def is_nim_runtime(data: dict[str, Any]) -> bool:
    """A runtime document of an NVIDIA NIM: it declares NIM_CACHE_PATH (every NIM runtime HM
    documents does) or its image is under a registry's nim/ path."""
    names = {e.get("name") for e in data.get("env") or () if isinstance(e, dict)}
    return "NIM_CACHE_PATH" in names or "/nim/" in str(data.get("image", ""))


@dataclass(frozen=True)
class Runtime:
    name: str
    image: str
    formats: tuple[ModelFormat, ...]
    protocols: tuple[str, ...]
    ports: tuple[Port, ...]
    metrics_port: int | None
    metrics_path: str | None
    data: dict[str, Any] = field(repr=False, compare=False)
    source: Source = field(repr=False, compare=False)

    @cached_property
    def data_bytes(self) -> int:
        """The runtime's data as JSON: measured once, by the output budget and object-size."""
        return json_bytes(self.data)

    @cached_property
    def is_nim(self) -> bool:
        """An NVIDIA NIM: it downloads its model at start into NIM_CACHE_PATH (declared by
        every NIM runtime HM documents) unless a cache there already holds it."""
        return is_nim_runtime(self.data)

    @property
    def serving_port(self) -> int:
        """The port the predictor Service targets (KServe: first declared port, else 8080)."""
        return self.ports[0].container_port if self.ports else 8080


@dataclass(frozen=True)
class Model:
    name: str
    runtime: str
    format: ModelFormat
    gpu_count: int
    min_gpu_memory_gib: float | None
    data: dict[str, Any] = field(repr=False, compare=False)
    source: Source = field(repr=False, compare=False)

    @cached_property
    def data_bytes(self) -> int:
        """The model's data as JSON: measured once, by the output budget and object-size."""
        return json_bytes(self.data)

    @property
    def weights_gib(self) -> float | None:
        """Parameters x bytes per parameter, in GiB (None without ``size``)."""
        size = self.data.get("size")
        if not size:
            return None
        return float(size["parametersBillions"]) * 1e9 * BYTES_PER_PARAMETER[size["dtype"]] / GIB

    @property
    def download_gib(self) -> float | None:
        """What fetching the model writes to disk: ``size.downloadGiB``, else its weights."""
        size = self.data.get("size") or {}
        if "downloadGiB" in size:
            return float(size["downloadGiB"])
        return self.weights_gib


@dataclass(frozen=True)
class ModelEntry:
    """One entry of an environment's ``models`` list: a model run there, with its overrides."""

    model: str
    profile: str | None
    data: dict[str, Any] = field(repr=False, compare=False)
    index: int = 0

    @property
    def path(self) -> PathKey:
        return ("models", self.index)

    def replicas(self, model: Model) -> dict[str, Any]:
        """The replicas the catalog gives, overridden key by key by the environment's."""
        return {**(model.data.get("replicas") or {}), **(self.data.get("replicas") or {})}

    def replica_bounds(self, model: Model) -> tuple[int, int]:
        """(min, max) as KServe runs them: min defaults to 1 and max to min, and max is never
        below min (kserve pkg/controller/v1beta1/inferenceservice/reconcilers/hpa
        hpa_reconciler.go ``createHPA``: ``if maxReplicas < minReplicas { maxReplicas =
        minReplicas }``)."""
        replicas = self.replicas(model)
        low = int(replicas.get("min", 1))
        return low, max(low, int(replicas.get("max", low)))

    def replicas_source(self, model: Model, env: Environment) -> tuple[Source, PathKey]:
        """Where the effective replicas are written: the override if any, else the catalog."""
        if "replicas" in self.data:
            return env.source, self.path + ("replicas",)
        return model.source, ("replicas",)

    def rollout(self, model: Model) -> dict[str, Any]:
        """The rollout the catalog gives, overridden key by key by the environment's."""
        return {**(model.data.get("rollout") or {}), **(self.data.get("rollout") or {})}

    def surge(self, model: Model) -> int:
        """Extra replicas a rollout starts beside the old ones: 0 for Recreate, else maxSurge
        (a percentage of the minimum replicas, rounded up, as the Deployment controller does;
        KServe's default 25%: deployment_reconciler.go setDefaultDeploymentSpec)."""
        rollout = self.rollout(model)
        if rollout.get("strategy") == "Recreate":
            return 0
        surge = rollout.get("maxSurge", "25%")
        low, _ = self.replica_bounds(model)
        if isinstance(surge, str) and surge.endswith("%"):
            return -(-low * int(surge[:-1]) // 100)
        return int(surge)

    def resources(self, model: Model) -> dict[str, Any]:
        """CPU and memory: the catalog's, overridden key by key by the environment's."""
        return {**(model.data.get("resources") or {}), **(self.data.get("resources") or {})}

    def storage_uri(self, model: Model) -> str | None:
        """Where KServe fetches the weights: the environment's copy, else the catalog's."""
        uri = self.data.get("storageUri", model.data.get("storageUri"))
        return None if uri is None else str(uri)

    @property
    def cache(self) -> dict[str, Any]:
        """``cache``: ``{"pvc": {...}}`` or ``{"localModelCache": {...}}``, or empty."""
        return dict(self.data.get("cache") or {})


@dataclass(frozen=True)
class KServeInstall:
    """How KServe gets onto a cluster (``platform.kserveInstall``), which the cluster's shared
    objects wait for: a Flux ``Kustomization`` or ``HelmRelease`` by name, or ``External``
    (installed by the platform, as Hybrid Manager does), where ``name`` and ``namespace`` are
    KServe's controller Deployment."""

    kind: str
    name: str
    namespace: str


# KServe's controller Deployment as its config/default and Helm chart install it.
KSERVE_CONTROLLER = ("kserve-controller-manager", "kserve")


@dataclass(frozen=True)
class Environment:
    name: str
    cluster: str
    namespace: str
    kubernetes_version: str
    deployment_mode: str
    profiles: dict[str, Profile]
    entries: tuple[ModelEntry, ...]
    data: dict[str, Any] = field(repr=False, compare=False)
    source: Source = field(repr=False, compare=False)

    # Read-only views, computed once: renderers ask for them for every deployment.
    @cached_property
    def flux(self) -> dict[str, Any]:
        return dict(self.data["flux"])

    @cached_property
    def monitoring(self) -> dict[str, Any]:
        return dict(self.data.get("monitoring") or {})

    @cached_property
    def registry(self) -> dict[str, Any]:
        return dict(self.data.get("registry") or {})

    @cached_property
    def kserve(self) -> KServe:
        """The KServe release the environment's cluster runs (``platform.kserve``)."""
        return KServe.parse(str(self.data["platform"]["kserve"]))

    @property
    def hybrid_manager(self) -> bool:
        """The cluster is a Hybrid Manager one (``platform.hybridManager``): its documented
        runtimes exist there."""
        return self.data["platform"].get("hybridManager") is True

    @cached_property
    def kserve_install(self) -> KServeInstall | None:
        """What the shared objects wait for; on Hybrid Manager the platform's own install by
        default, elsewhere nothing unless declared (``flux.dependsOn`` may still name it)."""
        spec = self.data["platform"].get("kserveInstall")
        if spec is None and not self.hybrid_manager:
            return None
        spec = spec or {"kind": "External"}
        if spec["kind"] == "External":
            name, namespace = KSERVE_CONTROLLER
        else:
            name, namespace = "", self.flux.get("namespace", "flux-system")
        return KServeInstall(spec["kind"], spec.get("name", name), spec.get("namespace", namespace))

    @property
    def airgapped(self) -> bool:
        """``network: airgapped``: nothing is fetched from outside the cluster's own stores."""
        return self.data.get("network") == "airgapped"

    @cached_property
    def model_stores(self) -> tuple[str, ...]:
        """In-cluster stores weights may come from when air-gapped (``modelStores``)."""
        return tuple(str(s) for s in self.data.get("modelStores") or ())

    @cached_property
    def node_groups(self) -> dict[str, dict[str, Any]]:
        """KServe LocalModelNodeGroups on the cluster (``localModelNodeGroups``)."""
        return {k: dict(v) for k, v in (self.data.get("localModelNodeGroups") or {}).items()}

    @cached_property
    def flux_path(self) -> str:
        """The folder Flux's GitRepository path points at, without a trailing slash."""
        return str(self.flux.get("path", DEFAULT_FLUX_PATH)).rstrip("/")

    @property
    def monitoring_enabled(self) -> bool:
        return bool(self.monitoring.get("enabled", True))

    @cached_property
    def monitoring_labels(self) -> dict[str, str]:
        """The labels Prometheus selects monitors by, put on every generated monitor."""
        return dict(self.monitoring.get("labels") or {})

    @cached_property
    def runtime_images(self) -> dict[str, str]:
        """Per-runtime image overrides of this environment."""
        return dict(self.data.get("runtimeImages") or {})

    def runtime_image(self, runtime: Runtime) -> str:
        return str(self.runtime_images.get(runtime.name, runtime.image))


@dataclass
class Catalog:
    runtimes: dict[str, Runtime] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)
    # File stems (by kind) of files that failed to load: references to them are not reported
    # again as missing, since the file's own problems already are.
    broken: dict[str, set[str]] = field(default_factory=dict)


def runtime_from(data: dict[str, Any], source: Source) -> Runtime:
    metrics = data.get("metrics") or {}
    return Runtime(
        name=data["name"],
        image=data["image"],
        formats=tuple(
            ModelFormat(f["name"], f.get("version"), f.get("autoSelect", False), f.get("priority"))
            for f in data["modelFormats"]
        ),
        protocols=tuple(data.get("protocolVersions") or ()),
        ports=tuple(
            Port(p["name"], p["containerPort"], p.get("protocol", "TCP"))
            for p in data.get("ports") or ()
        ),
        metrics_port=metrics.get("port"),
        metrics_path=metrics.get("path"),
        data=data,
        source=source,
    )


def model_from(data: dict[str, Any], source: Source) -> Model:
    gpu = data.get("gpu") or {}
    fmt = data["format"]
    return Model(
        name=data["name"],
        runtime=data["runtime"],
        format=ModelFormat(fmt["name"], fmt.get("version")),
        gpu_count=int(gpu.get("count", 0)),
        min_gpu_memory_gib=gpu.get("minMemoryGiB"),
        data=data,
        source=source,
    )


def profile_from(name: str, p: dict[str, Any]) -> Profile:
    sharing = p.get("sharing") or {}
    return Profile(
        name=name,
        node_labels=dict(p.get("nodeLabels") or {}),
        taints=tuple(Taint(t["key"], t["effect"], t.get("value")) for t in p.get("taints") or ()),
        gpu_resource=p.get("gpuResource", DEFAULT_GPU_RESOURCE),
        gpu_product=p.get("gpuProduct"),
        gpus_per_node=p.get("gpusPerNode"),
        gpu_memory_gib=p.get("gpuMemoryGiB"),
        nodes=p.get("nodes"),
        cpu_per_node=None if p.get("cpuPerNode") is None else str(p["cpuPerNode"]),
        memory_per_node=None if p.get("memoryPerNode") is None else str(p["memoryPerNode"]),
        pool=str(p.get("pool") or ""),
        sharing=sharing.get("strategy"),
        per_gpu=int(sharing.get("perGpu", 1)),
        mig_profile=sharing.get("migProfile"),
        slice_memory_gib=sharing.get("sliceMemoryGiB"),
        fail_requests_greater_than_one=bool(sharing.get("failRequestsGreaterThanOne", False)),
    )


def environment_from(data: dict[str, Any], source: Source) -> Environment:
    profiles = {name: profile_from(name, p) for name, p in (data.get("gpuProfiles") or {}).items()}
    entries = tuple(
        ModelEntry(d["model"], d.get("profile"), d, i)
        for i, d in enumerate(data.get("models") or ())
    )
    return Environment(
        name=data["name"],
        cluster=data["cluster"],
        namespace=data["namespace"],
        kubernetes_version=data["kubernetesVersion"],
        deployment_mode=data.get("deploymentMode", "Standard"),
        profiles=profiles,
        entries=entries,
        data=data,
        source=source,
    )
