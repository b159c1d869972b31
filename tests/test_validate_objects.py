"""Rendered-object validation (modelserve.validate.objects) against real schemas and samples.

Two stores are compared throughout: ``shipped`` (schemas/kinds, written for this project) and
``imported`` (the real upstream CRDs converted with import_crds). The contract: whatever the
imported CRD rejects, the shipped schema rejects too.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelserve.validate import objects
from modelserve.validate.kubeschemas import GROUP_KEY, ObjectValidator, SchemaStore, import_crds
from modelserve.validate.objects import (
    ObjectProblem,
    kubeconform_available,
    run_kubeconform,
    validate_object,
    validate_objects,
)
from tests.helpers import CRDS, PROJECT
from tests.helpers import SAMPLES as UPSTREAM_SAMPLES

SAMPLES = UPSTREAM_SAMPLES / "kserve"

SHIPPED_KINDS = {
    ("serving.kserve.io/v1beta1", "InferenceService"),
    ("serving.kserve.io/v1alpha1", "ServingRuntime"),
    ("serving.kserve.io/v1alpha1", "ClusterServingRuntime"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
    ("source.toolkit.fluxcd.io/v1", "GitRepository"),
    ("source.toolkit.fluxcd.io/v1", "OCIRepository"),
}
CRD_FILES = [
    "kserve/serving.kserve.io_inferenceservices.yaml",
    "kserve/serving.kserve.io_servingruntimes.yaml",
    "kserve/serving.kserve.io_clusterservingruntimes.yaml",
    "kserve/serving.kserve.io_llminferenceservices.yaml",
    "kserve/serving.kserve.io_localmodelcaches.yaml",
    "prometheus-operator/monitoring.coreos.com_servicemonitors.yaml",
    "prometheus-operator/monitoring.coreos.com_podmonitors.yaml",
    "flux/kustomize.toolkit.fluxcd.io_kustomizations.yaml",
    "flux/source.toolkit.fluxcd.io_gitrepositories.yaml",
    "flux/source.toolkit.fluxcd.io_ocirepositories.yaml",
]


@pytest.fixture(scope="module")
def shipped() -> SchemaStore:
    return SchemaStore("1.33")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> SchemaStore:
    out = tmp_path_factory.mktemp("crd-store")
    import_crds([CRDS / name for name in CRD_FILES], out)
    return SchemaStore("1.33", store_dirs=[out])


def errors(problems: list[ObjectProblem]) -> list[ObjectProblem]:
    return [p for p in problems if p.severity == "error"]


def pointers(problems: list[ObjectProblem]) -> set[tuple[Any, ...]]:
    return {p.pointer for p in problems}


def validator(store: SchemaStore, obj: dict[str, Any], origin: str) -> ObjectValidator:
    found = store.validator_for(obj["apiVersion"], obj["kind"])
    assert found is not None and found.origin == origin
    return found


# --- hand-made valid objects of every shipped kind --------------------------------------------

VALID: dict[str, dict[str, Any]] = {
    "InferenceService": {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": "llama-chat",
            "namespace": "models",
            "annotations": {
                "serving.kserve.io/deploymentMode": "Standard",
                "serving.kserve.io/autoscalerClass": "hpa",
            },
            "labels": {"app.kubernetes.io/part-of": "modelserve"},
        },
        "spec": {
            "predictor": {
                "minReplicas": 1,
                "maxReplicas": 3,
                "scaleMetric": "cpu",
                "scaleTarget": 80,
                "serviceAccountName": "models-sa",
                "nodeSelector": {"nvidia.com/gpu.present": "true"},
                "tolerations": [
                    {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
                ],
                "volumes": [{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}}],
                "model": {
                    "modelFormat": {"name": "huggingface"},
                    "runtime": "kserve-huggingfaceserver",
                    "storageUri": "hf://meta-llama/Llama-3.1-8B-Instruct",
                    "protocolVersion": "v2",
                    "args": ["--backend=vllm", "--max-model-len=8192"],
                    "env": [
                        {
                            "name": "HF_TOKEN",
                            "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}},
                        }
                    ],
                    "resources": {
                        "requests": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": 1},
                        "limits": {"cpu": 8, "memory": "24Gi", "nvidia.com/gpu": "1"},
                    },
                    "volumeMounts": [{"name": "shm", "mountPath": "/dev/shm"}],
                    # Knative sets probe ports itself: KServe's CRD lets model probes omit them.
                    "readinessProbe": {
                        "httpGet": {"path": "/v2/health/ready"},
                        "periodSeconds": 10,
                    },
                    "ports": [{"name": "http1", "containerPort": 8080, "protocol": "TCP"}],
                },
                "autoScaling": {
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "target": {"type": "Utilization", "averageUtilization": 80},
                            },
                        }
                    ]
                },
                "deploymentStrategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0},
                },
            },
            "transformer": {
                "containers": [
                    {
                        "name": "transformer",
                        "image": "example/tx:1",
                        "args": ["--model_name", "llama-chat"],
                    }
                ]
            },
        },
    },
    "ServingRuntime": {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {"name": "vllm-runtime", "namespace": "models"},
        "spec": {
            "annotations": {
                "prometheus.kserve.io/port": "8080",
                "prometheus.kserve.io/path": "/metrics",
            },
            "supportedModelFormats": [
                {"name": "vLLM", "version": "1", "autoSelect": True, "priority": 2}
            ],
            "protocolVersions": ["v2", "v1"],
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "vllm/vllm-openai:v0.9.0",
                    "args": ["--port=8080", "--model=/mnt/models"],
                    "resources": {"requests": {"cpu": "1", "memory": "2Gi"}},
                    "readinessProbe": {"httpGet": {"path": "/v1/models", "port": 8080}},
                }
            ],
        },
    },
    "ClusterServingRuntime": {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ClusterServingRuntime",
        "metadata": {"name": "sklearn-runtime"},
        "spec": {
            "supportedModelFormats": [{"name": "sklearn", "version": "1", "autoSelect": True}],
            "protocolVersions": ["v1", "v2"],
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "kserve/sklearnserver:v0.15.0",
                    "args": ["--model_name={{.Name}}", "--model_dir=/mnt/models"],
                }
            ],
            "workerSpec": {
                "containers": [{"name": "worker", "image": "kserve/worker:1"}],
                "tensorParallelSize": 1,
            },
        },
    },
    "ServiceMonitor": {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "llama-chat", "namespace": "models", "labels": {"release": "prom"}},
        "spec": {
            "selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "llama-chat"}},
            "namespaceSelector": {"matchNames": ["models"]},
            "endpoints": [
                {
                    "targetPort": 8080,
                    "path": "/metrics",
                    "interval": "30s",
                    "scheme": "http",
                    "scrapeTimeout": "10s",
                    "relabelings": [
                        {
                            "action": "replace",
                            "targetLabel": "model",
                            "sourceLabels": ["__meta_kubernetes_pod_label_app"],
                        }
                    ],
                }
            ],
        },
    },
    "PodMonitor": {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": "llama-chat", "namespace": "models"},
        "spec": {
            "selector": {"matchLabels": {"component": "predictor"}},
            "podMetricsEndpoints": [
                {
                    "portNumber": 8080,
                    "path": "/metrics",
                    "interval": "1m",
                    "metricRelabelings": [
                        {"action": "keep", "regex": "vllm:.*", "sourceLabels": ["__name__"]}
                    ],
                }
            ],
        },
    },
    "Kustomization": {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "models-dev", "namespace": "flux-system"},
        "spec": {
            "interval": "10m",
            "retryInterval": "1m",
            "timeout": "5m",
            "prune": True,
            "wait": True,
            "path": "./environments/dev",
            "targetNamespace": "models",
            "sourceRef": {"kind": "GitRepository", "name": "models"},
            "dependsOn": [{"name": "kserve"}],
            "postBuild": {
                "substitute": {"bucket": "models-dev"},
                "substituteFrom": [{"kind": "ConfigMap", "name": "cluster-vars"}],
            },
            "healthChecks": [
                {
                    "apiVersion": "serving.kserve.io/v1beta1",
                    "kind": "InferenceService",
                    "name": "llama-chat",
                    "namespace": "models",
                }
            ],
            "patches": [
                {
                    "patch": "- op: add\n  path: /metadata/labels/env\n  value: dev\n",
                    "target": {"kind": "InferenceService"},
                }
            ],
        },
    },
    "GitRepository": {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": "models", "namespace": "flux-system"},
        "spec": {
            "interval": "1m",
            "url": "https://github.com/example/models.git",
            "ref": {"branch": "main"},
            "secretRef": {"name": "git-auth"},
            "timeout": "60s",
        },
    },
    "OCIRepository": {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "OCIRepository",
        "metadata": {"name": "models", "namespace": "flux-system"},
        "spec": {
            "interval": "5m",
            "url": "oci://ghcr.io/example/models-manifests",
            "ref": {"semver": ">=1.0.0"},
            "provider": "generic",
            "layerSelector": {
                "mediaType": "application/vnd.cncf.flux.content.v1.tar+gzip",
                "operation": "extract",
            },
        },
    },
}


def valid(kind: str) -> dict[str, Any]:
    return copy.deepcopy(VALID[kind])


def test_every_shipped_kind_has_a_valid_example() -> None:
    assert {(o["apiVersion"], o["kind"]) for o in VALID.values()} == SHIPPED_KINDS


@pytest.mark.parametrize("kind", sorted(VALID))
def test_valid_objects_pass_both(kind: str, shipped: SchemaStore, imported: SchemaStore) -> None:
    obj = valid(kind)
    validator(shipped, obj, "shipped")
    validator(imported, obj, "store")
    assert validate_object(shipped, obj) == []
    assert validate_object(imported, obj) == []


# --- mutations: both schemas reject, at the same field ----------------------------------------


def put(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]

    def mutate(obj: dict[str, Any]) -> None:
        node: Any = obj
        for step in parents:
            node = node[step]
        node[last] = value

    return mutate


def drop(path: str) -> Callable[[dict[str, Any]], None]:
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]

    def mutate(obj: dict[str, Any]) -> None:
        node: Any = obj
        for step in parents:
            node = node[step]
        del node[last]

    return mutate


def ptr(path: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in path.split(".")) if path else ()


MUTATIONS = [
    # (kind, mutation, pointer of the expected problem)
    ("InferenceService", put("status2", {}), "status2"),
    ("InferenceService", put("spec.predictr", {}), "spec.predictr"),
    (
        "InferenceService",
        put("spec.predictor.model.storageUrl", "s3://x"),
        "spec.predictor.model.storageUrl",
    ),
    (
        "InferenceService",
        put("spec.predictor.model.modelFormat.flavour", "x"),
        "spec.predictor.model.modelFormat.flavour",
    ),
    ("InferenceService", put("spec.transformer.custom", {}), "spec.transformer.custom"),
    ("InferenceService", put("spec.predictor.scaleMetric", "gpu"), "spec.predictor.scaleMetric"),
    ("InferenceService", put("spec.predictor.minReplicas", "two"), "spec.predictor.minReplicas"),
    (
        "InferenceService",
        put("spec.predictor.model.resources.limits.cpu", "2 cores"),
        "spec.predictor.model.resources.limits.cpu",
    ),
    (
        "InferenceService",
        put("spec.predictor.model.resources.limits.cpu", 0.5),
        "spec.predictor.model.resources.limits.cpu",
    ),
    (
        "InferenceService",
        put("spec.predictor.model.modelFormat", {"version": "1"}),
        "spec.predictor.model.modelFormat",
    ),
    (
        "InferenceService",
        put("spec.predictor.model.env.0.valueFrom.secretKeyRef.kye", "x"),
        "spec.predictor.model.env.0.valueFrom.secretKeyRef.kye",
    ),
    (
        "InferenceService",
        put("spec.predictor.model.startupProbe", {"httpGet": {"path": "/"}}),
        "spec.predictor.model.startupProbe.httpGet",
    ),
    (
        "InferenceService",
        put("spec.predictor.storageUris", [{"uri": "s3://a", "mountPath": "relative"}]),
        "spec.predictor.storageUris.0.mountPath",
    ),
    ("InferenceService", drop("spec.predictor"), "spec"),
    (
        "ServingRuntime",
        put("spec.containers.0.imagePullPolicy2", "Always"),
        "spec.containers.0.imagePullPolicy2",
    ),
    (
        "ServingRuntime",
        put("spec.supportedModelFormats.0.priority", 0),
        "spec.supportedModelFormats.0.priority",
    ),
    ("ServingRuntime", drop("spec.containers"), "spec"),
    ("ClusterServingRuntime", put("spec.multiModel", "no"), "spec.multiModel"),
    ("ClusterServingRuntime", drop("spec.workerSpec.containers"), "spec.workerSpec"),
    ("ServiceMonitor", put("spec.endpoints.0.scheme", "ftp"), "spec.endpoints.0.scheme"),
    ("ServiceMonitor", put("spec.endpoints.0.interval", "30 seconds"), "spec.endpoints.0.interval"),
    (
        "ServiceMonitor",
        put("spec.endpoints.0.relabelings.0.modulus", -1),
        "spec.endpoints.0.relabelings.0.modulus",
    ),
    ("ServiceMonitor", drop("spec.selector"), "spec"),
    (
        "PodMonitor",
        put("spec.podMetricsEndpoints.0.portNumber", 70000),
        "spec.podMetricsEndpoints.0.portNumber",
    ),
    (
        "PodMonitor",
        put("spec.podMetricsEndpoints.0.metricRelabelings.0.action", "rename"),
        "spec.podMetricsEndpoints.0.metricRelabelings.0.action",
    ),
    ("Kustomization", put("spec.prune", "yes"), "spec.prune"),
    ("Kustomization", put("spec.sourceRef.kind", "HelmRepository"), "spec.sourceRef.kind"),
    ("Kustomization", put("spec.interval", "10 minutes"), "spec.interval"),
    ("Kustomization", put("spec.sourceref", {}), "spec.sourceref"),
    ("Kustomization", put("spec.targetNamespace", "x" * 64), "spec.targetNamespace"),
    ("Kustomization", drop("spec.prune"), "spec"),
    ("GitRepository", put("spec.url", "git@github.com:example/models.git"), "spec.url"),
    ("GitRepository", put("spec.ref.branchh", "main"), "spec.ref.branchh"),
    ("GitRepository", put("spec.timeout", "1h"), "spec.timeout"),
    ("OCIRepository", put("spec.url", "https://ghcr.io/x"), "spec.url"),
    ("OCIRepository", put("spec.provider", "docker"), "spec.provider"),
    ("OCIRepository", drop("spec.interval"), "spec"),
]


@pytest.mark.parametrize(
    ("kind", "mutate", "where"), MUTATIONS, ids=[f"{k}-{w or 'root'}" for k, _, w in MUTATIONS]
)
def test_mutations_fail_in_both(
    kind: str,
    mutate: Callable[[dict[str, Any]], None],
    where: str,
    shipped: SchemaStore,
    imported: SchemaStore,
) -> None:
    obj = valid(kind)
    mutate(obj)
    for store in (shipped, imported):
        problems = errors(validate_object(store, obj))
        assert ptr(where) in pointers(problems), (store.store_dirs, problems)


# --- upstream samples -------------------------------------------------------------------------


def sample_documents() -> Iterator[tuple[str, int, dict[str, Any]]]:
    if not SAMPLES.is_dir():
        return
    for path in sorted(SAMPLES.glob("*.yaml")):
        for index, doc in enumerate(yaml.safe_load_all(path.read_text())):
            if isinstance(doc, dict) and (doc.get("apiVersion"), doc.get("kind")) in SHIPPED_KINDS:
                yield path.name, index, doc


SAMPLE_DOCS = list(sample_documents())
INVALID_SAMPLES = {
    ("docs-samples-rollout-strategy__rollout-strategy-example.yaml", 0),
    (
        "website-docs-model-serving-predictive-inference-autoscaling__keda-autoscaler.md.block08.yaml",
        0,
    ),
}


def test_samples_were_found() -> None:
    assert len(SAMPLE_DOCS) >= 35


@pytest.mark.parametrize(
    ("name", "index", "doc"), SAMPLE_DOCS, ids=[f"{n}#{i}" for n, i, _ in SAMPLE_DOCS]
)
def test_sample_rejected_by_crd_is_rejected_by_shipped(
    name: str, index: int, doc: dict[str, Any], shipped: SchemaStore, imported: SchemaStore
) -> None:
    by_crd = errors(validate_object(imported, doc))
    by_shipped = errors(validate_object(shipped, doc))
    if by_crd:
        assert by_shipped, f"the CRD rejects {name}#{index} ({by_crd}), the shipped schema not"
    # INDEX.md lists every other sample as valid: the shipped schemas must not be stricter there.
    assert bool(by_shipped) == ((name, index) in INVALID_SAMPLES), by_shipped


@pytest.mark.parametrize("store_name", ["shipped", "imported"])
def test_index_marked_invalid_samples_fail_at_the_named_field(
    store_name: str, request: pytest.FixtureRequest
) -> None:
    store: SchemaStore = request.getfixturevalue(store_name)
    rollout = next(d for n, i, d in SAMPLE_DOCS if n.startswith("docs-samples-rollout") and i == 0)
    problems = validate_object(store, rollout)
    assert pointers(problems) == {("spec", "transformer", "custom")}
    assert "unknown field 'custom'" in problems[0].message
    keda = next(d for n, _, d in SAMPLE_DOCS if n.endswith("keda-autoscaler.md.block08.yaml"))
    external = ("spec", "predictor", "autoScaling", "metrics", 0, "external")
    found = pointers(validate_object(store, keda))
    assert external + ("metric", "authModes") in found
    assert external + ("authenticationRef", "name") in found
    assert external + ("authenticationRef",) in found  # its required inner authenticationRef


# --- differential probes: every constraint of the real CRD -------------------------------------

BAD_VALUES: list[Any] = [{"probe": True}, ["probe"], "probe-string", 12345, True]
SAMPLE_STRINGS = [
    "a",
    "abc",
    "1",
    "/a",
    "1m",
    "10s",
    "s3://a",
    "https://a",
    "oci://a",
    "a-b",
    "1Gi",
    "v1",
]


def _types(node: dict[str, Any]) -> set[str] | None:
    if "type" in node:
        raw = node["type"]
        found = set(raw if isinstance(raw, list) else [raw])
    elif "anyOf" in node and all("type" in b for b in node["anyOf"]):
        found = {b["type"] for b in node["anyOf"]}
    else:
        return None
    return found | ({"integer"} if "number" in found else set())


def _json_type(value: Any) -> str:
    return objects._json_type(value)


def _minimal(node: dict[str, Any], depth: int = 0) -> Any:
    """A small value ``node`` accepts (good enough to build parents of a probe)."""
    if node.get("default") is not None:
        return copy.deepcopy(node["default"])
    if "enum" in node:
        return node["enum"][0]
    types = _types(node) or {"object"}
    if "anyOf" in node and "integer" in types:
        return 1
    if "string" in types:
        pattern = node.get("pattern")
        return next(
            (c for c in SAMPLE_STRINGS if pattern is None or re.search(pattern, c)),
            "a" * max(1, node.get("minLength", 1)),
        )
    if "integer" in types:
        return max(node.get("minimum", 1), 1)
    if "boolean" in types:
        return True
    if "array" in types:
        return [_minimal(node.get("items", {}), depth + 1) for _ in range(node.get("minItems", 0))]
    props = node.get("properties", {})
    return {k: _minimal(props.get(k, {}), depth + 1) for k in node.get("required", [])}


def _walk(
    node: dict[str, Any], path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    yield path, node
    for name, sub in (node.get("properties") or {}).items():
        yield from _walk(sub, path + (name,))
    if isinstance(node.get("items"), dict):
        yield from _walk(node["items"], path + ("[]",))
    if isinstance(node.get("additionalProperties"), dict):
        yield from _walk(node["additionalProperties"], path + ("{}",))


def _violations(node: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    types = _types(node)
    if types is not None:
        yield "type", next(v for v in BAD_VALUES if _json_type(v) not in types)
    if "enum" in node:
        yield "enum", "not-an-allowed-value"
    if "pattern" in node:
        for candidate in ("!! no match !!", "", "a" * 300, "a"):
            if not re.search(node["pattern"], candidate):
                yield "pattern", candidate
                break
    breakers: dict[str, Callable[[dict[str, Any]], Any]] = {
        "minimum": lambda n: n["minimum"] - 1,
        "maximum": lambda n: n["maximum"] + 1,
        "minLength": lambda n: "",
        "maxLength": lambda n: "a" * (n["maxLength"] + 1),
        "minItems": lambda n: [],
    }
    for key, bad in breakers.items():
        if node.get(key):
            yield key, bad(node)
    if "properties" in node and node.get("additionalProperties") is False:
        base = _minimal(node)
        yield "unknown-field", {**base, "zzProbeUnknown": 1}
        for key in node.get("required", []):
            yield f"required:{key}", {k: v for k, v in base.items() if k != key}


def _nodes_along(root: dict[str, Any], path: tuple[str, ...]) -> list[dict[str, Any]]:
    out, node = [], root
    for step in path:
        if step == "[]":
            node = node.get("items", {})
        elif step == "{}":
            node = node.get("additionalProperties") or {}
        else:
            node = (node.get("properties") or {}).get(step, {})
        out.append(node)
    return out


def _set_at(obj: Any, path: tuple[str, ...], value: Any, along: list[dict[str, Any]]) -> Any:
    if not path:
        return value
    step, rest = path[0], path[1:]
    if step == "[]":
        items = list(obj) if isinstance(obj, list) else []
        if not items:
            items.append(_minimal(along[0]))
        items[0] = _set_at(items[0], rest, value, along[1:])
        return items
    mapping = dict(obj) if isinstance(obj, dict) else {}
    key = "probe-key" if step == "{}" else step
    mapping[key] = _set_at(mapping.get(key, _minimal(along[0])), rest, value, along[1:])
    return mapping


def crd_probes(crd: dict[str, Any], base: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """One object per constraint of the CRD schema, each breaking just that constraint."""
    for path, node in _walk(crd):
        if path[:1] in (("status",), ("metadata",), ("apiVersion",), ("kind",)):
            continue
        along = _nodes_along(crd, path)
        for label, bad in _violations(node):
            yield f"{'.'.join(path)} {label}", _set_at(base, path, bad, along)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_shipped_rejects_whatever_the_crd_rejects(
    kind: str, shipped: SchemaStore, imported: SchemaStore
) -> None:
    base = valid(kind)
    crd_validator = validator(imported, base, "store")
    shipped_validator = validator(shipped, base, "shipped")
    probes = list(crd_probes(crd_validator.schema, base))
    assert len(probes) > 40
    missed = [
        label
        for label, obj in probes
        if not crd_validator.is_valid(obj) and shipped_validator.is_valid(obj)
    ]
    assert missed == []


# --- CEL --------------------------------------------------------------------------------------


@pytest.mark.parametrize("store_name", ["shipped", "imported"])
def test_flux_kubeconfig_needs_exactly_one_ref(
    store_name: str, request: pytest.FixtureRequest
) -> None:
    store: SchemaStore = request.getfixturevalue(store_name)
    obj = valid("Kustomization")
    obj["spec"]["kubeConfig"] = {"configMapRef": {"name": "a"}, "secretRef": {"name": "b"}}
    (problem,) = validate_object(store, obj)
    message = (
        "exactly one of spec.kubeConfig.configMapRef or spec.kubeConfig.secretRef must be specified"
    )
    assert problem == ObjectProblem(("spec", "kubeConfig"), message, "cel", "error")
    obj["spec"]["kubeConfig"] = {}
    assert [p.rule for p in validate_object(store, obj)] == ["cel"]
    obj["spec"]["kubeConfig"] = {"secretRef": {"name": "b", "key": "value"}}
    assert validate_object(store, obj) == []


@pytest.mark.parametrize("store_name", ["shipped", "imported"])
def test_git_service_account_needs_a_cloud_provider(
    store_name: str, request: pytest.FixtureRequest
) -> None:
    store: SchemaStore = request.getfixturevalue(store_name)
    obj = valid("GitRepository")
    obj["spec"].update(serviceAccountName="git-reader", provider="generic")
    (problem,) = validate_object(store, obj)
    assert (problem.rule, problem.pointer) == ("cel", ("spec",))
    assert "serviceAccountName can only be set when provider is 'azure' or 'aws'" in problem.message
    obj["spec"]["provider"] = "azure"
    assert validate_object(store, obj) == []


def test_llminferenceservice_cel_rules(imported: SchemaStore) -> None:
    doc = yaml.safe_load(
        (
            SAMPLES / "docs-samples-llmisvc-opt-125m-cpu__"
            "llm-inference-service-facebook-opt-125m-cpu.yaml"
        ).read_text()
    )
    assert validate_object(imported, doc) == []
    doc["spec"]["replicas"] = 1
    doc["spec"]["scaling"] = {
        "minReplicas": 3,
        "maxReplicas": 2,
        "keda": {"triggers": [{"type": "cpu", "metadata": {"value": "50"}}]},
    }
    problems = validate_object(imported, doc)
    assert {p.rule for p in problems} == {"cel"} and all(p.severity == "error" for p in problems)
    assert ("spec",) in pointers(problems) and ("spec", "scaling") in pointers(problems)


def test_transition_rules_are_skipped(imported: SchemaStore) -> None:
    cache = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "LocalModelCache",
        "metadata": {"name": "llama"},
        "spec": {"sourceModelUri": "hf://meta/llama", "modelSize": "10Gi", "nodeGroups": ["gpu"]},
    }
    assert validate_object(imported, cache) == []


def cel_store(tmp_path: Path, spec: dict[str, Any]) -> SchemaStore:
    schema = {
        "type": "object",
        GROUP_KEY: "cel.example.com",
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
        },
    }
    (tmp_path / "widget_v1.json").write_text(json.dumps(schema))
    return SchemaStore(store_dirs=[tmp_path])


def widget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "cel.example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": spec,
    }


def test_broken_rules_are_warnings_not_crashes(tmp_path: Path) -> None:
    store = cel_store(
        tmp_path,
        {
            "type": "object",
            "x-kubernetes-validations": [
                {"rule": "self.size ==", "message": "syntax error"},
                {"rule": "self.missing == 1", "message": "no such key"},
                {"rule": "1 + 1", "message": "not a boolean"},
                {"rule": "self.size > 0", "message": "size must be positive"},
            ],
        },
    )
    problems = validate_object(store, widget(size=0))
    assert [(p.rule, p.severity) for p in problems] == [("cel", "warning")] * 3 + [("cel", "error")]
    assert "does not compile" in problems[0].message
    assert "could not be evaluated" in problems[1].message
    assert "not a boolean" in problems[2].message
    assert problems[3].message == "size must be positive"


def test_message_expression_field_path_and_defaults(tmp_path: Path) -> None:
    store = cel_store(
        tmp_path,
        {
            "type": "object",
            "properties": {
                "mode": {"type": "string", "default": "fast"},
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"n": {"type": "integer"}},
                        "x-kubernetes-validations": [
                            {
                                "rule": "self.n < 10",
                                "fieldPath": ".n",
                                "messageExpression": "'n is ' + string(self.n) + ', above 9'",
                            }
                        ],
                    },
                },
            },
            # The API server defaults before it runs CEL, so `mode` is there even when omitted.
            "x-kubernetes-validations": [{"rule": "self.mode == 'fast'", "message": "mode"}],
        },
    )
    assert validate_object(store, widget(items=[{"n": 1}])) == []
    (problem,) = validate_object(store, widget(items=[{"n": 1}, {"n": 12}]))
    assert problem == ObjectProblem(("spec", "items", 1, "n"), "n is 12, above 9", "cel", "error")


def test_rules_under_schema_errors_are_skipped(tmp_path: Path) -> None:
    store = cel_store(
        tmp_path,
        {
            "type": "object",
            "properties": {"size": {"type": "integer"}},
            "x-kubernetes-validations": [{"rule": "self.size > 0"}],
        },
    )
    problems = validate_object(store, widget(size="big"))
    assert [p.rule for p in problems] == ["schema"]
    (problem,) = validate_object(store, widget(size=-1))
    assert problem.message == "failed rule: self.size > 0"


def test_cel_core_loads_without_the_cli_and_import_cel_still_works() -> None:
    code = (
        "import sys; from modelserve.validate import objects; "
        "m = objects._load_cel_core(); assert 'typer' not in sys.modules; "
        "assert m.compile('1 < 2').execute({}) is True; "
        "import cel; assert cel.compile('self.a').execute({'self': {'a': 3}}) == 3; "
        "print('ok')"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "ok", out.stderr


def test_celpy_fallback_compiles_the_same_rules() -> None:
    compile_rule = objects._celpy_compiler()
    assert compile_rule is not None
    rule = compile_rule("!has(self.configMapRef) || !has(self.secretRef)")
    assert rule({"configMapRef": {"name": "a"}}) is True
    assert rule({"configMapRef": {"name": "a"}, "secretRef": {"name": "b"}}) is False


# --- core kinds and version selection ---------------------------------------------------------

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {"name": "web", "image": "nginx:1.27", "resources": {"limits": {"cpu": 0.5}}}
                ]
            },
        },
    },
}
CORE_VALID: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "models"}},
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]},
    },
    DEPLOYMENT,
]


@pytest.mark.parametrize("obj", CORE_VALID, ids=lambda o: o["kind"])
def test_core_kinds(obj: dict[str, Any], shipped: SchemaStore) -> None:
    assert validate_object(shipped, obj) == []
    broken = copy.deepcopy(obj)
    broken["spec"] = {**broken.get("spec", {}), "replicaz": 2}
    (problem,) = validate_object(shipped, broken)
    assert problem.pointer == ("spec", "replicaz")
    assert problem.message.startswith("unknown field 'replicaz'")


def test_core_unknown_field_deep_inside_and_suggestion(shipped: SchemaStore) -> None:
    service = copy.deepcopy(CORE_VALID[1])
    service["spec"]["ports"][0]["targetPrt"] = 8080
    (problem,) = validate_object(shipped, service)
    assert problem.pointer == ("spec", "ports", 0, "targetPrt")
    assert problem.message == (
        "unknown field 'targetPrt' (not in the Service schema); did you mean 'targetPort'?"
    )
    deployment = copy.deepcopy(DEPLOYMENT)
    deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "lots"
    (problem,) = validate_object(shipped, deployment)
    assert problem.pointer[-2:] == ("limits", "cpu") and '"lots"' in problem.message


def test_version_selection_changes_what_is_valid() -> None:
    # Pod-level resources exist from Kubernetes 1.32 on.
    pod_resources = copy.deepcopy(DEPLOYMENT)
    pod_resources["spec"]["template"]["spec"]["resources"] = {"limits": {"cpu": "2"}}
    assert validate_object(SchemaStore("1.33"), pod_resources) == []
    (problem,) = validate_object(SchemaStore("1.29"), pod_resources)
    assert problem.pointer == ("spec", "template", "spec", "resources")


# --- lookup problems --------------------------------------------------------------------------


def test_unserved_api_versions(shipped: SchemaStore) -> None:
    (old,) = validate_object(
        shipped,
        {
            "apiVersion": "serving.kserve.io/v1alpha2",
            "kind": "InferenceService",
            "metadata": {"name": "x"},
            "spec": {"default": {}},
        },
    )
    assert (old.rule, old.severity, old.pointer) == ("api-version", "error", ("apiVersion",))
    assert "serving.kserve.io/v1beta1" in old.message
    for api_version, kind, served in (
        ("kustomize.toolkit.fluxcd.io/v1beta2", "Kustomization", "kustomize.toolkit.fluxcd.io/v1"),
        ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository", "source.toolkit.fluxcd.io/v1"),
        ("apps/v1beta1", "Deployment", "apps/v1"),
    ):
        (problem,) = validate_object(shipped, {"apiVersion": api_version, "kind": kind})
        assert problem.rule == "api-version" and served in problem.message


def test_missing_schema_is_a_warning_unless_strict() -> None:
    obj = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "x"}}
    (problem,) = validate_object(SchemaStore(), obj)
    assert (problem.rule, problem.severity) == ("schema-missing", "warning")
    (problem,) = validate_object(SchemaStore(strict=True), obj)
    assert (problem.rule, problem.severity) == ("schema-missing", "error")


def test_kustomize_files_are_not_objects(shipped: SchemaStore) -> None:
    for api_version, kind in (
        ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
        ("kustomize.config.k8s.io/v1alpha1", "Component"),
    ):
        obj = {"apiVersion": api_version, "kind": kind, "resources": ["isvc.yaml"], "x": True}
        assert validate_object(shipped, obj) == []


def test_values_json_cannot_hold_are_checked_as_strings(shipped: SchemaStore) -> None:
    import datetime

    obj = valid("InferenceService")
    obj["metadata"]["annotations"]["released"] = datetime.date(2024, 1, 1)  # unquoted YAML date
    obj["spec"]["predictor"]["labels"] = {"blob": b"raw"}
    assert validate_object(shipped, obj) == []
    obj["spec"]["predictor"]["minReplicas"] = None
    assert [p.message for p in validate_object(shipped, obj)] == ["expected integer, got null"]


def test_not_an_object(shipped: SchemaStore) -> None:
    assert [p.pointer for p in validate_object(shipped, {"kind": "Service"})] == [("apiVersion",)]
    assert validate_object(shipped, ["a"])[0].message.startswith("not a Kubernetes object")


def test_validate_objects_keeps_the_order(shipped: SchemaStore) -> None:
    bad = valid("GitRepository")
    bad["spec"]["url"] = "ftp://x"
    results = validate_objects(shipped, [valid("InferenceService"), bad, CORE_VALID[0]])
    assert [len(r) for r in results] == [0, 1, 0]
    assert results[1][0].pointer == ("spec", "url")


# --- messages ---------------------------------------------------------------------------------


def message_for(store: SchemaStore, kind: str, mutate: Callable[[dict[str, Any]], None]) -> str:
    obj = valid(kind)
    mutate(obj)
    problems = validate_object(store, obj)
    assert len(problems) == 1, problems
    return problems[0].message


def test_messages_say_expected_and_got(shipped: SchemaStore) -> None:
    assert message_for(
        shipped, "InferenceService", put("spec.predictor.model.storageUrl", "x")
    ) == (
        "unknown field 'storageUrl' (not in the InferenceService schema); "
        "did you mean 'storageUri'?"
    )
    assert (
        message_for(shipped, "InferenceService", put("spec.predictor.scaleMetric", "gpu"))
        == '"gpu" is not allowed; expected one of "cpu", "memory", "concurrency", "rps"'
    )
    assert (
        message_for(shipped, "InferenceService", put("spec.predictor.minReplicas", "two"))
        == 'expected integer, got string "two"'
    )
    assert (
        message_for(shipped, "InferenceService", drop("spec.predictor"))
        == "missing required field 'predictor'"
    )
    assert (
        message_for(
            shipped, "InferenceService", put("spec.predictor.model.resources.limits.cpu", 0.5)
        )
        == "expected integer or string, got number 0.5"
    )
    assert (
        message_for(shipped, "GitRepository", put("spec.url", "ftp://x"))
        == '"ftp://x" does not match the required pattern ^(http|https|ssh)://.*$'
    )
    assert message_for(shipped, "InferenceService", put("metadata.name", "Llama_Chat")).startswith(
        '"Llama_Chat" does not match the required pattern'
    )


def test_imported_schemas_suggest_too(imported: SchemaStore) -> None:
    # imported files have no $id: the field list comes from the error's schema path instead
    assert message_for(imported, "InferenceService", put("spec.transformr", {})) == (
        "unknown field 'transformr' (not in the InferenceService schema); "
        "did you mean 'transformer'?"
    )


def test_unknown_field_in_a_failing_composition_is_reported_once(shipped: SchemaStore) -> None:
    # A failure inside autoScaling makes JSON Schema drop what the predictor parts evaluated;
    # their fields must not then show up as "unknown" too.
    obj = valid("InferenceService")
    obj["spec"]["predictor"]["autoScaling"]["metrics"][0]["resource"]["name"] = "gpu"
    problems = validate_object(shipped, obj)
    assert [p.pointer[-1] for p in problems] == ["name"]


# --- speed ------------------------------------------------------------------------------------


def test_inference_service_validation_is_fast(shipped: SchemaStore) -> None:
    obj = valid("InferenceService")
    assert validate_object(shipped, obj) == []  # compile outside the timing
    rounds = 2000
    start = time.perf_counter()
    for _ in range(rounds):
        validate_object(shipped, obj)
    per_object = (time.perf_counter() - start) / rounds
    print(f"InferenceService validation: {per_object * 1e6:.1f} us per object")
    assert per_object < 500e-6  # measured ~5-10 us; generous for slow CI machines


# --- kubeconform (optional) -------------------------------------------------------------------


@pytest.mark.skipif(
    not kubeconform_available(),
    reason="kubeconform is not on PATH: it is optional, so there is nothing to compare with",
)
def test_kubeconform_agrees(tmp_path: Path) -> None:
    store = tmp_path / "schemas"
    import_crds([CRDS / "kserve" / "serving.kserve.io_inferenceservices.yaml"], store)
    bad = valid("InferenceService")
    bad["spec"]["transformer"]["custom"] = {}
    manifest = tmp_path / "isvc.yaml"
    manifest.write_text(yaml.safe_dump_all([valid("InferenceService"), bad]))
    results = run_kubeconform([manifest], [store], "1.33")
    assert [r["status"] for r in results] == ["statusInvalid"]
