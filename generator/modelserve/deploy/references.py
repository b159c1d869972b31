"""Hand-written files under deploy/ that nothing applies.

Flux applies what a Kustomize root lists; a file the generator did not write is applied only
when a kustomization.yaml lists it (``resources``, ``components``, ``patches``, ...) or when it
lies where kustomize-controller generates a kustomization: under ``clusters/<cluster>/``, which
holds none, every manifest and every sub-folder with a kustomization file is taken in (fluxcd/pkg
``kustomize/kustomize_generator.go`` ``scanManifests``), down to the first folder that has its
own kustomization.yaml. Anything else is dead weight that reviewers believe is deployed.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from modelserve.deploy.tree import OWNED_MANIFEST
from modelserve.deploy.write import existing_files, read_owned
from modelserve.findings import Finding, Severity

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
# Fields of a kustomization whose entries name files or folders relative to it.
_LIST_FIELDS = ("resources", "components", "patchesStrategicMerge", "crds", "configurations")
MAX_KUSTOMIZATION_BYTES = 1 << 20


def unreferenced(deploy: Path) -> list[str]:
    """Files under ``deploy`` (relative paths) the generator did not write and Flux never
    applies; only manifests (YAML or JSON) are considered."""
    if not deploy.is_dir():
        return []
    present = existing_files(deploy)
    foreign = present - read_owned(deploy) - {OWNED_MANIFEST}
    if not any(rel.endswith(MANIFEST_SUFFIXES) for rel in foreign):
        return []  # the usual case: only generated files, nothing to read
    listed: set[str] = set()
    for rel in present:
        if posixpath.basename(rel) in KUSTOMIZATION_FILES:
            listed |= _listed(deploy, rel)
    return sorted(
        rel
        for rel in foreign
        if rel.endswith(MANIFEST_SUFFIXES) and not _applied(rel, listed, present)
    )


def _listed(deploy: Path, rel: str) -> set[str]:
    """The paths (relative to deploy/) one kustomization names."""
    from modelserve.load.yamlio import YamlError, load_file

    try:
        docs = load_file(deploy / rel, max_bytes=MAX_KUSTOMIZATION_BYTES)
    except (YamlError, OSError):
        return set()  # a broken kustomization fails its own build; nothing it lists counts
    data: Any = docs[0].data if docs else None
    if not isinstance(data, dict):
        return set()
    folder = posixpath.dirname(rel)
    entries = [e for key in _LIST_FIELDS for e in _strings(data.get(key))]
    entries += [
        str(p["path"])
        for p in _items(data.get("patches"))
        if isinstance(p, dict) and isinstance(p.get("path"), str)
    ]
    for generator in ("configMapGenerator", "secretGenerator"):
        for item in _items(data.get(generator)):
            if isinstance(item, dict):
                entries += [f.split("=", 1)[-1] for f in _strings(item.get("files"))]
                entries += _strings(item.get("envs"))
    out = set()
    for entry in entries:
        if "://" not in entry:
            out.add(posixpath.normpath(posixpath.join(folder, entry)))
    return out


def _applied(rel: str, listed: set[str], present: set[str]) -> bool:
    folder = posixpath.dirname(rel)
    if rel in listed:
        return True
    if posixpath.basename(rel) in KUSTOMIZATION_FILES and folder in listed:
        return True  # the root of a listed folder
    parts = rel.split("/")
    if parts[0] != "clusters" or len(parts) < 3:
        return False
    # Under clusters/<cluster>/, Flux's generated kustomization reaches down to the first
    # folder with its own kustomization file; that one must list what lies below it.
    above = ["/".join(parts[:i]) for i in range(2, len(parts) - 1)]
    if any(_has_kustomization(d, present) for d in above):
        return False
    return posixpath.basename(rel) in KUSTOMIZATION_FILES or not _has_kustomization(folder, present)


def _has_kustomization(folder: str, present: set[str]) -> bool:
    return any(f"{folder}/{name}" in present for name in KUSTOMIZATION_FILES)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


UNREFERENCED_RULE = "deploy-unreferenced"


def unreferenced_findings(deploy: Path) -> list[Finding]:
    """A warning at each hand-written file under deploy/ that Flux never applies."""
    return [
        Finding(
            f"deploy/{rel}",
            1,
            1,
            UNREFERENCED_RULE,
            Severity.WARNING,
            f"deploy/{rel} was not written by modelserve and no kustomization lists it: Flux "
            "never applies it",
            hint="list it in a kustomization.yaml (or move it under clusters/<cluster>/), "
            "or delete it",
        )
        for rel in unreferenced(deploy)
    ]
