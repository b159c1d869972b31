"""Benchmarks of modelserve against baselines measured in the same run: ``python -m bench.run``.

    overlay      what Flux's kustomize-controller pays per reconcile of ONE environment: every
                 root the generator writes vs the naive one-overlay-with-a-patch-per-model layout
    validate     ``modelserve validate --no-cache`` vs the same Kustomize builds alone
    incremental  a one-model change with a warm cache; findings equal a full no-cache run
    generate     ``modelserve generate`` split into load, render, rules, write (+ no-change write)
    schema       rendered-object schema validation throughput vs kubernetes-validate
    commands     the reviewer commands (explain, capacity, endpoints, import) as processes on the
                 example, vs the start-up of `modelserve -V`; capacity at the large size vs
                 loading that catalog

Figures are wall-clock times on this machine, taken after a warm-up of the Kustomize engine:
the generated overlay builds are the best of three passes, everything else is measured once
(the sizes make repeats too slow). See bench/README.md for a real run.
``--quick`` runs the same code on small sizes, as a smoke test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import json
import math
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.naive import build_naive
from bench.synth import synthesize
from modelserve.cache.findings import FindingsCache
from modelserve.cache.parse import RACY_MARGIN_NS
from modelserve.deploy.tree import build_tree
from modelserve.deploy.write import write_tree
from modelserve.generate import generate
from modelserve.load.repository import Repository, load_repository
from modelserve.rules import run_rules
from modelserve.rules.base import Context
from modelserve.validate import kustomize as kustomize_engine
from modelserve.validate.pipeline import Options, validate_repository

try:
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


@dataclass(frozen=True)
class Sizes:
    overlay_models: tuple[int, ...]
    naive_max: int  # the naive layout is built only up to this many models
    naive_budget_s: float  # all naive builds together; the one running when it is spent is stopped
    models: int  # validate / incremental / generate / schema catalog
    envs: int
    kv_sample: int


REPEATS = 3  # passes over the generated roots; the best one counts
# The naive budget keeps `make bench` under 10 minutes on 2 cores: the 1,000-model naive build
# alone takes longer than that (bench/README.md), so by default it is stopped and reported as a
# lower bound with an extrapolation; `--naive-budget 1500` lets it finish.
FULL = Sizes(
    overlay_models=(250, 500, 1000, 2000),
    naive_max=1000,
    naive_budget_s=450.0,
    models=1000,
    envs=4,
    kv_sample=300,
)
QUICK = Sizes(
    overlay_models=(40, 80), naive_max=80, naive_budget_s=60.0, models=60, envs=2, kv_sample=40
)


@dataclass
class Row:
    bench: str
    ours: str
    baseline: str
    ratio: str
    goal: str = "-"
    met: bool | None = None


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Helpers


def secs(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def rate(value: float) -> str:
    return f"{value:,.0f} obj/s"


class Kustomize:
    """pykustomize alone, one build after another, on one event loop."""

    def __init__(self) -> None:
        # Loaded as validate loads it (with the same Go collector setting), so the baseline and
        # the pipeline run the same library the same way.
        pykustomize = kustomize_engine.import_pykustomize()
        self._kustomizer = pykustomize.Kustomizer()
        self._loop = asyncio.new_event_loop()

    def build(self, path: Path) -> list[dict[str, Any]]:
        return list(self._loop.run_until_complete(self._kustomizer.build_json(path)).resources)

    def timed_builds(self, paths: list[Path]) -> tuple[float, float, int]:
        """(total seconds, slowest build, objects) of building ``paths`` one after another."""
        total, slowest, objects = 0.0, 0.0, 0
        for path in paths:
            start = time.perf_counter()
            objects += len(self.build(path))
            took = time.perf_counter() - start
            total, slowest = total + took, max(slowest, took)
        return total, slowest, objects

    def close(self) -> None:
        self._loop.close()


def write_files(base: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


class Workspaces:
    """Synthetic catalogs under one temporary folder, each made once per run."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._made: dict[tuple[int, int], Path] = {}

    def catalog(self, models: int, envs: int) -> Path:
        key = (models, envs)
        if key not in self._made:
            self._made[key] = self.fresh(f"catalog-{models}x{envs}", models, envs)
        return self._made[key]

    def fresh(self, name: str, models: int, envs: int) -> Path:
        root = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.base))
        synthesize(root, models, envs)
        return root


# ---------------------------------------------------------------------------------------------
# 1. Overlay build cost per reconcile

# Builds the given roots one after another in a fresh process (so a naive build that runs too
# long can be stopped) and prints {"seconds": [...], "objects": n}; the first path is a warm-up.
_BUILD_SCRIPT = """
import asyncio, json, sys, time
import pykustomize
k, loop = pykustomize.Kustomizer(), asyncio.new_event_loop()
loop.run_until_complete(k.build_json(sys.argv[1]))
seconds, objects = [], 0
for path in sys.argv[2:]:
    start = time.perf_counter()
    objects += loop.run_until_complete(k.build_json(path)).count
    seconds.append(time.perf_counter() - start)
print(json.dumps({"seconds": seconds, "objects": objects}))
"""


def bench_overlay(ws: Workspaces, sizes: Sizes, kz: Kustomize, report: Report) -> None:
    generated: dict[int, float] = {}
    naive: dict[int, float] = {}
    deadline = time.perf_counter() + sizes.naive_budget_s
    for models in sizes.overlay_models:
        root = ws.catalog(models, 1)
        catalog = load_repository(Repository(root)).catalog
        tree = build_tree(catalog)
        env = next(iter(catalog.environments))
        write_files(root / "deploy", tree.files)
        roots = [root / "deploy" / r.path for r in tree.env_roots(env)]
        runs = [kz.timed_builds(roots) for _ in range(REPEATS)]
        total, slowest, objects = min(runs)
        generated[models] = total
        name = f"overlay build, {models} models (1 env)"
        ours = f"{secs(total)} ({len(roots)} roots, slowest {secs(slowest)}, {objects} objects)"
        if models > sizes.naive_max:
            report.rows.append(
                Row(
                    name,
                    ours,
                    f"naive: not run (time-boxed above {sizes.naive_max} models"
                    f"{_estimate(naive, models)})",
                    "-",
                )
            )
            continue
        layout = build_naive(catalog, tree)
        write_files(root / "naive", layout.files)
        timeout = max(30.0, deadline - time.perf_counter())
        measured = _subprocess_builds(
            ws.base / "warm-up", [root / "naive" / r for r in layout.roots[env]], timeout
        )
        goal = "naive/ours >= 10x" if models == 500 else "-"
        if measured is None:
            report.rows.append(
                Row(
                    name,
                    ours,
                    f"naive > {secs(timeout)} (stopped: time box{_estimate(naive, models)})",
                    f"> {timeout / total:.0f}x faster",
                    goal,
                    timeout / total >= 10 if models == 500 else None,
                )
            )
            continue
        naive_total, naive_objects = measured
        naive[models] = naive_total
        report.rows.append(
            Row(
                name,
                ours,
                f"naive {secs(naive_total)} (2 roots, {naive_objects} objects)",
                f"{naive_total / total:.1f}x faster",
                goal,
                naive_total / total >= 10 if models == 500 else None,
            )
        )
    report.notes.append(
        f"overlay: ours is the best of {REPEATS} sequential passes over every root Flux builds for "
        "the environment (its cluster's shared root, each model shard, "
        "clusters/<cluster>/modelserve); the naive layout is built once in a child process"
        f", stopped when the naive budget of {secs(sizes.naive_budget_s)} "
        "is spent"
    )
    _linearity(generated, naive, report)


def _estimate(naive: dict[int, float], models: int) -> str:
    predicted = _predict(naive, models)
    return f"; extrapolated ~{secs(predicted[0])} at n^{predicted[1]:.1f}" if predicted else ""


def _subprocess_builds(
    warm_up: Path, paths: list[Path], timeout: float
) -> tuple[float, int] | None:
    """(seconds, objects) of building ``paths`` in a child process, or None past ``timeout``."""
    argv = [sys.executable, "-c", _BUILD_SCRIPT, str(warm_up), *map(str, paths)]
    env = {**os.environ, "GOGC": os.environ.get("GOGC", kustomize_engine.GO_GC_PERCENT)}
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, check=True, env=env
        )
    except subprocess.TimeoutExpired:
        return None  # subprocess.run has killed the child
    data = json.loads(proc.stdout)
    return sum(data["seconds"]), int(data["objects"])


def _predict(measured: dict[int, float], models: int) -> tuple[float, float] | None:
    """(seconds, exponent): the naive build time at ``models``, extrapolated with the growth
    exponent of the two largest measured sizes (2, quadratic, with only one size)."""
    if not measured:
        return None
    sizes = sorted(measured)
    largest = sizes[-1]
    exponent = 2.0
    if len(sizes) >= 2 and measured[sizes[-2]] > 0:
        exponent = math.log(measured[largest] / measured[sizes[-2]]) / math.log(largest / sizes[-2])
    return measured[largest] * (models / largest) ** exponent, exponent


def _linearity(generated: dict[int, float], naive: dict[int, float], report: Report) -> None:
    sizes = sorted(generated)
    if len(sizes) < 2:
        return
    big, small = sizes[-1], sizes[-2]
    growth = generated[big] / generated[small]
    naive_sizes = sorted(naive)
    naive_growth = (
        (
            f"naive {naive_sizes[-1]}/{naive_sizes[-2]}: "
            f"{naive[naive_sizes[-1]] / naive[naive_sizes[-2]]:.2f}x"
        )
        if len(naive_sizes) >= 2
        else "-"
    )
    limit = 1.1 * big / small  # linear, with 10% slack: 2.2x for twice the models
    report.rows.append(
        Row(
            f"overlay build growth, {big}/{small} models",
            f"{growth:.2f}x",
            naive_growth,
            f"{growth:.2f}x",
            f"<= {limit:.1f}x",
            growth <= limit,
        )
    )


# ---------------------------------------------------------------------------------------------
# 2. End-to-end validation


def bench_validate(ws: Workspaces, sizes: Sizes, kz: Kustomize, report: Report) -> None:
    root = ws.catalog(sizes.models, sizes.envs)
    layout = Repository(root)
    start = time.perf_counter()
    result = validate_repository(layout, Options(cache=None))
    ours = time.perf_counter() - start
    if any(f.severity.name == "ERROR" for f in result.findings):
        report.failures.append(
            f"validate: the synthetic catalog has {len(result.findings)} finding(s)"
        )
    with tempfile.TemporaryDirectory(dir=ws.base) as tmp:
        tree = build_tree(load_repository(layout).catalog)
        write_files(Path(tmp), tree.files)
        baseline, _, objects = kz.timed_builds([Path(tmp) / r.path for r in tree.roots])
    report.rows.append(
        Row(
            f"validate --no-cache, {sizes.models} models x {sizes.envs} envs",
            f"{secs(ours)} ({result.built} builds, {result.objects} objects)",
            f"pykustomize alone {secs(baseline)} ({len(tree.roots)} roots, {objects} objects)",
            f"{ours / baseline:.2f}x",
            "<= 1.5x",
            ours / baseline <= 1.5,
        )
    )
    report.notes.append(
        f"validate: {os.cpu_count()} build threads in validate, the baseline builds one root "
        f"after another; {len(result.findings)} finding(s) on the synthetic catalog"
    )


# ---------------------------------------------------------------------------------------------
# 3. Incremental validation


EDITS = (
    # (what, old text, new text): each changes one model file the way a pull request would.
    ("one more replica", "replicas:\n  min: 1\n  max: 1\n", "replicas:\n  min: 1\n  max: 2\n"),
    (
        "replicas beyond the pool (a gpu-capacity warning)",
        "replicas:\n  min: 1\n  max: 1\n",
        "replicas:\n  min: 1\n  max: 500\n",
    ),
)


def bench_incremental(ws: Workspaces, sizes: Sizes, kz: Kustomize, report: Report) -> None:
    root = ws.fresh("incremental", sizes.models, sizes.envs)
    # A pull request's files were checked out before validate runs; the parse cache does not
    # trust the stat of a file changed within RACY_MARGIN_NS of the run that saw it.
    time.sleep(RACY_MARGIN_NS / 1e9)
    layout = Repository(root)
    cache = FindingsCache(root / ".cache")
    start = time.perf_counter()
    validate_repository(layout, Options(cache=cache))
    warm = time.perf_counter() - start
    targets = _gpu_models(root, len(EDITS))
    if not targets:
        report.failures.append("incremental: no GPU model with fixed replicas to edit")
        return
    times, rebuilt = [], []
    for (what, old, new), path in zip(EDITS, targets, strict=False):
        path.write_text(path.read_text().replace(old, new, 1))
        start = time.perf_counter()
        result = validate_repository(layout, Options(cache=cache))
        times.append(time.perf_counter() - start)
        rebuilt.append(
            f"{what}: {secs(times[-1])}, "
            f"{result.built} of {result.built + result.cached} roots rebuilt"
        )
    start = time.perf_counter()
    full = validate_repository(layout, Options(cache=None))
    full_time = time.perf_counter() - start
    same = result.findings == full.findings
    if not same:
        report.failures.append("incremental: findings differ from a full no-cache run")
    worst = max(times)
    report.rows.append(
        Row(
            f"incremental validate, 1 model changed ({sizes.models} x {sizes.envs})",
            f"{secs(worst)} (worst of {len(times)} edits)",
            f"full no-cache {secs(full_time)}",
            f"{full_time / worst:.1f}x faster",
            "< 1 s",
            worst < 1.0,
        )
    )
    report.notes.append("incremental: warm run " + secs(warm) + "; " + "; ".join(rebuilt))
    report.notes.append(
        f"incremental: findings equal to a full no-cache run on the changed catalog: "
        f"{'yes' if same else 'NO'} ({len(full.findings)} finding(s): "
        f"{dict(Counter(f.rule for f in full.findings))})"
    )


def _gpu_models(root: Path, count: int) -> list[Path]:
    found = [
        p
        for p in sorted((root / "catalog" / "models").glob("*.yaml"))
        if "gpu:" in (text := p.read_text()) and "replicas:\n  min: 1\n  max: 1\n" in text
    ]
    return found[:: max(1, len(found) // count)][:count]


# ---------------------------------------------------------------------------------------------
# 4. Generation


def bench_generate(ws: Workspaces, sizes: Sizes, kz: Kustomize, report: Report) -> None:
    root = ws.catalog(sizes.models, sizes.envs)
    layout = Repository(root)
    label = f"{sizes.models} x {sizes.envs}"
    start = time.perf_counter()
    loaded = load_repository(layout)
    load_time = time.perf_counter() - start
    load_floor = _timed(
        lambda: [yaml.load(p.read_text(), Loader=_Loader) for p in loaded.files.values()]
    )
    start = time.perf_counter()
    tree = build_tree(loaded.catalog)
    render_time = time.perf_counter() - start
    files: dict[str, str] = {}
    # tree.files may produce its texts when first read (the YAML dump); this times exactly that.
    dump_time = _timed(lambda: files.update((rel, tree.files[rel]) for rel in tree.files))
    objects = [o.obj for r in tree.roots for o in r.objects]
    dump_floor = _timed(lambda: [yaml.dump(o, Dumper=_Dumper, sort_keys=False) for o in objects])
    rules_time = _timed(lambda: list(run_rules(Context(loaded.catalog, tree))))
    out = Path(tempfile.mkdtemp(prefix="generate-", dir=ws.base))
    first = _timed(lambda: write_tree(out / "deploy", files))
    plain = _timed(lambda: write_files(out / "plain", files))
    again = _timed(lambda: write_tree(out / "deploy", files))
    read_floor = _timed(lambda: [(out / "plain" / rel).read_bytes() for rel in files])
    start = time.perf_counter()
    generated = generate(layout)
    if generated.tree is not None:
        dict(generated.tree.files.items())
    library = time.perf_counter() - start
    if generated.tree is None:
        report.failures.append("generate: the synthetic catalog did not generate")
    rows = [
        (
            f"generate {label}: load ({len(loaded.files)} files)",
            load_time,
            "PyYAML C parse",
            load_floor,
        ),
        (
            f"generate {label}: render + YAML dump ({len(files)} files, {len(objects)} objects)",
            render_time + dump_time,
            "PyYAML C dump of the objects",
            dump_floor,
        ),
        (
            f"generate {label}: write into empty deploy/",
            first,
            "plain write_text of the files",
            plain,
        ),
        (f"generate {label}: write, nothing changed", again, "plain read of the files", read_floor),
    ]
    for name, ours, what, floor in rows:
        report.rows.append(
            Row(name, secs(ours), f"{what} {secs(floor)}", f"{ours / floor:.2f}x of floor")
        )
    report.rows.append(Row(f"generate {label}: rules (run_rules)", secs(rules_time), "-", "-"))
    report.notes.append(
        f"generate: render {secs(render_time)} + YAML dump {secs(dump_time)}; "
        "modelserve.generate() with every file's text produced (load + render + rules + dump) "
        f"took {secs(library)}; the "
        "floors are what any tool pays to parse, dump, write or read the same data"
    )


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------
# 5. Rendered-object schema validation throughput


def bench_schema(ws: Workspaces, sizes: Sizes, kz: Kustomize, report: Report) -> None:
    from modelserve.validate.kubeschemas import SchemaStore
    from modelserve.validate.objects import validate_object

    root = ws.catalog(sizes.models, sizes.envs)
    tree = build_tree(load_repository(Repository(root)).catalog)
    objects = [o.obj for r in tree.roots for o in r.objects]
    store = SchemaStore(kubernetes_version="1.33", store_dirs=[], strict=False)
    cold = _timed(lambda: [validate_object(store, o) for o in _one_per_kind(objects)])
    problems: Counter[str] = Counter()
    start = time.perf_counter()
    for obj in objects:
        for problem in validate_object(store, obj):
            problems[f"{obj['kind']}: {problem.rule}"] += 1
    ours = len(objects) / (time.perf_counter() - start)
    kv = _kubernetes_validate(objects, sizes.kv_sample)
    kinds = Counter(o["kind"] for o in objects)
    isvcs = kinds["InferenceService"]
    report.rows.append(
        Row(
            f"schema validation, {len(objects)} rendered objects ({isvcs} ISVCs)",
            rate(ours),
            f"kubernetes_validate {rate(kv['validated_rate'])}",
            f"{ours / kv['validated_rate']:.0f}x",
            ">= 300x",
            ours / kv["validated_rate"] >= 300,
        )
    )
    report.notes.append(
        f"schema: objects by kind {dict(kinds)}; first object of each kind (schema compile) "
        f"{secs(cold)}; problems reported: {dict(problems) or 'none'}"
    )
    report.notes.append(
        "schema: kubernetes_validate.validate(obj, '1.33', strict=True) on a sample of "
        f"{kv['sample']} objects (after one warm-up call; all {kv['core']} core-kind objects, "
        f"each 5 times, + a random sample): validated {kv['validated']} "
        f"calls ({kv['validated_kinds']}), {kv['no_schema']} SchemaNotFoundError "
        f"({kv['no_schema_kinds']}: it has no schema for custom kinds), {kv['invalid']} "
        "ValidationError. The baseline rate is per object it actually validates; counting its "
        f"fast SchemaNotFoundError failures it manages {rate(kv['attempt_rate'])} "
        f"({ours / kv['attempt_rate']:.0f}x)"
    )


def _one_per_kind(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({(o["apiVersion"], o["kind"]): o for o in objects}.values())


def _kubernetes_validate(objects: list[dict[str, Any]], sample_size: int) -> dict[str, Any]:
    import kubernetes_validate as kv

    core = [
        o for o in objects if "/" not in o["apiVersion"] or "." not in o["apiVersion"].split("/")[0]
    ]
    core_ids = {id(o) for o in core}
    others = [o for o in objects if id(o) not in core_ids]
    rng = random.Random(0)
    picked = rng.sample(others, min(len(others), max(0, sample_size - 5 * len(core))))
    outcomes: dict[str, list[tuple[str, float]]] = {"ok": [], "missing": [], "invalid": []}
    kv.validate(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "warm-up"}},
        "1.33",
        strict=True,
    )
    for obj in [o for o in core for _ in range(5)] + picked:
        start = time.perf_counter()
        try:
            kv.validate(obj, "1.33", strict=True)
            outcome = "ok"
        except kv.SchemaNotFoundError:
            outcome = "missing"
        except kv.ValidationError:
            outcome = "invalid"
        outcomes[outcome].append((obj["kind"], time.perf_counter() - start))
    checked = outcomes["ok"] + outcomes["invalid"]
    total = sum(t for runs in outcomes.values() for _, t in runs)
    calls = sum(len(runs) for runs in outcomes.values())
    return {
        "sample": calls,
        "core": len(core),
        "validated": len(outcomes["ok"]),
        "invalid": len(outcomes["invalid"]),
        "no_schema": len(outcomes["missing"]),
        "validated_kinds": dict(Counter(k for k, _ in checked)),
        "no_schema_kinds": ", ".join(sorted({k for k, _ in outcomes["missing"]})),
        "validated_rate": len(checked) / sum(t for _, t in checked) if checked else float("nan"),
        "attempt_rate": calls / total,
    }


# ---------------------------------------------------------------------------------------------
# Machine, table, main

# ---------------------------------------------------------------------------------------------
# 6. The reviewer commands, as a user runs them (a process each)

EXAMPLE = Path(__file__).resolve().parents[1]
EXAMPLE_COMMANDS = (
    ("explain", "prod", "llama-3-3-70b-instruct"),
    ("capacity", "--env", "prod"),
    ("capacity", "--format", "json"),
    ("endpoints", "--env", "prod"),
    ("endpoints", "--format", "sql"),
)
COMMAND_GOAL_S = 1.0  # on the example, each
CAPACITY_GOAL_S = 5.0  # at 1,000 models x 4 environments


def _process_seconds(*args: str | Path, repeats: int = 3) -> float:
    """The best of ``repeats`` wall-clock runs of ``python -m modelserve ARGS`` (exit 0)."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "modelserve", *map(str, args)], capture_output=True, text=True
        )
        took = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"modelserve {' '.join(map(str, args))}: {proc.stderr.strip()}")
        best = min(best, took)
    return best


def bench_commands(ws: Workspaces, sizes: Sizes, kz: Kustomize, report: Report) -> None:
    start_up = _process_seconds("-V")
    for args in EXAMPLE_COMMANDS:
        took = _process_seconds(*args, "--root", EXAMPLE)
        report.rows.append(
            Row(
                f"modelserve {' '.join(args)} (example)",
                secs(took),
                f"`modelserve -V` {secs(start_up)}",
                f"{took / start_up:.2f}x",
                f"< {COMMAND_GOAL_S:g} s",
                took < COMMAND_GOAL_S,
            )
        )
    # import: the nim-deploy KServe manifests of ../shared/upstream into an empty repository
    nim = Path(os.environ.get("MODELSERVE_SHARED") or EXAMPLE.parent / "shared")
    nim = nim / "upstream" / "samples" / "nim"
    with tempfile.TemporaryDirectory() as tmp:
        for folder in ("catalog/runtimes", "catalog/models", "environments"):
            (Path(tmp) / folder).mkdir(parents=True)
        took = _process_seconds("import", "--root", tmp, "--env", "lab", "--dry-run", nim)
    files = len(list(nim.rglob("*.yaml")))
    report.rows.append(
        Row(
            f"modelserve import --dry-run (nim-deploy samples, {files} files)",
            secs(took),
            f"`modelserve -V` {secs(start_up)}",
            f"{took / start_up:.2f}x",
            f"< {COMMAND_GOAL_S:g} s",
            took < COMMAND_GOAL_S,
        )
    )
    root = ws.catalog(sizes.models, sizes.envs)
    loading = _timed(lambda: load_repository(Repository(root)))
    took = _process_seconds("capacity", "--root", root, "--format", "json", repeats=1)
    label = f"{sizes.models} x {sizes.envs}"
    report.rows.append(
        Row(
            f"modelserve capacity --format json ({label})",
            secs(took),
            f"load_repository in-process {secs(loading)}",
            f"{took / loading:.2f}x",
            f"< {CAPACITY_GOAL_S:g} s",
            took < CAPACITY_GOAL_S,
        )
    )
    report.notes.append(
        "commands: whole processes, best of 3 (the large capacity run once), so the figures "
        "include Python's start-up and the imports each command pays"
    )


BENCHMARKS: dict[str, Callable[[Workspaces, Sizes, Kustomize, Report], None]] = {
    "overlay": bench_overlay,
    "validate": bench_validate,
    "incremental": bench_incremental,
    "generate": bench_generate,
    "schema": bench_schema,
    "commands": bench_commands,
}


def machine() -> list[str]:
    pykustomize = kustomize_engine.import_pykustomize()

    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"nproc: {nproc}",
        f"CPU: {cpu}",
        f"Python: {platform.python_version()} ({platform.platform()})",
        f"pykustomize: {pykustomize.get_version()}, kustomize api "
        f"{_kustomize_version(pykustomize)}, GOGC="
        f"{os.environ.get('GOGC', kustomize_engine.GO_GC_PERCENT)} (as validate loads it)",
    ]


def _load() -> float:
    """Other work on the machine skews every figure; the report says how much there was."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _kustomize_version(module: Any) -> str:
    """The sigs.k8s.io/kustomize/api version compiled into pykustomize's Go library."""
    for lib in Path(module.__file__).parent.glob("_lib/*/*.so"):
        found = re.search(rb"sigs\.k8s\.io/kustomize/api\s+(v[0-9][0-9.]*)", lib.read_bytes())
        if found:
            return found.group(1).decode()
    return "unknown"


def table(rows: list[Row]) -> str:
    header = ("benchmark", "ours", "baseline", "ratio", "goal", "met?")
    cells = [header] + [
        (
            r.bench,
            r.ours,
            r.baseline,
            r.ratio,
            r.goal,
            "-" if r.met is None else ("yes" if r.met else "NO"),
        )
        for r in rows
    ]
    lines = ["| " + " | ".join(c) + " |" for c in cells]
    lines.insert(1, "|" + "|".join("---" for _ in header) + "|")
    return "\n".join(lines)


def render(report: Report, info: list[str], elapsed: float, quick: bool) -> str:
    out = [
        f"## modelserve benchmarks{' (--quick)' if quick else ''}",
        "",
        "Machine: " + "; ".join(info),
        "",
        table(report.rows),
        "",
    ]
    out += [f"- {note}" for note in report.notes]
    out += [f"- FAILED: {failure}" for failure in report.failures]
    out.append(f"- whole run: {secs(elapsed)}")
    return "\n".join(out) + "\n"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: a smoke run of every benchmark"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--markdown", type=Path, help="also write the table and notes to this file")
    parser.add_argument(
        "--naive-budget",
        type=float,
        metavar="SECONDS",
        help="time for all naive overlay builds together (default: 450, --quick: 60)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary catalogs (their path is printed)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sizes = QUICK if args.quick else FULL
    if args.naive_budget is not None:
        sizes = dataclasses.replace(sizes, naive_budget_s=args.naive_budget)
    names = args.only or list(BENCHMARKS)
    start, load_at_start = time.perf_counter(), _load()
    report = Report()
    base = Path(tempfile.mkdtemp(prefix="modelserve-bench-"))
    kz = Kustomize()
    try:
        _warm_up(kz, base)
        ws = Workspaces(base)
        for name in names:
            began = time.perf_counter()
            print(f"running {name} ...", file=sys.stderr, flush=True)
            # Each benchmark starts from a collected heap, as a fresh `modelserve` process would:
            # the earlier ones' garbage is not this one's cost.
            gc.collect()
            BENCHMARKS[name](ws, sizes, kz, report)
            print(f"  {name} took {secs(time.perf_counter() - began)}", file=sys.stderr, flush=True)
    finally:
        kz.close()
        if args.keep:
            print(f"kept {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)
    info = machine() + [f"load average (1 min) at start {load_at_start:.2f}, at end {_load():.2f}"]
    text = render(report, info, time.perf_counter() - start, args.quick)
    sys.stdout.write(text)
    if args.markdown:
        args.markdown.write_text(text)
    if report.failures:
        return 1
    return 1 if args.check and any(r.met is False for r in report.rows) else 0


def _warm_up(kz: Kustomize, base: Path) -> None:
    """One tiny build first, so no benchmark pays the Go runtime's start-up."""
    folder = base / "warm-up"
    write_files(
        folder,
        {
            "kustomization.yaml": "resources: [cm.yaml]\n",
            "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        },
    )
    kz.build(folder)


if __name__ == "__main__":
    raise SystemExit(main())
