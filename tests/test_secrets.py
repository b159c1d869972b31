"""A literal credential is refused, located, and never printed whole by any command or format.

The secrets below are fakes with the shape of real ones, assembled at import so that secret
scanners do not flag this file. Each is planted in places a rule sees (env values, args,
annotations) and in places whose schema check fails first (an ``image:``, a ``storageUri``,
an enum, an integer, an unknown field), because schema messages quote the offending value.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from modelserve.rules.examples import ENVIRONMENT, MODEL, RUNTIME, files_for
from modelserve.validate.secrets import classify

NGC = "nvapi-" + "Zx81kQm2vB7LrT0pYw5sNd3Hc9Jf6Ga4Ue1Xi8Ko"
AWS = "AKIA" + "Q3EGRZ7J5LXKVN4P"
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj" + "MzEfYyjiWA4R4"
PEM = "-----BEGIN PRIVATE KEY-----\n" + PEM_BODY + "\n-----END PRIVATE KEY-----\n"
BEARER_TOKEN = "q8Xz3Lk9Vw2Rt7Yp1Bn6Mc4Hd0Js5Fg"
HF = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"

# name -> (the value written in the file, the part that must never appear in any output)
SECRETS = {
    "ngc-api-key": (NGC, NGC),
    "aws-access-key": (AWS, AWS),
    "gcp-private-key": (PEM, PEM_BODY),
    "bearer-token": ("Bearer " + BEARER_TOKEN, BEARER_TOKEN),
    "hf-token": (HF, HF),
}

MODEL_FILE = "catalog/models/llama.yaml"
RUNTIME_FILE = "catalog/runtimes/vllm-runtime.yaml"
ENV_FILE = "environments/dev.yaml"
SECRET_REF = "    secretKeyRef: {name: nvidia-nim-secrets, key: NGC_API_KEY}"


def q(value: str) -> str:
    """``value`` as a YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value)


def set_top(text: str, key: str, value: str) -> str:
    """``text`` with the top-level ``key`` set to the quoted ``value`` (replaced, or appended)."""
    line = f"{key}: {q(value)}"
    if re.search(rf"^{key}:", text, re.M):
        return re.sub(rf"^{key}:.*$", lambda _: line, text, count=1, flags=re.M)
    return text + line + "\n"


# placement -> (file, function from secret value to that file's text, the text the finding's line
# starts with)
PLACES = {
    "runtime-env-value": (
        RUNTIME_FILE,
        lambda s: RUNTIME.replace(SECRET_REF, f"    value: {q(s)}"),
        "    value:",
    ),
    "environment-env-value": (
        ENV_FILE,
        lambda s: ENVIRONMENT + f"    env:\n      - {{name: HF_TOKEN, value: {q(s)}}}\n",
        "      - {name: HF_TOKEN",
    ),
    "args": (RUNTIME_FILE, lambda s: RUNTIME + f"args: [{q('--api-key=' + s)}]\n", "args:"),
    "pod-annotation": (
        RUNTIME_FILE,
        lambda s: RUNTIME + f"podAnnotations: {{example.com/auth: {q(s)}}}\n",
        "podAnnotations:",
    ),
    "description": (
        MODEL_FILE,
        lambda s: set_top(MODEL, "description", "token is " + s),
        "description:",
    ),
    # Schema or rule messages quote these values.
    "image": (RUNTIME_FILE, lambda s: set_top(RUNTIME, "image", s), "image:"),
    "image-override": (
        ENV_FILE,
        lambda s: ENVIRONMENT + f"runtimeImages:\n  vllm-runtime: {q(s)}\n",
        "  vllm-runtime:",
    ),
    "storage-uri-path": (
        MODEL_FILE,
        lambda s: set_top(MODEL, "storageUri", "s3://models/" + s),
        "storageUri:",
    ),
    "storage-uri-unknown-scheme": (
        MODEL_FILE,
        lambda s: set_top(MODEL, "storageUri", f"ftp://ci:{s}@host/m"),
        "storageUri:",
    ),
    "enum": (MODEL_FILE, lambda s: set_top(MODEL, "protocolVersion", s), "protocolVersion:"),
    "integer": (MODEL_FILE, lambda s: MODEL.replace("  count: 1", f"  count: {q(s)}"), "  count:"),
    "pattern": (
        ENV_FILE,
        lambda s: ENVIRONMENT.replace("namespace: models", f"namespace: {q(s)}"),
        "namespace:",
    ),
    "unknown-field-value": (MODEL_FILE, lambda s: set_top(MODEL, "apiKey", s), "apiKey:"),
    "secret-ref-name": (
        RUNTIME_FILE,
        lambda s: RUNTIME.replace("name: nvidia-nim-secrets", f"name: {q(s)}"),
        SECRET_REF[:20],
    ),
}
CORE_PLACES = [
    "runtime-env-value",
    "image",
    "storage-uri-unknown-scheme",
    "enum",
    "unknown-field-value",
]
COMMANDS = [
    ("validate", "--format", "text"),
    ("validate", "--format", "json"),
    ("validate", "--format", "github"),
    ("validate", "--format", "sarif"),
    ("generate",),
    ("check",),
]


def planted(place: str, value: str) -> tuple[dict[str, str], str, int]:
    """The example catalog with ``value`` planted at ``place``: (files, file, finding's line)."""
    file, make, starts = PLACES[place]
    text = make(value)
    assert text != files_for({})[file], f"{place}: the secret was not planted"
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith(starts))
    return files_for({file: text}), file, line


def run_everything(root: Path, run_cli, secret: str) -> tuple[list[dict], str]:
    """Every command and format; returns validate's JSON findings and the concatenated output."""
    outputs, findings = [], []
    for argv in COMMANDS:
        code, out, err = run_cli(*argv, "--root", root)
        assert code == 1, f"{argv}: exit {code}\n{out}{err}"
        outputs.append(f"$ {' '.join(argv)}\n{out}{err}")
        if argv[-1] == "json":
            findings = json.loads(out)["findings"]
    return findings, "\n".join(outputs)


def assert_refused_and_hidden(root: Path, run_cli, secret: str, file: str, line: int) -> None:
    findings, output = run_everything(root, run_cli, secret)
    assert secret not in output, "the secret was echoed:\n" + "\n".join(
        row for row in output.splitlines() if secret in row
    )
    located = [
        f for f in findings if f["file"] == file and f["line"] == line and f["severity"] == "error"
    ]
    assert located, f"no error at {file}:{line}: {findings}"
    assert not (root / "deploy").exists()


CASES = [(s, p) for s in SECRETS for p in CORE_PLACES] + [
    ("ngc-api-key", p) for p in PLACES if p not in CORE_PLACES
]


@pytest.mark.parametrize(("secret", "place"), CASES, ids=[f"{s}-in-{p}" for s, p in CASES])
def test_secret_is_refused_located_and_never_echoed(
    secret, place, tmp_path, write_repo, run_cli
) -> None:
    value, hidden = SECRETS[secret]
    files, file, line = planted(place, value)
    root = write_repo(tmp_path / "repo", files)
    assert_refused_and_hidden(root, run_cli, hidden, file, line)


def test_secret_literal_finding_names_the_field_and_redacts(tmp_path, write_repo, run_cli) -> None:
    files, file, line = planted("runtime-env-value", NGC)
    root = write_repo(tmp_path / "repo", files)
    code, out, _ = run_cli("validate", "--root", root, "--format", "json")
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "secret-literal"]
    assert [(f["file"], f["line"], f["path"]) for f in found] == [(file, line, "env[0].value")]
    assert (
        "an NGC API key" in found[0]["message"]
        and f"({len(NGC)} characters)" in found[0]["message"]
    )


def test_secret_used_as_an_unknown_key_is_not_echoed(tmp_path, write_repo, run_cli) -> None:
    root = write_repo(tmp_path / "repo", files_for({MODEL_FILE: MODEL + f"{NGC}: x\n"}))
    _, output = run_everything(root, run_cli, NGC)
    assert NGC not in output


@pytest.mark.parametrize("secret", ["ngc-api-key", "aws-access-key"])
def test_secret_in_a_yaml_error_message_is_not_echoed(
    secret, tmp_path, write_repo, run_cli
) -> None:
    value, hidden = SECRETS[secret]
    text = MODEL + f"{value}: 1\n{value}: 2\n"  # a duplicate key: the YAML error quotes the key
    root = write_repo(tmp_path / "repo", files_for({MODEL_FILE: text}))
    assert_refused_and_hidden(root, run_cli, hidden, MODEL_FILE, text.count("\n"))


def test_truncated_private_key_body_is_not_echoed(tmp_path, write_repo, run_cli) -> None:
    value = "-----BEGIN PRIVATE KEY-----\n" + PEM_BODY + "\n"
    files, file, line = planted("image", value)
    root = write_repo(tmp_path / "repo", files)
    assert_refused_and_hidden(root, run_cli, PEM_BODY, file, line)


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_validate_manifests_does_not_echo_a_secret(fmt, tmp_path, run_cli) -> None:
    manifest = tmp_path / "deployment.yaml"
    container = {
        "name": "c",
        "image": "nvcr.io/x:1",
        "env": [{"name": "NGC_API_KEY", "value": NGC}],
    }
    manifest.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "d"},
                "spec": {
                    "selector": {"matchLabels": {"app": "d"}},
                    "template": {
                        "metadata": {"labels": {"app": "d"}},
                        "spec": {"containers": [container]},
                    },
                },
            }
        )
    )
    code, out, err = run_cli("validate-manifests", "--policy", "--format", fmt, manifest)
    assert code == 1, out + err
    assert NGC not in out + err
    assert "secret-literal" in out


# --- what generate writes ----------------------------------------------------------------------

CREDENTIAL_NAME = re.compile(r"(?i)(key|token|secret|passw(or)?d|credential)")


def env_vars(node: object):
    """Every item of an ``env:`` list anywhere in a manifest."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "env" and isinstance(value, list):
                yield from value
            else:
                yield from env_vars(value)
    elif isinstance(node, list):
        for item in node:
            yield from env_vars(item)


def strings(node: object):
    if isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, str):
        yield node


def test_generated_manifests_carry_credentials_only_as_secret_key_refs(
    example_repo, run_cli
) -> None:
    code, out, err = run_cli("generate", "--root", example_repo)
    assert code == 0, out + err
    credential_vars = []
    for path in sorted((example_repo / "deploy").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            for var in env_vars(doc):
                if CREDENTIAL_NAME.search(var["name"]):
                    credential_vars.append((path.name, var["name"]))
                    assert "value" not in var, f"{path}: {var['name']} has a literal value"
                    ref = var["valueFrom"]["secretKeyRef"]
                    assert ref["name"] and ref["key"], f"{path}: {var}"
            leaked = [s for s in strings(doc) if classify(s)]
            assert not leaked, f"{path} holds a credential-looking value: {[s[:8] for s in leaked]}"
    assert ("clusterservingruntime.yaml", "NGC_API_KEY") in credential_vars


def test_check_does_not_print_a_file_outside_the_repository_through_deploy(
    tmp_path, write_repo, run_cli
) -> None:
    root = write_repo(tmp_path / "repo", files_for({}))
    assert run_cli("generate", "--root", root)[0] == 0
    outside = tmp_path / "credentials"
    outside.write_text(f"NGC_API_KEY={NGC}\n")
    link = root / "deploy/overlays/dev/kustomization.yaml"
    link.unlink()
    link.symlink_to(outside)
    code, out, err = run_cli("check", "--root", root)
    assert code == 1
    assert NGC not in out + err


# --- keys, more shapes of credential, and args -------------------------------------------------

OPENAI = "sk-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cD0eF3gH6"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEYq2"
PGP = (
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF"
    + "xq3Jd8gKc9PzW1" * 3
    + "\n-----END PGP PRIVATE KEY BLOCK-----"
)
RANDOM_TOKEN = "Zx81kQm2vB7LrT0pYw5sNd3Hc9Jf6Ga4"

# (id, file, text, the part that must never be printed)
MORE_CASES = [
    ("annotation-key", MODEL_FILE, MODEL + f"annotations:\n  {q(NGC)}: x\n", NGC),
    (
        "label-key",
        MODEL_FILE,
        MODEL + f"labels:\n  {q('hf_' + 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456')}: x\n",
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456",
    ),
    ("pod-annotation-key", RUNTIME_FILE, RUNTIME + f"podAnnotations:\n  {q(AWS)}: x\n", AWS),
    (
        "upper-case-url-scheme",
        MODEL_FILE,
        MODEL + f"storageUri: {q('HTTPS://ci:' + RANDOM_TOKEN + '@host/m')}\n",
        RANDOM_TOKEN,
    ),
    (
        "empty-user-name",
        RUNTIME_FILE,
        RUNTIME + f"args: [{q('--cache=redis://:' + RANDOM_TOKEN + '@cache:6379')}]\n",
        RANDOM_TOKEN,
    ),
    ("pgp-private-key", RUNTIME_FILE, RUNTIME + f"args: [{q(PGP)}]\n", "xq3Jd8gKc9PzW1"),
    ("openai-key-in-args", RUNTIME_FILE, RUNTIME + f"args: [{q('--api-key=' + OPENAI)}]\n", OPENAI),
    (
        "flag-then-value-in-args",
        MODEL_FILE,
        MODEL + f"args: [--hf-token, {q(RANDOM_TOKEN)}]\n",
        RANDOM_TOKEN,
    ),
    (
        "aws-secret-in-args",
        MODEL_FILE,
        MODEL + f"args: [{q('--aws-secret-access-key=' + AWS_SECRET)}]\n",
        AWS_SECRET,
    ),
    (
        "aws-secret-in-command",
        RUNTIME_FILE,
        RUNTIME
        + f"command: [sh, -c, {q('AWS_SECRET_ACCESS_KEY=' + AWS_SECRET + ' exec serve')}]\n",
        AWS_SECRET,
    ),
]


@pytest.mark.parametrize(
    ("case", "file", "text", "hidden"), MORE_CASES, ids=[c[0] for c in MORE_CASES]
)
def test_more_credentials_are_refused_and_never_echoed(
    case, file, text, hidden, tmp_path, write_repo, run_cli
) -> None:
    root = write_repo(tmp_path / "repo", files_for({file: text}))
    findings, output = run_everything(root, run_cli, hidden)
    assert hidden not in output, [row for row in output.splitlines() if hidden in row]
    assert [f for f in findings if f["rule"] == "secret-literal" and f["file"] == file], findings
    assert not (root / "deploy").exists()


def test_a_key_that_is_a_credential_is_located_at_the_key_and_redacted_in_the_path(
    tmp_path, write_repo, run_cli
) -> None:
    text = MODEL + f"annotations:\n  {q(NGC)}: x\n"
    root = write_repo(tmp_path / "repo", files_for({MODEL_FILE: text}))
    _, out, _ = run_cli("validate", "--root", root, "--format", "json")
    (found,) = [f for f in json.loads(out)["findings"] if f["rule"] == "secret-literal"]
    assert (found["line"], found["col"]) == (text.count("\n"), 3)
    assert found["path"].startswith("annotations.nvap…") and NGC not in found["path"]


@pytest.mark.parametrize(
    "value",
    [
        "node-role.kubernetes.io/gpu-worker",
        "nvidia.com/gpu.product",
        "--max-model-len=8192",
        "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3@sha256:" + "0" * 64,
        "https://huggingface.co/meta-llama",
        "sk-learn-iris-classifier-v1",
    ],
)
def test_ordinary_values_are_not_credentials(value) -> None:
    from modelserve.validate.secrets import find_in

    assert classify(value) == ""
    assert list(find_in({"taints": [{"key": value, "value": "true"}], "args": [value]})) == []


def test_the_example_catalog_holds_no_credential(example_repo, run_cli) -> None:
    code, out, _ = run_cli("validate", "--root", example_repo, "--format", "json")
    assert not [f for f in json.loads(out)["findings"] if f["rule"] == "secret-literal"]
