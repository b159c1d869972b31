"""Flux bootstrapped into a cluster folder keeps managing itself, and applies what is generated.

``flux bootstrap git --path=deploy/clusters/<cluster>`` writes ``flux-system/`` into that folder
and a Flux Kustomization syncing the folder. With no kustomization.yaml there, kustomize-controller
generates one (fluxcd/pkg ``kustomize/kustomize_generator.go``: ``findOrGenerateKustomization``
and ``scanManifests``: every sub-folder holding a kustomization file is a resource and is not
descended into, every other ``.yaml``/``.yml`` file is one). ``generated_kustomization`` below
is that rule; the test builds the result with both Kustomize engines, as Flux would.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pykustomize
import yaml

from modelserve.deploy.tree import cluster_folder
from tests.helpers import SHARED, copy_example, run_modelserve

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def generated_kustomization(folder: Path) -> dict[str, Any]:
    """What kustomize-controller makes of a folder without a kustomization file."""
    assert not any((folder / name).is_file() for name in KUSTOMIZATION_FILES)
    resources: list[str] = []

    def walk(directory: Path) -> None:
        for path in sorted(directory.iterdir()):
            if path.is_dir():
                if any((path / name).is_file() for name in KUSTOMIZATION_FILES):
                    resources.append("./" + path.relative_to(folder).as_posix())
                else:
                    walk(path)
            elif path.suffix in (".yaml", ".yml"):
                resources.append("./" + path.relative_to(folder).as_posix())

    walk(folder)
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    }


def bootstrap(cluster: Path, slug: str) -> None:
    """What flux bootstrap writes (its gotk-components stand-in: Flux's own CRDs), plus a
    manifest the platform team adds by hand."""
    system = cluster / "flux-system"
    system.mkdir(parents=True)
    components = [
        (SHARED / "upstream/crds/flux" / name).read_text()
        for name in (
            "kustomize.toolkit.fluxcd.io_kustomizations.yaml",
            "source.toolkit.fluxcd.io_gitrepositories.yaml",
        )
    ]
    (system / "gotk-components.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n---\n"
        + "\n---\n".join(components)
    )
    (system / "gotk-sync.yaml").write_text(
        f"""\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m0s
  ref:
    branch: main
  secretRef:
    name: flux-system
  url: ssh://git@github.com/example/gitops
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m0s
  path: ./deploy/clusters/{slug}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""
    )
    (system / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "resources:\n- gotk-components.yaml\n- gotk-sync.yaml\n"
    )
    (cluster / "team-quota.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: team-notes\n  namespace: flux-system\n"
        "data:\n  owner: ml-platform\n"
    )


def _build(folder: Path) -> list[dict[str, Any]]:
    text = asyncio.run(pykustomize.build(folder)).yaml
    proc = subprocess.run(["kubectl", "kustomize", str(folder)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == text, "kubectl kustomize builds the same bytes"
    return [d for d in yaml.safe_load_all(text) if d]


def test_a_bootstrapped_cluster_folder_applies_flux_itself_and_the_generated_objects(
    tmp_path: Path,
) -> None:
    repo = copy_example(tmp_path / "repo")
    run_modelserve("generate", "--root", repo, check_rc=0)
    env = yaml.safe_load((repo / "environments/prod.yaml").read_text())
    slug = cluster_folder(env["cluster"])
    cluster = repo / "deploy" / "clusters" / slug
    bootstrap(cluster, slug)
    # generate again: the hand-written files stay, and nothing shadows Flux's generation
    run_modelserve("generate", "--root", repo, check_rc=0)
    assert (cluster / "flux-system" / "gotk-sync.yaml").is_file()
    assert (cluster / "team-quota.yaml").is_file()
    generated = generated_kustomization(cluster)
    assert generated["resources"] == ["./flux-system", "./modelserve", "./team-quota.yaml"]
    built_in = tmp_path / "flux-build" / slug
    shutil.copytree(cluster, built_in)
    (built_in / "kustomization.yaml").write_text(yaml.safe_dump(generated))
    objects = _build(built_in)
    names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert ("Kustomization", "flux-system") in names, "Flux still manages itself"
    assert ("GitRepository", "flux-system") in names
    assert ("ConfigMap", "team-notes") in names, "a hand-written file is applied"
    ours = {
        o["metadata"]["name"]
        for o in yaml.safe_load_all((cluster / "modelserve" / "shared.yaml").read_text())
        if o
    } | {
        o["metadata"]["name"]
        for p in (cluster / "modelserve").glob("prod-models-*.yaml")
        for o in yaml.safe_load_all(p.read_text())
        if o
    }
    assert ours and {("Kustomization", name) for name in ours} <= names
    assert ("CustomResourceDefinition", "kustomizations.kustomize.toolkit.fluxcd.io") in names


def test_validate_stays_clean_beside_the_bootstrap_files(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    run_modelserve("generate", "--root", repo, check_rc=0)
    env = yaml.safe_load((repo / "environments/dev.yaml").read_text())
    slug = cluster_folder(env["cluster"])
    bootstrap(repo / "deploy" / "clusters" / slug, slug)
    result = run_modelserve("validate", "--root", repo, check_rc=0)
    assert "0 error(s)" in result.stdout
