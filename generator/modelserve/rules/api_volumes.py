"""Volumes and volume mounts are ones the API server accepts.

Mirrors ``ValidateVolumes`` and ``ValidateVolumeMounts`` of
``pkg/apis/core/validation/validation.go``: a volume name is a DNS-1123 label and unique in the
pod; a mount names a volume of the pod ("not found") and its ``mountPath`` is unique within the
container ("must be unique"). The Deployment KServe derives holds the runtime's volumes patched
with the predictor's (``MergePodSpec``, merged by name) and the runtime container's mounts
patched with the model's (merged by ``mountPath``), so a mount can outlive its volume there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelserve.findings import Severity
from modelserve.rules.base import ObjectSet, Problem, RuleInfo, Scope, mapping, sequence
from modelserve.rules.kubeapi import POD_SPEC_AT, containers, invalid, pod_spec
from modelserve.validate.apimachinery import is_dns1123_label

INFO = RuleInfo(
    "api-volumes",
    Severity.ERROR,
    "Volumes have unique DNS-1123 names and every mount names a volume of the pod",
    "declare the volume in the pod (or the runtime's volumes) under the name the mount uses",
    frozenset({Scope.OBJECT, Scope.DERIVED}),
    kinds=frozenset(POD_SPEC_AT),
)
# The catalog renders one shared-memory volume with its mount: only hand-written objects fail.
EXAMPLES: dict[str, dict[str, str]] = {"fail": {}, "pass": {}}
MANIFEST_EXAMPLES = {
    "kserve": "0.20",
    "fail": """\
apiVersion: v1
kind: Pod
metadata: {name: llama}
spec:
  containers:
    - name: main
      image: nvcr.io/nim/meta/llama:1.3.3
      volumeMounts: [{name: cache, mountPath: /opt/nim/.cache}]
  volumes: [{name: dshm, emptyDir: {medium: Memory}}]
""",
    "pass": """\
apiVersion: v1
kind: Pod
metadata: {name: llama}
spec:
  containers:
    - name: main
      image: nvcr.io/nim/meta/llama:1.3.3
      volumeMounts: [{name: cache, mountPath: /opt/nim/.cache}]
  volumes: [{name: cache, emptyDir: {}}]
""",
}


def check_object(obj: dict[str, Any], objects: ObjectSet) -> Iterator[Problem]:
    found = pod_spec(obj)
    if found is None:
        return
    at, spec = found
    names: set[str] = set()
    for i, volume in enumerate(sequence(spec.get("volumes"))):
        name = mapping(volume).get("name")
        here = at + ("volumes", i, "name")
        if not isinstance(name, str) or not name:
            yield Problem(here, f"volumes[{i}].name: Required value")
            continue
        errors = is_dns1123_label(name)
        if errors:
            yield Problem(here, f"volumes[{i}].name: {invalid(name, errors)}")
        elif name in names:
            yield Problem(here, f'volumes[{i}].name: Duplicate value: "{name}"')
        names.add(name)
    for c_at, container in containers(spec, at):
        paths: set[str] = set()
        for m, mount in enumerate(sequence(container.get("volumeMounts"))):
            mount = mapping(mount)
            here = c_at + ("volumeMounts", m)
            name, path = mount.get("name"), mount.get("mountPath")
            if isinstance(name, str) and name not in names:
                yield Problem(here + ("name",), f'volumeMounts[{m}].name: Not found: "{name}"')
            if isinstance(path, str):
                if path in paths:
                    yield Problem(
                        here + ("mountPath",),
                        f'volumeMounts[{m}].mountPath: Invalid value: "{path}": must be unique',
                    )
                paths.add(path)
