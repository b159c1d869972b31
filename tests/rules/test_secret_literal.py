"""secret-literal: credentials written as literal values are found, and never repeated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelserve.rules.examples import ENVIRONMENT, RUNTIME, files_for
from tests.rules.rulekit import ENV_FILE, RUNTIME_FILE, check_files, line_of

# ---------------------------------------------------------------------------------------------
# secret-literal


PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)
SECRETS = [
    ("NIM_SETTING", "nvapi-Qm2vB7LrT0pYw5sNd3Hc9Jf6Ga4Ue1Xi8KoZx81", "an NGC API key"),
    ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", "an AWS access key"),
    ("SSH_IDENTITY", PRIVATE_KEY, "a private key"),
    ("AUTH_HEADER", "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0", "a bearer token"),
    ("HF_HUB", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "a Hugging Face token"),
    ("MY_SERVICE_TOKEN", "q8Zt3LmX0vR7pWk2Jd9FhN4c", "a random value for MY_SERVICE_TOKEN"),
]


def _runtime_env(name: str, value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar, newlines and all.
    return RUNTIME + f"  - name: {name}\n    value: {json.dumps(value)}\n"


@pytest.mark.parametrize("name, secret, label", SECRETS, ids=[s[2] for s in SECRETS])
def test_secret_literal_is_found_and_never_repeated(
    name: str, secret: str, label: str, tmp_path: Path, write_repo: Any
) -> None:
    runtime = _runtime_env(name, secret)
    [finding] = check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "secret-literal")
    assert (finding.file, finding.line, finding.path) == (
        RUNTIME_FILE,
        line_of(runtime, "    value: "),
        "env[1].value",
    )
    assert label in finding.message
    shown = " ".join((finding.message, finding.hint, finding.path, finding.subject))
    assert secret not in shown and secret.strip()[4:] not in shown


def test_secret_literal_in_an_environment_override(tmp_path: Path, write_repo: Any) -> None:
    token = "hf_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210"
    env = ENVIRONMENT + f"    env:\n      - name: HF_TOKEN\n        value: {token}\n"
    [finding] = check_files(write_repo, tmp_path, {ENV_FILE: env}, "secret-literal")
    assert (finding.file, finding.line) == (
        ENV_FILE,
        line_of(env, token),
    ) and token not in finding.message


@pytest.mark.parametrize(
    "name, value",
    [
        ("NIM_CACHE_PATH", "/tmp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel-collector.monitoring.svc:4317/v1/traces"),
        ("NIM_MODEL_PROFILE", "tensorrt_llm-h100-bf16-tp1-throughput"),
        ("HF_HUB_OFFLINE", "1"),
        ("NGC_API_KEY_NAME", "NGC_API_KEY"),
    ],
)
def test_ordinary_values_are_not_secrets(
    name: str, value: str, tmp_path: Path, write_repo: Any
) -> None:
    assert (
        check_files(
            write_repo, tmp_path, {RUNTIME_FILE: _runtime_env(name, value)}, "secret-literal"
        )
        == []
    )


def test_a_secret_reference_is_never_a_secret(tmp_path: Path, write_repo: Any) -> None:
    runtime = RUNTIME.replace("key: NGC_API_KEY}", "key: HUGGING_FACE_HUB_TOKEN}")
    assert check_files(write_repo, tmp_path, {RUNTIME_FILE: runtime}, "secret-literal") == []


def test_secret_never_reaches_the_cli_report(tmp_path: Path, write_repo: Any, run_cli: Any) -> None:
    name, secret, _ = SECRETS[0]
    root = write_repo(tmp_path, files_for({RUNTIME_FILE: _runtime_env(name, secret)}))
    for fmt in ("text", "json", "github", "sarif"):
        code, out, err = run_cli("validate", "--root", root, "--no-cache", "--format", fmt)
        assert code == 1 and "secret-literal" in out
        assert secret not in out + err and secret[8:] not in out + err
