"""The Kustomize tree written to deploy/, and the builds Flux runs from it.

    deploy/
      base/runtimes/<runtime>/            ClusterServingRuntime as in the catalog
      shared/<cluster>/                   what a cluster's environments share: their Namespaces
                                          and every runtime one of them uses (mirrored images
                                          in full under runtimes/), and each environment's
                                          discovery ConfigMap (endpoints-<env>.yaml),
                                          PrometheusRule (alerts-<env>.yaml) and Grafana
                                          dashboard ConfigMap (dashboard-<env>.yaml)
      overlays/<env>/kustomization.yaml   everything for one environment (shared + its shards)
      overlays/<env>/models/<shard>/      InferenceServices and monitors, fully rendered
      clusters/<cluster>/modelserve/      Flux Kustomizations: the shared objects, then each
                                          environment's shards

Kustomize's build time grows faster than linearly with the objects in one build and with
name-targeted patches (../shared/reference/landscape.md), so model objects are rendered
in full (no patches) and split into shards that Flux builds separately: the total cost of a
reconcile stays linear in the number of models.

Cluster-scoped objects have one owner per cluster, the ``<cluster>-modelserve-shared`` Flux
Kustomization: environments that each applied the same ClusterServingRuntime with ``prune:
true`` flipped its owner labels on every reconcile, and one that stopped using a runtime
garbage-collected it under the others. ``deploy/clusters/<cluster>/`` itself holds no
kustomization.yaml, so kustomize-controller generates one there (fluxcd/pkg
``kustomize/kustomize_generator.go`` ``scanManifests``: every sub-folder with a kustomization
file and every manifest), which takes in ``flux-system/`` from ``flux bootstrap`` and any file
the team adds beside ``modelserve/``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from modelserve.alerts import render_dashboard, render_rule
from modelserve.derive.predictor import predictor_component
from modelserve.endpoints import render_configmap
from modelserve.model import Catalog, Environment, Runtime
from modelserve.render import MANAGED_BY, Origin, RenderedObject
from modelserve.render.cache import local_model_caches, render_pvc
from modelserve.render.flux import (
    gate_name,
    render_flux,
    render_kserve_gate,
    shard_name,
    shared_name,
)
from modelserve.render.isvc import render_isvc
from modelserve.render.monitor import render_monitor
from modelserve.render.runtime import render_runtime
from modelserve.render.yamlout import NO_WRAP, WRAP, Documents, header

COMMAND = "modelserve generate"
# Files the layout writes beside catalog-named ones: models share a folder with kustomization.yaml,
# mirrored runtimes with kustomization.yaml and namespace.yaml (rule reserved-name).
RESERVED_MODEL_NAMES = frozenset({"kustomization"})
RESERVED_RUNTIME_NAMES = frozenset({"kustomization", "namespace"})


class LayoutCollision(RuntimeError):
    """Two generated files at one path: a defect of the repo, never silently resolved."""


DEPLOY_DIR = "deploy"
# Shards per environment unless flux.shards pins another count: fixed, so that adding models
# never moves a model to another Flux Kustomization (which would delete and recreate it).
DEFAULT_SHARDS = 16
OWNED_MANIFEST = ".modelserve-owned.json"


@dataclass
class BuildRoot:
    """One Kustomize root Flux builds on its own, and what its build must contain. ``env`` is
    the environment it is checked with; a cluster's roots serve all of ``envs``."""

    path: str
    env: str
    objects: list[RenderedObject] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    envs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.envs:
            self.envs = (self.env,)

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
        """The roots an environment's objects are in: its own, and its cluster's."""
        return [r for r in self.roots if env in r.envs]


def shard_count(env: Environment) -> int:
    return int(env.flux.get("shards") or DEFAULT_SHARDS)


def cluster_folder(cluster: str) -> str:
    """The folder (and Flux name prefix) of a cluster: its name when that is a short DNS label,
    else a DNS label made of it plus a hash, so two names never share a folder."""
    slug = re.sub(r"[^a-z0-9]+", "-", cluster.lower()).strip("-")
    if slug != cluster or len(slug) > 40:
        slug = f"{slug[:31].rstrip('-')}-{zlib.crc32(cluster.encode()):08x}".lstrip("-")
    return slug


def shard_of(model: str, count: int) -> str:
    width = max(2, len(str(count - 1)))
    return str(zlib.crc32(model.encode()) % count).zfill(width)


def build_tree(catalog: Catalog, progress: Callable[[str], None] | None = None) -> Tree:
    """Render the whole deploy/ tree; deployments with broken references are left out."""
    tree = Tree()
    envs = sorted(catalog.environments.values(), key=lambda e: e.name)
    by_cluster: dict[str, list[Environment]] = {}
    for env in envs:
        by_cluster.setdefault(env.cluster, []).append(env)
    used: dict[str, list[str]] = {}  # environment -> the runtimes its models use
    shards: dict[str, dict[str, BuildRoot]] = {}
    for i, env in enumerate(envs, 1):
        if progress:
            progress(
                f"rendering environment {i}/{len(envs)}: {env.name} ({len(env.entries)} models)"
            )
        used[env.name], shards[env.name] = _environment(tree, catalog, env)
    for members in (by_cluster[name] for name in sorted(by_cluster)):
        shared = _shared_root(tree, catalog, members, used)
        _flux_root(tree, members, shared, shards)
    for name in sorted({r for names in used.values() for r in names}):
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


def _environment(
    tree: Tree, catalog: Catalog, env: Environment
) -> tuple[list[str], dict[str, BuildRoot]]:
    """The environment's model shards and aggregate overlay; the runtimes its models use."""
    # Deployments whose references are broken, or whose names are the layout's own file names,
    # are left out; the reference and reserved-name rules report them (a misspelt profile would
    # otherwise render a model without placement, and findings on the untouched model's file).
    deployments = [
        d
        for d in env.entries
        if d.model in catalog.models
        and (d.profile is None or d.profile in env.profiles)
        and catalog.models[d.model].runtime in catalog.runtimes
        and d.model not in RESERVED_MODEL_NAMES
        and catalog.models[d.model].runtime not in RESERVED_RUNTIME_NAMES
    ]
    deployments = list({d.model: d for d in reversed(deployments)}.values())[::-1]
    runtimes = sorted(
        {catalog.models[d.model].runtime for d in deployments} & set(catalog.runtimes)
    )
    overlay = f"overlays/{env.name}"
    count = shard_count(env)
    shards: dict[str, BuildRoot] = {}
    for entry in deployments:
        model = catalog.models[entry.model]
        shard = shard_of(model.name, count)
        root = shards.setdefault(shard, BuildRoot(f"{overlay}/models/{shard}", env.name))
        runtime = catalog.runtimes[model.runtime]
        objects = [render_isvc(model, entry, env, env.profiles.get(entry.profile or ""), runtime)]
        monitor = render_monitor(model, runtime, env)
        if monitor is not None:
            objects.append(monitor)
        pvc = render_pvc(model, entry, env)
        if pvc is not None:
            objects.append(pvc)
        root.objects.extend(objects)
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
        [f"../../shared/{cluster_folder(env.cluster)}"] + [f"models/{s}" for s in sorted(shards)]
    )
    tree.aggregates[env.name] = overlay
    return runtimes, {s: shards[s] for s in sorted(shards)}


def _shared_root(
    tree: Tree, catalog: Catalog, members: list[Environment], used: dict[str, list[str]]
) -> BuildRoot:
    """The cluster-scoped objects of a cluster's environments, once: each environment's
    Namespace and every runtime one of them uses, as the first of them (by name) renders it
    (rule cluster-agree refuses environments that would render it differently)."""
    folder = f"shared/{cluster_folder(members[0].cluster)}"
    root = BuildRoot(
        folder,
        members[0].name,
        sources={env.source.file for env in members},
        envs=tuple(env.name for env in members),
    )
    resources = []
    namespaces: list[dict[str, Any]] = []
    for env in members:
        if not env.data.get("createNamespace", True) or any(
            n["metadata"]["name"] == env.namespace for n in namespaces
        ):
            continue  # one namespace for two environments: rule cluster-agree reports it
        namespace = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": env.namespace,
                "labels": {**MANAGED_BY, "modelserve.io/environment": env.name},
            },
        }
        root.objects.append(RenderedObject(namespace, [Origin((), env.source, ("namespace",))]))
        namespaces.append(namespace)
    if namespaces:
        sources = [env.source.file for env in members if env.data.get("createNamespace", True)]
        tree.files[f"{folder}/namespaces.yaml"] = Documents(namespaces, header(COMMAND, sources))
        resources.append("namespaces.yaml")
    first_user: dict[str, Environment] = {}
    for env in members:
        for name in used.get(env.name, []):
            first_user.setdefault(name, env)
    for name, env in sorted(first_user.items()):
        runtime = catalog.runtimes[name]
        rendered = render_runtime(runtime, env)
        root.objects.append(rendered)
        root.sources.add(runtime.source.file)
        if env.runtime_image(runtime) == runtime.image:
            resources.append(f"../../base/runtimes/{name}")
        else:
            # An environment's own image (a mirror) is rendered in full rather than patched with
            # Kustomize's images transformer, which matches by repository name only: two
            # versions of one repository would both get the first override.
            resources.append(f"runtimes/{name}.yaml")
            tree.files[f"{folder}/runtimes/{name}.yaml"] = Documents(
                [rendered.obj], header(COMMAND, [runtime.source.file, env.source.file])
            )
    caches = local_model_caches(members, catalog.models)
    if caches:
        root.objects.extend(caches)
        root.sources |= {m.source.file for c in caches if (m := catalog.models.get(c.model or ""))}
        tree.files[f"{folder}/localmodelcaches.yaml"] = Documents(
            [c.obj for c in caches], header(COMMAND, sorted(root.sources))
        )
        resources.append("localmodelcaches.yaml")
    resources += _environment_objects(tree, catalog, members, root, folder)
    tree.files[f"{folder}/kustomization.yaml"] = _kustomization(resources)
    tree.roots.append(root)
    return root


def _environment_objects(
    tree: Tree, catalog: Catalog, members: list[Environment], root: BuildRoot, folder: str
) -> list[str]:
    """Each environment's discovery ConfigMap (``endpoints.configMap``), PrometheusRule
    (``monitoring.alerts``) and dashboard (``monitoring.dashboard``), beside its Namespace:
    they describe the environment's models, so their files are the root's sources too."""
    resources = []
    for env in members:
        own = [o for r in tree.roots if env.name in r.envs for o in r.objects]
        made = {
            "endpoints": render_configmap(catalog, env, own + root.objects),
            "alerts": render_rule(catalog, env),
            "dashboard": render_dashboard(catalog, env),
        }
        models = {catalog.models[o.model] for o in own if o.model in catalog.models}
        sources = {env.source.file} | {m.source.file for m in models}
        sources |= {catalog.runtimes[m.runtime].source.file for m in models}
        for what, rendered in made.items():
            if rendered is None:
                continue
            root.objects.append(rendered)
            root.sources |= sources
            name = f"{what}-{env.name}.yaml"
            # PromQL folded at spaces within linters' line length; JSON documents one entry a
            # line (the dashboard's panels, which hold spaces, tell yamllint so)
            top = header(COMMAND, sorted(sources))
            if what == "dashboard":
                top += "# yamllint disable rule:line-length\n"
            tree.files[f"{folder}/{name}"] = Documents(
                [rendered.obj], top, WRAP if what == "alerts" else NO_WRAP
            )
            resources.append(name)
    return resources


def _flux_root(
    tree: Tree,
    members: list[Environment],
    shared: BuildRoot,
    shards: dict[str, dict[str, BuildRoot]],
) -> None:
    """The cluster's Flux Kustomizations: its shared objects (after what the environments name
    in ``flux.dependsOn``, the KServe installation), then each environment's model shards."""
    first = members[0]
    slug = cluster_folder(first.cluster)
    folder = f"clusters/{slug}/modelserve"
    root = BuildRoot(
        folder,
        first.name,
        sources={env.source.file for env in members},
        envs=tuple(env.name for env in members),
    )
    depends_on: list[str | dict[str, str]] = list(
        sorted({d for env in members for d in env.flux.get("dependsOn") or ()})
    )
    objects: list[RenderedObject] = []
    files: dict[str, list[str]] = {}
    install = first.kserve_install  # rule cluster-agree keeps it one per cluster
    if install is not None and install.kind == "Kustomization":
        dependency = {"name": install.name}
        if install.namespace != first.flux.get("namespace", "flux-system"):
            dependency["namespace"] = install.namespace
        if install.name not in depends_on:
            depends_on.insert(0, dependency)
    elif install is not None:
        gate = f"{shared.path}/kserve-ready"
        tree.files[f"{gate}/kustomization.yaml"] = _kustomization([])
        tree.roots.append(BuildRoot(gate, first.name, sources={first.source.file}, envs=root.envs))
        objects.append(
            render_kserve_gate(
                first, gate_name(slug), f"{first.flux_path}/{gate}", install, cluster=slug
            )
        )
        files["kserve.yaml"] = [first.source.file]
        depends_on.insert(0, gate_name(slug))
    objects.append(
        render_flux(
            first,
            shared_name(slug),
            f"{first.flux_path}/{shared.path}",
            depends_on,
            models=False,
            cluster=slug,
        )
    )
    files["shared.yaml"] = [first.source.file]
    for env in members:
        for shard, shard_root in shards[env.name].items():
            deployments = [
                (o.obj["metadata"]["namespace"], predictor_component(o.obj["metadata"]["name"]))
                for o in shard_root.objects
                if o.obj["kind"] == "InferenceService"
            ]
            objects.append(
                render_flux(
                    env,
                    shard_name(env, shard),
                    f"{env.flux_path}/{shard_root.path}",
                    [shared_name(slug)],
                    models=True,
                    deployments=deployments,
                )
            )
            files[f"{env.name}-models-{shard}.yaml"] = [env.source.file]
    for obj, (file, sources) in zip(objects, files.items(), strict=True):
        tree.files[f"{folder}/{file}"] = Documents([obj.obj], header(COMMAND, sources), WRAP)
    root.objects = objects
    tree.files[f"{folder}/kustomization.yaml"] = _kustomization(sorted(files))
    tree.roots.append(root)
