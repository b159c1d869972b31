"""A KEDA ScaledObject has at least one trigger.

For autoscaler class ``keda`` KServe builds a ScaledObject whose triggers are the predictor's
``autoScaling.metrics`` (``createKedaScaledObject`` and ``getKedaMetrics``,
``pkg/controller/v1beta1/inferenceservice/reconcilers/keda/keda_reconciler.go``, v0.15-v0.20);
without metrics the list is empty and sent as ``null``. KEDA's CRD requires ``spec.triggers``
(``config/crd/bases/keda.sh_scaledobjects.yaml`` of github.com/kedacore/keda; the API server
prunes a null it does not allow, so the field is missing) and from KEDA 2.14 its admission webhook
refuses an empty list (``ValidateTriggers``, ``apis/keda/v1alpha1/scaletriggers_types.go``: "no
triggers defined in the ScaledObject/ScaledJob"). KServe's reconcile then fails on every pass and
the InferenceService never becomes ready. Hand-written ScaledObjects are checked the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping, sequence
from modelserve.rules.examples import MODEL

INFO = RuleInfo(
    "keda-triggers",
    Severity.ERROR,
    "A KEDA ScaledObject, KServe's for class keda included, has at least one trigger",
    "give autoscaling a metric of the runtime family (requestsRunning, queueDepth, "
    "kvCacheUsage) for class keda, or use class hpa",
    frozenset({Scope.OBJECT, Scope.DERIVED}),
    kinds=frozenset({"ScaledObject"}),
)
EXAMPLES = {
    "fail": {"catalog/models/llama.yaml": MODEL + "autoscaling: {class: keda}\n"},
    "pass": {"catalog/models/llama.yaml": MODEL + "autoscaling: {class: hpa}\n"},
}
MANIFEST_EXAMPLES = {
    "kserve": "0.20",
    "fail": """\
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: llama-predictor}
spec:
  scaleTargetRef: {name: llama-predictor}
  triggers: []
""",
    "pass": """\
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: llama-predictor}
spec:
  scaleTargetRef: {name: llama-predictor}
  triggers:
    - type: cpu
      metricType: Utilization
      metadata: {value: "80"}
""",
}


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    if obj.get("kind") != "ScaledObject" or str(obj.get("apiVersion", "")).split("/")[0] != (
        "keda.sh"
    ):
        return
    if not sequence(mapping(obj.get("spec")).get("triggers")):
        name = mapping(obj.get("metadata")).get("name", "")
        yield Problem(
            ("spec", "triggers"),
            f"ScaledObject {name} has no trigger: KEDA's CRD requires spec.triggers and KEDA "
            "2.14+ refuses an empty list ('no triggers defined in the ScaledObject/ScaledJob'), "
            "so KServe's reconcile fails and the model never becomes ready",
        )
