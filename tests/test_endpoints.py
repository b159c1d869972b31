"""modelserve endpoints: URLs as KServe names the predictor Service, request paths and served
model names per runtime family, gRPC where the Service offers h2c, the AIDB SQL (parsed by
PostgreSQL's own parser through pglast), and the rule endpoint-name-unique."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pglast
import pytest
import yaml

from modelserve.rules.examples import ENVIRONMENT, MODEL, RUNTIME
from tests.helpers import PROJECT, run_cli
from tests.rules.rulekit import ENV_FILE, MODEL_FILE, RUNTIME_FILE, check_files, line_of


def endpoints_of(root: Path, *args: str) -> dict[tuple[str, str], dict[str, Any]]:
    code, out, err = run_cli("endpoints", "--root", root, "--format", "json", *args)
    assert code == 0, err
    return {(e["environment"], e["model"]): e for e in json.loads(out)["endpoints"]}


def test_the_example_per_runtime_family() -> None:
    found = endpoints_of(PROJECT)
    nim = found[("prod", "llama-3-1-8b-instruct")]
    host = "llama-3-1-8b-instruct-predictor.models-prod.svc.cluster.local"
    assert nim["url"] == f"http://{host}" and nim["service"] == host.split(".")[0]
    assert nim["openaiBaseUrl"] == f"http://{host}/v1"
    assert nim["requestUrl"] == f"http://{host}/v1/chat/completions"
    # the NIM's own name, from its image (prod mirrors it: the end of the path still names it)
    assert nim["servedModelName"] == "meta/llama-3.1-8b-instruct"
    assert (nim["aidbProvider"], nim["apiKeySecret"], nim["grpc"]) == (
        "openai_completions",
        None,
        None,  # grpc-v2 is declared, but no port serves it: the Service offers no h2c port
    )
    rerank = found[("prod", "nv-rerankqa-1b")]
    assert rerank["requestUrl"].endswith("/v1/ranking")
    assert rerank["servedModelName"] == "nvidia/llama-3.2-nv-rerankqa-1b-v2"
    assert rerank["aidbProvider"] == "nim_reranking"
    # KServe's Hugging Face server: /openai routes, the name from --model_name={{.Name}}
    hf = found[("dev", "qwen2-5-7b-instruct")]
    assert hf["openaiBaseUrl"].endswith(".models-dev.svc.cluster.local/openai/v1")
    assert hf["servedModelName"] == "qwen2-5-7b-instruct"
    sklearn = found[("dev", "sklearn-iris")]
    assert sklearn["requestUrl"].endswith("/v1/models/sklearn-iris:predict")
    assert (sklearn["api"], sklearn["openaiBaseUrl"], sklearn["aidbProvider"]) == (
        "open-inference",
        None,
        None,
    )
    assert found[("prod", "paddleocr")]["requestUrl"].endswith("/v1/infer")


def test_markdown_names_every_model_once_per_environment() -> None:
    code, out, _ = run_cli("endpoints", "--root", PROJECT, "--env", "staging")
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    staging = [e.model for e in _example_entries("staging")]
    assert [row.split("`")[1] for row in rows] == staging
    assert "### `staging`" in out and "### `prod`" not in out


def _example_entries(env: str) -> list[Any]:
    from modelserve.load.repository import Repository, load_repository

    return list(load_repository(Repository(PROJECT)).catalog.environments[env].entries)


def test_unknown_environment_exits_2(tmp_path: Path) -> None:
    code, out, err = run_cli("endpoints", "--root", PROJECT, "--env", "prd")
    assert (code, out) == (2, "")
    assert "no environment 'prd'" in err and "prod" in err


def test_grpc_where_the_service_offers_h2c(tmp_path: Path, write_repo: Any) -> None:
    runtime = RUNTIME.replace(
        "    containerPort: 8000\n",
        "    containerPort: 8000\n  - name: grpc\n    containerPort: 8001\n",
    )
    root = write_repo(tmp_path, {RUNTIME_FILE: runtime, MODEL_FILE: MODEL, ENV_FILE: ENVIRONMENT})
    [found] = endpoints_of(root).values()
    assert found["grpc"] == "llama-predictor.models.svc.cluster.local:8001"


def parse(script: str) -> list[Any]:
    return [raw.stmt for raw in pglast.parse_sql(script)]


def create_model_arguments(statement: Any) -> dict[str, Any]:
    """name => value of a parsed ``SELECT aidb.create_model(...)``."""
    [target] = statement.targetList
    call = target.val
    assert [n.sval for n in call.funcname] == ["aidb", "create_model"]
    values = {}
    for arg in call.args:
        value = arg.arg
        if type(value).__name__ == "TypeCast":  # 'text'::jsonb
            assert [n.sval for n in value.typeName.names][-1] == "jsonb"
            value = value.arg
        values[arg.name] = value.val.sval
    return values


def test_the_sql_parses_and_registers_each_aidb_model() -> None:
    code, out, _ = run_cli("endpoints", "--root", PROJECT, "--env", "prod", "--format", "sql")
    assert code == 0
    statements = parse(out)
    assert type(statements[0]).__name__ == "VariableSetStmt"
    calls = [create_model_arguments(s) for s in statements[1:]]
    found = endpoints_of(PROJECT, "--env", "prod")
    registrable = [e for e in found.values() if e["aidbProvider"]]
    assert len(calls) == len(registrable) == 4
    for call, endpoint in zip(calls, registrable, strict=True):
        assert call["name"] == endpoint["name"]
        assert call["provider"] == endpoint["aidbProvider"]
        assert json.loads(call["config"]) == {
            "model": endpoint["servedModelName"],
            "url": endpoint["requestUrl"],
        }
    assert "-- prod/nvclip: vision (nim API) has no AIDB 7 provider; skipped" in out


HOSTILE = "x'); DROP TABLE aidb.models; --\\'\n-- \u00e9"


def test_hostile_values_stay_inside_their_literals(tmp_path: Path, write_repo: Any) -> None:
    """A served name from the catalog with quotes, a backslash, a newline and non-ASCII: the
    script still parses to the same statements, and the value comes back exactly."""
    model = (
        MODEL
        + "task: chat\n"
        + "env:\n  - name: NIM_SERVED_MODEL_NAME\n    value: "
        + json.dumps(HOSTILE)
        + "\n"
        + "endpoint:\n  apiKeySecret: {name: gateway-key, key: token}\n"
    )
    root = write_repo(tmp_path, {RUNTIME_FILE: RUNTIME, MODEL_FILE: model, ENV_FILE: ENVIRONMENT})
    code, out, _ = run_cli("endpoints", "--root", root, "--format", "sql")
    assert code == 0
    statements = parse(out)
    assert len(statements) == 2
    call = create_model_arguments(statements[1])
    assert json.loads(call["config"])["model"] == HOSTILE
    assert call["credential"] == "gateway-key"
    assert "Secret models/gateway-key (key token), with endpoint llama-predictor.models.svc." in out


def test_knative_mode_reads_the_catalog_container(tmp_path: Path, write_repo: Any) -> None:
    """Knative mode is not derived: the served name still comes from the runtime's args, its
    ``{{.Name}}`` being the InferenceService's name, as KServe replaces it."""
    runtime = RUNTIME.replace(
        "image: nvcr.io/nim/meta/llama-3.1-8b-instruct", "image: docker.io/kserve/huggingfaceserver"
    ).replace("ports:", "args: ['--model_name={{.Name}}']\nports:")
    env = ENVIRONMENT + "deploymentMode: Knative\n"
    root = write_repo(tmp_path, {RUNTIME_FILE: runtime, MODEL_FILE: MODEL, ENV_FILE: env})
    [found] = endpoints_of(root).values()
    assert (found["servedModelName"], found["openaiBaseUrl"]) == (
        "llama",
        "http://llama-predictor.models.svc.cluster.local/openai/v1",
    )


def test_the_environment_names_the_endpoint(tmp_path: Path, write_repo: Any) -> None:
    env = ENVIRONMENT.replace(
        "    profile: h100\n", "    profile: h100\n    endpoint: {name: chat}\n"
    )
    root = write_repo(tmp_path, {RUNTIME_FILE: RUNTIME, MODEL_FILE: MODEL, ENV_FILE: env})
    [found] = endpoints_of(root).values()
    assert (found["name"], found["model"]) == ("chat", "llama")


def test_the_schema_refuses_a_name_sql_or_shells_would_misread(
    tmp_path: Path, write_repo: Any
) -> None:
    model = MODEL + 'endpoint: {name: "it\'s"}\n'
    root = write_repo(tmp_path, {RUNTIME_FILE: RUNTIME, MODEL_FILE: model, ENV_FILE: ENVIRONMENT})
    code, out, _ = run_cli("validate", "--root", root, "--format", "text", "--no-cache")
    assert code == 1
    assert f"{MODEL_FILE}:{line_of(model, 'endpoint:')}:" in out and "endpoint.name" in out


# ---------------------------------------------------------------------------------------------
# endpoint-name-unique

SECOND = MODEL.replace("name: llama\n", "name: llama-copy\n")
TWO = ENVIRONMENT + "  - model: llama-copy\n    profile: h100\n"


@pytest.mark.parametrize(
    "second, env, fails",
    [
        (SECOND, TWO, False),
        (SECOND + "endpoint: {name: llama}\n", TWO, True),
        (SECOND + "endpoint: {name: other}\n", TWO, False),
        (SECOND, TWO + "    endpoint: {name: llama}\n", True),
    ],
    ids=["own-names", "catalog-collides", "catalog-differs", "environment-collides"],
)
def test_endpoint_names_unique(
    second: str, env: str, fails: bool, tmp_path: Path, write_repo: Any
) -> None:
    files = {"catalog/models/llama-copy.yaml": second, ENV_FILE: env}
    found = check_files(write_repo, tmp_path, files, "endpoint-name-unique")
    if not fails:
        assert found == []
        return
    [finding] = found
    if "endpoint: {name: llama}\n" in env:
        assert (finding.file, finding.line) == (ENV_FILE, line_of(env, "endpoint: {name"))
    else:
        assert finding.file == "catalog/models/llama-copy.yaml"
        assert finding.line == line_of(second, "endpoint:")
    assert "already model 'llama''s" in finding.message


# ---------------------------------------------------------------------------------------------
# endpoints.configMap: in-cluster discovery, generated into deploy/


def configmap_endpoints(root: Path, env: str = "prod") -> list[dict[str, Any]]:
    path = root / "deploy" / "shared" / "onprem-prod-1" / f"endpoints-{env}.yaml"
    [doc] = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert (doc["kind"], doc["metadata"]["namespace"]) == ("ConfigMap", "models-prod")
    return list(json.loads(doc["data"]["endpoints.json"])["endpoints"])


def test_the_configmap_holds_what_the_command_prints() -> None:
    """The example's prod asks for one; Kustomize builds it in the cluster's shared root."""
    printed = list(endpoints_of(PROJECT, "--env", "prod").values())
    assert configmap_endpoints(PROJECT) == printed
    kustomization = yaml.safe_load(
        (PROJECT / "deploy/shared/onprem-prod-1/kustomization.yaml").read_text()
    )
    assert "endpoints-prod.yaml" in kustomization["resources"]


def test_a_model_change_is_drift_of_the_configmap(example_repo: Path) -> None:
    """Renaming an endpoint in a catalog file changes the ConfigMap: `check` reports deploy/
    stale until `generate` writes it, and validate's cache keys the shared root on the file."""
    code, _, err = run_cli("generate", "--root", example_repo)
    assert code == 0, err
    model = example_repo / "catalog/models/arctic-embed-l.yaml"
    model.write_text(model.read_text() + "endpoint: {name: embedder}\n")
    code, out, err = run_cli("check", "--root", example_repo)
    assert code == 1 and "endpoints-prod.yaml" in out + err
    code, _, err = run_cli("generate", "--root", example_repo)
    assert code == 0, err
    names = {e["model"]: e["name"] for e in configmap_endpoints(example_repo)}
    assert names["arctic-embed-l"] == "embedder"

    from modelserve.deploy.tree import build_tree
    from modelserve.load.repository import Repository, load_repository

    catalog = load_repository(Repository(example_repo)).catalog
    [shared] = [r for r in build_tree(catalog).roots if r.path == "shared/onprem-prod-1"]
    assert "catalog/models/arctic-embed-l.yaml" in shared.sources
