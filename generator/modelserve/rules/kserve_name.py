"""InferenceService names are ones KServe's webhook admits.

Mirrors ``validateInferenceServiceName`` of the InferenceService validating webhook
(``pkg/apis/serving/v1beta1/inference_service_validation.go``, every supported release): the
name must match ``IsvcRegexp``, ``^[a-z]([-a-z0-9]*[a-z0-9])?$``. That is stricter than the
API server's DNS-1123 names: a name may not start with a digit nor hold a dot, so
``1-llama`` and ``llama.3`` pass the API server and are refused by KServe. The shipped
InferenceService schema (``schemas/kinds/``) carries the same pattern; this rule is what refuses
such a name when a schema store's imported CRD, which lacks it, takes precedence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping

INFO = RuleInfo(
    "kserve-name",
    Severity.ERROR,
    "InferenceService names start with a letter and hold only a-z, 0-9 and '-'",
    "rename the model: lower-case letters, digits and '-', starting with a letter",
    frozenset({Scope.OBJECT}),
    kinds=frozenset({"InferenceService"}),
)
# Model names are DNS labels starting with a letter in the catalog's schema, so no catalog
# fails: the failing example is a hand-written manifest (KServe's TestRejectBadNameIncludeDot).
EXAMPLES: dict[str, dict[str, str]] = {"fail": {}, "pass": {}}
MANIFEST_EXAMPLES = {
    "kserve": "0.20",
    # validated against KServe's own CRD (imported into a store), which has no name pattern
    "store": "serving.kserve.io_inferenceservices.yaml",
    "fail": """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: abc.123
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
""",
    "pass": """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: abc-123
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
""",
}

ISVC_NAME_FORMAT = "[a-z]([-a-z0-9]*[a-z0-9])?"
ISVC_NAME = re.compile(ISVC_NAME_FORMAT)  # fullmatch: Go's $ does not match before a newline


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    if obj.get("kind") != "InferenceService":
        return
    name = mapping(obj.get("metadata")).get("name")
    if isinstance(name, str) and not ISVC_NAME.fullmatch(name):
        yield Problem(
            ("metadata", "name"),
            f'KServe {objects.kserve} refuses InferenceService "{name}": a InferenceService name '
            "must consist of lower case alphanumeric characters or '-', and must start with "
            f"alphabetical character (regex used for validation is '{ISVC_NAME_FORMAT}')",
        )
