"""The schema store and CRD import (generator/modelserve/validate/kubeschemas.py), on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from modelserve.errors import ConfigError
from modelserve.load.shipped import shipped_kinds
from modelserve.validate import kubeschemas
from modelserve.validate.kubeschemas import (
    GROUP_KEY,
    SchemaStore,
    collect_cel_rules,
    crd_schema_to_json_schema,
    import_crds,
    import_from_cluster,
    pick_kubernetes_version,
    resolve_pointer,
)
from tests.helpers import CRDS, PROJECT, run_modelserve

SHIPPED = {
    "inferenceservice_v1beta1.json": "serving.kserve.io",
    "servingruntime_v1alpha1.json": "serving.kserve.io",
    "clusterservingruntime_v1alpha1.json": "serving.kserve.io",
    "servicemonitor_v1.json": "monitoring.coreos.com",
    "podmonitor_v1.json": "monitoring.coreos.com",
    "prometheusrule_v1.json": "monitoring.coreos.com",
    "kustomization_v1.json": "kustomize.toolkit.fluxcd.io",
    "gitrepository_v1.json": "source.toolkit.fluxcd.io",
    "ocirepository_v1.json": "source.toolkit.fluxcd.io",
    "localmodelcache_v1alpha1.json": "serving.kserve.io",
}


def upstream_crd_files() -> list[Path]:
    # The v0.20.0-tag folder holds older copies of four KServe CRDs; they would overwrite the
    # current ones (same kind and version), so they get their own test.
    return sorted(p for p in CRDS.rglob("*.yaml") if "v0.20.0-tag" not in p.parts)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("crd-store")
    import_crds(upstream_crd_files(), out)
    return out


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def schema_nodes(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every schema node reachable through properties / items / additionalProperties."""
    if not isinstance(node, dict):
        return
    yield path, node
    for name, sub in (node.get("properties") or {}).items():
        yield from schema_nodes(sub, path + (name,))
    if isinstance(node.get("items"), dict):
        yield from schema_nodes(node["items"], path + ("[]",))
    if isinstance(node.get("additionalProperties"), dict):
        yield from schema_nodes(node["additionalProperties"], path + ("{}",))


def at(schema: dict[str, Any], *path: str) -> dict[str, Any]:
    node = schema
    for step in path:
        node = node["items"] if step == "[]" else node["properties"][step]
    return node


# --- import_crds ------------------------------------------------------------------------------


def test_import_writes_one_file_per_served_version(imported: Path) -> None:
    names = {p.name for p in imported.iterdir()}
    assert {
        "inferenceservice_v1beta1.json",
        "servingruntime_v1alpha1.json",
        "clusterservingruntime_v1alpha1.json",
        "llminferenceservice_v1alpha1.json",
        "llminferenceservice_v1alpha2.json",
        "servicemonitor_v1.json",
        "podmonitor_v1.json",
        "prometheusrule_v1.json",
        "kustomization_v1.json",
        "gitrepository_v1.json",
        "ocirepository_v1.json",
        "localmodelcache_v1alpha1.json",
    } <= names
    assert len(names) == 20
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")]  # atomic writes


def test_import_returns_written_paths(tmp_path: Path) -> None:
    source = CRDS / "flux" / "source.toolkit.fluxcd.io_gitrepositories.yaml"
    written = import_crds([source], tmp_path)
    assert written == [tmp_path / "gitrepository_v1.json"]
    assert load(written[0])[GROUP_KEY] == "source.toolkit.fluxcd.io"


def test_imported_objects_are_closed_unless_preserving_unknown_fields(imported: Path) -> None:
    for path in imported.iterdir():
        schema = load(path)
        assert schema["additionalProperties"] is False, path.name  # root closed too: strict
        assert {"apiVersion", "kind", "metadata"} <= set(schema["properties"])
        for where, node in schema_nodes(schema):
            if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
                assert node.get("additionalProperties") is False, (path.name, where)


def test_preserve_unknown_fields_stay_open(imported: Path) -> None:
    isvc = load(imported / "inferenceservice_v1beta1.json")
    assert "additionalProperties" not in isvc["properties"]["status"]
    llm = load(imported / "llminferenceservice_v1alpha2.json")
    adapters = at(llm, "spec", "model", "lora", "adapters")
    assert adapters.get("x-kubernetes-preserve-unknown-fields") or adapters.get("items", {}).get(
        "x-kubernetes-preserve-unknown-fields"
    )


def test_int_or_string_and_quantities(imported: Path) -> None:
    monitor = load(imported / "servicemonitor_v1.json")
    target_port = at(monitor, "spec", "endpoints", "[]", "targetPort")
    assert {"type": "integer"} in target_port["anyOf"]
    assert {"type": "string"} in target_port["anyOf"]
    isvc = load(imported / "inferenceservice_v1beta1.json")
    quantity = at(isvc, "spec", "predictor", "model", "resources", "limits")["additionalProperties"]
    validator = jsonschema_rs.validator_for(quantity)
    assert validator.is_valid(1) and validator.is_valid("500m") and validator.is_valid("1Gi")
    assert not validator.is_valid("2 cores") and not validator.is_valid(0.5)


def test_cel_rules_are_kept(imported: Path) -> None:
    kustomization = load(imported / "kustomization_v1.json")
    rules = collect_cel_rules(kustomization)
    assert [r.path for r in rules] == [("spec", "kubeConfig"), ("spec", "kubeConfig")]
    assert "exactly one of spec.kubeConfig.configMapRef" in rules[0].message
    # LocalModelCache has only an immutability (transition) rule: skipped offline.
    assert collect_cel_rules(load(imported / "localmodelcache_v1alpha1.json")) == ()


def test_the_tag_folder_imports_too(tmp_path: Path) -> None:
    # (only the two small runtime CRDs: the LLMInferenceService ones take seconds to parse)
    written = import_crds(
        sorted((CRDS / "kserve" / "v0.20.0-tag").glob("*servingruntimes.yaml")), tmp_path
    )
    assert {p.name for p in written} == {
        "servingruntime_v1alpha1.json",
        "clusterservingruntime_v1alpha1.json",
    }
    spec = load(tmp_path / "servingruntime_v1alpha1.json")["properties"]["spec"]
    assert "resourceClaims" not in spec["properties"]  # added after the tag


def _crd(kind: str, versions: list[dict[str, Any]], group: str = "example.com") -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{kind.lower()}s.{group}"},
        "spec": {
            "group": group,
            "names": {"kind": kind, "plural": kind.lower() + "s"},
            "scope": "Namespaced",
            "versions": versions,
        },
    }


def _version(name: str, spec_props: dict[str, Any], served: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "served": served,
        "storage": served,
        "schema": {
            "openAPIV3Schema": {
                "type": "object",
                "properties": {"spec": {"type": "object", "properties": spec_props}},
            }
        },
    }


def test_lists_multi_documents_and_unserved_versions(tmp_path: Path) -> None:
    widget = _crd(
        "Widget", [_version("v1", {"size": {"type": "integer"}}), _version("v0", {}, served=False)]
    )
    gadget = _crd("Gadget", [_version("v2", {})])
    src = tmp_path / "crds.yaml"
    src.write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": [widget]})
        + "\n---\n"
        + json.dumps({"apiVersion": "v1", "kind": "ConfigMap"})
        + "\n---\n"
        + json.dumps(gadget)
        + "\n"
    )
    written = import_crds([src], tmp_path / "out")
    assert [p.name for p in written] == ["widget_v1.json", "gadget_v2.json"]


def test_nullable_int_or_string_and_embedded_resources() -> None:
    schema = crd_schema_to_json_schema(
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "nullable": True, "enum": ["x"]},
                "b": {"x-kubernetes-int-or-string": True},
                "c": {"type": "string", "format": "int-or-string"},
                "d": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "properties": {"spec": {"type": "object"}},
                },
                "e": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"known": {"type": "string"}},
                },
                "f": {
                    "type": "object",
                    "properties": {"g": {"type": "string"}},
                    "anyOf": [{"properties": {"g": {"minLength": 1}}}],
                },
            },
        },
        "example.com",
    )
    validator = jsonschema_rs.validator_for(schema)
    good = {
        "a": None,
        "b": 1,
        "c": "50%",
        "d": {"apiVersion": "v1", "kind": "X", "spec": {}},
        "e": {"known": "k", "other": 1},
        "f": {"g": "x"},
    }
    assert validator.is_valid(good)
    bad_ones: list[dict[str, Any]] = [
        {"a": "y"},
        {"b": 1.5},
        {"c": []},
        {"d": {"other": 1}},
        {"zz": 1},
        {"f": {"h": 1}},
    ]
    for bad in bad_ones:
        assert not validator.is_valid(bad), bad


def test_legacy_v1beta1_crd_validation_block(tmp_path: Path) -> None:
    legacy = {
        "apiVersion": "apiextensions.k8s.io/v1beta1",
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": "old.example.com",
            "version": "v1alpha1",
            "names": {"kind": "Relic"},
            "validation": {
                "openAPIV3Schema": {
                    "properties": {"spec": {"properties": {"x": {"type": "string"}}}}
                }
            },
        },
    }
    src = tmp_path / "legacy.yaml"
    src.write_text(json.dumps(legacy))
    (written,) = import_crds([src], tmp_path / "out")
    assert written.name == "relic_v1alpha1.json"
    assert load(written)["properties"]["spec"]["additionalProperties"] is False


def test_bad_yaml_is_a_config_error(tmp_path: Path) -> None:
    src = tmp_path / "broken.yaml"
    src.write_text("kind: [unclosed\n")
    with pytest.raises(ConfigError, match="broken.yaml"):
        import_crds([src], tmp_path / "out")


def test_import_from_cluster_without_kubeconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing-kubeconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigError, match="kubeconfig"):
        import_from_cluster(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_nullable_any_of_accepts_null_too() -> None:
    schema = crd_schema_to_json_schema(
        {
            "type": "object",
            "properties": {
                "n": {"nullable": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
            },
        },
        "example.com",
    )
    validator = jsonschema_rs.validator_for(schema)
    assert validator.is_valid({"n": None}) and validator.is_valid({"n": 3})
    assert not validator.is_valid({"n": [3]})


def test_an_unreadable_crd_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"gone\.yaml: cannot read CRD YAML: No such file"):
        import_crds([tmp_path / "gone.yaml"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_documents_that_are_not_mappings_are_skipped(tmp_path: Path) -> None:
    src = tmp_path / "crds.yaml"
    src.write_text(
        "- a list\n---\njust text\n---\n" + json.dumps(_crd("Widget", [_version("v1", {})]))
    )
    assert [p.name for p in import_crds([src], tmp_path / "out")] == ["widget_v1.json"]


def test_import_from_cluster_without_the_kubernetes_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "kubernetes", None)  # import kubernetes: ImportError
    with pytest.raises(ConfigError, match="needs the 'kubernetes' package"):
        import_from_cluster(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str) -> dict[str, str]:
    """The environment of a ``modelserve`` subprocess whose kubeconfig points at ``server`` (the
    kubernetes client reads KUBECONFIG once, when imported, so it runs in a fresh process)."""
    path = tmp_path / "kubeconfig"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": "not-a-secret"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    return {"KUBECONFIG": str(path), "HOME": str(tmp_path)}


class _ApiServer:
    """A loopback HTTP server answering the CRD list request with ``body`` and ``status``."""

    def __init__(self, body: dict[str, Any], status: int = 200) -> None:
        import http.server
        import threading

        self.paths: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                outer.paths.append(self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def test_import_from_cluster_writes_the_schemas_of_the_listed_crds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    widget = _crd("Widget", [_version("v1", {"size": {"type": "integer"}})])
    server = _ApiServer(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinitionList",
            "metadata": {},
            "items": [widget],
        }
    )
    out = tmp_path / "out"
    try:
        env = kubeconfig(tmp_path, monkeypatch, server.url)
        proc = run_modelserve(
            "schemas", "import", "--from-cluster", "--out", out, "--format", "json", env=env
        )
    finally:
        server.close()
    assert proc.returncode == 0, proc.stderr
    assert server.paths == ["/apis/apiextensions.k8s.io/v1/customresourcedefinitions"]
    assert json.loads(proc.stdout) == {
        "written": [str(out / "widget_v1.json")],
        "conflicts": [],
        "summary": {"files_read": 0, "schemas": 1},
    }
    schema = load(out / "widget_v1.json")
    assert schema[GROUP_KEY] == "example.com"
    spec = at(schema, "spec")
    assert spec["additionalProperties"] is False and spec["properties"]["size"]["type"] == "integer"


def test_import_from_cluster_that_refuses_the_list_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = _ApiServer({"kind": "Status", "message": "forbidden"}, status=403)
    try:
        env = kubeconfig(tmp_path, monkeypatch, server.url)
        proc = run_modelserve(
            "schemas", "import", "--from-cluster", "--out", tmp_path / "out", env=env
        )
    finally:
        server.close()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cannot list CustomResourceDefinitions from the cluster" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


# --- the store --------------------------------------------------------------------------------


def test_store_starts_empty_and_caches_each_kind_once() -> None:
    store = SchemaStore()
    assert store._cache == {}  # lazy: nothing read at start-up
    first = store.validator_for("serving.kserve.io/v1beta1", "InferenceService")
    assert first is not None and first.origin == "shipped"
    assert store.validator_for("serving.kserve.io/v1beta1", "InferenceService") is first
    assert list(store._cache) == [("serving.kserve.io/v1beta1", "InferenceService")]


def test_core_kinds_use_the_group_in_the_file_name() -> None:
    store = SchemaStore("1.33")
    deployment = store.validator_for("apps/v1", "Deployment")
    assert deployment is not None and deployment.origin == "core"
    assert deployment.source.endswith("v1.33.0-local-strict/deployment-apps-v1.json")
    service = store.validator_for("v1", "Service")
    assert service is not None and service.source.endswith("/service-v1.json")
    # same file name, other group: not a match
    assert store.validator_for("apps.example.com/v1", "Deployment") is None
    assert store.validator_for("v1", "Container") is None  # a type, not a kind


def test_group_must_match_for_shipped_schemas() -> None:
    store = SchemaStore()
    assert store.validator_for("serving.example.com/v1beta1", "InferenceService") is None
    assert store.validator_for("serving.kserve.io/v1alpha2", "InferenceService") is None
    assert store.served_versions("serving.kserve.io", "InferenceService") == ["v1beta1"]
    assert store.served_versions("apps", "Deployment") == ["v1"]


def test_local_store_takes_precedence(tmp_path: Path) -> None:
    (tmp_path / "inferenceservice_v1beta1.json").write_text(
        json.dumps({"type": "object", GROUP_KEY: "serving.kserve.io", "properties": {"x": {}}})
    )
    (tmp_path / "gitrepository_v1.json").write_text(
        json.dumps({"type": "object", GROUP_KEY: "other.example.com"})
    )
    store = SchemaStore(store_dirs=[tmp_path])
    isvc = store.validator_for("serving.kserve.io/v1beta1", "InferenceService")
    assert isvc is not None and isvc.origin == "store"
    git = store.validator_for("source.toolkit.fluxcd.io/v1", "GitRepository")
    assert git is not None and git.origin == "shipped"  # the store file is for another group


def test_group_less_store_files_match_any_group(tmp_path: Path) -> None:
    # openapi2jsonschema.py output has no group: like kubeconform, use it for any group.
    (tmp_path / "widget_v1.json").write_text(json.dumps({"type": "object"}))
    store = SchemaStore(store_dirs=[tmp_path])
    assert store.validator_for("a.example.com/v1", "Widget") is not None


def test_broken_store_file_is_reported_and_not_used(tmp_path: Path) -> None:
    (tmp_path / "widget_v1.json").write_text("{not json")
    store = SchemaStore(store_dirs=[tmp_path])
    assert store.validator_for("x.io/v1", "Widget") is None
    (problem,) = store.store_problems()
    assert problem.file.endswith("widget_v1.json") and "not JSON" in problem.message
    (tmp_path / "widget_v1.json").write_text(json.dumps({"type": "no-such-type"}))
    store = SchemaStore(store_dirs=[tmp_path])
    assert store.validator_for("x.io/v1", "Widget") is None
    (problem,) = store.store_problems()
    assert "not a usable JSON Schema" in problem.message


def test_names_the_api_server_cannot_serve_are_never_looked_up(tmp_path: Path) -> None:
    (tmp_path / "widget_v1.json").write_text(json.dumps({"type": "object"}))
    store = SchemaStore(store_dirs=[tmp_path])
    assert store.validator_for("example.com/v1", "../widget") is None
    assert store.validator_for("Example.COM/v1", "Widget") is None
    assert store.validator_for("example.com/V1", "Widget") is None
    assert store.served_versions("example.com", "../../widget") == []
    assert store._cache == {}  # nothing was even tried
    assert store.served_versions("example.com", "Widget") == ["v1"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "cannot read JSON schema"), ("[1]", "a JSON schema must be an object")],
)
def test_a_broken_shipped_schema_is_a_config_error_naming_the_file(
    text: str, message: str, tmp_path: Path
) -> None:
    store = SchemaStore()
    store.shipped_dir = tmp_path
    (tmp_path / "widget_v1.json").write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        store.validator_for("example.com/v1", "Widget")
    assert str(tmp_path / "widget_v1.json") in str(info.value)


def test_without_kubernetes_validate_core_kinds_have_no_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kubeschemas, "core_schema_root", lambda: None)
    store = SchemaStore("1.33")
    assert store.core_version == ""
    assert store.version_note == "kubernetes-validate is not installed: core kinds have no schema"
    assert store.validator_for("v1", "ConfigMap") is None
    assert store.served_versions("apps", "Deployment") == []
    with pytest.raises(ConfigError, match="install kubernetes-validate"):
        store.definitions()
    with pytest.raises(ConfigError, match="one.two"):  # a typo fails even so
        SchemaStore("one.two")


def test_version_selection() -> None:
    assert SchemaStore("1.29").core_version == "1.29"
    assert SchemaStore("v1.33.4").core_version == "1.33"
    newest = SchemaStore("1.99")
    assert newest.core_version == kubeschemas._fmt(kubeschemas.available_kubernetes_versions()[-1])
    assert "1.99" in newest.version_note and "using" in newest.version_note
    assert SchemaStore("latest").version_note == ""
    with pytest.raises(ConfigError):
        SchemaStore("one.two")


def test_pick_version_prefers_the_nearest_older() -> None:
    available = [(1, 25), (1, 27), (1, 30)]
    assert pick_kubernetes_version((1, 28), available)[0] == (1, 27)
    assert pick_kubernetes_version((1, 20), available)[0] == (1, 25)
    assert pick_kubernetes_version((1, 27), available) == ((1, 27), "")
    with pytest.raises(ConfigError):
        pick_kubernetes_version((1, 27), [])


def test_shipped_schemas_compile_on_every_bundled_version() -> None:
    # Definitions missing in old releases become placeholders instead of breaking the compile.
    for major, minor in kubeschemas.available_kubernetes_versions():
        store = SchemaStore(f"{major}.{minor}")
        for name in SHIPPED:
            kind = load(shipped_kinds() / name)["properties"]["kind"]["const"]
            group = SHIPPED[name]
            version = name.split("_")[1].removesuffix(".json")
            assert store.validator_for(f"{group}/{version}", kind) is not None


def test_quantity_pattern_is_added_to_core_definitions() -> None:
    quantity = SchemaStore().definitions()["$defs"][kubeschemas._QUANTITY_DEF]
    validator = jsonschema_rs.validator_for(quantity)
    assert validator.is_valid("100m") and validator.is_valid(0.5) and validator.is_valid(None)
    assert not validator.is_valid("2 cores")


# --- shipped schemas: guards ------------------------------------------------------------------


def shipped_nodes(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key not in ("enum", "const", "default", "x-kubernetes-validations"):
                yield from shipped_nodes(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from shipped_nodes(value, path + (index,))


def test_the_shipped_set_is_complete() -> None:
    assert {p.name for p in shipped_kinds().glob("*.json")} == set(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_schema_guards(name: str) -> None:
    schema = load(shipped_kinds() / name)
    jsonschema_rs.meta.validate(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema[GROUP_KEY] == SHIPPED[name]
    assert schema["additionalProperties"] is False
    for path, node in shipped_nodes(schema):
        if node.get("type") == "object" and "properties" in node:
            closed = (
                node.get("additionalProperties") is False
                or node.get("unevaluatedProperties") is False
            )
            assert closed, f"{name}: open object at {path}"
        if (
            len(path) >= 2
            and path[-2] == "properties"
            and any(k in node for k in ("type", "$ref", "const", "anyOf", "enum"))
        ):
            assert node.get("description"), f"{name}: no description at {path}"


# --- import cost ------------------------------------------------------------------------------


def test_import_stays_light() -> None:
    code = (
        "import sys, modelserve.validate.kubeschemas, modelserve.validate.objects; "
        "print(sorted(m for m in ('jsonschema', 'kubernetes', 'kubernetes_validate', 'cel', "
        "'celpy') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"


# --- CEL rule sites and pointers ---------------------------------------------------------------


def test_cel_rules_are_found_through_local_refs_and_all_of_only() -> None:
    schema = {
        "$defs": {"short": {"x-kubernetes-validations": [{"rule": "self.size() < 3"}]}},
        "properties": {
            "a": True,  # a boolean schema holds no rule
            "b": {"$ref": "#/$defs/short"},
            "c": {"allOf": [{"x-kubernetes-validations": [{"rule": "self.x", "message": "m"}]}]},
            "d": {
                "x-kubernetes-validations": [
                    "not a mapping",
                    {"rule": 3},
                    {"message": "no rule"},
                    {"rule": "self == oldSelf"},  # a transition rule: nothing to compare with
                ]
            },
            "e": {"anyOf": [{"x-kubernetes-validations": [{"rule": "self.y"}]}]},
        },
    }
    rules = collect_cel_rules(schema)
    assert [(r.path, r.rule, r.message) for r in rules] == [
        (("b",), "self.size() < 3", ""),
        (("c",), "self.x", "m"),
    ]


def test_json_pointers_unescape_and_index_lists() -> None:
    doc = {"a/b": {"c~d": [10, {"e": "found"}]}}
    assert resolve_pointer(doc, "/a~1b/c~0d/1/e") == "found"
    assert resolve_pointer(doc, "/a~1b/c~0d/0") == 10
    assert resolve_pointer(doc, "/a~1b/c~0d/5") is None
    assert resolve_pointer(doc, "/a~1b/c~0d/first") is None
    assert resolve_pointer(doc, "/a~1b/c~0d/0/deeper") is None
    assert resolve_pointer(doc, "/") is doc


def test_crd_without_kind_is_a_config_error(tmp_path: Path) -> None:
    crd = _crd("Widget", [_version("v1", {})])
    del crd["spec"]["names"]["kind"]
    src = tmp_path / "nokind.yaml"
    src.write_text(json.dumps(crd))
    with pytest.raises(ConfigError, match="spec.names.kind"):
        import_crds([src], tmp_path / "out")
