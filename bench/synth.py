"""A valid synthetic catalog of any size: ``python -m bench.synth --models N --envs E OUT``.

Writes OUT/catalog/runtimes, OUT/catalog/models and OUT/environments that pass every rule of
``modelserve validate``, shaped like real fleets:

- runtimes: NIM-like (declared port ``http`` 8000, metrics on 8000 ``/v1/metrics``; NV-CLIP-like
  ones also declare ``metrics`` 8002, Triton style), KServe Hugging Face / vLLM (no ports,
  metrics on 8080, so the monitor names ``<isvc>-predictor``) and scikit-learn on CPU;
- every environment deploys every model, on several GPU profiles of different labelling
  conventions: GKE (``cloud.google.com/gke-accelerator`` label, ``nvidia.com/gpu=present``
  taint), Karpenter (``karpenter.k8s.aws/instance-gpu-name: l40s``, value-less taint) and EDB /
  Hybrid Manager (``nvidia.com/gpu=true`` label and taint);
- per-environment overrides of replicas, args and resources; digest-pinned images (64 hex),
  mirrored images in some environments, registry policies that allow exactly what is used, and
  node counts computed from the demand so the GPU capacity rule passes.

Output depends only on (models, envs, seed); model ``i`` is the same whatever the size, so a
catalog of 500 models is the first 500 of a catalog of 1,000 (the runtime versions aside).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]

GIB = 1024**3
BYTES = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
OVERHEAD = 1.2  # the gpu-memory-fit rule's default 20% on top of the weights


@dataclass(frozen=True)
class Family:
    """A kind of model: who serves it, how big it is, how many GPUs a replica takes."""

    kind: str  # "nim" | "hf" | "sklearn"
    short: str  # model-name prefix (model names stay <= 40 characters)
    slug: str  # NIM: image/format name; HF: the Hugging Face repository
    org: str
    task: str
    params: float = 0.0
    dtype: str = "bf16"
    gpus: int = 0
    min_memory: float | None = None
    triton: bool = False  # metrics on a second declared port (8002), as NV-CLIP
    pinned: bool = (
        False  # one runtime version only (the big models), mirrored in air-gapped environments
    )


NIM = [
    Family("nim", "llama31-8b", "llama-3.1-8b-instruct", "meta", "chat", 8.0, "bf16", 1),
    Family(
        "nim",
        "llama33-70b",
        "llama-3.3-70b-instruct",
        "meta",
        "chat",
        70.6,
        "bf16",
        4,
        40,
        pinned=True,
    ),
    Family(
        "nim",
        "mixtral-8x7b",
        "mixtral-8x7b-instruct-v01",
        "mistralai",
        "chat",
        46.7,
        "bf16",
        2,
        60,
        pinned=True,
    ),
    Family("nim", "mistral-7b", "mistral-7b-instruct-v03", "mistralai", "chat", 7.2, "bf16", 1),
    Family("nim", "gemma2-9b", "gemma-2-9b-it", "google", "chat", 9.2, "bf16", 1),
    Family(
        "nim", "r1-llama-8b", "deepseek-r1-distill-llama-8b", "deepseek-ai", "chat", 8.0, "bf16", 1
    ),
    Family("nim", "arctic-embed", "arctic-embed-l", "snowflake", "embeddings", 0.335, "fp16", 1),
    Family("nim", "embedqa-e5", "nv-embedqa-e5-v5", "nvidia", "embeddings", 0.335, "fp16", 1),
    Family("nim", "rerankqa-1b", "llama-3.2-nv-rerankqa-1b-v2", "nvidia", "rerank", 1.2, "bf16", 1),
    Family("nim", "paddleocr", "paddleocr", "baidu", "ocr", 0.1, "fp16", 1),
    Family("nim", "nvclip", "nvclip", "nvidia", "vision", 0.43, "fp16", 1, triton=True),
]
HF = [
    Family("hf", "qwen25-7b", "Qwen/Qwen2.5-7B-Instruct", "qwen", "chat", 7.6, "bf16", 1),
    Family("hf", "qwen25-14b", "Qwen/Qwen2.5-14B-Instruct", "qwen", "chat", 14.7, "bf16", 1),
    Family("hf", "qwen25-32b", "Qwen/Qwen2.5-32B-Instruct", "qwen", "chat", 32.8, "bf16", 2),
    Family(
        "hf", "llama31-8b-hf", "meta-llama/Llama-3.1-8B-Instruct", "meta", "chat", 8.0, "bf16", 1
    ),
    Family(
        "hf", "phi3-mini", "microsoft/Phi-3-mini-4k-instruct", "microsoft", "chat", 3.8, "bf16", 1
    ),
    Family(
        "hf",
        "mistral-nemo",
        "mistralai/Mistral-Nemo-Instruct-2407",
        "mistralai",
        "chat",
        12.2,
        "bf16",
        1,
    ),
    Family(
        "hf", "granite-8b", "ibm-granite/granite-3.1-8b-instruct", "ibm", "chat", 8.2, "bf16", 1
    ),
]
SKLEARN = [
    Family("sklearn", name, name, "data-science", "predictive")
    for name in ("iris", "churn", "fraud", "ltv", "propensity", "credit-risk")
]

HF_RUNTIMES = ("kserve-huggingfaceserver-0.19.0", "kserve-huggingfaceserver-0.20.0")
SKLEARN_RUNTIMES = ("kserve-sklearnserver-0.19.0", "kserve-sklearnserver-0.20.0")

# Node pools as each platform labels and taints them.
PROFILES: dict[str, dict[str, Any]] = {
    "l4": {
        "description": "GKE g2-standard-24 pool, 2x L4; GKE taints GPU nodes itself.",
        "nodeLabels": {"cloud.google.com/gke-accelerator": "nvidia-l4"},
        "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}],
        "gpuProduct": "NVIDIA-L4",
        "gpusPerNode": 2,
        "gpuMemoryGiB": 24,
    },
    "l40s": {
        "description": "Karpenter NodePool of g6e.12xlarge (4x L40S 48 GB), value-less taint.",
        "nodeLabels": {"karpenter.k8s.aws/instance-gpu-name": "l40s"},
        "taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}],
        "gpuProduct": "NVIDIA-L40S",
        "gpusPerNode": 4,
        "gpuMemoryGiB": 48,
    },
    "h100": {
        "description": "8x H100 80GB HBM3 nodes with EDB's nvidia.com/gpu=true label and taint.",
        "nodeLabels": {"nvidia.com/gpu": "true", "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
        "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
        "gpuProduct": "NVIDIA-H100-80GB-HBM3",
        "gpusPerNode": 8,
        "gpuMemoryGiB": 80,
    },
    "h200": {
        "description": "8x H200 141GB nodes, EDB convention.",
        "nodeLabels": {"nvidia.com/gpu": "true", "nvidia.com/gpu.product": "NVIDIA-H200"},
        "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}],
        "gpuProduct": "NVIDIA-H200",
        "gpusPerNode": 8,
        "gpuMemoryGiB": 140,
    },
}
# Every environment has h100 (the only pool some models fit) and two others, in rotation.
PROFILE_ROTATION = (("l4", "l40s"), ("l40s", "h200"), ("l4", "h200"))
ENV_NAMES = ("dev", "staging", "prod", "qa", "perf", "canary", "dr", "edge")
CLOUDS = ("gke", "eks", "onprem")


@dataclass
class Summary:
    models: list[str]
    runtimes: list[str]
    environments: list[str]
    files: int


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def env_name(index: int) -> str:
    return ENV_NAMES[index] if index < len(ENV_NAMES) else f"env-{index:03d}"


def nim_versions(family: Family, models: int) -> list[str]:
    """More runtime versions per NIM family as the catalog grows (1 per 300 models, 1 to 4)."""
    return [f"1.{3 + j}.0" for j in range(1 if family.pinned else min(4, 1 + models // 300))]


def nim_runtime_name(family: Family, version: str) -> str:
    return f"nvidia-nim-{family.slug}-{version}"


def needed_gib(family: Family) -> float:
    return family.params * 1e9 * BYTES[family.dtype] / GIB * OVERHEAD


def fits(family: Family, profile: dict[str, Any]) -> bool:
    memory = float(profile["gpuMemoryGiB"])
    return (
        family.gpus <= profile["gpusPerNode"]
        and memory >= (family.min_memory or 0)
        and needed_gib(family) <= family.gpus * memory
    )


def model_name(index: int, family: Family, width: int) -> str:
    return f"{family.short}-{index:0{width}d}"


# ---------------------------------------------------------------------------------------------
# Runtimes


def nim_runtime(family: Family, version: str) -> dict[str, Any]:
    name = nim_runtime_name(family, version)
    repo = f"nvcr.io/nim/{family.org}/{family.slug}:{version}"
    ports = [{"name": "http", "containerPort": 8000}]
    metrics = {"port": 8000, "path": "/v1/metrics"}
    if family.triton:
        ports.append({"name": "metrics", "containerPort": 8002})
        metrics = {"port": 8002, "path": "/metrics"}
    return {
        "name": name,
        "description": f"NVIDIA NIM for {family.slug} {version}.",
        "image": f"{repo}@{digest(repo)}",
        "modelFormats": [
            {
                "name": f"nvidia-nim-{family.slug}",
                "version": version,
                "priority": 1,
            }
        ],
        "protocolVersions": ["v2", "grpc-v2"],
        "ports": ports,
        "metrics": metrics,
        "readiness": {
            "path": "/v1/health/ready",
            "initialDelaySeconds": 30,
            "periodSeconds": 10,
            "failureThreshold": 60,
        },
        "env": [
            {"name": "NIM_CACHE_PATH", "value": "/tmp"},
            {
                "name": "NGC_API_KEY",
                "secretKeyRef": {"name": "nvidia-nim-secrets", "key": "NGC_API_KEY"},
            },
        ],
        "sharedMemory": "16Gi",
        "resources": {"cpu": "12", "memory": "64Gi"},
        "imagePullSecrets": ["ngc-secret"],
    }


def hf_runtime(name: str) -> dict[str, Any]:
    version = name.rsplit("-", 1)[1]
    # The CUDA build: its models run on GPUs (rule runtime-image-variant).
    repo = f"docker.io/kserve/huggingfaceserver:v{version}-gpu"
    return {
        "name": name,
        "description": "KServe Hugging Face server with the vLLM backend.",
        "image": f"{repo}@{digest(repo)}",
        "modelFormats": [{"name": "huggingface", "version": "1", "priority": 1}],
        "protocolVersions": ["v2", "v1"],
        "args": ["--model_name={{.Name}}", "--backend=vllm"],
        "metrics": {"port": 8080, "path": "/metrics"},
        "readiness": {
            "path": "/v2/health/ready",
            "initialDelaySeconds": 30,
            "periodSeconds": 10,
            "failureThreshold": 60,
        },
        "env": [{"name": "HF_TOKEN", "secretKeyRef": {"name": "hf-secret", "key": "HF_TOKEN"}}],
        "sharedMemory": "8Gi",
        "resources": {"cpu": "8", "memory": "48Gi"},
    }


def sklearn_runtime(name: str) -> dict[str, Any]:
    version = name.rsplit("-", 1)[1]
    repo = f"docker.io/kserve/sklearnserver:v{version}"
    return {
        "name": name,
        "description": "KServe scikit-learn server for CPU predictive models.",
        "image": f"{repo}@{digest(repo)}",
        "modelFormats": [{"name": "sklearn", "version": "1", "priority": 1}],
        "protocolVersions": ["v1", "v2"],
        "args": ["--model_name={{.Name}}"],
        "metrics": {"port": 8080, "path": "/metrics"},
        "readiness": {"path": "/v1/models/{{.Name}}"},
        "resources": {"cpu": "1", "memory": "2Gi"},
    }


# ---------------------------------------------------------------------------------------------
# Models


@dataclass(frozen=True)
class ModelPlan:
    name: str
    family: Family
    runtime: str
    doc: dict[str, Any]


def plan_model(index: int, total: int, seed: int) -> ModelPlan:
    rng = random.Random(f"{seed}/model/{index}")
    width = max(4, len(str(max(total - 1, 0))))
    roll = rng.random()
    if roll < 0.55:
        family = rng.choice(NIM)
        runtime = nim_runtime_name(family, rng.choice(nim_versions(family, total)))
    elif roll < 0.85:
        family = rng.choice(HF)
        runtime = rng.choice(HF_RUNTIMES)
    else:
        family = rng.choice(SKLEARN)
        runtime = rng.choice(SKLEARN_RUNTIMES)
    name = model_name(index, family, width)
    doc: dict[str, Any] = {
        "name": name,
        "description": f"Synthetic {family.task} model {index}.",
        "owners": [f"team-{index % 7}@example.com"],
        "runtime": runtime,
    }
    if family.kind == "nim":
        doc["format"] = {"name": f"nvidia-nim-{family.slug}", "version": runtime.rsplit("-", 1)[1]}
    elif family.kind == "hf":
        doc["format"] = {"name": "huggingface", "version": "1"}
    else:
        doc["format"] = {"name": "sklearn", "version": "1"}
    doc["task"] = family.task
    doc["protocolVersion"] = "v1" if family.kind == "sklearn" else "v2"
    if family.kind == "hf":
        doc["storageUri"] = f"hf://{family.slug}"
        doc["args"] = [f"--max-model-len={rng.choice((4096, 8192, 16384))}"]
    elif family.kind == "sklearn":
        doc["storageUri"] = f"gs://models-bench/{family.slug}/{index}/model"
    if family.gpus:
        doc["gpu"] = {
            "count": family.gpus,
            **({"minMemoryGiB": family.min_memory} if family.min_memory else {}),
        }
        doc["size"] = {"parametersBillions": family.params, "dtype": family.dtype}
        doc["replicas"] = {"min": 1, "max": 1}
    else:
        doc["replicas"] = {"min": 1, "max": 3}
        doc["autoscaling"] = {"class": "hpa", "metric": "cpu", "target": 70}
        doc["resources"] = {"cpu": "1", "memory": "2Gi"}
    doc["labels"] = {"modelserve.io/team": f"team-{index % 7}"}
    return ModelPlan(name, family, runtime, doc)


# ---------------------------------------------------------------------------------------------
# Environments


def deployment(
    plan: ModelPlan, profiles: dict[str, dict[str, Any]], rng: random.Random
) -> dict[str, Any]:
    dep: dict[str, Any] = {"model": plan.name}
    family = plan.family
    if family.gpus:
        fitting = sorted(name for name, p in profiles.items() if fits(family, p))
        if not fitting:
            raise AssertionError(f"no profile fits {family.short} among {sorted(profiles)}")
        dep["profile"] = rng.choice(fitting)
        roll = rng.random()
        if roll < 0.15:
            dep["replicas"] = {"min": 2, "max": 2}
        elif roll < 0.20:
            dep["replicas"] = {"min": 1, "max": 2}
        if family.kind == "hf" and rng.random() < 0.25:
            dep["args"] = ["--gpu-memory-utilization=0.90"]
        if rng.random() < 0.10:
            dep["resources"] = {"cpu": "16", "memory": "96Gi"}
    else:
        if rng.random() < 0.20:
            dep["replicas"] = {"min": 2, "max": 4}
        if rng.random() < 0.10:
            dep["resources"] = {"cpu": "2", "memory": "4Gi"}
    return dep


def environment(
    index: int, plans: list[ModelPlan], runtimes: list[str], seed: int, mirror_all: bool = False
) -> dict[str, Any]:
    name = env_name(index)
    cloud = CLOUDS[index % len(CLOUDS)]
    pools = ("h100",) + PROFILE_ROTATION[index % len(PROFILE_ROTATION)]
    profiles = {p: dict(PROFILES[p]) for p in sorted(pools)}
    deployments = [
        deployment(plan, profiles, random.Random(f"{seed}/env/{index}/model/{plan.name}"))
        for plan in plans
    ]
    demand: dict[str, int] = {p: 0 for p in profiles}
    by_name = {plan.name: plan for plan in plans}
    for dep in deployments:
        if "profile" in dep:
            family = by_name[dep["model"]].family
            replicas = {**by_name[dep["model"]].doc["replicas"], **dep.get("replicas", {})}
            demand[dep["profile"]] += max(replicas["min"], replicas["max"]) * family.gpus
    for pool, gpus in demand.items():
        # Enough nodes for every model at maximum replicas, plus one spare node.
        profiles[pool]["nodes"] = math.ceil(gpus / profiles[pool]["gpusPerNode"]) + 1
    mirror = (
        index % 3 == 2
    )  # air-gapped style: the big NIM images from the environment's own registry
    allowed = ["nvcr.io", "docker.io"]
    data: dict[str, Any] = {
        "name": name,
        "description": f"Synthetic environment {index} ({cloud}).",
        "cluster": f"{cloud}-{name}-1",
        "namespace": f"models-{name}",
        "kubernetesVersion": "1.33" if index % 2 == 0 else "1.32",
        "platform": {"kserve": "0.20"},
        "flux": {
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
            "interval": ("5m", "10m", "15m")[index % 3],
            "timeout": "30m",
            "dependsOn": ["kserve"],
        },
        "monitoring": {"labels": {"release": "kube-prometheus-stack"}, "interval": "30s"},
    }
    if mirror:
        host = f"harbor.{name}.example.com"
        allowed.append(host)
        # Only single-version families by default: with two versions of one repository mirrored,
        # the generator's `images:` entries (keyed by repository name) collide (see
        # bench/README.md).
        data["runtimeImages"] = {
            rt: mirrored(rt, host)
            for rt in runtimes
            if rt.startswith("nvidia-nim-") and (mirror_all or nim_family(rt).pinned)
        }
    data["registry"] = {"allowed": allowed, "requireDigest": index != 0}
    data["gpuProfiles"] = profiles
    data["models"] = deployments
    return data


def nim_family(runtime_name: str) -> Family:
    return next(f for f in NIM if runtime_name.startswith(f"nvidia-nim-{f.slug}-"))


def mirrored(runtime_name: str, host: str) -> str:
    """The NIM image of ``runtime_name`` as copied by skopeo into ``host`` (same digest)."""
    family = nim_family(runtime_name)
    version = runtime_name.rsplit("-", 1)[1]
    upstream = f"nvcr.io/nim/{family.org}/{family.slug}:{version}"
    return f"{host}/nim/{family.org}/{family.slug}:{version}@{digest(upstream)}"


# ---------------------------------------------------------------------------------------------
# Writing


def dump(doc: dict[str, Any]) -> str:
    return yaml.dump(
        doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1_000_000
    )


def build_catalog(
    models: int, envs: int, seed: int = 0, mirror_all: bool = False
) -> dict[str, str]:
    """Every file of the catalog, path -> text, without touching the disk."""
    if models < 1 or envs < 1:
        raise ValueError("need at least one model and one environment")
    plans = [plan_model(i, models, seed) for i in range(models)]
    runtimes = sorted({p.runtime for p in plans})
    files: dict[str, str] = {}
    for name in runtimes:
        if name.startswith("nvidia-nim-"):
            doc = nim_runtime(nim_family(name), name.rsplit("-", 1)[1])
        elif name in HF_RUNTIMES:
            doc = hf_runtime(name)
        else:
            doc = sklearn_runtime(name)
        files[f"catalog/runtimes/{name}.yaml"] = dump(doc)
    for plan in plans:
        files[f"catalog/models/{plan.name}.yaml"] = dump(plan.doc)
    for index in range(envs):
        data = environment(index, plans, runtimes, seed, mirror_all)
        files[f"environments/{data['name']}.yaml"] = dump(data)
    return files


def synthesize(
    out: Path, models: int, envs: int, seed: int = 0, mirror_all: bool = False
) -> Summary:
    """Write the catalog into ``out``; refuses to mix with an existing catalog there."""
    out = Path(out)
    for folder in ("catalog", "environments"):
        if (out / folder).exists() and any((out / folder).rglob("*.y*ml")):
            raise FileExistsError(f"{out / folder} already holds YAML files; use an empty folder")
    files = build_catalog(models, envs, seed, mirror_all)
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    names = lambda prefix: sorted(Path(r).stem for r in files if r.startswith(prefix))  # noqa: E731
    return Summary(
        names("catalog/models/"), names("catalog/runtimes/"), names("environments/"), len(files)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.synth", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--models", type=int, required=True, help="number of catalog models")
    parser.add_argument(
        "--envs", type=int, default=2, help="number of environments (each deploys every model)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--mirror-all",
        action="store_true",
        help="mirror every NIM version in air-gapped environments (reproduces the image-override "
        "collision described in bench/README.md; the result does not validate)",
    )
    parser.add_argument(
        "out", type=Path, help="repository root to write catalog/ and environments/ into"
    )
    args = parser.parse_args(argv)
    try:
        summary = synthesize(args.out, args.models, args.envs, args.seed, args.mirror_all)
    except (FileExistsError, ValueError) as exc:
        print(f"bench.synth: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {summary.files} files: {len(summary.models)} models, "
        f"{len(summary.runtimes)} runtimes, "
        f"{len(summary.environments)} environments into {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
