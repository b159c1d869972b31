"""Every root Flux builds, built for real: pykustomize and `kubectl kustomize` agree byte for byte,
the build is exactly what the renderers meant, and every object passes the upstream schemas with
unknown fields rejected (the CRDs are converted to JSON Schema here, independently of the product).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import kubernetes_validate
import pykustomize
import pytest
import yaml

from modelserve.deploy.tree import Tree, cluster_folder
from modelserve.generate import generate
from modelserve.load.repository import Repository
from modelserve.validate.kustomize import BuildError, build_many, engine
from tests.helpers import CRDS, PROJECT, copy_example, run_modelserve

K8S_SCHEMAS = (
    Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / "v1.33.0-local-strict"
)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CRD_FILES = {
    "InferenceService": ["kserve/serving.kserve.io_inferenceservices.yaml"],
    "ClusterServingRuntime": [
        "kserve/serving.kserve.io_clusterservingruntimes.yaml",
        "kserve/v0.20.0-tag/serving.kserve.io_clusterservingruntimes.yaml",
    ],
    "ServiceMonitor": ["prometheus-operator/monitoring.coreos.com_servicemonitors.yaml"],
    "PodMonitor": ["prometheus-operator/monitoring.coreos.com_podmonitors.yaml"],
    "PrometheusRule": ["prometheus-operator/monitoring.coreos.com_prometheusrules.yaml"],
    "Kustomization": ["flux/kustomize.toolkit.fluxcd.io_kustomizations.yaml"],
}


# --- the example, rendered and written once ------------------------------------------------


def _example_roots() -> list[str]:
    """Root paths of the project's example, for test ids; test_generate checks it is sound."""
    tree = generate(Repository(PROJECT)).tree
    if tree is None:
        return []
    return sorted(tree.aggregates.values()) + [root.path for root in tree.roots]


ROOTS = _example_roots()


def generate_into(root: Path) -> Tree:
    run_modelserve("generate", "--root", root, check_rc=0)
    generated = generate(Repository(root))
    assert generated.tree is not None, [str(f) for f in generated.errors]
    return generated.tree


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Tree]:
    root = copy_example(tmp_path_factory.mktemp("builds") / "repo")
    return root / "deploy", generate_into(root)


@pytest.fixture(scope="module")
def knative(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Tree]:
    """The example with dev in Knative mode: metrics then come from PodMonitors on named ports."""
    root = copy_example(tmp_path_factory.mktemp("knative") / "repo")
    env = root / "environments/dev.yaml"
    text = env.read_text().replace(
        "namespace: models-dev\n", "namespace: models-dev\ndeploymentMode: Knative\n"
    )
    # Runtimes without a named port cannot be scraped outside Standard mode (the monitor-port rule),
    # and Knative admits one port named http1, h2c or nothing (knative-ports): the Triton-based
    # NIMs, whose metrics need a second port, stay in Standard mode.
    for model in ("qwen2-5-7b-instruct", "sklearn-iris", "arctic-embed-l", "nv-rerankqa-1b"):
        start = text.index(f"  - model: {model}\n")
        end = text.find("  - model: ", start + 1)
        text = text[:start] + (text[end:] if end != -1 else "")
    env.write_text(text)
    llama = root / "catalog/runtimes/nvidia-nim-llama-3.1-8b-instruct-1.3.3.yaml"
    llama.write_text(llama.read_text().replace("  - name: http\n", "  - name: http1\n"))
    return root / "deploy", generate_into(root)


def pykustomize_yaml(path: Path) -> str:
    return asyncio.run(pykustomize.build(path)).yaml


def kubectl_yaml(path: Path) -> str:
    proc = subprocess.run(
        ["kubectl", "kustomize", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def key(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj["metadata"]
    return (obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])


def expected_objects(tree: Tree, path: str) -> list[dict[str, Any]]:
    """What a root must build to: its own objects, or for an environment's aggregating overlay,
    the objects of its cluster's shared root and of the model roots under it."""
    roots = [r for r in tree.roots if r.path == path]
    for env, overlay in tree.aggregates.items():
        if overlay == path:
            roots = [r for r in tree.env_roots(env) if not r.path.startswith("clusters/")]
    assert roots, path
    return sorted((o.obj for r in roots for o in r.objects), key=key)


def all_objects(tree: Tree) -> list[dict[str, Any]]:
    return [o.obj for r in tree.roots for o in r.objects]


# --- builds --------------------------------------------------------------------------------


def test_example_has_every_kind_of_root() -> None:
    envs = sorted(p.stem for p in (PROJECT / "environments").glob("*.yaml"))
    assert envs
    for env in envs:
        cluster = cluster_folder(
            yaml.safe_load((PROJECT / f"environments/{env}.yaml").read_text())["cluster"]
        )
        assert (
            f"overlays/{env}" in ROOTS
            and f"shared/{cluster}" in ROOTS
            and f"clusters/{cluster}/modelserve" in ROOTS
        )
        assert any(p.startswith(f"overlays/{env}/models/") for p in ROOTS)


@pytest.mark.parametrize("path", ROOTS)
def test_pykustomize_and_kubectl_build_identical_bytes(
    example: tuple[Path, Tree], path: str
) -> None:
    deploy, _ = example
    built = pykustomize_yaml(deploy / path)
    # the KServe gate is a root of nothing (its Flux Kustomization only health-checks)
    assert built.startswith("apiVersion: ") or (path.endswith("/kserve-ready") and not built)
    assert built == kubectl_yaml(deploy / path)


@pytest.mark.parametrize("path", ROOTS)
def test_built_objects_equal_rendered_objects(example: tuple[Path, Tree], path: str) -> None:
    deploy, tree = example
    built = engine("pykustomize").build(deploy / path)
    assert sorted(built, key=key) == expected_objects(tree, path)


def test_aggregating_overlay_is_the_union_of_its_flux_roots(example: tuple[Path, Tree]) -> None:
    deploy, tree = example
    for env, overlay in tree.aggregates.items():
        parts = [r.path for r in tree.env_roots(env) if not r.path.startswith("clusters/")]
        assert len(parts) >= 2
        union = sorted((o for p in parts for o in engine("pykustomize").build(deploy / p)), key=key)
        assert sorted(engine("pykustomize").build(deploy / overlay), key=key) == union


def test_runtime_image_override_survives_the_build(example: tuple[Path, Tree]) -> None:
    deploy, _ = example
    prod_env = yaml.safe_load((PROJECT / "environments/prod.yaml").read_text())
    overrides = prod_env.get("runtimeImages") or {}
    assert overrides, "the prod example pins a runtime to a mirror"
    built = {
        o["metadata"]["name"]: o
        for o in engine("pykustomize").build(
            deploy / f"shared/{cluster_folder(prod_env['cluster'])}"
        )
        if o["kind"] == "ClusterServingRuntime"
    }
    for runtime, image in overrides.items():
        # The base keeps the catalog image; Kustomize's images transformer must yield the mirror's.
        base = yaml.safe_load(
            (deploy / f"base/runtimes/{runtime}/clusterservingruntime.yaml").read_text()
        )
        assert base["spec"]["containers"][0]["image"] != image
        assert built[runtime]["spec"]["containers"][0]["image"] == image


_ENGINE_PROBE = """
import json, sys
from pathlib import Path
from modelserve.validate.kustomize import build_many, engine
paths = [Path(p) for p in sys.argv[1:]]
results = build_many(paths)
print(json.dumps({"engine": engine().name, "results": {str(p): r if isinstance(r, list) else str(r)
                                                     for p, r in results.items()}}))
"""


@pytest.mark.parametrize(
    ("choice", "prefix"), [("kubectl", "kubectl kustomize"), ("pykustomize", "pykustomize")]
)
def test_engine_chosen_by_environment_gives_the_same_objects(
    example: tuple[Path, Tree], choice: str, prefix: str
) -> None:
    deploy, tree = example
    paths = [str(deploy / p) for p in ROOTS]
    proc = subprocess.run(
        [sys.executable, "-c", _ENGINE_PROBE, *paths],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "MODELSERVE_KUSTOMIZE": choice},
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["engine"].startswith(prefix)
    for path in ROOTS:
        result = report["results"][str(deploy / path)]
        assert isinstance(result, list), result
        assert sorted(result, key=key) == expected_objects(tree, path)


def test_engine_follows_the_environment_variable_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELSERVE_KUSTOMIZE", "pykustomize")
    first = engine().name
    monkeypatch.setenv("MODELSERVE_KUSTOMIZE", "kubectl")
    second = engine().name
    assert (first.startswith("pykustomize"), second.startswith("kubectl kustomize")) == (True, True)


@pytest.fixture
def broken_root(tmp_path: Path) -> Path:
    root = tmp_path / "broken"
    root.mkdir()
    (root / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n- namespace.yaml\n- missing.yaml\n"
    )
    (root / "namespace.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n")
    return root


@pytest.mark.parametrize("name", ["pykustomize", "kubectl"])
def test_broken_root_gives_build_error_with_kustomize_message(broken_root: Path, name: str) -> None:
    with pytest.raises(BuildError) as info:
        engine(name).build(broken_root)
    message = str(info.value)
    assert "accumulating resources" in message
    assert f"{broken_root}/missing.yaml" in message and "no such file or directory" in message


def test_build_many_reports_broken_roots_beside_good_ones(
    example: tuple[Path, Tree], broken_root: Path
) -> None:
    deploy, tree = example
    good = deploy / ROOTS[0]
    results = build_many([good, broken_root], workers=2)
    assert sorted(results[good], key=key) == expected_objects(tree, ROOTS[0])
    assert isinstance(results[broken_root], BuildError)
    assert "missing.yaml" in str(results[broken_root])


# --- upstream CRDs as strict JSON Schema ---------------------------------------------------

OBJECT_META = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI v3 structural schema refusing unknown fields, as `kubectl --validate=strict`.

    Only the structural children (properties, items, additionalProperties) are tightened: a
    branch of anyOf/allOf only constrains values and never lists the fields of its object.
    """
    if schema.get("nullable"):
        types = schema.get("type")
        if isinstance(types, str):
            schema["type"] = [types, "null"]
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and "(?i)" in pattern and "[" not in pattern:
        # Go's inline flag (the API server's regexp package); ECMA 262, draft 4's dialect, has
        # none: the same language, letter by letter
        schema["pattern"] = re.sub(
            r"[A-Za-z]", lambda m: f"[{m[0].lower()}{m[0].upper()}]", pattern.replace("(?i)", "")
        )
    if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
        schema.setdefault("additionalProperties", False)
    for child in (schema.get("properties") or {}).values():
        strict(child)
    for key_ in ("items", "additionalProperties"):
        if isinstance(schema.get(key_), dict):
            strict(schema[key_])
    return schema


@cache
def crd_schema(rel: str) -> tuple[tuple[str, str], dict[str, Any]]:
    crd = yaml.load((CRDS / rel).read_text(), Loader=_LOADER)
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    (version,) = [v for v in crd["spec"]["versions"] if v.get("storage")]
    schema = strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
    api_version = f"{group}/{version['name']}"
    # enum, not const: these are validated as draft 4, the dialect of OpenAPI v3 schemas.
    schema["properties"].update(
        {"apiVersion": {"enum": [api_version]}, "kind": {"enum": [kind]}, "metadata": OBJECT_META}
    )
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
    return (api_version, kind), schema


@cache
def crd_validator(rel: str) -> jsonschema_rs.Draft4Validator:
    return jsonschema_rs.Draft4Validator(crd_schema(rel)[1])


def errors(validator: Any, obj: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(obj)
    ]


CRD_CASES = [(kind, rel) for kind, files in CRD_FILES.items() for rel in files]


@pytest.mark.parametrize(
    ("kind", "rel"), CRD_CASES, ids=[rel.replace("/", ":") for _, rel in CRD_CASES]
)
def test_rendered_objects_validate_against_upstream_crds(
    example: tuple[Path, Tree], knative: tuple[Path, Tree], kind: str, rel: str
) -> None:
    (api_version, crd_kind), _ = crd_schema(rel)
    assert crd_kind == kind
    objects = [
        o
        for tree in (example[1], knative[1])
        for o in all_objects(tree)
        if o["kind"] == kind and o["apiVersion"] == api_version
    ]
    assert objects, f"no {kind} rendered"
    validator = crd_validator(rel)
    for obj in objects:
        assert errors(validator, obj) == [], key(obj)


def _first(tree: Tree, kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(o for o in all_objects(tree) if o["kind"] == kind))


# An unknown (misspelt) field deep in each kind: the converted schema must reject it.
TYPOS = {
    "InferenceService": lambda o: o["spec"]["predictor"]["model"].__setitem__("runtimeName", "x"),
    "ClusterServingRuntime": lambda o: o["spec"]["containers"][0].__setitem__(
        "imagePullPolicyy", "Always"
    ),
    "ServiceMonitor": lambda o: o["spec"]["endpoints"][0].__setitem__("portName", "http"),
    "PodMonitor": lambda o: o["spec"]["podMetricsEndpoints"][0].__setitem__("intervall", "1m"),
    "Kustomization": lambda o: o["spec"].__setitem__("prunee", True),
    "PrometheusRule": lambda o: o["spec"]["groups"][0]["rules"][0].__setitem__("fore", "5m"),
}


@pytest.mark.parametrize(
    ("kind", "rel"), CRD_CASES, ids=[rel.replace("/", ":") for _, rel in CRD_CASES]
)
def test_converted_crds_reject_unknown_fields(
    example: tuple[Path, Tree], knative: tuple[Path, Tree], kind: str, rel: str
) -> None:
    tree = knative[1] if kind == "PodMonitor" else example[1]
    validator = crd_validator(rel)
    obj = _first(tree, kind)
    assert errors(validator, obj) == []
    TYPOS[kind](obj)
    assert any("was unexpected" in e for e in errors(validator, obj))
    typo_in_metadata = _first(tree, kind)
    typo_in_metadata["metadata"]["lables"] = {"a": "b"}
    assert any("'lables' was unexpected" in e for e in errors(validator, typo_in_metadata))
    wrong_version = _first(tree, kind)
    wrong_version["apiVersion"] = wrong_version["apiVersion"] + "beta9"
    assert errors(validator, wrong_version)


def test_preserve_unknown_fields_stays_open() -> None:
    """The converter must not close objects the API server keeps open."""
    schema = strict(
        {
            "type": "object",
            "properties": {
                "open": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"a": {"type": "string"}},
                },
                "closed": {"type": "object", "properties": {"a": {"type": "string"}}},
            },
        }
    )
    validator = jsonschema_rs.Draft4Validator(schema)
    assert validator.is_valid({"open": {"a": "x", "anything": 1}})
    assert not validator.is_valid({"closed": {"a": "x", "anything": 1}})
    assert not validator.is_valid({"other": 1})


# --- core kinds against kubernetes_validate's strict schemas -------------------------------


@pytest.fixture(scope="module")
def namespace_validator() -> Any:
    definitions = json.loads((K8S_SCHEMAS / "_definitions.json").read_text())
    schema = json.loads((K8S_SCHEMAS / "namespace-v1.json").read_text())
    # namespace-v1.json's $id is https://kubernetes.io/api/namespace/v1, so its
    # "/api/_definitions.json" references resolve to this URI.
    registry = jsonschema_rs.Registry(
        [("https://kubernetes.io/api/_definitions.json", definitions)]
    )
    return jsonschema_rs.validator_for(schema, registry=registry)


def test_namespaces_validate_against_strict_core_schema(
    example: tuple[Path, Tree], namespace_validator: Any
) -> None:
    namespaces = [o for o in all_objects(example[1]) if o["kind"] == "Namespace"]
    envs = {
        yaml.safe_load(p.read_text())["namespace"]
        for p in (PROJECT / "environments").glob("*.yaml")
    }
    assert {n["metadata"]["name"] for n in namespaces} == envs
    for namespace in namespaces:
        assert errors(namespace_validator, namespace) == [], namespace["metadata"]["name"]
    # Strict means strict: a misspelt field is an error.
    typo = copy.deepcopy(namespaces[0])
    typo["metadata"]["lables"] = typo["metadata"].pop("labels")
    assert any("'lables' was unexpected" in e for e in errors(namespace_validator, typo))


def test_every_rendered_kind_is_covered_by_a_schema(
    example: tuple[Path, Tree], knative: tuple[Path, Tree]
) -> None:
    kinds = {o["kind"] for tree in (example[1], knative[1]) for o in all_objects(tree)}
    # core kinds (the Kubernetes schemas): Namespaces, prod's NIM cache claims and its
    # endpoints and dashboard ConfigMaps
    assert kinds == set(CRD_FILES) | {"Namespace", "PersistentVolumeClaim", "ConfigMap"}
