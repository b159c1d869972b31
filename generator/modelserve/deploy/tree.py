"""The Kustomize tree written to deploy/, and the builds Flux runs from it.

    deploy/
      base/runtimes/<runtime>/            ClusterServingRuntime as in the catalog
      overlays/<env>/kustomization.yaml   everything for one environment (aggregates the below)
      overlays/<env>/runtimes/            Namespace + the runtimes it uses (its own images in full)
      overlays/<env>/models/<shard>/      InferenceServices and monitors, fully rendered
      clusters/<env>/                     Flux Kustomizations: runtimes, then each shard

Kustomize's build time grows faster than linearly with the objects in one build and with
name-targeted patches (../shared/reference/landscape.md), so model objects are rendered
in full (no patches) and split into shards that Flux builds separately: the total cost of a
reconcile stays linear in the number of models.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from modelserve.derive.predictor import predictor_component
from modelserve.model import Catalog, Environment, Runtime
from modelserve.render import MANAGED_BY, Origin, RenderedObject
from modelserve.render.flux import render_flux, runtimes_name, shard_name
from modelserve.render.isvc import render_isvc
from modelserve.render.monitor import render_monitor
from modelserve.render.runtime import render_runtime
from modelserve.render.yamlout import Documents, header

COMMAND = "modelserve generate"
# Files the layout writes beside catalog-named ones: models share a folder with kustomization.yaml,
# mirrored runtimes with kustomization.yaml and namespace.yaml (rule reserved-name).
RESERVED_MODEL_NAMES = frozenset({"kustomization"})
RESERVED_RUNTIME_NAMES = frozenset({"kustomization", "namespace"})


class LayoutCollision(RuntimeError):
    """Two generated files at one path: a defect of the repo, never silently resolved."""


DEPLOY_DIR = "deploy"
MODELS_PER_SHARD = 64
OWNED_MANIFEST = ".modelserve-owned.json"


@dataclass
class BuildRoot:
    """One Kustomize root Flux builds on its own, and what its build must contain."""

    path: str
    env: str
    objects: list[RenderedObject] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)

    @property
    def kustomization(self) -> str:
        """Its kustomization.yaml, relative to the repository: where a finding on an object of
        this root goes when no catalog field produced the part in question."""
        return f"{DEPLOY_DIR}/{self.path}/kustomization.yaml"


class LazyFiles(MutableMapping[str, str]):
    """Path -> text, where a text may be given as a function and is produced when first read.

    Dumping YAML is most of a render's cost; validation that finds a Kustomize root in its
    cache never needs that root's text, so it is never produced.
    """

    def __init__(self) -> None:
        self._items: dict[str, str | Callable[[], str]] = {}
        self._texts: dict[str, str] = {}

    def __getitem__(self, rel: str) -> str:
        text = self._texts.get(rel)
        if text is None:
            value = self._items[rel]
            text = self._texts[rel] = value() if callable(value) else value
        return text

    def producer(self, rel: str) -> str | Callable[[], str]:
        """The text as given: a string, or the function that produces it (kept after it ran)."""
        return self._items[rel]

    def provide(self, rel: str, text: str) -> None:
        """Take ``text`` as what ``rel``'s producer would return (known from an earlier run)."""
        if rel not in self._items:
            raise KeyError(rel)
        self._texts[rel] = text

    def __setitem__(self, rel: str, value: str | Callable[[], str]) -> None:
        if rel in self._items:
            raise LayoutCollision(f"two generated files would both be deploy/{rel}")
        self._items[rel] = value
        self._texts.pop(rel, None)

    def __delitem__(self, rel: str) -> None:
        del self._items[rel]
        self._texts.pop(rel, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def under(self, folder: str) -> list[str]:
        """The paths inside ``folder`` (indexed once, since roots ask for theirs in turn)."""
        if getattr(self, "_index_size", -1) != len(self._items):
            self._index: dict[str, list[str]] = {}
            for rel in self._items:
                self._index.setdefault(rel.rsplit("/", 1)[0], []).append(rel)
            self._index_size = len(self._items)
        prefix = folder + "/"
        return [
            rel
            for d, rels in self._index.items()
            if d == folder or d.startswith(prefix)
            for rel in rels
        ]


@dataclass
class Tree:
    files: LazyFiles = field(default_factory=LazyFiles)
    roots: list[BuildRoot] = field(default_factory=list)
    aggregates: dict[str, str] = field(default_factory=dict)

    def env_roots(self, env: str) -> list[BuildRoot]:
        return [r for r in self.roots if r.env == env]


def shard_count(env: Environment) -> int:
    pinned = env.flux.get("shards")
    if pinned:
        return int(pinned)
    needed = -(-len(env.entries) // MODELS_PER_SHARD)
    count = 1
    while count < needed:  # powers of two: the count changes rarely as the catalog grows
        count *= 2
    return count


def shard_of(model: str, count: int) -> str:
    width = max(2, len(str(count - 1)))
    return str(zlib.crc32(model.encode()) % count).zfill(width)


def build_tree(catalog: Catalog, progress: Callable[[str], None] | None = None) -> Tree:
    """Render the whole deploy/ tree; deployments with broken references are left out."""
    tree = Tree()
    used_runtimes: set[str] = set()
    envs = sorted(catalog.environments.values(), key=lambda e: e.name)
    for i, env in enumerate(envs, 1):
        if progress:
            progress(
                f"rendering environment {i}/{len(envs)}: {env.name} ({len(env.entries)} models)"
            )
        used_runtimes |= _environment(tree, catalog, env)
    for name in sorted(used_runtimes):
        _base_runtime(tree, catalog.runtimes[name])
    return tree


def _kustomization(resources: list[str], extra: dict[str, Any] | None = None) -> Documents:
    doc: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    }
    doc.update(extra or {})
    return Documents([doc], header(COMMAND, []))


def _base_runtime(tree: Tree, runtime: Runtime) -> None:
    folder = f"base/runtimes/{runtime.name}"
    tree.files[f"{folder}/kustomization.yaml"] = _kustomization(["clusterservingruntime.yaml"])
    tree.files[f"{folder}/clusterservingruntime.yaml"] = Documents(
        [render_runtime(runtime).obj], header(COMMAND, [runtime.source.file])
    )


def _environment(tree: Tree, catalog: Catalog, env: Environment) -> set[str]:
    # Deployments whose references are broken, or whose names are the layout's own file names,
    # are left out; the reference and reserved-name rules report them.
    deployments = [
        d
        for d in env.entries
        if d.model in catalog.models
        and catalog.models[d.model].runtime in catalog.runtimes
        and d.model not in RESERVED_MODEL_NAMES
        and catalog.models[d.model].runtime not in RESERVED_RUNTIME_NAMES
    ]
    deployments = list({d.model: d for d in reversed(deployments)}.values())[::-1]
    runtimes = sorted(
        {catalog.models[d.model].runtime for d in deployments} & set(catalog.runtimes)
    )
    overlay = f"overlays/{env.name}"
    runtime_root = _runtimes_root(tree, catalog, env, runtimes, overlay)
    count = shard_count(env)
    shards: dict[str, BuildRoot] = {}
    for entry in deployments:
        model = catalog.models[entry.model]
        shard = shard_of(model.name, count)
        root = shards.setdefault(shard, BuildRoot(f"{overlay}/models/{shard}", env.name))
        objects = [render_isvc(model, entry, env, env.profiles.get(entry.profile or ""))]
        monitor = render_monitor(model, catalog.runtimes[model.runtime], env)
        if monitor is not None:
            objects.append(monitor)
        root.objects.extend(objects)
        runtime = catalog.runtimes[model.runtime]
        root.sources |= {
            env.source.file,
            model.source.file,
            runtime.source.file,
        }  # the monitor reads the runtime
        tree.files[f"{root.path}/{model.name}.yaml"] = Documents(
            [o.obj for o in objects], header(COMMAND, [env.source.file, model.source.file])
        )
    for shard in sorted(shards):
        root = shards[shard]
        names = sorted(
            o.obj["metadata"]["name"] + ".yaml"
            for o in root.objects
            if o.obj["kind"] == "InferenceService"
        )
        tree.files[f"{root.path}/kustomization.yaml"] = _kustomization(names)
        tree.roots.append(root)
    tree.files[f"{overlay}/kustomization.yaml"] = _kustomization(
        ["runtimes"] + [f"models/{s}" for s in sorted(shards)]
    )
    tree.aggregates[env.name] = overlay
    _flux_root(tree, env, runtime_root, {s: shards[s] for s in sorted(shards)})
    return set(runtimes)


def _runtimes_root(
    tree: Tree, catalog: Catalog, env: Environment, runtimes: list[str], overlay: str
) -> BuildRoot:
    root = BuildRoot(f"{overlay}/runtimes", env.name, sources={env.source.file})
    resources = []
    if env.data.get("createNamespace", True):
        namespace = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": env.namespace,
                "labels": {**MANAGED_BY, "modelserve.io/environment": env.name},
            },
        }
        root.objects.append(RenderedObject(namespace, [Origin((), env.source, ("namespace",))]))
        tree.files[f"{root.path}/namespace.yaml"] = Documents(
            [namespace], header(COMMAND, [env.source.file])
        )
        resources.append("namespace.yaml")
    for name in runtimes:
        runtime = catalog.runtimes[name]
        rendered = render_runtime(runtime, env)
        root.objects.append(rendered)
        root.sources.add(runtime.source.file)
        if env.runtime_image(runtime) == runtime.image:
            resources.append(f"../../../base/runtimes/{name}")
        else:
            # An environment's own image (a mirror) is rendered in full rather than patched with
            # Kustomize's images transformer, which matches by repository name only: two
            # versions of one repository would both get the first override.
            resources.append(f"{name}.yaml")
            tree.files[f"{root.path}/{name}.yaml"] = Documents(
                [rendered.obj], header(COMMAND, [runtime.source.file, env.source.file])
            )
    tree.files[f"{root.path}/kustomization.yaml"] = _kustomization(resources)
    tree.roots.append(root)
    return root


def _flux_root(
    tree: Tree, env: Environment, runtime_root: BuildRoot, shards: dict[str, BuildRoot]
) -> None:
    base_path = env.flux_path
    folder = f"clusters/{env.name}"
    root = BuildRoot(folder, env.name, sources={env.source.file})
    objects = [
        render_flux(
            env,
            runtimes_name(env),
            f"{base_path}/{runtime_root.path}",
            list(env.flux.get("dependsOn") or ()),
            models=False,
        )
    ]
    for shard, shard_root in shards.items():
        deployments = [
            (o.obj["metadata"]["namespace"], predictor_component(o.obj["metadata"]["name"]))
            for o in shard_root.objects
            if o.obj["kind"] == "InferenceService"
        ]
        objects.append(
            render_flux(
                env,
                shard_name(env, shard),
                f"{base_path}/overlays/{env.name}/models/{shard}",
                [runtimes_name(env)],
                models=True,
                deployments=deployments,
            )
        )
    files = []
    for obj in objects:
        file = obj.obj["metadata"]["name"].removeprefix(f"{env.name}-modelserve-") + ".yaml"
        tree.files[f"{folder}/{file}"] = Documents([obj.obj], header(COMMAND, [env.source.file]))
        files.append(file)
    root.objects = objects
    tree.files[f"{folder}/kustomization.yaml"] = _kustomization(sorted(files))
    tree.roots.append(root)
