"""The whole validation: load, rules, render, real Kustomize builds, rendered-object schemas.

Each Kustomize root Flux builds is built once (in parallel threads), its objects compared with
what the renderer meant to produce and validated against the Kubernetes and custom-kind
schemas of the environment's Kubernetes version. Per-root results are cached by the content
of everything they depend on, so a one-model change rebuilds one shard per environment and
still reports exactly what a full run would.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelserve.cache.findings import FindingsCache, make_key
from modelserve.cache.parse import ParseCache
from modelserve.cache.text import TextCache
from modelserve.deploy.budget import over_budget
from modelserve.deploy.tree import BuildRoot, Tree, build_tree
from modelserve.errors import ConfigError
from modelserve.findings import Finding, Severity, format_path
from modelserve.gcpause import cycle_collection_paused
from modelserve.load.repository import Layout, load_repository
from modelserve.model import Catalog
from modelserve.render import RenderedObject
from modelserve.rules import Context, run_rules
from modelserve.validate import kustomize
from modelserve.validate.store import RULE, StoreIndex, StoreProblem

AGGREGATE_BUILD_LIMIT = 256  # objects; above this the per-shard builds stand for the aggregate


@dataclass
class Options:
    envs: set[str] | None = None
    strict: bool = False
    schema_dirs: list[Path] = field(default_factory=list)
    cache: FindingsCache | None = None
    workers: int | None = None
    progress: Callable[[str], None] | None = None


@dataclass
class Result:
    findings: list[Finding]
    catalog: Catalog
    tree: Tree | None
    engine: str = ""
    built: int = 0
    cached: int = 0
    objects: int = 0
    seconds: float = 0.0
    files: int = 0


@cycle_collection_paused()
def validate_repository(layout: Layout, options: Options | None = None) -> Result:
    options = options or Options()
    start = time.perf_counter()
    parse_cache = (
        ParseCache(options.cache.directory) if options.cache and options.cache.enabled else None
    )
    loaded = load_repository(layout, parse_cache)
    findings = list(loaded.findings)
    store_index = StoreIndex.scan(options.schema_dirs)  # read once per run, bounded and checked
    findings += [store_finding(layout.root, problem) for problem in store_index.problems]
    too_large = over_budget(loaded.catalog)
    if too_large is not None:  # neither rendered nor built: the bound is the finding
        findings.append(too_large)
        result = Result(sorted(set(findings)), loaded.catalog, None, files=len(loaded.files))
        result.seconds = time.perf_counter() - start
        return result
    tree = build_tree(loaded.catalog)
    ctx = Context(loaded.catalog, tree)
    result = Result(findings, loaded.catalog, tree, files=len(loaded.files))
    roots = [r for r in tree.roots if options.envs is None or r.env in options.envs]
    check_catalog = lambda: findings.extend(run_rules(ctx))  # noqa: E731
    if roots:
        _build_stage(
            loaded.digests,
            loaded.catalog,
            tree,
            roots,
            options,
            result,
            store_index,
            meanwhile=check_catalog,
            repo_root=layout.root,
            uncacheable=loaded.uncacheable,
        )
    else:
        check_catalog()
    result.findings = sorted(set(result.findings))
    result.seconds = time.perf_counter() - start
    return result


def root_key(
    root: BuildRoot,
    tree: Tree,
    digests: dict[str, str],
    catalog: Catalog,
    options: Options,
    store_digest: str = "",
) -> str:
    """Everything the root's build and checks depend on: its files are a function of its
    sources and the tool's code (in every key), so the texts need not be rendered to look up;
    the schema store counts by its digest, taken once per run (not re-read per root)."""
    parts: list[str | bytes] = [
        root.path,
        str(options.strict),
        catalog.environments[root.env].kubernetes_version,
        store_digest,
    ]
    parts += sorted(_root_files(root, tree))
    parts += [f"{source}\0{digests.get(source, '')}" for source in sorted(root.sources)]
    return make_key(*parts)


def store_finding(root: Path, problem: StoreProblem) -> Finding:
    """A schema store file that is not used, as a finding on that file."""
    path = Path(problem.file)
    try:  # the folder resolved, the entry itself not (it may be a link to /dev/zero)
        shown = (Path(os.path.realpath(path.parent)) / path.name).relative_to(root).as_posix()
    except (ValueError, OSError):
        shown = problem.file
    return Finding(shown, 1, 1, RULE, Severity.ERROR, problem.message, hint=problem.hint)


def _root_files(root: BuildRoot, tree: Tree) -> list[str]:
    """The generated files a build of ``root`` reads: its folder, and the bases it includes."""
    folders = [root.path]
    if root.path.endswith("/runtimes"):
        folders += [
            f"base/runtimes/{o.obj['metadata']['name']}"
            for o in root.objects
            if o.obj.get("kind") == "ClusterServingRuntime"
        ]
    return [rel for folder in folders for rel in tree.files.under(folder)]


def _build_stage(
    digests: dict[str, str],
    catalog: Catalog,
    tree: Tree,
    roots: list[BuildRoot],
    options: Options,
    result: Result,
    store_index: StoreIndex,
    meanwhile: Callable[[], None],
    repo_root: Path,
    uncacheable: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Build and check what the cache does not answer; ``meanwhile`` runs while Kustomize builds.

    The builds run in Go with the GIL released, so Python work proceeds beside them: each
    root's build starts as soon as its files are written, while the next roots are dumped, and
    the catalog rules (independent of the builds) run while the last builds finish.
    """
    cache = options.cache
    todo: list[tuple[BuildRoot, str]] = []
    keys: dict[str, str] = {}
    for root in roots:
        key = keys[root.path] = root_key(root, tree, digests, catalog, options, store_index.digest)
        hit = cache.get(key) if cache else None
        if hit is None:
            todo.append((root, key))
        else:
            result.findings.extend(hit)
            result.cached += 1
        result.objects += len(root.objects)
    aggregates = _aggregates_to_build(tree, options, keys, result)
    if not todo and not aggregates:
        result.engine = "none needed (all builds cached)"
        meanwhile()
        return
    engine = kustomize.engine()
    result.engine = engine.name
    workdir = Path(tempfile.mkdtemp(prefix="modelserve-build-"))
    try:
        texts = TextCache(cache.directory) if cache and cache.enabled else None
        _progress(options, f"building {len(todo)} Kustomize root(s) with {engine.name}")
        written: set[str] = set()
        with ThreadPoolExecutor(max_workers=options.workers or default_workers()) as builders:
            building = {}
            for root, _ in todo:
                _write_roots(workdir, tree, [root], texts, written, uncacheable)
                building[workdir / root.path] = builders.submit(
                    kustomize.build_or_error, workdir / root.path
                )
            meanwhile()
            built = {path: future.result() for path, future in building.items()}
        stores: dict[str, Any] = {}
        for i, (root, key) in enumerate(todo, 1):
            _progress(options, f"checking {i}/{len(todo)}: environment {root.env}, {root.path}")
            env = catalog.environments[root.env]
            store = stores.get(env.kubernetes_version) or _store(
                env.kubernetes_version, options, store_index
            )
            stores[env.kubernetes_version] = store
            known = set(store.problems)
            found = list(_check_root(root, built[workdir / root.path], store))
            # A store file found unusable while checking this root is reported with it (and cached
            # with it), so a later run that finds the root cached reports it too.
            found += [
                store_finding(repo_root, store.problems[f])
                for f in sorted(set(store.problems) - known)
            ]
            result.findings.extend(found)
            result.built += 1
            if cache and not root.sources & uncacheable:  # nothing made from a credential is cached
                cache.put(key, found)
        _aggregate_builds(workdir, tree, aggregates, options, result)
        _kubeconform_pass(
            workdir, catalog, [r for r, _ in todo], built, options, result, store_index
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _write_roots(
    workdir: Path,
    tree: Tree,
    roots: list[BuildRoot],
    texts: TextCache | None = None,
    written: set[str] | None = None,
    uncacheable: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Write the roots' files; those in ``written`` are on disk already (and maybe being read by
    a running build: runtimes roots share base/runtimes/), so they are never written twice."""
    written = set() if written is None else written
    wanted: set[str] = set()
    for root in roots:
        files = _root_files(root, tree)
        if texts:
            texts.fill(tree.files, root.path, files, store=not root.sources & uncacheable)
        wanted.update(files)
    wanted -= written
    written |= wanted
    for rel in sorted(wanted):
        path = workdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tree.files[rel], encoding="utf-8")


def _store(version: str, options: Options, index: StoreIndex) -> Any:
    from modelserve.validate.kubeschemas import SchemaStore

    return SchemaStore(
        kubernetes_version=version,
        store_dirs=list(options.schema_dirs),
        strict=options.strict,
        index=index,
    )


def _check_root(
    root: BuildRoot, built: list[dict[str, Any]] | kustomize.BuildError, store: Any
) -> list[Finding]:
    from modelserve.validate.objects import validate_object

    kustomization = f"deploy/{root.path}/kustomization.yaml"
    if isinstance(built, kustomize.BuildError):
        return [
            Finding(
                kustomization,
                1,
                1,
                "kustomize-build",
                Severity.ERROR,
                f"kustomize build failed: {built}",
                hint="regenerate with `modelserve generate`; if it persists, report a bug",
            )
        ]
    expected = {o.key: o for o in root.objects}
    found: list[Finding] = []
    for obj in built:
        key = (
            obj.get("kind", ""),
            (obj.get("metadata") or {}).get("namespace", ""),
            (obj.get("metadata") or {}).get("name", ""),
        )
        rendered = expected.pop(key, None)
        if rendered is None:
            found.append(
                Finding(
                    kustomization,
                    1,
                    1,
                    "build-mismatch",
                    Severity.ERROR,
                    f"the build produced {key[0]} {key[2]}, which the generator did not render",
                )
            )
            continue
        if rendered.obj != obj:
            found.append(
                _locate(
                    rendered,
                    (),
                    kustomization,
                    "build-mismatch",
                    Severity.ERROR,
                    f"Kustomize changed {rendered.label} while building {root.path}",
                )
            )
        for problem in validate_object(store, obj):
            severity = Severity.ERROR if problem.severity == "error" else Severity.WARNING
            found.append(
                _locate(
                    rendered,
                    tuple(problem.pointer),
                    kustomization,
                    problem.rule,
                    severity,
                    f"{rendered.label}: {format_path(list(problem.pointer)) or 'object'}: {problem.message}",
                )
            )
    for rendered in expected.values():
        found.append(
            Finding(
                kustomization,
                1,
                1,
                "build-mismatch",
                Severity.ERROR,
                f"{rendered.label} is missing from the build of {root.path}",
            )
        )
    return found


def _locate(
    rendered: RenderedObject,
    pointer: tuple[Any, ...],
    fallback: str,
    rule: str,
    severity: Severity,
    message: str,
) -> Finding:
    file, line, col = rendered.locate(pointer)
    if not file:
        file, line, col = fallback, 1, 1
    return Finding(
        file,
        line,
        col,
        rule,
        severity,
        message,
        format_path(list(pointer)),
        rendered.label,
        "fix the catalog or environment field this comes from",
    )


def _aggregates_to_build(
    tree: Tree, options: Options, keys: dict[str, str], result: Result
) -> list[tuple[str, str]]:
    """(env, cache key) of the aggregate overlays to build; cached ones add their findings now.

    Each small environment's aggregate overlay is built as a person would run it; above
    AGGREGATE_BUILD_LIMIT objects its superlinear cost is not worth it: its shards are built.
    """
    todo = []
    for env in sorted(tree.aggregates):
        roots = tree.env_roots(env)
        if (options.envs is not None and env not in options.envs) or sum(
            len(r.objects) for r in roots
        ) > AGGREGATE_BUILD_LIMIT:
            continue
        overlay = tree.aggregates[env]
        key = make_key(
            "aggregate",
            overlay,
            tree.files[f"{overlay}/kustomization.yaml"],
            *sorted(keys.get(r.path, r.path) for r in roots),
        )
        hit = options.cache.get(key) if options.cache else None
        if hit is None:
            todo.append((env, key))
        else:
            result.findings.extend(hit)
    return todo


def _aggregate_builds(
    workdir: Path, tree: Tree, aggregates: list[tuple[str, str]], options: Options, result: Result
) -> None:
    for env, key in aggregates:
        overlay = tree.aggregates[env]
        roots = [r for r in tree.env_roots(env) if not r.path.startswith("clusters/")]
        _write_roots(workdir, tree, [r for r in roots if not (workdir / r.path).is_dir()])
        aggregate = f"{overlay}/kustomization.yaml"
        (workdir / aggregate).write_text(tree.files[aggregate], encoding="utf-8")
        found = []
        try:
            kustomize.build(workdir / overlay)
        except kustomize.BuildError as exc:
            found.append(
                Finding(
                    f"deploy/{aggregate}",
                    1,
                    1,
                    "kustomize-build",
                    Severity.ERROR,
                    f"kustomize build of {overlay} failed: {exc}",
                )
            )
        result.findings.extend(found)
        if options.cache:
            options.cache.put(key, found)


def _kubeconform_pass(
    workdir: Path,
    catalog: Catalog,
    roots: list[BuildRoot],
    built: dict[Path, Any],
    options: Options,
    result: Result,
    store_index: StoreIndex,
) -> None:
    """An extra, independent opinion when kubeconform is on PATH; never required.

    kubeconform reads a copy of the store holding only the files that passed the store checks
    (``generator/schemastore.py``), so it follows no reference out of the store either.
    """
    from modelserve.render.yamlout import dump_all
    from modelserve.validate.objects import kubeconform_available, run_kubeconform

    if not kubeconform_available():
        return
    by_version: dict[str, list[Path]] = {}
    objects: dict[tuple[str, str], RenderedObject] = {}
    for root in roots:
        objs = built[workdir / root.path]
        if isinstance(objs, kustomize.BuildError):
            continue
        out = workdir / "kubeconform" / (root.path.replace("/", "_") + ".yaml")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(dump_all(objs))
        by_version.setdefault(catalog.environments[root.env].kubernetes_version, []).append(out)
        objects.update({(o.obj["kind"], o.obj["metadata"]["name"]): o for o in root.objects})
    checked = []
    for i, folder in enumerate(store_index.folders):
        copy = workdir / "kubeconform-store" / str(i)
        copy.mkdir(parents=True, exist_ok=True)
        for name, data in folder.files.items():
            (copy / name).write_bytes(data)
        checked.append(copy)
    for version, files in sorted(by_version.items()):
        # Only imported stores: the shipped schemas $ref core definitions kubeconform cannot
        # resolve offline, so kinds without an imported CRD are skipped by kubeconform.
        try:
            entries = run_kubeconform(files, checked, version)
        except ConfigError as exc:  # a second opinion that fails is a warning, not a failed run
            result.findings.append(
                Finding(
                    "deploy",
                    1,
                    1,
                    "kubeconform",
                    Severity.WARNING,
                    f"kubeconform did not run: {exc}",
                )
            )
            continue
        for entry in entries:
            if entry.get("status") not in ("statusInvalid", "statusError"):
                continue
            rendered = objects.get((entry.get("kind", ""), entry.get("name", "")))
            message = (
                f"kubeconform: {entry.get('kind')} {entry.get('name')}: {entry.get('msg', '')}"
            )
            if rendered is None:
                result.findings.append(
                    Finding(
                        str(entry.get("filename", "")), 1, 1, "kubeconform", Severity.ERROR, message
                    )
                )
            else:
                result.findings.append(
                    _locate(rendered, (), "deploy", "kubeconform", Severity.ERROR, message)
                )


def _progress(options: Options, message: str) -> None:
    if options.progress:
        options.progress(message)


def default_workers() -> int:
    return os.cpu_count() or 2
