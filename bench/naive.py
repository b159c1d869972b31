"""The hand-written layout people use today, for the same catalog.

Usage: ``python -m bench.naive ROOT OUT``.

    OUT/base/runtimes/       every ClusterServingRuntime, as in the catalog
    OUT/base/models/         one InferenceService per model with no placement (+ its monitor)
    OUT/overlays/<env>/runtimes/   the runtimes, with the environment's `images:` mirrors
    OUT/overlays/<env>/models/     namespace + one inline patch per model, targeted by name:
        patches: [{target: {kind: InferenceService, name: X}, patch: |- ...}]
        setting the environment's replicas, resources, affinity, tolerations (and labels,
        annotations, args where the environment changes them)

This is the "one overlay with 500 inline patches targeted by name" of
../shared/reference/landscape.md. The patches are computed from what the generator renders, so
building an overlay yields the very InferenceServices the generated layout holds; only the
layout differs, and with it what Kustomize (and Flux's kustomize-controller) pays per build.
"""

from __future__ import annotations

import argparse
import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelserve.deploy.tree import Tree, build_tree
from modelserve.load.repository import Repository, load_repository
from modelserve.model import Catalog
from modelserve.render.runtime import render_runtime
from modelserve.render.yamlout import dump, dump_all

try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
import yaml

KUSTOMIZATION = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
ENV_LABELS = ("modelserve.io/environment", "modelserve.io/profile")
PLACEMENT = ("minReplicas", "maxReplicas", "affinity", "tolerations")


def split_image(ref: str) -> tuple[str, str | None, str | None]:
    """``registry/repo:tag@sha256:x`` -> (``registry/repo``, tag, digest)."""
    name, _, digest = ref.partition("@")
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > last_slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest or None


def image_override(base: str, new: str) -> dict[str, str]:
    name, _, _ = split_image(base)
    new_name, tag, digest = split_image(new)
    out = {"name": name, "newName": new_name}
    if tag:
        out["newTag"] = tag
    if digest:
        out["digest"] = digest
    return out


class Block(str):
    """A string written as a YAML literal block (``patch: |-``), as people write inline patches."""


class _BlockDumper(_Dumper):  # type: ignore[misc, valid-type]
    pass


_BlockDumper.add_representer(
    Block, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style="|")
)


def dump_kustomization(doc: dict[str, Any]) -> str:
    return yaml.dump(
        doc, Dumper=_BlockDumper, sort_keys=False, default_flow_style=False, width=1_000_000
    )


@dataclass
class NaiveLayout:
    files: dict[str, str] = field(default_factory=dict)
    roots: dict[str, list[str]] = field(default_factory=dict)  # env -> build roots, relative to OUT


def base_isvc(obj: dict[str, Any], model_args: list[str]) -> dict[str, Any]:
    """The environment-independent part of a rendered InferenceService, as a base holds it."""
    base = copy.deepcopy(obj)
    meta = base["metadata"]
    meta.pop("namespace", None)
    for key in ENV_LABELS:
        meta.get("labels", {}).pop(key, None)
    meta.get("annotations", {}).pop("serving.kserve.io/autoscalerClass", None)
    predictor = base["spec"]["predictor"]
    for key in PLACEMENT:
        predictor.pop(key, None)
    model = predictor["model"]
    model.pop("resources", None)
    if model_args:
        model["args"] = list(model_args)
    else:
        model.pop("args", None)
    return base


def env_patch(obj: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """A strategic-merge patch turning ``base`` into the environment's ``obj``."""
    meta = obj["metadata"]
    patch_meta: dict[str, Any] = {"name": meta["name"]}
    labels = {k: v for k, v in meta.get("labels", {}).items() if k in ENV_LABELS}
    if labels:
        patch_meta["labels"] = labels
    autoscaler = meta.get("annotations", {}).get("serving.kserve.io/autoscalerClass")
    if autoscaler is not None:
        patch_meta["annotations"] = {"serving.kserve.io/autoscalerClass": autoscaler}
    predictor = obj["spec"]["predictor"]
    patch_predictor = {k: predictor[k] for k in PLACEMENT if k in predictor}
    model = predictor["model"]
    patch_model = {}
    if "resources" in model:
        patch_model["resources"] = model["resources"]
    if model.get("args") != base["spec"]["predictor"]["model"].get("args"):
        patch_model["args"] = model["args"]  # lists are replaced whole in a patch of a custom kind
    if patch_model:
        patch_predictor["model"] = patch_model
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "metadata": patch_meta,
        "spec": {"predictor": patch_predictor},
    }


def build_naive(catalog: Catalog, tree: Tree | None = None) -> NaiveLayout:
    tree = tree or build_tree(catalog)
    out = NaiveLayout()
    bases: dict[str, list[dict[str, Any]]] = {}
    base_objects: dict[str, dict[str, Any]] = {}
    overlays: dict[str, dict[str, Any]] = {}
    for env in sorted(catalog.environments.values(), key=lambda e: e.name):
        patches = []
        for root in tree.env_roots(env.name):
            for rendered in root.objects:
                obj, kind = rendered.obj, rendered.obj["kind"]
                if kind == "InferenceService":
                    model = catalog.models[obj["metadata"]["name"]]
                    base = base_objects.setdefault(
                        model.name, base_isvc(obj, list(model.data.get("args") or ()))
                    )
                    bases.setdefault(model.name, [base])
                    patches.append(
                        {
                            "target": {"kind": "InferenceService", "name": model.name},
                            "patch": Block(dump(env_patch(obj, base)).rstrip("\n")),
                        }
                    )
                elif kind in ("ServiceMonitor", "PodMonitor") and rendered.model:
                    monitor = copy.deepcopy(obj)
                    monitor["metadata"].pop("namespace", None)
                    monitor["metadata"]["labels"].pop("modelserve.io/environment", None)
                    bases.setdefault(rendered.model, [])
                    if all(m["kind"] != kind for m in bases[rendered.model]):
                        bases[rendered.model].append(monitor)
        overlays[env.name] = {
            **KUSTOMIZATION,
            "namespace": env.namespace,
            "labels": [{"pairs": {"modelserve.io/environment": env.name}}],
            "resources": ["../../../base/models"],
            "patches": patches,
        }
    for name, objs in sorted(bases.items()):
        out.files[f"base/models/{name}.yaml"] = dump_all(objs)
    out.files["base/models/kustomization.yaml"] = dump(
        {**KUSTOMIZATION, "resources": [f"{n}.yaml" for n in sorted(bases)]}
    )
    used: set[str] = set()
    for env in sorted(catalog.environments.values(), key=lambda e: e.name):
        runtimes = sorted(
            {catalog.models[d.model].runtime for d in env.entries if d.model in catalog.models}
        )
        used.update(runtimes)
        images = [
            image_override(catalog.runtimes[r].image, env.runtime_image(catalog.runtimes[r]))
            for r in runtimes
            if env.runtime_image(catalog.runtimes[r]) != catalog.runtimes[r].image
        ]
        runtime_root = {
            **KUSTOMIZATION,
            "resources": [f"../../../base/runtimes/{r}" for r in runtimes],
        }
        if images:
            runtime_root["images"] = images
        out.files[f"overlays/{env.name}/runtimes/kustomization.yaml"] = dump(runtime_root)
        out.files[f"overlays/{env.name}/models/kustomization.yaml"] = dump_kustomization(
            overlays[env.name]
        )
        out.roots[env.name] = [f"overlays/{env.name}/runtimes", f"overlays/{env.name}/models"]
    for name in sorted(used):
        out.files[f"base/runtimes/{name}/runtime.yaml"] = dump(
            render_runtime(catalog.runtimes[name]).obj
        )
        out.files[f"base/runtimes/{name}/kustomization.yaml"] = dump(
            {**KUSTOMIZATION, "resources": ["runtime.yaml"]}
        )
    return out


def write_naive(root: Path, out: Path) -> NaiveLayout:
    """Load the catalog at ``root`` and write its naive layout under ``out``."""
    catalog = load_repository(Repository(Path(root).resolve())).catalog
    layout = build_naive(catalog)
    for rel, text in layout.files.items():
        path = Path(out) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return layout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.naive", description=__doc__.splitlines()[0]
    )
    parser.add_argument("root", type=Path, help="repository root with catalog/ and environments/")
    parser.add_argument("out", type=Path, help="folder to write the naive layout into")
    args = parser.parse_args(argv)
    layout = write_naive(args.root, args.out)
    print(
        f"wrote {len(layout.files)} files; build roots per environment: "
        + ", ".join(f"{env}: {' '.join(roots)}" for env, roots in layout.roots.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
