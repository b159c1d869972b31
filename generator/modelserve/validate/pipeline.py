"""The whole validation: load, rules, render, real Kustomize builds, rendered-object schemas.

Each Kustomize root Flux builds is built once (in parallel threads), its objects compared with
what the renderer meant to produce and validated against the Kubernetes and custom-kind
schemas of the environment's Kubernetes version. Per-root results are cached by the content
of everything they depend on, so a one-model change rebuilds one shard per environment and
still reports exactly what a full run would.
"""

from __future__ import annotations

import os
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
from modelserve.deploy.tree import DEPLOY_DIR, BuildRoot, Tree, build_tree
from modelserve.errors import ConfigError
from modelserve.findings import Finding, Severity
from modelserve.gcpause import cycle_collection_paused
from modelserve.load.repository import Loaded, Repository, load_repository
from modelserve.model import Catalog
from modelserve.render import RenderedObject
from modelserve.report.waivers import apply_waivers, catalog_waivers
from modelserve.rules import run_rules
from modelserve.rules.base import Context, RuleInfo
from modelserve.validate import kustomize
from modelserve.validate.derived import check_derived
from modelserve.validate.rendered import AT_SOURCE, schema_findings
from modelserve.validate.scratch import BuildFolder
from modelserve.validate.store import RULE, StoreIndex, StoreProblem

# Checks of rendered objects that are no catalog rules, located at the field they came from.
BUILD_MISMATCH = RuleInfo("build-mismatch", Severity.ERROR, "", AT_SOURCE)
KUBECONFORM = RuleInfo("kubeconform", Severity.ERROR, "", AT_SOURCE)

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
    derived: int = 0  # objects KServe derives, checked in this run (cached roots not counted)
    seconds: float = 0.0
    files: int = 0
    # findings an inline waiver covers, with its reason (report.waivers): reported, not dropped
    suppressed: list[tuple[Finding, str]] = field(default_factory=list)


@cycle_collection_paused()
def validate_repository(repo: Repository, options: Options | None = None) -> Result:
    """Load, then plan, build, check and merge: each step returns its findings."""
    options = options or Options()
    start = time.perf_counter()
    parse_cache = (
        ParseCache(options.cache.directory) if options.cache and options.cache.enabled else None
    )
    loaded = load_repository(repo, parse_cache)
    store_index = StoreIndex.scan(options.schema_dirs)  # read once per run, bounded and checked
    findings = list(loaded.findings)
    findings += [store_finding(repo.root, problem) for problem in store_index.problems]
    result = Result([], loaded.catalog, None, files=len(loaded.files))
    too_large = over_budget(loaded.catalog)
    if too_large is not None:  # neither rendered nor built: the bound is the finding
        findings.append(too_large)
    else:
        tree = result.tree = build_tree(loaded.catalog)
        plan = _plan(loaded, tree, options, store_index)
        result.cached = len(plan.root_hits)
        result.objects = sum(len(root.objects) for root in plan.roots)
        findings += [f for hit in plan.root_hits + plan.aggregate_hits for f in hit]
        ctx = Context(
            loaded.catalog,
            tree,
            loaded.recency,
            cache=options.cache if options.cache and options.cache.enabled else None,
            root_keys=plan.keys,
            uncacheable=loaded.uncacheable,
            known_clean=loaded.known_clean,
        )
        findings += _build_and_check(plan, ctx, result, repo.root)
    outcome = apply_waivers(sorted(set(findings)), catalog_waivers(loaded.catalog))
    result.findings = sorted(set(outcome.findings))
    result.suppressed = outcome.suppressed
    result.seconds = time.perf_counter() - start
    return result


@dataclass
class Plan:
    """What a run must build: the roots and aggregates the cache does not answer."""

    loaded: Loaded
    tree: Tree
    options: Options
    store_index: StoreIndex
    roots: list[BuildRoot]  # those of the environments asked for
    todo: list[tuple[BuildRoot, str]]  # (root, cache key) of the roots to build
    aggregates: list[tuple[str, str]]  # (environment, cache key) of the overlays to build
    root_hits: list[list[Finding]]  # the cached answers
    aggregate_hits: list[list[Finding]]
    keys: dict[str, str] = field(default_factory=dict)  # root path -> its cache key


def _plan(loaded: Loaded, tree: Tree, options: Options, store_index: StoreIndex) -> Plan:
    roots = [r for r in tree.roots if options.envs is None or set(r.envs) & options.envs]
    todo: list[tuple[BuildRoot, str]] = []
    hits: list[list[Finding]] = []
    keys: dict[str, str] = {}
    for root in roots:
        key = keys[root.path] = root_key(
            root, tree, loaded.digests, loaded.catalog, options, store_index.digest
        )
        hit = options.cache.get(key) if options.cache else None
        if hit is None:
            todo.append((root, key))
        else:
            hits.append(hit)
    aggregates, aggregate_hits = _aggregates_to_build(tree, options, keys) if roots else ([], [])
    return Plan(
        loaded, tree, options, store_index, roots, todo, aggregates, hits, aggregate_hits, keys
    )


def _build_and_check(plan: Plan, ctx: Context, result: Result, repo_root: Path) -> list[Finding]:
    """Build what the plan holds and check the builds; the catalog rules run meanwhile.

    The builds run in Go with the GIL released, so Python work proceeds beside them: each
    root's build starts as soon as its files are written, while the next roots are dumped, and
    the catalog rules (independent of the builds) run while the last builds finish.
    """
    if not plan.todo and not plan.aggregates:
        result.engine = "none needed (all builds cached)" if plan.roots else ""
        return list(run_rules(ctx))
    options, tree = plan.options, plan.tree
    engine = kustomize.engine()
    result.engine = engine.summary
    cache = options.cache
    uncacheable = plan.loaded.uncacheable
    enabled = cache is not None and cache.enabled
    # Texts made from a credential are never kept on disk: such a run builds in a fresh folder.
    keep = enabled and not any(root.sources & uncacheable for root in tree.roots)
    with BuildFolder(cache.directory / "scratch" if cache and keep else None) as folder:
        workdir = folder.path
        texts = TextCache(cache.directory) if cache and enabled else None
        _progress(options, f"building {len(plan.todo)} Kustomize root(s) with {engine.name}")
        written: set[str] = set()
        with ThreadPoolExecutor(max_workers=options.workers or default_workers()) as builders:
            building = {}
            for root, _ in plan.todo:
                _write_roots(folder, tree, [root], texts, written, uncacheable)
                building[workdir / root.path] = builders.submit(
                    kustomize.build_or_error, workdir / root.path
                )
            # The overlap: the rules, and the objects KServe derives (which need no build),
            # while the builds finish.
            findings = list(run_rules(ctx))
            checks = _RootChecks(plan, repo_root)
            checks.derived(result)
            built = {path: future.result() for path, future in building.items()}
        findings += checks.builds(workdir, built)
        result.built = len(plan.todo)
        findings += _aggregate_builds(folder, tree, plan.aggregates, options, written)
        findings += _kubeconform_pass(
            workdir, plan.loaded.catalog, [r for r, _ in plan.todo], built, plan.store_index
        )
        return findings


class _RootChecks:
    """The checks of the roots a run builds: the objects KServe derives from their
    InferenceServices (``derived``, no build needed), then each built root against what was
    rendered and the schemas of its Kubernetes version (``builds``); every root's findings are
    cached under its key (unless made from a credential)."""

    def __init__(self, plan: Plan, repo_root: Path):
        self.plan, self.repo_root = plan, repo_root
        self.stores: dict[str, Any] = {}
        self.found: dict[str, list[Finding]] = {root.path: [] for root, _ in plan.todo}

    def _store(self, root: BuildRoot) -> Any:
        version = self.plan.loaded.catalog.environments[root.env].kubernetes_version
        if version not in self.stores:
            self.stores[version] = _store(version, self.plan.options, self.plan.store_index)
        return self.stores[version]

    def _checked(self, root: BuildRoot, check: Callable[[Any], list[Finding]]) -> None:
        store = self._store(root)
        known = set(store.problems)
        found = self.found[root.path]
        found += check(store)
        # A store file found unusable while checking this root is reported with it (and cached
        # with it), so a later run that finds the root cached reports it too.
        found += [
            store_finding(self.repo_root, store.problems[f])
            for f in sorted(set(store.problems) - known)
        ]

    def derived(self, result: Result) -> None:
        catalog, tree = self.plan.loaded.catalog, self.plan.tree
        for root, _ in self.plan.todo:

            def check(store: Any, root: BuildRoot = root) -> list[Finding]:
                derived = check_derived(root, tree, catalog, store)
                result.derived += derived.objects
                return derived.findings

            self._checked(root, check)

    def builds(self, workdir: Path, built: dict[Path, Any]) -> list[Finding]:
        plan, cache = self.plan, self.plan.options.cache
        findings: list[Finding] = []
        for i, (root, key) in enumerate(plan.todo, 1):
            _progress(
                plan.options, f"checking {i}/{len(plan.todo)}: environment {root.env}, {root.path}"
            )

            def check(store: Any, root: BuildRoot = root) -> list[Finding]:
                return _check_root(root, built[workdir / root.path], store)

            self._checked(root, check)
            found = self.found[root.path]
            findings += found
            if cache and not root.sources & plan.loaded.uncacheable:  # none made from a credential
                cache.put(key, found)
        return findings


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
    if root.path.startswith("shared/"):
        folders += [
            f"base/runtimes/{o.obj['metadata']['name']}"
            for o in root.objects
            if o.obj.get("kind") == "ClusterServingRuntime"
        ]
    return [rel for folder in folders for rel in tree.files.under(folder)]


def _write_roots(
    folder: BuildFolder,
    tree: Tree,
    roots: list[BuildRoot],
    texts: TextCache | None,
    written: set[str],
    uncacheable: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Write the roots' files; those in ``written`` are on disk already (and maybe being read by
    a running build: runtimes roots share base/runtimes/), so they are never written twice."""
    wanted: set[str] = set()
    for root in roots:
        files = _root_files(root, tree)
        if texts:
            texts.fill(tree.files, root.path, files, store=not root.sources & uncacheable)
        wanted.update(files)
    wanted -= written
    written |= wanted
    for rel in sorted(wanted):
        folder.write(rel, tree.files[rel])


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

    kustomization = root.kustomization
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
            message = f"Kustomize changed {rendered.label} while building {root.path}"
            found.append(rendered.finding(BUILD_MISMATCH, (), message, kustomization))
        found += schema_findings(store, rendered, obj, kustomization)
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


def _aggregates_to_build(
    tree: Tree, options: Options, keys: dict[str, str]
) -> tuple[list[tuple[str, str]], list[list[Finding]]]:
    """(env, cache key) of the aggregate overlays to build, and the cached answers of the others.

    Each small environment's aggregate overlay is built as a person would run it; above
    AGGREGATE_BUILD_LIMIT objects its superlinear cost is not worth it: its shards are built.
    """
    todo = []
    hits = []
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
            hits.append(hit)
    return todo, hits


def _aggregate_builds(
    folder: BuildFolder,
    tree: Tree,
    aggregates: list[tuple[str, str]],
    options: Options,
    written: set[str],
) -> list[Finding]:
    findings: list[Finding] = []
    for env, key in aggregates:
        overlay = tree.aggregates[env]
        roots = [r for r in tree.env_roots(env) if not r.path.startswith("clusters/")]
        _write_roots(folder, tree, roots, None, written)
        aggregate = f"{overlay}/kustomization.yaml"
        folder.write(aggregate, tree.files[aggregate])
        found = []
        try:
            kustomize.build(folder.path / overlay)
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
        findings += found
        if options.cache:
            options.cache.put(key, found)
    return findings


def _kubeconform_pass(
    workdir: Path,
    catalog: Catalog,
    roots: list[BuildRoot],
    built: dict[Path, Any],
    store_index: StoreIndex,
) -> list[Finding]:
    """An extra, independent opinion when kubeconform is on PATH; never required.

    kubeconform reads a copy of the store holding only the files that passed the store checks
    (``generator/modelserve/validate/store.py``), so it follows no reference out of the store
    either.
    """
    from modelserve.render.yamlout import dump_all
    from modelserve.validate.objects import kubeconform_available, run_kubeconform

    if not kubeconform_available():
        return []
    with tempfile.TemporaryDirectory(prefix="modelserve-kubeconform-") as tmp:
        scratch = Path(tmp)
        findings: list[Finding] = []
        kustomization_of: dict[str, str] = {}  # scratch file -> the root's kustomization.yaml
        by_version: dict[str, list[Path]] = {}
        objects: dict[tuple[str, str], RenderedObject] = {}
        for root in roots:
            objs = built[workdir / root.path]
            if isinstance(objs, kustomize.BuildError):
                continue
            out = scratch / "kubeconform" / (root.path.replace("/", "_") + ".yaml")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(dump_all(objs))
            by_version.setdefault(catalog.environments[root.env].kubernetes_version, []).append(out)
            kustomization_of[str(out)] = root.kustomization
            objects.update({(o.obj["kind"], o.obj["metadata"]["name"]): o for o in root.objects})
        checked = []
        for i, folder in enumerate(store_index.folders):
            copy = scratch / "kubeconform-store" / str(i)
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
                findings.append(
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
                    # kubeconform names the scratch file it read: report the root it was built from
                    file = kustomization_of.get(str(entry.get("filename", "")), DEPLOY_DIR)
                    findings.append(Finding(file, 1, 1, "kubeconform", Severity.ERROR, message))
                else:
                    findings.append(rendered.finding(KUBECONFORM, (), message, DEPLOY_DIR))
        return findings


def _progress(options: Options, message: str) -> None:
    if options.progress:
        options.progress(message)


def default_workers() -> int:
    return os.cpu_count() or 2
