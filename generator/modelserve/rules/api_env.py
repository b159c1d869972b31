"""Container environment variables are ones the API server accepts.

Mirrors ``validateEnv`` of ``pkg/apis/core/validation/validation.go``: a name is required and
must be an environment variable name (the strict C-identifier-like form, relaxed to any
printable ASCII but ``=`` when the ``RelaxedEnvironmentVariableValidation`` feature is on by
default; the environment's ``kubernetesVersion`` decides), and a variable has ``value`` or
``valueFrom``, never both (``validateEnvVarValueFrom``). The second happens without anyone
writing it: KServe up to v0.19 merges a model's ``secretKeyRef`` onto a runtime variable of the
same name that has a ``value`` and keeps both (``MergeRuntimeContainers``); v0.20 keeps the
model's choice (``reconcileEnvValueConflicts``, ``pkg/utils/container_merge.go``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping, sequence
from modelserve.rules.examples import ENVIRONMENT, MODEL, RUNTIME
from modelserve.rules.kubeapi import POD_SPEC_AT, containers, invalid, pod_spec
from modelserve.validate.apimachinery import is_env_var_name, mirrored_version

INFO = RuleInfo(
    "api-env",
    Severity.ERROR,
    "Container environment variables have valid names and one of value or valueFrom",
    "rename the variable, or give it either value or valueFrom (a model's secretKeyRef on a "
    "runtime variable with a value needs KServe 0.20, or a different name)",
    frozenset({Scope.OBJECT, Scope.DERIVED}),
    kinds=frozenset(POD_SPEC_AT),
)
_RUNTIME_TOKEN = RUNTIME + "  - name: HF_TOKEN\n    value: none\n"
_MODEL_TOKEN = MODEL + "env:\n  - name: HF_TOKEN\n    secretKeyRef: {name: hf, key: token}\n"
EXAMPLES = {
    "fail": {
        "catalog/runtimes/vllm-runtime.yaml": _RUNTIME_TOKEN,
        "catalog/models/llama.yaml": _MODEL_TOKEN,
        "environments/dev.yaml": ENVIRONMENT.replace('kserve: "0.20"', 'kserve: "0.19"'),
    },
    "pass": {
        "catalog/runtimes/vllm-runtime.yaml": _RUNTIME_TOKEN,
        "catalog/models/llama.yaml": _MODEL_TOKEN,
    },
}
MANIFEST_EXAMPLES = {
    "kserve": "0.20",
    "fail": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: llama}
spec:
  selector: {matchLabels: {app: llama}}
  template:
    metadata: {labels: {app: llama}}
    spec:
      containers:
        - name: main
          image: nvcr.io/nim/meta/llama:1.3.3
          env:
            - {name: "", value: "x"}
""",
    "pass": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: llama}
spec:
  selector: {matchLabels: {app: llama}}
  template:
    metadata: {labels: {app: llama}}
    spec:
      containers:
        - name: main
          image: nvcr.io/nim/meta/llama:1.3.3
          env:
            - {name: MODE, value: "x"}
""",
}


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    found = pod_spec(obj)
    if found is None:
        return
    for at, container in containers(found[1], found[0]):
        for i, entry in enumerate(sequence(container.get("env"))):
            entry = mapping(entry)
            here = at + ("env", i)
            name = entry.get("name")
            if not name:
                yield Problem(here + ("name",), f"env[{i}].name: Required value")
            elif isinstance(name, str):
                errors = is_env_var_name(name, mirrored_version(objects.kubernetes_version))
                if errors:
                    yield Problem(here + ("name",), f"env[{i}].name: {invalid(name, errors)}")
            if entry.get("value") and entry.get("valueFrom"):
                yield Problem(
                    here + ("valueFrom",),
                    f'env[{i}].valueFrom: Invalid value: "": may not be specified when `value` '
                    f"is not empty (variable {name}: KServe {objects.kserve} merged the model's "
                    "valueFrom onto the runtime's value)"
                    if objects.rendered
                    else f'env[{i}].valueFrom: Invalid value: "": may not be specified when '
                    "`value` is not empty",
                )
