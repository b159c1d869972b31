"""The optional kubeconform pass of ``validate``, through the real command, with a stand-in.

kubeconform is not required: when it is on PATH, ``validate`` asks it for a second opinion on
every built root (generator/modelserve/validate/pipeline.py ``_kubeconform_pass``). A second
opinion that fails to run, crashes, or prints something other than its ``-output json`` report
is one ``kubeconform`` warning and never changes the exit code; an object it finds invalid is an
error at the catalog file the object was rendered from. The stand-in is a Python script put
first on PATH that records its command line and prints what the test asks.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from modelserve.errors import ConfigError
from modelserve.validate.objects import run_kubeconform

ISVC = "serving.kserve.io/v1beta1"
MODEL = "arctic-embed-l"  # deployed in every example environment
STORE_TEMPLATE = "/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"


def fake_kubeconform(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    stdout: str = "",
    stderr: str = "",
    code: int = 0,
    shebang: str | None = None,
) -> Path:
    """A ``kubeconform`` first on PATH; each call appends its argv and the store copies it was
    given (folder -> file names) to the returned JSON-lines file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "kubeconform-calls.jsonl"
    script = bin_dir / "kubeconform"
    script.write_text(
        f"#!{shebang or sys.executable}\n"
        "import json, os, sys\n"
        "args = sys.argv[1:]\n"
        f"template = {STORE_TEMPLATE!r}\n"
        "stores = {}\n"
        "for i, arg in enumerate(args[:-1]):\n"
        "    if arg == '-schema-location' and args[i + 1].endswith(template):\n"
        "        folder = args[i + 1][: -len(template)]\n"
        "        stores[folder] = sorted(os.listdir(folder))\n"
        f"with open({str(calls)!r}, 'a') as log:\n"
        "    log.write(json.dumps({'argv': args, 'stores': stores}) + '\\n')\n"
        f"sys.stdout.write({stdout!r})\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({code})\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return calls


def report(*resources: dict[str, Any]) -> str:
    return json.dumps({"resources": list(resources), "summary": {"valid": 0}})


def resource(kind: str, name: str, status: str, msg: str = "") -> dict[str, Any]:
    return {
        "filename": "x.yaml",
        "kind": kind,
        "name": name,
        "version": ISVC,
        "status": status,
        "msg": msg,
    }


def calls_of(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def validate(run_cli, root: Path, *extra: str | Path) -> tuple[int, list[dict[str, Any]], str]:
    code, out, err = run_cli("validate", "--root", root, "--no-cache", "--format", "json", *extra)
    return code, json.loads(out)["findings"], err


def kubeconform_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if f["rule"] == "kubeconform"]


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        ("exit-5", "kubeconform failed (5): cannot load schemas"),
        ("not-json", "kubeconform printed no JSON: 'this is not JSON"),
        ("resources-a-mapping", "kubeconform printed JSON of another shape"),
        ("resources-not-objects", "kubeconform printed JSON of another shape"),
        ("cannot-execute", "kubeconform could not run:"),
    ],
)
def test_a_kubeconform_that_fails_is_one_warning_and_exit_0(
    behaviour: str, expected: str, example_repo: Path, tmp_path: Path, monkeypatch, run_cli
) -> None:
    options: dict[str, Any] = {
        "exit-5": {"code": 5, "stderr": "cannot load schemas\n", "stdout": report()},
        "not-json": {"stdout": "this is not JSON\n"},
        "resources-a-mapping": {"stdout": json.dumps({"resources": {"kind": "X"}})},
        "resources-not-objects": {"stdout": json.dumps({"resources": ["a.yaml", 3]})},
        "cannot-execute": {"shebang": str(tmp_path / "no-such-interpreter")},
    }[behaviour]
    fake_kubeconform(tmp_path, monkeypatch, **options)
    code, findings, err = validate(run_cli, example_repo, "--env", "dev")
    assert code == 0, (findings, err)
    [warning] = kubeconform_findings(findings)
    assert warning["severity"] == "warning"
    assert warning["message"].startswith("kubeconform did not run: ")
    assert expected in warning["message"], warning
    assert "internal error" not in err
    assert [f for f in findings if f["severity"] == "error"] == []


@pytest.mark.parametrize(
    "stdout",
    [
        json.dumps([resource("InferenceService", MODEL, "statusInvalid", "bad")]),
        "42",
        "null",
    ],
)
def test_a_kubeconform_report_of_another_shape_is_a_warning_too(
    stdout: str, example_repo: Path, tmp_path: Path, monkeypatch, run_cli
) -> None:
    # Only a JSON object is kubeconform's -output json report: anything else must not be read
    # as "no resources, all valid" (the list even names an invalid object).
    fake_kubeconform(tmp_path, monkeypatch, stdout=stdout)
    code, findings, _ = validate(run_cli, example_repo, "--env", "dev")
    assert code == 0
    [warning] = kubeconform_findings(findings)
    assert "another shape" in warning["message"], warning


def test_an_invalid_object_is_an_error_at_its_catalog_file(
    example_repo: Path, tmp_path: Path, monkeypatch, run_cli
) -> None:
    msg = "problem validating schema: /spec/predictor: additionalProperties 'x' not allowed"
    log = fake_kubeconform(
        tmp_path,
        monkeypatch,
        stdout=report(
            resource("InferenceService", MODEL, "statusInvalid", msg),
            resource("InferenceService", "llama-3-1-8b-instruct", "statusValid"),
            resource("ServiceMonitor", MODEL, "statusSkipped"),
        ),
        code=1,  # kubeconform's exit code when a resource is invalid
    )
    code, findings, err = validate(run_cli, example_repo, "--env", "dev")
    assert code == 1, (findings, err)
    [error] = kubeconform_findings(findings)  # valid and skipped resources say nothing
    assert error["severity"] == "error"
    assert error["file"] == f"catalog/models/{MODEL}.yaml"
    lines = (example_repo / error["file"]).read_text().splitlines()
    assert lines[error["line"] - 1] == f"name: {MODEL}"
    assert error["message"] == f"kubeconform: InferenceService {MODEL}: {msg}"
    # The command line run_kubeconform documents: strict, JSON output, the environment's
    # Kubernetes version in full, offline, one built file per root.
    [call] = calls_of(log)
    argv = call["argv"]
    assert argv[:5] == ["-strict", "-summary", "-output", "json", "-kubernetes-version"]
    assert argv[5] == "1.33.0"
    assert "-ignore-missing-schemas" in argv and "default" not in argv
    built = [a for a in argv if a.endswith(".yaml")]
    assert built and all("/kubeconform/" in a for a in built)


def test_an_object_the_generator_did_not_render_is_an_error_never_at_a_scratch_path(
    example_repo: Path, tmp_path: Path, monkeypatch, run_cli
) -> None:
    fake_kubeconform(
        tmp_path,
        monkeypatch,
        stdout=report(resource("ConfigMap", "stowaway", "statusError", "bad")),
        code=1,
    )
    code, findings, _ = validate(run_cli, example_repo, "--env", "dev")
    assert code == 1
    [error] = kubeconform_findings(findings)
    # kubeconform names the scratch file it read (here one it never got): not a user's file
    assert (error["severity"], error["file"], error["line"]) == ("error", "deploy", 1)
    assert error["message"] == "kubeconform: ConfigMap stowaway: bad"


def test_kubeconform_reads_a_copy_of_the_store_with_only_the_checked_files(
    example_repo: Path, tmp_path: Path, monkeypatch, run_cli
) -> None:
    store = example_repo / "schema-store"
    store.mkdir()
    (store / "widget_v1.json").write_text(json.dumps({"type": "object"}))
    (store / "gadget_v1.json").write_text(json.dumps({"$ref": "file:///etc/passwd"}))
    log = fake_kubeconform(tmp_path, monkeypatch, stdout=report())
    code, findings, _ = validate(run_cli, example_repo, "--env", "dev")
    assert code == 1  # the refused store file is an error of its own
    assert [f["file"] for f in findings if f["rule"] == "schema-store"] == [
        "schema-store/gadget_v1.json"
    ]
    assert kubeconform_findings(findings) == []
    [call] = calls_of(log)
    [(folder, names)] = call["stores"].items()
    assert names == ["widget_v1.json"]  # the refused file never reaches kubeconform
    assert Path(folder).resolve() != store.resolve()
    assert not Path(folder).exists(), "the copy is removed with the build folder"


def test_each_kubernetes_version_is_its_own_kubeconform_run(
    example_repo: Path, tmp_path: Path, monkeypatch, run_cli
) -> None:
    # dev is on Kubernetes 1.33 and staging on 1.32: each is checked against its own version.
    log = fake_kubeconform(tmp_path, monkeypatch, stdout=report())
    code, findings, err = validate(run_cli, example_repo, "--env", "dev", "--env", "staging")
    assert code == 0, (findings, err)
    calls = calls_of(log)
    versions = [c["argv"][c["argv"].index("-kubernetes-version") + 1] for c in calls]
    assert versions == ["1.32.0", "1.33.0"]
    files = [{a for a in c["argv"] if a.endswith(".yaml")} for c in calls]
    assert files[0] and files[1] and not files[0] & files[1]


def test_run_kubeconform_without_kubeconform_is_a_config_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="kubeconform is not on PATH"):
        run_kubeconform([tmp_path / "a.yaml"], [], "1.33")


def test_run_kubeconform_online_adds_the_default_location(tmp_path: Path, monkeypatch) -> None:
    log = fake_kubeconform(tmp_path, monkeypatch, stdout="")
    assert run_kubeconform([tmp_path / "a.yaml"], [tmp_path], "v1.30.2", offline=False) == []
    [call] = calls_of(log)
    argv = call["argv"]
    assert argv[argv.index("-kubernetes-version") + 1] == "1.30.2"
    assert argv[-3:] == ["-schema-location", "default", str(tmp_path / "a.yaml")]
    assert "-ignore-missing-schemas" not in argv
