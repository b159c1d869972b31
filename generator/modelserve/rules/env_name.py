"""An environment's ``name`` equals its file name.

The name becomes the output folder (deploy/overlays/<name>), file names in
deploy/clusters/<cluster>/modelserve/ and the Flux Kustomization names; a copied file that keeps
the old name would silently overwrite the other environment's output.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT

INFO = RuleInfo(
    "env-name-file",
    Severity.ERROR,
    "Environment name equals its file name",
    "rename the file or change 'name' so they agree",
)
EXAMPLES = {
    "fail": {"environments/dev.yaml": ENVIRONMENT.replace("name: dev\n", "name: develop\n")},
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    for env in sorted(ctx.catalog.environments.values(), key=lambda e: e.name):
        stem = PurePosixPath(env.source.file).stem
        if env.name != stem:
            yield INFO.at(
                env.source,
                ("name",),
                f"environment '{env.name}' is in {env.source.file}; the file name "
                f"and the name must agree",
                hint=f"write name: {stem}, or rename the file to {env.name}.yaml",
            )
