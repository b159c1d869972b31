"""The deploymentMode annotation names a mode the environment's KServe release knows.

KServe's controller reads ``serving.kserve.io/deploymentMode`` in ``GetDeploymentMode``
(``pkg/controller/v1beta1/inferenceservice/utils/utils.go``): a value it does not know is
ignored and the InferenceService runs in the cluster's default mode
(``deploy.defaultDeploymentMode`` of the inferenceservice-config ConfigMap; the shipped
config/configmap/inferenceservice.yaml says Serverless).
v0.15 knows ``RawDeployment``, ``Serverless`` and ``ModelMesh``; v0.16.0 added ``Standard`` and
``Knative`` (``pkg/constants/constants.go``) and keeps the old names as deprecated aliases. So
``Standard`` on a v0.15 cluster is silently a Knative service (an error here); the deprecated
``RawDeployment`` on v0.16 and later still deploys raw (a warning): v0.16's webhook validates
its autoscaling as Knative's (``validateAutoScalingCompExtension`` matches ``Standard`` only),
and from v0.17 the defaulting webhook rewrites it to ``Standard`` first. ``generate`` spells
the environment's ``deploymentMode`` as its release does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping

INFO = RuleInfo(
    "kserve-deployment-mode",
    Severity.ERROR,
    "The deploymentMode annotation is one the environment's KServe release knows",
    "set platform.kserve to the release the cluster runs; write Standard or Knative from v0.16, "
    "RawDeployment or Serverless before",
    frozenset({Scope.OBJECT}),
    kinds=frozenset({"InferenceService"}),
)
# generate always spells the mode as the environment's release does, so no catalog fails:
# the failing example is a hand-written manifest, for validate-manifests --policy.
EXAMPLES: dict[str, dict[str, str]] = {"fail": {}, "pass": {}}
MANIFEST_EXAMPLES = {
    "kserve": "0.15",
    "fail": """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: sklearn-iris
  annotations:
    serving.kserve.io/deploymentMode: Standard
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
  name: sklearn-iris
  annotations:
    serving.kserve.io/deploymentMode: RawDeployment
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
""",
}

MODE = "serving.kserve.io/deploymentMode"
LEGACY = {"RawDeployment": "Standard", "Serverless": "Knative"}


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    if obj.get("kind") != "InferenceService":
        return
    meta = mapping(obj.get("metadata"))
    notes = mapping(meta.get("annotations"))
    mode = notes.get(MODE)
    if mode is None:
        return
    if not isinstance(mode, str):
        yield Problem(("metadata", "annotations", MODE), "an annotation value must be a string")
        return
    kserve = objects.kserve
    pointer = ("metadata", "annotations", MODE)
    if mode not in kserve.deployment_modes:
        known = ", ".join(sorted(kserve.deployment_modes))
        yield Problem(
            pointer,
            f"KServe {kserve} does not know deploymentMode '{mode}' (it knows {known}): it "
            "ignores the annotation and runs the InferenceService in the cluster's default mode",
        )
    elif kserve.at_least(16) and mode in LEGACY:
        why = (
            "KServe 0.16's webhook validates its autoscaling as Knative's"
            if not kserve.at_least(17)
            else "KServe rewrites it on admission"
        )
        yield Problem(
            pointer,
            f"deploymentMode '{mode}' is deprecated since KServe 0.16 "
            f"(use '{LEGACY[mode]}'); {why}",
            Severity.WARNING,
        )
