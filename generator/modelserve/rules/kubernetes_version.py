"""An environment's kubernetesVersion is one whose API schemas are bundled.

Rendered objects are validated against the strict Kubernetes schemas ``kubernetes-validate``
ships per minor release. A version it does not ship is validated against the nearest older
one (``validate.kubeschemas.pick_kubernetes_version``): fields added since are refused as
unknown, which is a warning to read; a version older than every bundled one is validated
against a newer API, which accepts fields that cluster does not have: an error, since "valid"
would not mean valid there.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT

INFO = RuleInfo(
    "kubernetes-version",
    Severity.ERROR,
    "kubernetesVersion is a release whose schemas are bundled",
    "set kubernetesVersion to the cluster's minor version within the bundled range, or "
    "upgrade kubernetes-validate",
)
EXAMPLES = {
    "fail": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            'kubernetesVersion: "1.33"', 'kubernetesVersion: "1.3"'
        )
    },
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    from modelserve.validate.kubeschemas import available_kubernetes_versions

    available = available_kubernetes_versions()
    if not available:
        return  # no core schemas at all: the schema store says so once
    first, last = available[0], available[-1]
    bundled = f"{first[0]}.{first[1]} to {last[0]}.{last[1]}"
    for env in sorted(ctx.catalog.environments.values(), key=lambda e: e.name):
        major, _, minor = env.kubernetes_version.partition(".")
        version = (int(major), int(minor))
        if version in available:
            continue
        if version < first:
            yield INFO.at(
                env.source,
                ("kubernetesVersion",),
                f"Kubernetes {env.kubernetes_version} is older than every bundled schema "
                f"({bundled}): objects would be checked against a newer API",
            )
        else:
            older = [v for v in available if v <= version][-1]
            yield INFO.at(
                env.source,
                ("kubernetesVersion",),
                f"Kubernetes {env.kubernetes_version} schemas are not bundled ({bundled}); "
                f"objects are checked against {older[0]}.{older[1]}",
                severity=Severity.WARNING,
            )
