"""Writes schemas/{runtime,model,environment}.schema.json.

The schemas are data, but their shared pieces (names, quantities, env vars) are written once
here so the three files cannot drift apart. Run `python tools/make_input_schemas.py` after an
edit; a test fails when the committed files differ from what this script writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from modelserve.platform.kserve import VERSION_PATTERN as KSERVE_VERSION

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://modelserve.dev/schemas/"

DNS_LABEL = {
    "type": "string",
    "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    "maxLength": 63,
    "description": "A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters.",
}
ISVC_NAME = {
    "type": "string",
    "pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$",
    "maxLength": 63,
    "description": (
        "An InferenceService name: starts with a letter, then lower-case letters, digits and '-'."
    ),
}
QUANTITY = {
    "type": "string",
    "pattern": r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$",
    "description": "A Kubernetes quantity such as '12', '500m', '64Gi'. Quote it.",
}

# Bounds that keep every rendered object small (docs/safety.md, "Bounds"): Kubernetes' own limits
# where it has them (label values 63, keys 253 + "/" + 63, apimachinery IsQualifiedName and
# IsValidLabelValue; annotations 256 KiB in all, TotalAnnotationSizeLimitB), and counts no real
# catalog comes near, so that an environment-wide value copied into each model stays small.
LABEL_MAP = {
    "type": "object",
    "maxProperties": 64,
    "propertyNames": {"maxLength": 317},
    "additionalProperties": {"type": "string", "maxLength": 63},
    "description": (
        "Labels: keys up to 317 characters (prefix/name), values up to 63, at most 64 of them."
    ),
}
ANNOTATION_MAP = {
    "type": "object",
    "maxProperties": 64,
    "propertyNames": {"maxLength": 317},
    "additionalProperties": {"type": "string", "maxLength": 262144},
    "description": (
        "Annotations: at most 64; Kubernetes refuses more than 256 KiB of them on an object."
    ),
}
KEY_REF = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "key"],
    "properties": {
        "name": {
            **DNS_LABEL,
            "description": "Name of the Secret or ConfigMap in the model's namespace.",
        },
        "key": {"type": "string", "minLength": 1, "description": "Key inside it."},
    },
}
ENDPOINT = {
    "type": "object",
    "additionalProperties": False,
    "description": "How consumers name and reach the model (`modelserve endpoints`).",
    "properties": {
        "name": {
            "type": "string",
            "pattern": "^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$",
            "maxLength": 63,
            "description": (
                "The consumer-facing name: the AIDB model name and the key consumers look the "
                "model up by; default the model's name. Unique per environment."
            ),
        },
        "apiKeySecret": {
            **KEY_REF,
            "description": (
                "The Secret holding the API key consumers send to the gateway in front of the "
                "model (KServe does not authenticate in-cluster traffic); AIDB's SQL names it "
                "as the credential."
            ),
        },
    },
}
ENV_VAR = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "description": (
        "An environment variable: a literal `value` (never a credential), or a reference."
    ),
    "properties": {
        "name": {
            "type": "string",
            "pattern": "^[-._a-zA-Z][-._a-zA-Z0-9]*$",
            "maxLength": 256,
            "description": "Variable name.",
        },
        "value": {
            "type": "string",
            "maxLength": 65536,
            "description": "Literal value. Credentials must use secretKeyRef.",
        },
        "secretKeyRef": {**KEY_REF, "description": "Take the value from a key of a Secret."},
        "configMapKeyRef": {**KEY_REF, "description": "Take the value from a key of a ConfigMap."},
    },
    "oneOf": [
        {"required": ["value"]},
        {"required": ["secretKeyRef"]},
        {"required": ["configMapKeyRef"]},
    ],
}
ENV_LIST = {
    "type": "array",
    "maxItems": 256,
    "items": {"$ref": "#/$defs/envVar"},
    "description": "Environment variables.",
}
ARGS = {
    "type": "array",
    "maxItems": 256,
    "items": {"type": "string", "maxLength": 16384},
    "description": "Arguments, appended after the runtime's own.",
}
CPU_MEMORY = {
    "type": "object",
    "additionalProperties": False,
    "description": "CPU and memory for the serving container (requests and limits are set equal).",
    "properties": {
        "cpu": {"$ref": "#/$defs/quantity", "description": "CPU cores, e.g. '12'."},
        "memory": {"$ref": "#/$defs/quantity", "description": "Memory, e.g. '64Gi'."},
    },
}
REPLICAS = {
    "type": "object",
    "additionalProperties": False,
    "description": "Replica bounds; min = max means a fixed size.",
    "properties": {
        "min": {
            "type": "integer",
            "minimum": 0,
            "description": "Minimum replicas (0 scales to zero in Knative mode).",
        },
        "max": {"type": "integer", "minimum": 1, "description": "Maximum replicas."},
    },
}
_SURGE = {
    "oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "^(100|[1-9]?[0-9])%$"},
    ]
}
ROLLOUT = {
    "type": "object",
    "additionalProperties": False,
    "description": (
        "How a change rolls out (the predictor's deploymentStrategy; Standard mode only). "
        "Default: KServe's RollingUpdate with 25% surge, which needs room for an extra replica; "
        "Recreate stops the old replicas first, for pools that cannot hold a second copy."
    ),
    "properties": {
        "strategy": {"enum": ["RollingUpdate", "Recreate"], "description": "Deployment strategy."},
        "maxSurge": {**_SURGE, "description": "Extra replicas during a RollingUpdate (n or n%)."},
        "maxUnavailable": {
            **_SURGE,
            "description": "Replicas that may be down during a RollingUpdate (n or n%).",
        },
    },
}
PROTOCOLS = ["v1", "v2", "grpc-v1", "grpc-v2"]


def defs() -> dict:
    return {
        "dnsLabel": DNS_LABEL,
        "quantity": QUANTITY,
        "labelMap": LABEL_MAP,
        "annotationMap": ANNOTATION_MAP,
        "envVar": ENV_VAR,
    }


def runtime_schema() -> dict:
    port = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "containerPort"],
        "properties": {
            "name": {
                "type": "string",
                "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
                "maxLength": 15,
                "description": (
                    "IANA_SVC_NAME: at most 15 characters; the Service port takes this name."
                ),
            },
            "containerPort": {
                "type": "integer",
                "minimum": 1,
                "maximum": 65535,
                "description": "Port number.",
            },
            "protocol": {"enum": ["TCP", "UDP", "SCTP"], "description": "Defaults to TCP."},
        },
    }
    return {
        "$schema": DRAFT,
        "$id": BASE + "runtime.schema.json",
        "title": "modelserve serving runtime",
        "description": (
            "A model server image; becomes a ClusterServingRuntime in every environment "
            "that uses it."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "image", "modelFormats"],
        "properties": {
            "name": {
                **DNS_LABEL,
                "description": (
                    "ClusterServingRuntime name, e.g. nvidia-nim-llama-3.1-8b-instruct-1.3.3 "
                    "(a DNS-1123 subdomain: dots allowed)."
                ),
                "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
            },
            "description": {
                "type": "string",
                "description": "What this runtime serves; for reviewers.",
            },
            "image": {
                "type": "string",
                "minLength": 1,
                "description": "registry/repository:tag@sha256:digest, from the asset library.",
            },
            "modelFormats": {
                "type": "array",
                "minItems": 1,
                "description": (
                    "Model formats this runtime serves (matched case-sensitively, as KServe does)."
                ),
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name"],
                    "properties": {
                        "name": {
                            "type": "string",
                            "minLength": 1,
                            "description": "Format name, e.g. nvidia-nim-llama-3.1-8b-instruct.",
                        },
                        "version": {
                            "type": "string",
                            "description": 'Format version (quote it: "1.3.3").',
                        },
                        "autoSelect": {
                            "type": "boolean",
                            "description": (
                                "May KServe pick this runtime for a model that names none? "
                                "Default false: every model here names its runtime, and an "
                                "auto-selected format can collide with KServe's built-in "
                                "runtimes (rule runtime-collision)."
                            ),
                        },
                        "priority": {
                            "type": "integer",
                            "minimum": 1,
                            "description": "Higher wins among auto-selected runtimes.",
                        },
                    },
                },
            },
            "protocolVersions": {
                "type": "array",
                "items": {"enum": PROTOCOLS},
                "uniqueItems": True,
                "description": "Inference protocols served; empty means any.",
            },
            "ports": {
                "type": "array",
                "items": port,
                "description": (
                    "Declared container ports. KServe exposes the first as Service port 80 under "
                    "its name; without ports the Service port is '<isvc>-predictor' -> 8080."
                ),
            },
            "metrics": {
                "type": "object",
                "additionalProperties": False,
                "required": ["port", "path"],
                "description": (
                    "Where the model server exposes Prometheus metrics; a monitor is generated "
                    "for each model."
                ),
                "properties": {
                    "port": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 65535,
                        "description": "Container port of the metrics endpoint.",
                    },
                    "path": {
                        "type": "string",
                        "pattern": "^/",
                        "description": "HTTP path, e.g. /v1/metrics.",
                    },
                },
            },
            "readiness": {
                "type": "object",
                "additionalProperties": False,
                "required": ["path"],
                "description": "HTTP readiness probe of the serving container.",
                "properties": {
                    "path": {
                        "type": "string",
                        "pattern": "^/",
                        "description": "e.g. /v1/health/ready.",
                    },
                    "port": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 65535,
                        "description": "Defaults to the first declared port, else 8080.",
                    },
                    "initialDelaySeconds": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Seconds before the first probe.",
                    },
                    "periodSeconds": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "Seconds between probes.",
                    },
                    "failureThreshold": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "Failures before not-ready.",
                    },
                },
            },
            "command": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Container command.",
            },
            "args": {**ARGS, "description": "Container arguments."},
            "env": ENV_LIST,
            "imageVariant": {
                "enum": ["cpu", "gpu"],
                "description": (
                    "Which build the image is, when its tag does not say: a GPU model on a cpu "
                    "image is refused (rule runtime-image-variant). Known without it: "
                    "kserve/huggingfaceserver, tensorflow/serving and pytorch/torchserve-kfs, "
                    "whose CUDA builds carry a -gpu tag."
                ),
            },
            "sharedMemory": {
                "$ref": "#/$defs/quantity",
                "description": "Size of the memory-backed /dev/shm volume, e.g. 16Gi.",
            },
            "resources": CPU_MEMORY,
            "imagePullSecrets": {
                "type": "array",
                "items": {"$ref": "#/$defs/dnsLabel"},
                "description": "Secrets for pulling the image, e.g. edb-cred.",
            },
            "podLabels": {
                "$ref": "#/$defs/labelMap",
                "description": "Labels added to every model pod of this runtime.",
            },
            "podAnnotations": {
                "$ref": "#/$defs/annotationMap",
                "description": "Annotations added to every model pod of this runtime.",
            },
        },
        "$defs": defs(),
    }


def model_schema() -> dict:
    return {
        "$schema": DRAFT,
        "$id": BASE + "model.schema.json",
        "title": "modelserve model",
        "description": (
            "A model in the catalog; becomes an InferenceService in each environment "
            "that deploys it."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "runtime", "format"],
        "properties": {
            "name": {
                **ISVC_NAME,
                "description": (
                    "InferenceService name (lower case, starts with a letter; kept short so "
                    "derived names stay within 63 characters)."
                ),
            },
            "description": {"type": "string", "description": "What the model is for."},
            "owners": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Teams or people to ask about this model.",
            },
            "runtime": {
                "type": "string",
                "minLength": 1,
                "maxLength": 63,
                "description": "Name of a runtime in catalog/runtimes/.",
            },
            "format": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "description": "Model format; the runtime must list it (case-sensitive).",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "description": "Format name."},
                    "version": {"type": "string", "description": "Format version (quote it)."},
                },
            },
            "protocolVersion": {
                "enum": PROTOCOLS,
                "description": "Inference protocol; must be one the runtime serves.",
            },
            "storageUri": {
                "type": "string",
                "minLength": 1,
                "description": (
                    "Where the weights are (s3://, gs://, pvc://, hf://, oci://, https://). NIM "
                    "images carry their own and need none."
                ),
            },
            "task": {
                "enum": ["chat", "embeddings", "rerank", "vision", "ocr", "predictive"],
                "description": "What the model does.",
            },
            "gpu": {
                "type": "object",
                "additionalProperties": False,
                "required": ["count"],
                "description": "GPU needs per replica.",
                "properties": {
                    "count": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Whole GPUs per replica (requests = limits).",
                    },
                    "minMemoryGiB": {
                        "type": "number",
                        "minimum": 0,
                        "description": "Smallest GPU memory per GPU that this model needs.",
                    },
                },
            },
            "size": {
                "type": "object",
                "additionalProperties": False,
                "required": ["parametersBillions", "dtype"],
                "description": "Facts for the GPU memory-fit check.",
                "properties": {
                    "parametersBillions": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "description": "Parameters, in billions (8 for Llama 3.1 8B).",
                    },
                    "dtype": {
                        "enum": ["fp32", "bf16", "fp16", "fp8", "int8", "int4"],
                        "description": "Weight precision.",
                    },
                    "overheadPercent": {
                        "type": "number",
                        "minimum": 0,
                        "description": (
                            "KV cache and activations on top of the weights; default 20."
                        ),
                    },
                    "downloadGiB": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "description": (
                            "What fetching the model writes to disk, GiB (weights, tokenizer, "
                            "engines); default the weights (parameters x bytes per parameter). "
                            "Sizes caches and a NIM's ephemeral-storage request."
                        ),
                    },
                },
            },
            "replicas": REPLICAS,
            "rollout": ROLLOUT,
            "endpoint": ENDPOINT,
            "autoscaling": {
                "type": "object",
                "additionalProperties": False,
                "description": "KServe autoscaling for Standard mode.",
                "properties": {
                    "class": {
                        "enum": ["hpa", "keda", "external", "none"],
                        "description": "serving.kserve.io/autoscalerClass.",
                    },
                    "metric": {
                        "enum": [
                            "cpu",
                            "memory",
                            "concurrency",
                            "rps",
                            "requestsRunning",
                            "queueDepth",
                            "kvCacheUsage",
                        ],
                        "description": (
                            "hpa: scaleMetric cpu or memory; keda: a metric of the runtime "
                            "family (requestsRunning, queueDepth, kvCacheUsage), read from the "
                            "environment's monitoring.prometheusAddress (rule keda-metric)."
                        ),
                    },
                    "target": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "description": (
                            "scaleTarget (a whole number); keda: the value per replica to scale "
                            "at, e.g. 4 running requests or a 0.8 KV cache ratio."
                        ),
                    },
                },
            },
            "slo": {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "description": (
                    "Service level objectives: each becomes an alert in environments with "
                    "monitoring.alerts, on the metric the runtime family exposes (rule "
                    "slo-metric refuses one it does not)."
                ),
                "properties": {
                    "timeToFirstTokenP95Seconds": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "description": "Alert when the p95 time to first token exceeds this.",
                    },
                    "requestLatencyP95Seconds": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "description": "Alert when the p95 request latency exceeds this.",
                    },
                    "queueDepth": {
                        "type": "number",
                        "minimum": 0,
                        "description": "Alert when more requests than this wait in a replica.",
                    },
                    "kvCacheUsage": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "maximum": 1,
                        "description": "Alert when a replica's KV cache use exceeds this ratio.",
                    },
                },
            },
            "resources": CPU_MEMORY,
            "args": ARGS,
            "env": ENV_LIST,
            "labels": {
                "$ref": "#/$defs/labelMap",
                "description": "Labels on the InferenceService.",
            },
            "annotations": {
                "$ref": "#/$defs/annotationMap",
                "description": "Annotations on the InferenceService.",
            },
        },
        "$defs": defs(),
    }


CACHE = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
    "description": (
        "Where the model's weights are kept in this environment, so that a restart does not "
        "fetch them again: a PersistentVolumeClaim mounted at a NIM's cache path, or a KServe "
        "LocalModelCache on a node group."
    ),
    "properties": {
        "pvc": {
            "type": "object",
            "additionalProperties": False,
            "required": ["claimName", "size"],
            "description": (
                "A PersistentVolumeClaim mounted at the NIM's cache path (NIM_CACHE_PATH); "
                "generated beside the model when storageClassName is given."
            ),
            "properties": {
                "claimName": {"$ref": "#/$defs/dnsLabel", "description": "The claim's name."},
                "size": {
                    "$ref": "#/$defs/quantity",
                    "description": "Its capacity, e.g. 200Gi; must hold the model's download.",
                },
                "accessMode": {
                    "enum": ["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"],
                    "description": (
                        "How the claim can be mounted; default ReadWriteOnce (one node)."
                    ),
                },
                "storageClassName": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 253,
                    "description": "With it the claim is generated, of this StorageClass.",
                },
                "mountPath": {
                    "type": "string",
                    "pattern": "^/",
                    "maxLength": 1024,
                    "description": "Where it is mounted; default /opt/nim/.cache.",
                },
            },
        },
        "localModelCache": {
            "type": "object",
            "additionalProperties": False,
            "required": ["nodeGroup"],
            "description": (
                "A KServe LocalModelCache of the model's storageUri on a node group; needs "
                "KServe's localModel feature enabled on the cluster."
            ),
            "properties": {
                "nodeGroup": {
                    "$ref": "#/$defs/dnsLabel",
                    "description": "A key of localModelNodeGroups.",
                },
            },
        },
    },
}


def environment_schema() -> dict:
    taint = {
        "type": "object",
        "additionalProperties": False,
        "required": ["key", "effect"],
        "properties": {
            "key": {
                "type": "string",
                "minLength": 1,
                "maxLength": 317,
                "description": "Taint key, e.g. nvidia.com/gpu.",
            },
            "value": {
                "type": "string",
                "maxLength": 63,
                "description": (
                    "Taint value; absent means any value is tolerated (operator Exists)."
                ),
            },
            "effect": {
                "enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"],
                "description": "Taint effect.",
            },
        },
    }
    profile = {
        "type": "object",
        "additionalProperties": False,
        "required": ["nodeLabels"],
        "description": (
            "A node pool as it is; the InferenceService's required node affinity and tolerations "
            "are derived from it."
        ),
        "properties": {
            "description": {"type": "string", "description": "For reviewers."},
            "nodeLabels": {
                "$ref": "#/$defs/labelMap",
                "description": (
                    "Labels every node of the pool carries (become required node affinity)."
                ),
            },
            "taints": {
                "type": "array",
                "maxItems": 32,
                "items": taint,
                "description": "Taints on the pool's nodes (become tolerations).",
            },
            "gpuResource": {
                "type": "string",
                "description": "Extended resource name; default nvidia.com/gpu.",
            },
            "gpuProduct": {
                "type": "string",
                "description": (
                    "GPU product as GPU Feature Discovery names it, e.g. NVIDIA-H100-80GB-HBM3."
                ),
            },
            "gpusPerNode": {"type": "integer", "minimum": 0, "description": "GPUs on each node."},
            "gpuMemoryGiB": {
                "type": "number",
                "minimum": 0,
                "description": "Memory of one GPU, GiB.",
            },
            "nodes": {
                "type": "integer",
                "minimum": 0,
                "description": "Nodes in the pool (the maximum, for autoscaled pools).",
            },
            "cpuPerNode": {
                "$ref": "#/$defs/quantity",
                "description": (
                    "Allocatable CPU of each node (kubectl describe node: Allocatable), e.g. "
                    "'22' or '22500m'; with it replicas are placed by CPU too."
                ),
            },
            "memoryPerNode": {
                "$ref": "#/$defs/quantity",
                "description": "Allocatable memory of each node, e.g. '180Gi'.",
            },
            "pool": {
                "type": "string",
                "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
                "maxLength": 63,
                "description": (
                    "The node pool's name on the cluster; default the profile's name. "
                    "Environments on one cluster naming the same pool share its nodes."
                ),
            },
            "sharing": {
                "type": "object",
                "additionalProperties": False,
                "required": ["strategy", "perGpu"],
                "description": (
                    "How the NVIDIA device plugin splits each GPU of the pool: MIG slices or "
                    "time-slicing replicas. gpu.count then counts slices or replicas."
                ),
                "properties": {
                    "strategy": {
                        "enum": ["mig", "time-slicing"],
                        "description": (
                            "mig: hardware partitions with their own memory; time-slicing: "
                            "replicas sharing one GPU's memory without isolation (no memory fit "
                            "can be guaranteed)."
                        ),
                    },
                    "perGpu": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 64,
                        "description": (
                            "MIG: slices of migProfile per GPU (at most 7); time-slicing: "
                            "sharing.timeSlicing.resources[].replicas."
                        ),
                    },
                    "migProfile": {
                        "type": "string",
                        "pattern": "^[1-7]g\\.[0-9]+gb(\\+me)?$",
                        "description": (
                            "MIG: the slice profile, e.g. 1g.10gb (resource "
                            "nvidia.com/mig-1g.10gb with the mixed strategy)."
                        ),
                    },
                    "failRequestsGreaterThanOne": {
                        "type": "boolean",
                        "description": (
                            "Time-slicing: the device plugin's flag of that name; with it a "
                            "container asking for more than one replica is refused. Default "
                            "false, as in the device plugin."
                        ),
                    },
                    "sliceMemoryGiB": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "description": (
                            "MIG: memory of one slice, GiB; default the profile name's GB."
                        ),
                    },
                },
                "if": {"properties": {"strategy": {"const": "mig", "description": "MIG slices."}}},
                "then": {
                    "required": ["migProfile"],
                    "properties": {
                        "perGpu": {"maximum": 7, "description": "At most 7 slices per GPU."}
                    },
                },
            },
        },
    }
    deployment = {
        "type": "object",
        "additionalProperties": False,
        "required": ["model"],
        "description": "A catalog model deployed in this environment.",
        "properties": {
            "model": {
                "type": "string",
                "minLength": 1,
                "maxLength": 63,
                "description": "Name of a model in catalog/models/.",
            },
            "profile": {
                "type": "string",
                "maxLength": 63,
                "description": "GPU profile (key of gpuProfiles) the model runs on.",
            },
            "replicas": REPLICAS,
            "rollout": ROLLOUT,
            "endpoint": {
                **ENDPOINT,
                "description": "The catalog's endpoint for this environment, key by key.",
            },
            "resources": CPU_MEMORY,
            "args": ARGS,
            "env": ENV_LIST,
            "storageUri": {
                "type": "string",
                "minLength": 1,
                "maxLength": 2048,
                "description": (
                    "Where the weights are in this environment, e.g. an in-cluster copy "
                    "(pvc://claim/path, or a store listed in modelStores); replaces the "
                    "catalog's."
                ),
            },
            "cache": CACHE,
        },
    }
    return {
        "$schema": DRAFT,
        "$id": BASE + "environment.schema.json",
        "title": "modelserve environment",
        "description": (
            "One environment: a cluster and namespace, its GPU node pools and the models it runs."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": [
            "name",
            "cluster",
            "namespace",
            "kubernetesVersion",
            "platform",
            "flux",
            "models",
        ],
        "properties": {
            "name": {
                **DNS_LABEL,
                "description": "Environment name; must equal the file name without .yaml.",
            },
            "description": {"type": "string", "description": "For reviewers."},
            "cluster": {
                "type": "string",
                "minLength": 1,
                "maxLength": 253,
                "pattern": "^[A-Za-z0-9]([-A-Za-z0-9_.:@/]*[A-Za-z0-9])?$",
                "description": (
                    "Cluster this environment deploys to, as its kubeconfig names it (letters, "
                    "digits and - _ . : @ /); environments on one cluster share its "
                    "ClusterServingRuntimes."
                ),
            },
            "namespace": {
                **DNS_LABEL,
                "description": "Namespace of the InferenceServices and monitors.",
            },
            "kubernetesVersion": {
                "type": "string",
                "pattern": "^1\\.[0-9]+$",
                "description": 'Minor version, e.g. "1.33": selects the Kubernetes schemas.',
            },
            "platform": {
                "type": "object",
                "additionalProperties": False,
                "required": ["kserve"],
                "description": (
                    "What the cluster runs: rendering and the admission rules follow these "
                    "releases."
                ),
                "properties": {
                    "kserve": {
                        "type": "string",
                        "pattern": KSERVE_VERSION,
                        "description": (
                            'KServe release installed on the cluster, 0.15 to 0.20: "0.20" '
                            '(meaning 0.20.0) or "0.15.1". Decides how deploymentMode is '
                            "spelled (Standard from 0.16, RawDeployment before), which "
                            "autoscaler classes exist, and KServe's built-in runtimes."
                        ),
                    },
                    "hybridManager": {
                        "type": "boolean",
                        "description": (
                            "The cluster is an EDB Hybrid Manager project cluster: the "
                            "ClusterServingRuntimes its documentation deploys for its model "
                            "library (nvidia-nim-snowflake-arctic-embed-l, ...) count as present "
                            "for runtime-collision. Default false."
                        ),
                    },
                    "kserveInstall": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["kind"],
                        "description": (
                            "How KServe is installed on the cluster; the cluster's shared objects "
                            "(runtimes, namespaces) wait for it. Default External on Hybrid "
                            "Manager, none elsewhere."
                        ),
                        "properties": {
                            "kind": {
                                "enum": ["Kustomization", "HelmRelease", "External"],
                                "description": (
                                    "Kustomization: a Flux Kustomization they depend on. "
                                    "HelmRelease: a Flux HelmRelease, health-checked by a "
                                    "generated gate Kustomization they depend on. External: "
                                    "installed by the platform (Hybrid Manager); the gate "
                                    "waits for KServe's CRDs and controller Deployment."
                                ),
                            },
                            "name": {
                                "$ref": "#/$defs/dnsLabel",
                                "description": (
                                    "The Kustomization or HelmRelease; for External the "
                                    "controller Deployment, default kserve-controller-manager."
                                ),
                            },
                            "namespace": {
                                "$ref": "#/$defs/dnsLabel",
                                "description": (
                                    "Its namespace; default flux.namespace (External: kserve)."
                                ),
                            },
                        },
                        "if": {
                            "properties": {
                                "kind": {
                                    "enum": ["Kustomization", "HelmRelease"],
                                    "description": "A named Flux object.",
                                }
                            }
                        },
                        "then": {"required": ["name"]},
                    },
                },
            },
            "deploymentMode": {
                "enum": ["Standard", "Knative"],
                "description": "serving.kserve.io/deploymentMode; default Standard.",
            },
            "createNamespace": {
                "type": "boolean",
                "description": "Generate the Namespace object; default true.",
            },
            "endpoints": {
                "type": "object",
                "additionalProperties": False,
                "description": (
                    "In-cluster discovery: a ConfigMap in the namespace holding what "
                    "`modelserve endpoints --format json` prints for this environment."
                ),
                "properties": {
                    "configMap": {
                        **DNS_LABEL,
                        "description": "Name of the ConfigMap (data key endpoints.json).",
                    },
                },
            },
            "flux": {
                "type": "object",
                "additionalProperties": False,
                "required": ["sourceRef"],
                "description": "How Flux syncs deploy/ for this environment.",
                "properties": {
                    "sourceRef": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["kind", "name"],
                        "description": "The Flux source holding this repository.",
                        "properties": {
                            "kind": {
                                "enum": ["GitRepository", "OCIRepository", "Bucket"],
                                "description": "Source kind.",
                            },
                            "name": {
                                "$ref": "#/$defs/dnsLabel",
                                "description": "Source name, e.g. flux-system.",
                            },
                            "namespace": {
                                "$ref": "#/$defs/dnsLabel",
                                "description": "Source namespace; default the Kustomization's.",
                            },
                        },
                    },
                    "namespace": {
                        "$ref": "#/$defs/dnsLabel",
                        "description": "Namespace of the Flux Kustomizations; default flux-system.",
                    },
                    "path": {
                        "type": "string",
                        "pattern": "^\\./",
                        "description": "Path of deploy/ inside the source; default ./deploy.",
                    },
                    "interval": {
                        "type": "string",
                        "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$",
                        "description": "Reconcile interval; default 10m.",
                    },
                    "timeout": {
                        "type": "string",
                        "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$",
                        "description": (
                            "Health-check timeout; default 15m (large models load slowly)."
                        ),
                    },
                    "retryInterval": {
                        "type": "string",
                        "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$",
                        "description": "Retry interval after a failure; default 2m.",
                    },
                    "dependsOn": {
                        "type": "array",
                        "items": {"$ref": "#/$defs/dnsLabel"},
                        "description": (
                            "Other Flux Kustomizations (same namespace) the cluster's shared "
                            "objects wait for, e.g. cert-manager; KServe's own install is "
                            "platform.kserveInstall."
                        ),
                    },
                    "shards": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 1024,
                        "description": (
                            "Model Kustomizations per environment; pin it in production, since "
                            "changing it moves models between Flux Kustomizations."
                        ),
                    },
                },
            },
            "monitoring": {
                "type": "object",
                "additionalProperties": False,
                "description": "Prometheus Operator monitors for the models.",
                "properties": {
                    "enabled": {
                        "type": "boolean",
                        "description": "Generate ServiceMonitors/PodMonitors; default true.",
                    },
                    "labels": {
                        "$ref": "#/$defs/labelMap",
                        "description": (
                            "Labels the Prometheus selects monitors by, "
                            "e.g. release: kube-prometheus-stack."
                        ),
                    },
                    "interval": {
                        "type": "string",
                        "pattern": "^[0-9]+(ms|s|m|h)$",
                        "description": "Scrape interval; default 30s.",
                    },
                    "prometheusAddress": {
                        "type": "string",
                        "pattern": "^https?://[^\\s]+$",
                        "maxLength": 2048,
                        "description": (
                            "The Prometheus KEDA queries for models with autoscaling class keda, "
                            "e.g. http://kube-prometheus-stack-prometheus.monitoring:9090."
                        ),
                    },
                    "alerts": {
                        "type": "object",
                        "additionalProperties": False,
                        "description": (
                            "Generate a PrometheusRule for the environment: each model's "
                            "predictor not ready, no scrape target, and its SLOs."
                        ),
                        "properties": {
                            "labels": {
                                "$ref": "#/$defs/labelMap",
                                "description": (
                                    "Labels the Prometheus selects rules by, beside "
                                    "monitoring.labels."
                                ),
                            },
                        },
                    },
                    "dashboard": {
                        "type": "object",
                        "additionalProperties": False,
                        "description": (
                            "Generate a Grafana dashboard ConfigMap (one row per model) for "
                            "the Grafana sidecar."
                        ),
                        "properties": {
                            "labels": {
                                "$ref": "#/$defs/labelMap",
                                "description": (
                                    "Labels the sidecar loads dashboards by; default "
                                    "grafana_dashboard: '1' (kube-prometheus-stack's)."
                                ),
                            },
                            "folder": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": 253,
                                "description": "Grafana folder, set by folderAnnotation.",
                            },
                            "folderAnnotation": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": 317,
                                "description": (
                                    "The sidecar's folderAnnotation; default grafana_folder."
                                ),
                            },
                        },
                    },
                },
            },
            "registry": {
                "type": "object",
                "additionalProperties": False,
                "description": "Image policy for this environment.",
                "properties": {
                    "allowed": {
                        "type": "array",
                        "items": {"type": "string", "minLength": 1},
                        "description": (
                            "Registry hosts images may come from (e.g. nvcr.io, "
                            "*.dkr.ecr.us-east-1.amazonaws.com)."
                        ),
                    },
                    "requireDigest": {
                        "type": "boolean",
                        "description": "Every image must be pinned by @sha256 digest.",
                    },
                },
            },
            "network": {
                "enum": ["connected", "airgapped"],
                "description": (
                    "airgapped: the cluster reaches nothing outside; images must come from "
                    "registry.allowed and weights from modelStores or PVCs. Default connected."
                ),
            },
            "modelStores": {
                "type": "array",
                "maxItems": 64,
                "items": {"type": "string", "minLength": 1, "maxLength": 2048},
                "description": (
                    "In-cluster stores weights may come from when air-gapped, as storageUri "
                    "prefixes (s3://models-prod/); pvc:// is always in the cluster."
                ),
            },
            "localModelNodeGroups": {
                "type": "object",
                "maxProperties": 64,
                "propertyNames": {"$ref": "#/$defs/dnsLabel"},
                "description": (
                    "KServe LocalModelNodeGroups installed on the cluster, as models' "
                    "localModelCache name them."
                ),
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["profile", "storageLimit"],
                    "description": "One LocalModelNodeGroup.",
                    "properties": {
                        "profile": {
                            "type": "string",
                            "maxLength": 63,
                            "description": "The GPU profile whose nodes it spans.",
                        },
                        "storageLimit": {
                            "$ref": "#/$defs/quantity",
                            "description": (
                                "Its spec.storageLimit: the disk of each node for cached models."
                            ),
                        },
                    },
                },
            },
            "runtimeImages": {
                "type": "object",
                "additionalProperties": {"type": "string", "minLength": 1},
                "description": (
                    "Per-environment image for a runtime (e.g. a mirror for an air-gapped "
                    "cluster), by runtime name."
                ),
            },
            "gpuProfiles": {
                "type": "object",
                "additionalProperties": profile,
                "propertyNames": {"$ref": "#/$defs/dnsLabel"},
                "description": "Node pools by profile name.",
            },
            "models": {
                "type": "array",
                "items": deployment,
                "description": "Models deployed in this environment.",
            },
        },
        "$defs": defs(),
    }


def config_schema() -> dict:
    from modelserve.report.waivers import CONFIG_SCHEMA

    return {**CONFIG_SCHEMA, "$id": BASE + "config.schema.json"}


SCHEMAS = {
    "runtime.schema.json": runtime_schema,
    "model.schema.json": model_schema,
    "environment.schema.json": environment_schema,
    "config.schema.json": config_schema,
}


def render_all() -> dict[str, str]:
    return {name: json.dumps(make(), indent=2) + "\n" for name, make in SCHEMAS.items()}


def main(argv: list[str] | None = None) -> int:
    out = Path(__file__).resolve().parents[1] / "schemas"
    for name, text in render_all().items():
        (out / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
