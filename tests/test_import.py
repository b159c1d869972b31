"""modelserve import: upstream manifests (NVIDIA nim-deploy, KServe's samples and runtimes, EDB's
Hybrid Manager docs, read from ../shared/upstream/samples/) adopted into catalog files, then
generated again: every difference between an original and what `generate` writes is either a
note the import printed for that field or a default of this tool named below, with its reason."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import SAMPLES, run_cli, write_files

SERVING = "serving.kserve.io/"
FRAMEWORKS = ("sklearn", "tensorflow", "xgboost", "pytorch", "triton", "onnx", "huggingface")
FRAMEWORKS += ("pmml", "lightgbm", "paddle")
EMPTY_REPO = {"catalog/runtimes/.keep": "", "catalog/models/.keep": "", "environments/.keep": ""}

# What `generate` adds or spells differently, each with its reason; a difference at a path
# matching one of these (in the generated object) is explained by it.
GENERATED = [
    (r"metadata\.labels\.(app\.kubernetes\.io/managed-by|modelserve\.io/.*)", "ownership labels"),
    (r"metadata\.namespace", "the environment's namespace"),
    (r"metadata\.annotations\.serving\.kserve\.io/deploymentMode", "the environment's mode"),
    (
        r"metadata\.annotations\.serving\.kserve\.io/autoscalerClass",
        "min = max replicas: autoscaler none (rule kserve-autoscaling)",
    ),
    (r"spec\.predictor\.(affinity|tolerations)\b.*", "derived from the GPU profile"),
    (r"spec\.predictor\.(min|max)Replicas", "replicas default 1..1 (fixed size)"),
    (
        r"spec\.predictor\.model\.resources\.(requests|limits)\.ephemeral-storage",
        "a NIM's download is reserved on disk (rule model-cache)",
    ),
    (r"spec\.supportedModelFormats\[\d+\]\.autoSelect", "autoSelect false unless said"),
    (r"spec\.containers\[0\]\.ports\[\d+\]\.protocol", "protocol TCP, the API default"),
    (r"spec\.containers\[0\]\.readinessProbe\.httpGet\.port", "probe port: the first port"),
]


def pointer(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from leaves(value, path + (key,))
    elif isinstance(node, list) and node:
        for i, value in enumerate(node):
            yield from leaves(value, path + (i,))
    else:
        yield pointer(path), json.dumps(node) if not isinstance(node, str) else node


def keyed_env(node: Any) -> Any:
    """Env lists as mappings by variable name: an entry the import could not carry shifts the
    ones after it, which is no difference of theirs."""
    if isinstance(node, dict):
        return {
            k: {str(e.get("name")): e for e in v if isinstance(e, dict)}
            if k == "env" and isinstance(v, list)
            else keyed_env(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [keyed_env(v) for v in node]
    return node


def normalized(obj: dict[str, Any]) -> dict[str, Any]:
    """An original as KServe's defaulting reads it: predictor.<framework> is model.modelFormat
    (setPredictorModelDefaults)."""
    obj = json.loads(json.dumps(obj))
    predictor = (obj.get("spec") or {}).get("predictor") or {}
    for key in FRAMEWORKS:
        if isinstance(predictor.get(key), dict):
            predictor["model"] = {"modelFormat": {"name": key}, **predictor.pop(key)}
    return keyed_env(obj)


def resolve(doc: Any, path: str) -> Any:
    for key, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        doc = doc[int(index)] if index else doc.get(key) if isinstance(doc, dict) else None
        if doc is None:
            return None
    return doc


def normalized_note(note: dict[str, Any], original: dict[str, Any]) -> dict[str, Any]:
    """A note's path as ``normalized`` moves the field it names."""
    path = note["path"]
    env = re.match(r"^(.*\.env)\[(\d+)\](.*)$", path)
    if env:
        entries = resolve(original, env[1]) or []
        path = f"{env[1]}.{entries[int(env[2])].get('name')}{env[3]}"
    path = re.sub(rf"^spec\.predictor\.({'|'.join(FRAMEWORKS)})\b", "spec.predictor.model", path)
    return {**note, "path": path}


def originals() -> Iterator[Path]:
    for path in sorted(SAMPLES.rglob("*.yaml")):
        if "fragments" not in path.parts:
            yield path


def serving_documents(path: Path) -> list[dict[str, Any]]:
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []
    return [d for d in docs if str(d.get("apiVersion", "")).startswith(SERVING)]


def runtime_files() -> list[Path]:
    return [
        p
        for p in originals()
        if any(
            d.get("kind") in ("ServingRuntime", "ClusterServingRuntime")
            for d in serving_documents(p)
        )
    ]


def isvc_files() -> list[Path]:
    return [
        p
        for p in originals()
        if any(d.get("kind") == "InferenceService" for d in serving_documents(p))
    ]


def generated(root: Path) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for path in (root / "deploy").rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") in (
                "InferenceService",
                "ClusterServingRuntime",
            ):
                found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


def explained(
    original: dict[str, Any], made: dict[str, Any], notes: list[dict[str, Any]]
) -> tuple[list[tuple[str, str]], list[str]]:
    """(each difference with its reason, the differences nobody explained)."""
    before, after = dict(leaves(normalized(original))), dict(leaves(keyed_env(made)))
    listed, unexplained = [], []
    for path in sorted(set(before) | set(after)):
        if before.get(path) == after.get(path):
            continue
        shown = f"{path}: {before.get(path)!r} -> {after.get(path)!r}"
        # a field the import dropped, or moved into a GPU profile, explains what lay under it;
        # any other note only its own
        covering = [
            n
            for n in (normalized_note(n, original) for n in notes)
            if n["path"]
            and (
                path == n["path"]
                or n["kind"] in ("unexpressible", "secret", "placement")
                and path.startswith((n["path"] + ".", n["path"] + "["))
            )
        ]
        # the most specific note says why
        best = max(covering, key=lambda n: len(n["path"]), default=None)
        reason = None if best is None else f"{best['kind']}: {best['message']}"
        if reason is None and path not in before:
            reason = next((why for pattern, why in GENERATED if re.fullmatch(pattern, path)), None)
        if reason is None:
            unexplained.append(shown)
        else:
            listed.append((shown, reason))
    return listed, unexplained


def generate_or_refused(root: Path, sample: Path) -> dict[tuple[str, str], dict[str, Any]] | None:
    """What `generate` wrote, or None when the catalog's checks refuse what the import wrote
    (what the cluster would refuse too): each refusal at a catalog file and line, printed."""
    code, out, err = run_cli("generate", "--root", root, "--format", "json")
    if code == 1:
        refused = [f for f in json.loads(out)["findings"] if f["severity"] == "error"]
        assert refused, out
        assert all(f["file"].startswith("catalog/") and f["line"] > 0 for f in refused), refused
        print(
            f"{sample_id(sample)}: imported; refused by "
            + "; ".join(f"{f['rule']} ({f['file']}:{f['line']})" for f in refused)
        )
        return None
    assert code == 0, err
    return generated(root)


def names_in(path: Path, kinds: tuple[str, ...]) -> set[str]:
    return {
        str((d.get("metadata") or {}).get("name"))
        for d in serving_documents(path)
        if d.get("kind") in kinds
    }


RUNTIME_KINDS = ("ServingRuntime", "ClusterServingRuntime")


def import_json(root: Path, *paths: Path) -> tuple[int, dict[str, Any]]:
    code, out, err = run_cli("import", "--root", root, "--env", "lab", "--format", "json", *paths)
    assert out, err
    return code, json.loads(out)


def clean_runtimes(folder: str, tmp: Path) -> list[Path]:
    """The runtime files of one sample folder that import alone without an error, the first of
    each runtime name (EDB's pages repeat a runtime across releases)."""
    chosen, seen = [], set()
    for i, path in enumerate(p for p in runtime_files() if p.parent.name == folder):
        root = write_files(tmp / f"probe-{folder}-{i}", EMPTY_REPO)
        code, _ = import_json(root, path)
        names = names_in(path, RUNTIME_KINDS)
        if code == 0 and not names & seen and not names_in(path, ("InferenceService",)):
            chosen.append(path)
            seen |= names
    return chosen


def sample_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name[:60]}"


@pytest.fixture(scope="module")
def runtime_sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    tmp = tmp_path_factory.mktemp("runtimes")
    sets = {folder: clean_runtimes(folder, tmp) for folder in ("nim", "kserve", "edb")}
    # with the Kustomization that sets the real images of KServe's runtimes, pinned to the
    # release the environment runs (KServe's master names :latest, which image-latest refuses)
    for path in sorted((SAMPLES / "kserve").glob("*kustomization.yaml")):
        data = yaml.safe_load(path.read_text())
        for entry in data.get("images") or []:
            if entry.get("newTag") == "latest":
                entry["newTag"] = "v0.20.0"
        pinned = tmp / path.name
        pinned.write_text(yaml.safe_dump(data))
        sets["kserve"].append(pinned)
    return sets


@pytest.mark.parametrize("sample", isvc_files(), ids=sample_id)
def test_round_trip_of_each_upstream_inference_service(
    sample: Path, runtime_sets: dict[str, list[Path]], tmp_path: Path
) -> None:
    own = names_in(sample, RUNTIME_KINDS)
    source = sample.name.split("__")[0] + "__"
    runtimes = [
        p
        for p in runtime_sets[sample.parent.name]
        if p != sample and not names_in(p, RUNTIME_KINDS) & own
        # KServe's samples run on the runtimes KServe installs, or on one of their own sample
        if sample.parent.name != "kserve" or p.name.startswith(("config-runtimes__", source))
    ]
    root = write_files(tmp_path, EMPTY_REPO)
    code, report = import_json(root, *runtimes, sample)
    errors = [n for n in report["notes"] if n["kind"] == "error"]
    if code != 0:
        # not importable: said where, and nothing written
        assert errors and report["written"] == [], report
        assert all(n["line"] > 0 for n in errors), errors
        assert not list((root / "catalog" / "models").glob("*.yaml"))
        print(
            f"{sample_id(sample)}: not importable: "
            + "; ".join(f"{Path(n['file']).name}:{n['line']}: {n['message']}" for n in errors)
        )
        return
    made = generate_or_refused(root, sample)
    if made is None:
        return
    notes = [n for n in report["notes"] if n["file"].endswith(sample.name)]
    for doc in serving_documents(sample):
        if doc.get("kind") != "InferenceService":
            continue
        name = doc["metadata"]["name"]
        assert ("InferenceService", name) in made, f"{name} was not generated"
        listed, unexplained = explained(doc, made[("InferenceService", name)], notes)
        for shown, reason in listed:
            print(f"{sample_id(sample)} {name}: {shown}  <- {reason}")
        assert not unexplained, "differences nobody reported:\n" + "\n".join(unexplained)


@pytest.mark.parametrize("sample", runtime_files(), ids=sample_id)
def test_round_trip_of_each_upstream_runtime(sample: Path, tmp_path: Path) -> None:
    root = write_files(tmp_path, EMPTY_REPO)
    code, report = import_json(root, sample)
    if code != 0:
        errors = [n for n in report["notes"] if n["kind"] == "error"]
        assert errors and report["written"] == [] and all(n["line"] > 0 for n in errors)
        print(f"{sample_id(sample)}: not importable: {errors[0]['message']}")
        return
    # a runtime is rendered only where a model uses it: give each one a model
    entries = []
    for i, rel in enumerate(r for r in report["written"] if r.startswith("catalog/runtimes/")):
        runtime = yaml.safe_load((root / rel).read_text())
        fmt = runtime["modelFormats"][0]["name"]
        model = f"name: probe-{i}\nruntime: {runtime['name']}\nformat: {{name: {fmt}}}\n"
        write_files(root, {f"catalog/models/probe-{i}.yaml": model})
        entries.append(f"  - model: probe-{i}\n")
    env = root / "environments" / "lab.yaml"
    env.write_text(env.read_text().replace("models: []\n", "models:\n" + "".join(entries)))
    made = generate_or_refused(root, sample)
    if made is None:
        return
    notes = [n for n in report["notes"] if n["file"].endswith(sample.name)]
    for doc in serving_documents(sample):
        if doc.get("kind") not in RUNTIME_KINDS:
            continue
        names = [k for k in made if k[0] == "ClusterServingRuntime"]
        assert len(names) == 1, names
        listed, unexplained = explained(doc, made[names[0]], notes)
        for shown, reason in listed:
            print(f"{sample_id(sample)}: {shown}  <- {reason}")
        assert not unexplained, "differences nobody reported:\n" + "\n".join(unexplained)


# --- the command's own behaviour ---------------------------------------------------------------

ISVC_ON_H100 = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: adopted-llama
  namespace: models-prod
  annotations:
    serving.kserve.io/deploymentMode: Standard
spec:
  predictor:
    nodeSelector:
      nvidia.com/gpu: "true"
      nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3
    tolerations:
      - key: nvidia.com/gpu
        operator: Equal
        value: "true"
        effect: NoSchedule
    schedulerName: volcano
    model:
      modelFormat: {name: nvidia-nim-llama-3.1-8b-instruct, version: "1.3.3"}
      runtime: nvidia-nim-llama-3.1-8b-instruct-1.3.3
      protocolVersion: v2
      resources:
        limits: {nvidia.com/gpu: "1"}
        requests: {nvidia.com/gpu: "1"}
      env:
        - name: OPENAI_API_KEY
          value: sk-proj-{key}
"""
LEAKED = "Zq8vR2mX7pL4nK9sT1wY6bH3cF5dJ0aE"


def test_an_existing_environment_gets_the_entry_on_its_matching_profile(example_repo: Path) -> None:
    manifest = write_files(example_repo, {"in/isvc.yaml": ISVC_ON_H100.replace("{key}", LEAKED)})
    before = (example_repo / "environments" / "prod.yaml").read_text()
    code, out, err = run_cli("import", "--root", example_repo, "--env", "prod", manifest / "in")
    assert code == 0, out + err
    after = (example_repo / "environments" / "prod.yaml").read_text()
    # comments and order kept; the entry added on the profile its placement matches
    assert after.startswith(before.split("models:")[0]) and "# 8 x H100 SXM servers" in after
    entry = yaml.safe_load(after)["models"][-1]
    assert entry == {"model": "adopted-llama", "profile": "h100"}
    model = yaml.safe_load((example_repo / "catalog/models/adopted-llama.yaml").read_text())
    assert (
        model["gpu"] == {"count": 1}
        and model["runtime"] == "nvidia-nim-llama-3.1-8b-instruct-1.3.3"
    )
    # the credential became a reference, and never reached a file or the output
    assert model["env"] == [
        {
            "name": "OPENAI_API_KEY",
            "secretKeyRef": {"name": "adopted-llama-credentials", "key": "OPENAI_API_KEY"},
        }
    ]
    assert (
        LEAKED
        not in out + err + after + (example_repo / "catalog/models/adopted-llama.yaml").read_text()
    )
    # what the catalog cannot say is reported at its line
    line = ISVC_ON_H100.splitlines().index("    schedulerName: volcano") + 1
    assert f"in/isvc.yaml:{line}:5: unexpressible: spec.predictor.schedulerName" in out
    assert "secret: OPENAI_API_KEY held a literal credential" in out
    # and validate judges it like any model: prod is air-gapped, and a NIM there needs a cache
    code, out, err = run_cli("validate", "--root", example_repo, "--format", "json")
    errors = {
        (f["rule"], f["file"]) for f in json.loads(out)["findings"] if f["severity"] == "error"
    }
    assert errors == {("airgapped", "environments/prod.yaml")}, out


def test_nothing_is_overwritten_or_written_half(example_repo: Path) -> None:
    isvc = ISVC_ON_H100.replace("{key}", "x").replace("adopted-llama", "llama-3-1-8b-instruct")
    write_files(example_repo, {"in/isvc.yaml": isvc})
    model = example_repo / "catalog/models/llama-3-1-8b-instruct.yaml"
    before = model.read_text(), (example_repo / "environments/prod.yaml").read_text()
    code, out, _ = run_cli("import", "--root", example_repo, "--env", "prod", example_repo / "in")
    assert code == 1
    assert "catalog/models/llama-3-1-8b-instruct.yaml:1:1: error: exists with other content" in out
    assert "nothing written" in out
    assert (model.read_text(), (example_repo / "environments/prod.yaml").read_text()) == before


def test_dry_run_and_a_new_environment(tmp_path: Path) -> None:
    root = write_files(tmp_path, EMPTY_REPO)
    sample = SAMPLES / "nim" / "kserve-nim-models-llama3-8b-instruct_2xa100_1.0.0.yaml"
    runtime = SAMPLES / "nim" / "kserve-runtimes-llama3-8b-instruct-1.0.0.yaml"
    code, out, _ = run_cli("import", "--root", root, "--env", "lab", "--dry-run", runtime, sample)
    assert code == 0 and "would write environments/lab.yaml" in out
    assert not (root / "environments" / "lab.yaml").exists()
    code, out, _ = run_cli(
        "import",
        "--root",
        root,
        "--env",
        "lab",
        "--cluster",
        "lab-1",
        "--namespace",
        "ai",
        runtime,
        sample,
    )
    assert code == 0, out
    env = (root / "environments" / "lab.yaml").read_text()
    assert env.startswith("# yaml-language-server: $schema=../schemas/environment.schema.json\n")
    data = yaml.safe_load(env)
    assert (data["cluster"], data["namespace"]) == ("lab-1", "ai")
    assert data["gpuProfiles"] == {
        "nvidia-a100-sxm4-80gb": {
            "nodeLabels": {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"},
            "gpuProduct": "NVIDIA-A100-SXM4-80GB",
        }
    }
    assert data["models"] == [
        {"model": "llama3-8b-instruct-2xa100", "profile": "nvidia-a100-sxm4-80gb"}
    ]
    runtime_file = root / "catalog/runtimes/nvidia-nim-llama3-8b-instruct-1.0.0.yaml"
    assert runtime_file.read_text().startswith(
        "# yaml-language-server: $schema=../../schemas/runtime.schema.json\n"
    )
    # importing the same again keeps the same files and changes nothing
    code, out, _ = run_cli("import", "--root", root, "--env", "lab", runtime, sample)
    assert code == 0 and "kept catalog/runtimes/nvidia-nim-llama3-8b-instruct-1.0.0.yaml" in out
    assert (root / "environments" / "lab.yaml").read_text() == env


def test_a_secret_manifest_is_left_alone_and_never_printed(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            **EMPTY_REPO,
            "in/secret.yaml": (
                "apiVersion: v1\nkind: Secret\nmetadata: {name: ngc}\nstringData:\n"
                f"  NGC_API_KEY: nvapi-{LEAKED}\n"
            ),
        },
    )
    code, out, err = run_cli("import", "--root", root, "--env", "lab", root / "in")
    assert code == 0 and "skipped: Secret ngc is not imported" in out
    assert LEAKED not in out + err + "".join(
        p.read_text() for p in root.rglob("*.yaml") if "in" not in p.parts
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind: [unclosed\n", "in/bad.yaml:2:1: error: YAML syntax error"),
        (
            "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: a}\n"
            "spec:\n  predictor:\n    model:\n      modelFormat: {name: onnx}\n",
            "in/bad.yaml:6:5: error: names no runtime and no imported runtime auto-selects "
            "format 'onnx'",
        ),
    ],
)
def test_bad_input_is_an_error_at_its_line(tmp_path: Path, text: str, expected: str) -> None:
    root = write_files(tmp_path, {**EMPTY_REPO, "in/bad.yaml": text})
    code, out, err = run_cli("import", "--root", root, "--env", "lab", root / "in")
    assert code == 1 and expected in out, out + err
    assert not (root / "environments" / "lab.yaml").exists()


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    root = write_files(tmp_path, EMPTY_REPO)
    code, _, err = run_cli("import", "--root", root, "--env", "lab", tmp_path / "nope.yaml")
    assert code == 2 and "no such file or folder" in err


def test_all_of_nvidia_s_nim_deploy_imports_and_generates(tmp_path: Path) -> None:
    """The whole nim-deploy KServe folder at once: every model and runtime is adopted and
    generated (none refused), so a regression cannot hide behind "not importable"."""
    root = write_files(tmp_path, EMPTY_REPO)
    code, report = import_json(root, SAMPLES / "nim")
    assert code == 0, [n for n in report["notes"] if n["kind"] == "error"]
    isvcs = {
        n
        for p in isvc_files()
        if p.parent.name == "nim"
        for n in names_in(p, ("InferenceService",))
    }
    runtimes = {
        n for p in runtime_files() if p.parent.name == "nim" for n in names_in(p, RUNTIME_KINDS)
    }
    assert len(isvcs) == 16 and len(runtimes) == 10
    code, out, err = run_cli("generate", "--root", root)
    assert code == 0, out + err
    made = generated(root)
    assert {n for k, n in made if k == "InferenceService"} == isvcs
    # the one runtime name with underscores is generated under its fixed name
    fixed = {n.replace("_", "-") for n in runtimes}
    assert {n for k, n in made if k == "ClusterServingRuntime"} == fixed


ISVC_HEAD = "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
RUNTIME_HEAD = "apiVersion: serving.kserve.io/v1alpha1\nkind: ClusterServingRuntime\n"


@pytest.mark.parametrize(
    "text",
    [
        ISVC_HEAD + "metadata: just-a-string\nspec: {predictor: {}}\n",
        ISVC_HEAD + "metadata: {name: a}\nspec: {predictor: [1, 2]}\n",
        ISVC_HEAD + "metadata: {name: a}\nspec: {predictor: {model: {modelFormat: onnx}}}\n",
        ISVC_HEAD + "metadata: {name: a, labels: oops}\nspec: {predictor: {model: {}}}\n",
        ISVC_HEAD + "metadata: {name: a}\nspec: {predictor: {nodeSelector: [x], model: {}}}\n",
        RUNTIME_HEAD + "metadata: {name: r}\nspec: {annotations: [ab], containers: []}\n",
        RUNTIME_HEAD
        + "metadata: {name: r}\nspec:\n  supportedModelFormats: [{name: f, priority: high}]\n"
        "  containers: [{name: kserve-container, image: x/y:1, args: python}]\n",
        RUNTIME_HEAD + "metadata: {name: ..}\nspec:\n  supportedModelFormats: [{name: f}]\n"
        "  containers: [{name: kserve-container, image: x/y:1}]\n",
    ],
)
def test_a_malformed_manifest_is_an_error_at_its_line_never_a_crash(
    tmp_path: Path, text: str
) -> None:
    root = write_files(tmp_path, {**EMPTY_REPO, "in/bad.yaml": text})
    code, out, err = run_cli("import", "--root", root, "--env", "lab", root / "in")
    assert code == 1, out + err
    assert "in/bad.yaml:" in out and ": error: " in out and "nothing written" in out
    assert not list((root / "catalog").rglob("*.yaml"))


@pytest.mark.parametrize(
    "where",
    [
        "annotations: {serving.kserve.io/x: hf_{token}}",
        "args: [--hf-token=hf_{token}]",
    ],
)
def test_a_credential_outside_env_stops_the_import(tmp_path: Path, where: str) -> None:
    token = "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z"
    model = f"{{modelFormat: {{name: sklearn}}, runtime: r, {where.replace('{token}', token)}}}"
    if where.startswith("annotations"):
        text = ISVC_HEAD + f"metadata: {{name: a, {where.replace('{token}', token)}}}\n"
        text += "spec: {predictor: {model: {modelFormat: {name: sklearn}, runtime: r}}}\n"
    else:
        text = ISVC_HEAD + f"metadata: {{name: a}}\nspec: {{predictor: {{model: {model}}}}}\n"
    root = write_files(tmp_path, {**EMPTY_REPO, "in/isvc.yaml": text})
    code, out, err = run_cli("import", "--root", root, "--env", "lab", root / "in")
    assert code == 1 and "a credential is never imported" in out, out
    assert token not in out + err
    assert not list((root / "catalog").rglob("*.yaml"))


@pytest.mark.parametrize("env", ["../escape", "Bad_Name", "a/b"])
def test_the_environment_name_is_checked(tmp_path: Path, env: str) -> None:
    root = write_files(tmp_path, EMPTY_REPO)
    sample = SAMPLES / "nim" / "kserve-runtimes-llama3-8b-instruct-1.0.0.yaml"
    code, _, err = run_cli("import", "--root", root, "--env", env, sample)
    assert code == 2 and "is not an environment name" in err
    assert not list(tmp_path.parent.glob("escape*"))


def test_a_symlinked_environment_is_not_written_through(tmp_path: Path) -> None:
    root = write_files(tmp_path / "repo", EMPTY_REPO)
    outside = write_files(tmp_path, {"outside.yaml": "kept\n"}) / "outside.yaml"
    (root / "environments" / "lab.yaml").symlink_to(outside)
    sample = SAMPLES / "nim" / "kserve-runtimes-llama3-8b-instruct-1.0.0.yaml"
    code, _, err = run_cli("import", "--root", root, "--env", "lab", sample)
    assert code == 2 and "not a regular file" in err
    assert outside.read_text() == "kept\n"
