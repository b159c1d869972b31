"""A minimal catalog that every rule example starts from.

A rule's ``EXAMPLES`` maps "fail"/"pass" to the files that replace these, so the
documentation shows real YAML and the guard test runs each example through the rule.
"""

from __future__ import annotations

DIGEST = "sha256:" + "0123456789abcdef" * 4

RUNTIME = f"""\
name: vllm-runtime
image: nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3@{DIGEST}
modelFormats:
  - name: nvidia-nim-llama-3.1-8b-instruct
    version: "1.3.3"
protocolVersions: [v2, grpc-v2]
ports:
  - name: http
    containerPort: 8000
metrics:
  port: 8000
  path: /v1/metrics
env:
  - name: NGC_API_KEY
    secretKeyRef: {{name: nvidia-nim-secrets, key: NGC_API_KEY}}
"""

MODEL = """\
name: llama
runtime: vllm-runtime
format:
  name: nvidia-nim-llama-3.1-8b-instruct
  version: "1.3.3"
protocolVersion: v2
gpu:
  count: 1
size:
  parametersBillions: 8
  dtype: bf16
"""

ENVIRONMENT = """\
name: dev
cluster: dev-cluster
namespace: models
kubernetesVersion: "1.33"
platform: {kserve: "0.20"}
flux:
  sourceRef: {kind: GitRepository, name: flux-system}
monitoring:
  labels: {release: kube-prometheus-stack}
registry:
  allowed: [nvcr.io]
  requireDigest: true
gpuProfiles:
  h100:
    nodeLabels: {nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3}
    taints:
      - {key: nvidia.com/gpu, value: "true", effect: NoSchedule}
    gpusPerNode: 8
    gpuMemoryGiB: 80
    nodes: 1
models:
  - model: llama
    profile: h100
"""

BASE = {
    "catalog/runtimes/vllm-runtime.yaml": RUNTIME,
    "catalog/models/llama.yaml": MODEL,
    "environments/dev.yaml": ENVIRONMENT,
}


def files_for(overrides: dict[str, str | None]) -> dict[str, str]:
    """BASE with ``overrides`` applied (None deletes a file)."""
    files = dict(BASE)
    for path, text in overrides.items():
        if text is None:
            files.pop(path, None)
        else:
            files[path] = text
    return files
