"""A committed schema store, and ``schemas import``, cannot read, fetch or write outside the store.

The store is part of the pull request: its schemas may hold references to files on the CI runner
or to a server, and its entries may be FIFOs, devices, folders or links. ``schemas import``
builds file names from the CRD's own kind and version. Every case runs the real command.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pytest

from modelserve.commands import schemas as schemas_command
from modelserve.load.walk import MAX_DEPTH
from modelserve.rules.examples import files_for
from modelserve.validate import store as store_module
from modelserve.validate.kubeschemas import GROUP_KEY
from modelserve.validate.store import STORE_BASE, StoreIndex
from tests.helpers import CRDS

PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj" + "MzEfYyjiWA4R4"
KIND_FILE = "inferenceservice_v1beta1.json"  # the kind the example catalog renders


def repo_with_store(tmp_path: Path, write_repo, schema: object | None = None) -> Path:
    root = write_repo(tmp_path / "repo", files_for({}))
    (root / "schema-store").mkdir()
    if schema is not None:
        (root / "schema-store" / KIND_FILE).write_text(json.dumps(schema))
    return root


def outside_secret(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "key.json"
    secret.parent.mkdir()
    secret.write_text(
        json.dumps(
            {"private_key": f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----"}
        )
    )
    return secret


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_a_file_reference_is_refused_and_its_target_never_read(
    fmt: str, tmp_path: Path, write_repo, run_cli
) -> None:
    secret = outside_secret(tmp_path)
    schema = {"type": "object", "properties": {"spec": {"$ref": f"file://{secret}#/private_key"}}}
    root = repo_with_store(tmp_path, write_repo, schema)
    code, out, err = run_cli("validate", "--root", root, "--format", fmt)
    assert code == 1, out + err
    assert PEM_BODY[:20] not in out + err and "PRIVATE KEY" not in out + err
    assert "schema-store" in out and KIND_FILE in out and "file://" in out


class _Listener:
    """A TCP server on loopback that counts connections (a schema must never make one)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.sendall(
                b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"type": "object"}'
            )
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.mark.parametrize("keyword", ["$ref", "$schema", "$id"])
def test_a_network_reference_opens_no_connection_and_fails(
    keyword: str, tmp_path: Path, write_repo, run_cli
) -> None:
    server = _Listener()
    try:
        url = f"http://127.0.0.1:{server.port}/schema.json"
        schema = {
            "type": "object",
            "properties": {"spec": {keyword: url, **({"$ref": "x"} if keyword == "$id" else {})}},
        }
        root = repo_with_store(tmp_path, write_repo, schema)
        code, out, _ = run_cli("validate", "--root", root)
    finally:
        server.close()
    assert server.connections == 0
    assert code == 1 and "schema-store" in out


def test_references_inside_the_store_are_followed(tmp_path: Path, write_repo, run_cli) -> None:
    root = repo_with_store(
        tmp_path,
        write_repo,
        {
            "type": "object",
            "properties": {
                "spec": {"$ref": "parts.json#/$defs/spec"},
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object"},
            },
            "additionalProperties": False,
        },
    )
    (root / "schema-store" / "parts.json").write_text(
        json.dumps({"$defs": {"spec": {"type": "object", "required": ["nothing-has-this"]}}})
    )
    code, out, _ = run_cli("validate", "--root", root)
    assert code == 1 and "nothing-has-this" in out and "schema-store" not in out


def test_fragment_references_inside_a_store_file_are_followed(
    tmp_path: Path, write_repo, run_cli
) -> None:
    root = repo_with_store(
        tmp_path,
        write_repo,
        {
            "type": "object",
            "$defs": {"spec": {"type": "object", "required": ["nothing-has-this"]}},
            "properties": {"spec": {"$ref": "#/$defs/spec"}},
        },
    )
    code, out, _ = run_cli("validate", "--root", root)
    assert code == 1 and "nothing-has-this" in out and "schema-store" not in out


def store_with(tmp_path: Path, schemas: dict[str, object]) -> Path:
    store = tmp_path / "store"
    store.mkdir()
    for name, schema in schemas.items():
        (store / name).write_text(json.dumps(schema))
    return store


def widget_manifest(tmp_path: Path, api_version: str = "example.com/v1") -> Path:
    manifest = tmp_path / "widget.yaml"
    manifest.write_text(
        json.dumps({"apiVersion": api_version, "kind": "Widget", "metadata": {"name": "w"}})
    )
    return manifest


def test_a_store_over_the_file_limit_is_refused_whole(tmp_path: Path, run_cli, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "MAX_STORE_FILES", 2)
    closed = {"type": "object", "required": ["nothing-has-this"]}
    store = store_with(tmp_path, {f"widget_v{i}.json": closed for i in (1, 2, 3)})
    code, out, err = run_cli(
        "validate-manifests",
        widget_manifest(tmp_path),
        "--schema-location",
        store,
        "--format",
        "json",
    )
    assert code == 1, out + err
    findings = json.loads(out)["findings"]
    [problem] = [f for f in findings if f["rule"] == "schema-store"]
    assert problem["file"] == store.as_posix()
    assert "holds 3 files, over the limit of 2" in problem["message"]
    # None of its schemas is used: the Widget is not checked against the store's schema.
    assert "nothing-has-this" not in out


def test_a_store_folder_that_cannot_be_listed_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    index = StoreIndex.scan([gone])
    [problem] = index.problems
    assert problem.file == gone.as_posix()
    assert problem.message == "cannot list the schema store: No such file or directory"
    assert index.folders[0].files == {}


def test_the_store_retriever_serves_only_files_of_its_own_folder(tmp_path: Path) -> None:
    store = store_with(tmp_path, {"parts.json": {"$defs": {"a": {"type": "string"}}}})
    outside = tmp_path / "outside.json"
    outside.write_text("{}")
    [folder] = StoreIndex.scan([store]).folders
    assert folder.retrieve(STORE_BASE + "parts.json") == {"$defs": {"a": {"type": "string"}}}
    for uri in (
        STORE_BASE + "missing.json",
        STORE_BASE + "../outside.json",
        f"file://{outside}",
        "http://127.0.0.1:9/parts.json",
    ):
        with pytest.raises(ValueError, match="is not a file of the schema store"):
            folder.retrieve(uri)


def test_a_wrong_version_names_the_versions_the_store_serves(tmp_path: Path, run_cli) -> None:
    store = store_with(
        tmp_path,
        {
            "widget_v1.json": {"type": "object"},  # no group: like kubeconform, any group
            "widget_v2.json": {"type": "object", GROUP_KEY: "example.com"},
            "widget_v9.json": {"type": "object", GROUP_KEY: "other.example.org"},
        },
    )
    manifest = widget_manifest(tmp_path, "example.com/v3")
    code, out, _ = run_cli(
        "validate-manifests", manifest, "--schema-location", store, "--format", "json"
    )
    assert code == 1
    [finding] = [f for f in json.loads(out)["findings"] if f["rule"] == "api-version"]
    assert finding["message"] == (
        "Widget w: apiVersion: example.com/v3 is not a served version of Widget "
        "(known: example.com/v1, example.com/v2)"
    )


@pytest.mark.parametrize("api_version", ["Example.COM/v1", "example.com/V1", "exa_mple.com/v1"])
def test_an_api_version_the_server_cannot_serve_is_a_finding_never_a_path(
    api_version: str, tmp_path: Path, run_cli
) -> None:
    store = store_with(tmp_path, {"widget_v1.json": {"type": "object"}})
    manifest = widget_manifest(tmp_path, api_version)
    code, out, err = run_cli(
        "validate-manifests", manifest, "--schema-location", store, "--format", "json"
    )
    assert code == 1 and "internal error" not in err, out + err
    [finding] = [f for f in json.loads(out)["findings"] if f["rule"] == "api-version"]
    assert finding["message"].startswith(
        f'Widget w: apiVersion: "{api_version}" is not an apiVersion the API server can serve'
    )


@pytest.mark.parametrize(
    "entry",
    ["fifo", "folder", "dev-zero", "link-outside", "dangling-link", "too-large", "not-an-object"],
)
def test_store_entries_that_are_not_plain_files_are_refused_unread(
    entry: str, tmp_path: Path, write_repo, run_cli
) -> None:
    root = repo_with_store(tmp_path, write_repo)
    path = root / "schema-store" / KIND_FILE
    if entry == "fifo":
        os.mkfifo(path)
    elif entry == "folder":
        path.mkdir()
    elif entry == "dev-zero":
        path.symlink_to("/dev/zero")
    elif entry == "link-outside":
        path.symlink_to(outside_secret(tmp_path))
    elif entry == "dangling-link":
        path.symlink_to(path.parent / "gone.json")  # inside the store, but to nothing
    elif entry == "not-an-object":
        path.write_text(json.dumps([{"type": "object"}]))
    else:
        with open(path, "wb") as handle:
            handle.truncate(33 * 1024 * 1024)  # sparse: over the limit without using the disk
    code, out, err = run_cli(
        "validate", "--root", root, "--format", "json"
    )  # must not block or exhaust memory
    assert code == 1, out + err
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "schema-store"]
    assert [f["file"] for f in found] == [f"schema-store/{KIND_FILE}"], found
    assert PEM_BODY[:20] not in out
    reason = {
        "dangling-link": f"cannot read {KIND_FILE}: No such file or directory",
        "not-an-object": f"{KIND_FILE} is not a JSON schema: it must be an object",
    }.get(entry)
    assert reason is None or reason in found[0]["message"], found


def test_validate_manifests_reports_store_problems_too(tmp_path: Path, run_cli) -> None:
    store = tmp_path / "store"
    store.mkdir()
    os.mkfifo(store / "widget_v1.json")
    manifest = tmp_path / "ns.yaml"
    manifest.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    code, out, _ = run_cli("validate-manifests", manifest, "--schema-location", store)
    assert code == 1 and "schema-store" in out


# --- schemas import ----------------------------------------------------------------------------


def crd(kind: object, version: object = "v1") -> str:
    return json.dumps(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "names": {"kind": kind, "plural": "widgets"},
                "scope": "Namespaced",
                "versions": [
                    {
                        "name": version,
                        "served": True,
                        "storage": True,
                        "schema": {"openAPIV3Schema": {"type": "object"}},
                    }
                ],
            },
        }
    )


@pytest.mark.parametrize(
    ("kind", "version"),
    [
        ("/tmp/abs/path", "v1"),
        ("../../x", "v1"),
        ("Widget", "../../v1"),
        ("Widget", "/etc/cron.d/x"),
        ("Wid get", "v1"),
        ("a" * 70, "v1"),
        ("Widget", "V1"),
        ("Widget\nx", "v1"),
    ],
)
def test_import_refuses_names_that_could_leave_the_store(
    kind: str, version: str, tmp_path: Path, run_cli
) -> None:
    source = tmp_path / "crd.yaml"
    source.write_text(crd(kind, version))
    out_dir = tmp_path / "work" / "store"
    before = set(p for p in tmp_path.rglob("*"))
    code, _, err = run_cli("schemas", "import", source, "--out", out_dir)
    assert code == 2, err
    assert set(tmp_path.rglob("*")) - before <= {out_dir.parent}
    assert not Path("/tmp/abs/path_v1.json").exists()


MALFORMED = {
    "spec-not-a-mapping": '{"kind": "CustomResourceDefinition", "spec": [1]}',
    "names-not-a-mapping": '{"kind": "CustomResourceDefinition", "spec": {"names": "Widget"}}',
    "kind-not-a-string": crd(["Widget"]),
    "versions-not-a-list": (
        '{"kind": "CustomResourceDefinition", "spec": {"names": {"kind": "W"}, "versions": "v1"}}'
    ),
    "version-not-a-mapping": (
        '{"kind": "CustomResourceDefinition", "spec": {"names": {"kind": "W"}, "versions": ["v1"]}}'
    ),
    "version-without-name": (
        '{"kind": "CustomResourceDefinition", "spec": {"names": {"kind": "W"}, "versions": [{}]}}'
    ),
    "schema-not-a-mapping": '{"kind": "CustomResourceDefinition", "spec": {"names": {"kind": "W"}, '
    '"versions": [{"name": "v1", "schema": {"openAPIV3Schema": [1]}}]}}',
    "properties-a-list": '{"kind": "CustomResourceDefinition", "spec": {"names": {"kind": "W"}, '
    '"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"properties": [1]}}}]}}',
    "group-not-a-string": (
        '{"kind": "CustomResourceDefinition", "spec": {"group": 5, "names": {"kind": "W"}}}'
    ),
    "validation-not-a-mapping": (
        '{"kind": "CustomResourceDefinition", "spec": {"names": {"kind": "W"}, "validation": [1]}}'
    ),
    "version-schema-not-a-mapping": '{"kind": "CustomResourceDefinition", "spec": {"names": '
    '{"kind": "W"}, "versions": [{"name": "v1", "schema": "open"}]}}',
    "deep-any-of": '{"kind": "CustomResourceDefinition", "spec": {"names": {"kind": "W"}, '
    '"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"nullable": true, "anyOf": 3}}}]}}',
}


@pytest.mark.parametrize("shape", sorted(MALFORMED))
def test_malformed_crds_are_usage_errors_not_crashes(shape: str, tmp_path: Path, run_cli) -> None:
    source = tmp_path / "crd.yaml"
    source.write_text(MALFORMED[shape])
    code, _, err = run_cli("schemas", "import", source, "--out", tmp_path / "store")
    assert code == 2, err
    assert "internal error" not in err and "crd.yaml" in err
    assert not (tmp_path / "store").exists() or not list((tmp_path / "store").iterdir())


def test_import_is_all_or_nothing(tmp_path: Path, run_cli) -> None:
    good, bad = tmp_path / "a.yaml", tmp_path / "b.yaml"
    good.write_text(crd("Widget"))
    bad.write_text(crd("../Gadget"))
    code, _, _ = run_cli("schemas", "import", good, bad, "--out", tmp_path / "store")
    assert code == 2 and not (tmp_path / "store").exists()


def test_a_crd_schema_that_refers_to_a_server_is_refused_unfetched(tmp_path: Path, run_cli) -> None:
    server = _Listener()
    try:
        doc = json.loads(crd("Widget"))
        openapi = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        openapi["properties"] = {"spec": {"$ref": f"http://127.0.0.1:{server.port}/spec.json"}}
        source = tmp_path / "crd.yaml"
        source.write_text(json.dumps(doc))
        code, _, err = run_cli("schemas", "import", source, "--out", tmp_path / "store")
    finally:
        server.close()
    assert server.connections == 0
    assert code == 2, err
    assert "crd.yaml:1: CustomResourceDefinition widgets.example.com" in err
    assert "the schema of v1 is not a usable JSON Schema" in err
    assert not (tmp_path / "store").exists()


def test_a_crd_that_would_convert_into_far_more_than_itself_is_refused(
    tmp_path: Path, run_cli
) -> None:
    # One legacy schema shared by 300 versions: 300 copies of it, from a file of one.
    legacy = {
        "type": "object",
        "properties": {f"field{i}": {"type": "string", "maxLength": i} for i in range(300)},
    }
    doc = {
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget"},
            "validation": {"openAPIV3Schema": legacy},
            "versions": [{"name": f"v{i}"} for i in range(1, 301)],
        },
    }
    source = tmp_path / "crd.yaml"
    source.write_text(json.dumps(doc))
    code, _, err = run_cli("schemas", "import", source, "--out", tmp_path / "store")
    assert code == 2, err
    assert "over" in err and "four times their size" in err and "Nothing was written" in err
    assert not (tmp_path / "store").exists()


def test_import_never_writes_through_a_link_in_the_store(tmp_path: Path, run_cli) -> None:
    store, elsewhere = tmp_path / "store", tmp_path / "elsewhere"
    store.mkdir()
    elsewhere.mkdir()
    (store / "widget_v1.json").symlink_to(elsewhere / "widget_v1.json")
    source = tmp_path / "crd.yaml"
    source.write_text(crd("Widget"))
    code, _, err = run_cli("schemas", "import", source, "--out", store)
    assert code == 2, err
    assert f"refusing to write {store / 'widget_v1.json'}: it would land outside {store}" in err
    assert list(elsewhere.iterdir()) == []
    assert (store / "widget_v1.json").is_symlink()


def test_a_link_in_the_store_refuses_the_whole_import(tmp_path: Path, run_cli) -> None:
    store, elsewhere = tmp_path / "store", tmp_path / "elsewhere"
    store.mkdir()
    elsewhere.mkdir()
    (store / "widget_v1.json").symlink_to(elsewhere / "widget_v1.json")
    source = tmp_path / "crds.yaml"
    source.write_text(crd("Alpha") + "\n---\n" + crd("Widget"))  # alpha_v1.json comes first
    code, _, err = run_cli("schemas", "import", source, "--out", store)
    assert code == 2 and "refusing to write" in err, err
    assert sorted(p.name for p in store.iterdir()) == ["widget_v1.json"]


@pytest.mark.parametrize("case", ["nothing", "missing", "out-is-a-file", "too-many", "too-deep"])
def test_import_usage_errors_are_exit_2_and_write_nothing(
    case: str, tmp_path: Path, run_cli, monkeypatch
) -> None:
    crds, out = tmp_path / "crds", tmp_path / "store"
    crds.mkdir()
    (crds / "widget.yaml").write_text(crd("Widget"))
    args: list[str | Path] = [crds]
    if case == "nothing":
        args, expected = [], "give CRD files or folders, or --from-cluster"
    elif case == "missing":
        args, expected = [tmp_path / "gone.yaml"], f"{tmp_path / 'gone.yaml'}: no such file"
    elif case == "out-is-a-file":
        out.write_text("not a folder")
        expected = f"--out {out} exists and is not a folder"
    elif case == "too-many":
        monkeypatch.setattr(schemas_command, "MAX_CRD_FILES", 1)
        (crds / "gadget.yaml").write_text(crd("Gadget"))
        expected = "more than 1 YAML files under the given paths; name the CRD files"
    else:
        deep = crds.joinpath(*["d"] * (MAX_DEPTH + 1))
        deep.mkdir(parents=True)
        (deep / "gadget.yaml").write_text(crd("Gadget"))
        expected = "folders deep; name the CRD files"
    code, out_text, err = run_cli("schemas", "import", *args, "--out", out)
    assert code == 2, out_text + err
    assert expected in err
    assert not out.is_dir()


def test_import_of_the_upstream_crds_still_works(tmp_path: Path, run_cli) -> None:
    assert CRDS.is_dir(), f"missing upstream test data: {CRDS}"
    code, out, err = run_cli("schemas", "import", CRDS / "flux", "--out", tmp_path / "store")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == [
        "gitrepository_v1.json",
        "kustomization_v1.json",
        "ocirepository_v1.json",
    ]


@pytest.mark.parametrize("kind", ["../../../../tmp/evil", "A" * 250, "fifo", "Ser vice", "x/y"])
def test_a_manifest_kind_never_becomes_a_file_path(kind: str, tmp_path: Path, run_cli) -> None:
    """validate-manifests once built schema file names from the manifest's kind: a kind of
    ../../x read a file outside, 250 letters exited 3, a FIFO of that name hung the run."""
    evil = Path("/tmp/evil_v1.json")
    store = tmp_path / "store"
    store.mkdir()
    if kind == "fifo":
        os.mkfifo(store / "fifo_v1.json")
    manifest = tmp_path / "m.yaml"
    manifest.write_text(json.dumps({"apiVersion": "v1", "kind": kind, "metadata": {"name": "a"}}))
    code, out, err = run_cli(
        "validate-manifests", manifest, "--schema-location", store, "--format", "json"
    )
    assert code == 1 and "internal error" not in err, out + err
    assert not evil.exists()
    if kind != "fifo":
        assert any(
            f["rule"] == "api-version" and "not a kind" in f["message"]
            for f in json.loads(out)["findings"]
        )
