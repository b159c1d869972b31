"""modelserve init [DIR]: a new GitOps repository, ready to commit.

It holds one commented example of each input (a runtime, a model, an environment), the input
schemas where their modelines point (``schemas/``, as ``schemas export`` writes them), a
``.pre-commit-config.yaml`` using this project's hooks pinned to the installed version, a CI
workflow and a ``.gitignore``. A file that is already there is never overwritten: it is kept
and named, so re-running ``init`` only adds what is missing.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from modelserve import __version__
from modelserve.atomic import write_atomic
from modelserve.commands import common
from modelserve.errors import EXIT_OK, ConfigError
from modelserve.load.shipped import input_schema_texts
from modelserve.report.display import one_line
from modelserve.report.emit import emit_json, resolve_format
from modelserve.report.ruledocs import REPOSITORY

SKLEARN_DIGEST = "2b1873a4c6af902f092729cfac78353897d1ed08f4a091625c0da2162b568418"

RUNTIME = """\
# yaml-language-server: $schema=../../schemas/runtime.schema.json
# A model server image: becomes a ClusterServingRuntime (`modelserve rules` lists the checks).
name: kserve-sklearnserver-0.20.0
description: KServe's scikit-learn server, CPU only.
image: docker.io/kserve/sklearnserver:v0.20.0@sha256:{SKLEARN_DIGEST}
modelFormats:
  - name: sklearn
    version: "1"
    priority: 1
protocolVersions: [v1, v2]
args:
  - --model_name={{.Name}}
metrics:                       # what the ServiceMonitor scrapes
  port: 8080
  path: /metrics
readiness:
  path: /v1/models/{{.Name}}
resources:
  cpu: "1"
  memory: 2Gi
"""

MODEL = """\
# yaml-language-server: $schema=../../schemas/model.schema.json
# A model: its runtime, format, weights and size. GPU models add gpu: {count: 1} and size.
name: sklearn-iris
description: The KServe quick-start classifier.
owners: [platform@example.com]
runtime: kserve-sklearnserver-0.20.0
format:
  name: sklearn
  version: "1"
task: predictive
protocolVersion: v1
storageUri: gs://kfserving-examples/models/sklearn/1.0/model
replicas:
  min: 1
  max: 1
"""

ENVIRONMENT = """\
# yaml-language-server: $schema=../schemas/environment.schema.json
# One environment: a cluster and namespace, its GPU pools, and the models it runs.
name: dev
description: The first environment; copy this file for staging and prod.
cluster: dev-cluster
namespace: models-dev
kubernetesVersion: "1.33"
platform:
  kserve: "0.20"
  # kserveInstall: {kind: HelmRelease, name: kserve}   # what the runtimes wait for
flux:
  sourceRef:
    kind: GitRepository
    name: flux-system
monitoring:
  labels: {release: kube-prometheus-stack}   # what your Prometheus selects monitors by
registry:
  allowed: [docker.io, nvcr.io]
# gpuProfiles:                 # node pools as they are; tolerations and affinity come from them
#   l4:
#     nodeLabels: {cloud.google.com/gke-accelerator: nvidia-l4}
#     taints: [{key: nvidia.com/gpu, value: present, effect: NoSchedule}]
#     gpusPerNode: 2
#     gpuMemoryGiB: 24
#     nodes: 2
models:
  - model: sklearn-iris
"""

GITIGNORE = """\
# modelserve's build cache and scratch folders
.modelserve-cache/
.deploy.*
"""


def workflow(hook_repo: str, rev: str) -> str:
    """The CI workflow: one call of the reusable workflow of the hooks' repository, at the same
    tag (any other repository: this project's)."""
    found = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?", hook_repo)
    owner_name = found.group(1) if found else REPOSITORY.removeprefix("https://github.com/")
    return f"""\
# Every pull request: the hooks, deploy/ drift, validation as annotations on the changed lines,
# and the rendered diff as one sticky comment (modelserve's reusable workflow; its inputs are
# documented at the top of that file).
name: modelserve
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
  pull-requests: write  # the diff comment
jobs:
  modelserve:
    uses: {owner_name}/.github/workflows/modelserve.yml@{rev}
"""


def precommit_config(hook_repo: str, rev: str) -> str:
    return f"""\
# modelserve's hooks, pinned to the release that wrote this file (`modelserve init`).
repos:
  - repo: {hook_repo}
    rev: {rev}
    hooks:
      # modelserve-validate installs the in-process Kustomize engine into its environment at
      # its first run (linux-amd64); elsewhere it builds with kustomize or kubectl from PATH.
      # Its summary line names the engine that ran.
      - id: modelserve-validate
      - id: modelserve-check
"""


@dataclass(frozen=True)
class InitOptions:
    folder: Path
    hook_repo: str
    rev: str
    format: str


def add_parser(sub: common.Subparsers, name: str) -> None:
    parser = common.add_command(
        sub,
        name,
        "start a GitOps repository: example catalog, schemas, hooks, CI",
        ["modelserve init gitops", "cd gitops && git init && modelserve generate"],
        exits="0 written (existing files kept), 2 usage",
    )
    parser.add_argument("folder", nargs="?", type=Path, default=Path("."), help="where")
    parser.add_argument(
        "--hook-repo", default=REPOSITORY, help="the hooks' repository in .pre-commit-config.yaml"
    )
    parser.add_argument(
        "--rev", default=f"v{__version__}", help="the hooks' tag (default: this release's)"
    )
    common.add_format(parser, ("auto", "text", "json"))


def from_args(args: argparse.Namespace) -> InitOptions:
    return InitOptions(args.folder, args.hook_repo, args.rev, args.format)


def write_new(folder: Path, files: dict[str, str]) -> tuple[list[str], list[str]]:
    """Write the files that are not there; (written, kept) relative paths."""
    written, kept = [], []
    for rel, text in files.items():
        target = folder / rel
        if target.exists() or target.is_symlink():
            kept.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text)
        written.append(rel)
    return written, kept


def run(options: InitOptions) -> int:
    folder = options.folder
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} exists and is not a folder")
    files = {
        "catalog/runtimes/kserve-sklearnserver-0.20.0.yaml": RUNTIME.replace(
            "{SKLEARN_DIGEST}", SKLEARN_DIGEST
        ),
        "catalog/models/sklearn-iris.yaml": MODEL,
        "environments/dev.yaml": ENVIRONMENT,
        ".pre-commit-config.yaml": precommit_config(options.hook_repo, options.rev),
        ".github/workflows/modelserve.yml": workflow(options.hook_repo, options.rev),
        ".gitignore": GITIGNORE,
        **{f"schemas/{name}": text for name, text in input_schema_texts().items()},
    }
    written, kept = write_new(folder, files)
    if resolve_format(options.format) == "json":
        emit_json({"written": written, "kept": kept}, sys.stdout)
        return EXIT_OK
    for rel in kept:
        sys.stderr.write(f"modelserve: kept {one_line(rel)}: it is there already\n")
    print(f"{folder}: {len(written)} file(s) written, {len(kept)} kept")
    if written:
        print("next: git init && git add -A && modelserve generate && modelserve validate")
    return EXIT_OK
