"""What a change does to each environment, rendered: the diff reviewers read on a pull request.

Both sides are rendered in memory (``modelserve.generate.generate``) and compared object by
object, per environment: each model's InferenceService and monitor, the ClusterServingRuntimes
the environment uses, and the rest (Namespace, Flux Kustomizations). Which shard a model lands
in does not matter; what the cluster receives does.

A field change is ``{"object", "path", "old", "new"}`` with a dotted path into the rendered
object (``spec.predictor.minReplicas``; keys holding dots in brackets:
``metadata.annotations["serving.kserve.io/autoscalerClass"]``). A field present on one side
only has no ``old`` (added) or no ``new`` (removed) key; a whole object added or removed has
the path ``""``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modelserve.generate import Generated
from modelserve.model import DEFAULT_GPU_RESOURCE, Catalog, Environment
from modelserve.report.display import md_code

MARKDOWN_LIMIT = 60_000  # GitHub refuses comments over 65,536 characters
MIN_MARKDOWN_LIMIT = 1_000  # room for the title, one table row and the notes
VALUE_WIDTH = 120
ISVC = "InferenceService"
NO_PROFILE = "(no profile)"
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_STATUS_NOTE = {"added": " (new environment)", "removed": " (environment removed)"}


@dataclass
class EnvObjects:
    """What one environment receives, keyed so that both sides can be compared."""

    env: Environment
    models: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=dict
    )  # model -> kind -> object
    runtimes: dict[str, dict[str, Any]] = field(default_factory=dict)
    shards: dict[str, str] = field(default_factory=dict)  # model -> the root it is built in
    other: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # "Kind namespace/name" -> object


def environment_objects(generated: Generated) -> dict[str, EnvObjects]:
    if generated.tree is None:
        raise ValueError("the catalog has errors and was not rendered")
    envs = {name: EnvObjects(env) for name, env in generated.catalog.environments.items()}
    for root in generated.tree.roots:
        for rendered in root.objects:
            # A cluster's shared roots serve all its environments: an object labelled with one
            # environment belongs to it, the others (runtimes, the shared Flux object) to each.
            labels = rendered.obj["metadata"].get("labels") or {}
            owner = labels.get("modelserve.io/environment")
            for env_name in (owner,) if owner in root.envs else root.envs:
                target = envs[env_name]
                kind = rendered.obj["kind"]
                if rendered.model:
                    target.models.setdefault(rendered.model, {})[kind] = rendered.obj
                    target.shards[rendered.model] = root.path
                elif kind == "ClusterServingRuntime":
                    target.runtimes[rendered.obj["metadata"]["name"]] = rendered.obj
                else:
                    target.other[rendered.label] = rendered.obj
    return envs


def diff_catalogs(base: Generated, head: Generated) -> dict[str, Any]:
    """Per-environment changes from ``base`` to ``head``; both must have rendered (tree not
    None)."""
    old, new = environment_objects(base), environment_objects(head)
    environments = {
        name: _environment(old.get(name), new.get(name)) for name in sorted(set(old) | set(new))
    }
    before, after = packing(base.catalog), packing(head.catalog)
    for name, env in environments.items():
        env["pools"] = _pool_table(name, before, after)
    return {"environments": environments, "summary": _summary(environments)}


def _environment(old: EnvObjects | None, new: EnvObjects | None) -> dict[str, Any]:
    either = new or old
    assert either is not None
    models = _section(old.models if old else {}, new.models if new else {}, _model_changes)
    models["added"] = (
        [_model_info(name, new.models[name], new.env) for name in models["added"]] if new else []
    )
    models["removed"] = (
        [_model_info(name, old.models[name], old.env) for name in models["removed"]] if old else []
    )
    # A model that moves to another shard moves to another Flux Kustomization: whichever of the
    # two prunes first deletes it, and the other recreates it (a restart of a GPU model).
    models["moved"] = (
        [
            {"name": name, "from": old.shards[name], "to": new.shards[name]}
            for name in sorted(set(old.shards) & set(new.shards))
            if old.shards[name] != new.shards[name]
        ]
        if old and new
        else []
    )
    runtimes = _section(old.runtimes if old else {}, new.runtimes if new else {}, _object_changes)
    other = _section(old.other if old else {}, new.other if new else {}, _object_changes)
    changed = any(s["added"] or s["removed"] or s["changed"] for s in (models, runtimes, other))
    status = (
        "added"
        if old is None
        else "removed"
        if new is None
        else "changed"
        if changed
        else "unchanged"
    )
    return {
        "status": status,
        "cluster": either.env.cluster,
        "namespace": either.env.namespace,
        "models": models,
        "runtimes": runtimes,
        "other": other,
        "gpus": _gpu_table(old, new),
    }


def _section(
    old: dict[str, Any], new: dict[str, Any], compare: Callable[[Any, Any], list[dict[str, Any]]]
) -> dict[str, Any]:
    changed = {}
    for key in sorted(set(old) & set(new)):
        found = compare(old[key], new[key])
        if found:
            changed[key] = found
    return {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": changed,
    }


def _object_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    old, new = _without_model_lists(old), _without_model_lists(new)
    return [{"object": new["kind"], **change} for change in field_changes(old, new)]


def _without_model_lists(obj: dict[str, Any]) -> dict[str, Any]:
    """A shard Kustomization's health checks list its models' Deployments: a model added or
    removed is reported with the models, not again as a change of the shard."""
    spec = obj.get("spec")
    if obj.get("kind") != "Kustomization" or not isinstance(spec, dict):
        return obj
    if "healthChecks" not in spec:
        return obj
    return {**obj, "spec": {k: v for k, v in spec.items() if k != "healthChecks"}}


def _model_changes(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for kind in sorted(set(old) | set(new), key=lambda k: (k != ISVC, k)):
        if kind not in new:
            out.append({"object": kind, "path": "", "old": old[kind]})
        elif kind not in old:
            out.append({"object": kind, "path": "", "new": new[kind]})
        else:
            out += _object_changes(old[kind], new[kind])
    return out


def field_changes(old: Any, new: Any, path: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Leaf-level differences; lists of different lengths count as one change of the whole list."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[dict[str, Any]] = []
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new:
                out.append({"path": dotted(path + (key,)), "old": old[key]})
            elif key not in old:
                out.append({"path": dotted(path + (key,)), "new": new[key]})
            else:
                out += field_changes(old[key], new[key], path + (key,))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            c
            for i, (a, b) in enumerate(zip(old, new, strict=False))
            for c in field_changes(a, b, path + (i,))
        ]
    return [{"path": dotted(path), "old": old, "new": new}]


def dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(str(part)):
            out += ("." if out else "") + str(part)
        else:
            out += f"[{json.dumps(str(part))}]"
    return out


def replicas(isvc: dict[str, Any]) -> tuple[int, int]:
    """(min, max) as KServe reads them: min defaults to 1, max to min."""
    predictor = isvc["spec"]["predictor"]
    low = int(predictor.get("minReplicas", 1))
    return low, max(int(predictor.get("maxReplicas", low)), low)


def gpu_profile(isvc: dict[str, Any], env: Environment) -> tuple[str, int]:
    """The GPU profile the model runs on and its GPUs per replica (0 for CPU models)."""
    profile = isvc["metadata"].get("labels", {}).get("modelserve.io/profile")
    resource = (
        env.profiles[profile].gpu_resource if profile in env.profiles else DEFAULT_GPU_RESOURCE
    )
    limits = isvc["spec"]["predictor"]["model"].get("resources", {}).get("limits", {})
    return profile or NO_PROFILE, int(limits.get(resource, 0))


def gpu_totals(objects: EnvObjects) -> dict[str, dict[str, int]]:
    """Per profile: the sum over models of GPUs x min replicas and GPUs x max replicas."""
    totals = {name: {"min": 0, "max": 0} for name in objects.env.profiles}
    for kinds in objects.models.values():
        isvc = kinds.get(ISVC)
        if isvc is None:
            continue
        profile, gpus = gpu_profile(isvc, objects.env)
        if not gpus:
            continue
        low, high = replicas(isvc)
        entry = totals.setdefault(profile, {"min": 0, "max": 0})
        entry["min"] += gpus * low
        entry["max"] += gpus * high
    return totals


def packing(catalog: Catalog) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (cluster, pool) whose nodes the profile describes: its environments, how minimum
    replicas pack on its nodes and what the rollout peak commits, from the capacity plan
    (modelserve.capacity, the simulation rule gpu-capacity runs)."""
    from modelserve.capacity import plan
    from modelserve.rules.base import Context

    return {
        (item.cluster, item.pool): {
            "environments": item.environments,
            "nodes": len(item.node_use),
            "nodesUsed": sum(1 for use in item.node_use if use.owners),
            "capacity": item.capacity,
            "gpusFree": sum(use.free for use in item.node_use),
            "committed": {"min": item.committed_min, "max": item.committed_max, "peak": item.peak},
            "fits": not item.unplaced_min,
            "fitsPeak": not item.unplaced_peak,
        }
        for item in plan(Context(catalog))
        if item.capacity is not None
    }


def _pool_table(
    env: str, before: dict[tuple[str, str], dict[str, Any]], after: dict[tuple[str, str], Any]
) -> dict[str, dict[str, Any]]:
    """The pools an environment uses, before and after, at minimum replicas."""
    table = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if env not in (old or {}).get("environments", []) + (new or {}).get("environments", []):
            continue
        table[f"{key[0]}/{key[1]}"] = {"before": old, "after": new}
    return table


def _gpu_table(
    old: EnvObjects | None, new: EnvObjects | None
) -> dict[str, dict[str, dict[str, int]]]:
    before = gpu_totals(old) if old else {}
    after = gpu_totals(new) if new else {}
    zero = {"min": 0, "max": 0}
    return {
        p: {"before": before.get(p, zero), "after": after.get(p, zero)}
        for p in sorted(set(before) | set(after))
    }


def _model_info(name: str, kinds: dict[str, dict[str, Any]], env: Environment) -> dict[str, Any]:
    isvc = kinds.get(ISVC)
    if isvc is None:
        return {"name": name}
    profile, gpus = gpu_profile(isvc, env)
    low, high = replicas(isvc)
    return {
        "name": name,
        "runtime": isvc["spec"]["predictor"]["model"].get("runtime"),
        "profile": None if profile == NO_PROFILE else profile,
        "gpus": gpus,
        "minReplicas": low,
        "maxReplicas": high,
    }


def _summary(environments: dict[str, dict[str, Any]]) -> dict[str, int]:
    total = {
        "environments_changed": 0,
        "models_added": 0,
        "models_removed": 0,
        "models_changed": 0,
        "models_moved": 0,
        "runtimes_added": 0,
        "runtimes_removed": 0,
        "runtimes_changed": 0,
        "other_changed": 0,
    }
    for env in environments.values():
        total["environments_changed"] += env["status"] != "unchanged"
        for section in ("models", "runtimes"):
            for what in ("added", "removed", "changed"):
                total[f"{section}_{what}"] += len(env[section][what])
        total["models_moved"] += len(env["models"].get("moved", []))
        other = env["other"]
        total["other_changed"] += (
            len(other["added"]) + len(other["removed"]) + len(other["changed"])
        )
    return total


# Renderers ------------------------------------------------------------------------------------


@dataclass
class _Block:
    """Lines always shown, then entries dropped from the end when the comment would be too long."""

    head: list[str]
    entries: list[str] = field(default_factory=list)


def render_markdown(diff: dict[str, Any], limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment under ``limit`` characters; what does not fit is counted, not cut
    mid-line."""
    blocks = [_Block(_title(diff) + _overview(diff))]
    unchanged = []
    for name, env in diff["environments"].items():
        if env["status"] == "unchanged":
            unchanged.append(md_code(name))
        else:
            blocks += _env_blocks(name, env)
    if unchanged:
        blocks.append(_Block(["", f"No rendered change in: {', '.join(unchanged)}."]))
    return _fit(blocks, limit)


def _title(diff: dict[str, Any]) -> list[str]:
    base, head = diff.get("base") or {}, diff.get("head") or {}
    label = f"{md_code(_side(base))} -> {md_code(_side(head))}" if base or head else "base -> head"
    return [f"### modelserve diff: {label}", ""]


def _side(side: dict[str, Any]) -> str:
    ref, commit = side.get("ref", "?"), side.get("commit") or ""
    return (
        f"{ref} ({commit[:10]})" if commit and not commit.startswith(ref) else (ref or commit[:10])
    )


def _overview(diff: dict[str, Any]) -> list[str]:
    s = diff["summary"]
    if not s["environments_changed"]:
        return ["No rendered change in any environment."]
    lines = [
        (
            "| environment | models | runtimes | other objects | GPUs at min replicas "
            "| GPUs at max replicas |"
        ),
        "|---|---|---|---|---|---|",
    ]
    for name, env in diff["environments"].items():
        if env["status"] == "unchanged":
            continue
        gpus = env["gpus"]
        lines.append(
            f"| {md_code(name, table=True)}{_STATUS_NOTE.get(env['status'], '')}"
            f" | {_counts(env['models'])} | {_counts(env['runtimes'])} | {_counts(env['other'])}"
            f" | {_total(gpus, 'min')} | {_total(gpus, 'max')} |"
        )
    return lines


def _counts(section: dict[str, Any]) -> str:
    parts = [
        f"{sign}{len(section[what])}"
        for sign, what in (("+", "added"), ("-", "removed"), ("~", "changed"))
        if section[what]
    ]
    return " ".join(parts) or "-"


def _total(gpus: dict[str, Any], which: str) -> str:
    return _arrow(
        sum(p["before"][which] for p in gpus.values()),
        sum(p["after"][which] for p in gpus.values()),
    )


def _arrow(before: Any, after: Any) -> str:
    return f"{before}" if before == after else f"{before} -> {after}"


def _env_blocks(name: str, env: dict[str, Any]) -> list[_Block]:
    note = _STATUS_NOTE.get(env["status"], "")
    head = [
        "",
        (
            f"#### {md_code(name)}{note}: cluster {md_code(env['cluster'])}, "
            f"namespace {md_code(env['namespace'])}"
        ),
    ]
    head += _table(
        ("GPU profile", "GPUs at min replicas", "GPUs at max replicas"),
        [
            (
                md_code(p, table=True),
                _arrow(t["before"]["min"], t["after"]["min"]),
                _arrow(t["before"]["max"], t["after"]["max"]),
            )
            for p, t in env["gpus"].items()
        ],
    )
    pools = env.get("pools") or {}
    head += _table(
        (
            "node pool (cluster/pool)",
            "nodes used at min replicas",
            "GPUs free at min replicas",
            "GPUs at rollout peak",
        ),
        [
            (
                md_code(pool, table=True),
                _pool_cell(t, "nodesUsed", True),
                _pool_cell(t, "gpusFree", False),
                _peak_cell(t),
            )
            for pool, t in pools.items()
        ],
    )
    if pools:
        head += ["", f"Placement per node: {md_code(f'modelserve capacity --env {name}')}."]
    blocks = [_Block(head)]
    models, runtimes, other = env["models"], env["runtimes"], env["other"]
    blocks.append(_list_block("Models added", [_model_line(m) for m in models["added"]]))
    blocks.append(_list_block("Models removed", [_model_line(m) for m in models["removed"]]))
    blocks.append(
        _list_block("Models changed", [_changes(k, v) for k, v in models["changed"].items()])
    )
    blocks.append(
        _list_block(
            "WARNING: models moving to another Flux Kustomization (deleted and recreated: "
            "pin flux.shards)",
            [
                f"- {md_code(m['name'])}: {md_code(m['from'])} -> {md_code(m['to'])}"
                for m in models.get("moved", [])
            ],
        )
    )
    blocks.append(_list_block("Runtimes added", [f"- {md_code(r)}" for r in runtimes["added"]]))
    blocks.append(_list_block("Runtimes removed", [f"- {md_code(r)}" for r in runtimes["removed"]]))
    blocks.append(
        _list_block("Runtimes changed", [_changes(k, v) for k, v in runtimes["changed"].items()])
    )
    blocks.append(
        _list_block(
            "Other objects",
            [f"- added: {md_code(o)}" for o in other["added"]]
            + [f"- removed: {md_code(o)}" for o in other["removed"]]
            + [_changes(k, v) for k, v in other["changed"].items()],
        )
    )
    return [b for b in blocks if b.head or b.entries]


def _table(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """A markdown table after a blank line; nothing without rows."""
    if not rows:
        return []
    lines = ["", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _pool_cell(table: dict[str, Any], key: str, of_nodes: bool) -> str:
    def one(side: dict[str, Any] | None) -> str:
        if side is None:
            return "-"
        text = f"{side[key]} of {side['nodes']}" if of_nodes else str(side[key])
        return text if side["fits"] else f"{text} (does not fit)"

    return _arrow(one(table["before"]), one(table["after"]))


def _peak_cell(table: dict[str, Any]) -> str:
    def one(side: dict[str, Any] | None) -> str:
        if side is None:
            return "-"
        text = f"{side['committed']['peak']} of {side['capacity']}"
        return text if side["fitsPeak"] else f"{text} (does not fit)"

    return _arrow(one(table["before"]), one(table["after"]))


def _list_block(title: str, entries: list[str]) -> _Block:
    return _Block(["", f"**{title}** ({len(entries)}):", ""] if entries else [], entries)


def _model_line(info: dict[str, Any]) -> str:
    if "runtime" not in info:
        return f"- {md_code(info['name'])}"
    gpus = (
        f"{info['gpus']} GPU{'s' if info['gpus'] != 1 else ''} x " if info["gpus"] else "no GPU, "
    )
    profile = f", profile {md_code(info['profile'])}" if info["profile"] else ""
    return (
        f"- {md_code(info['name'])}: runtime {md_code(str(info['runtime']))}{profile}, {gpus}"
        f"{info['minReplicas']}..{info['maxReplicas']} replicas"
    )


def _changes(name: str, changes: list[dict[str, Any]]) -> str:
    lines = [f"- {md_code(name)}:"]
    for change in changes:
        kind = "" if change["object"] in (ISVC, "ClusterServingRuntime") else f"{change['object']} "
        if not change["path"]:
            lines.append(f"  - {change['object']} {'added' if 'new' in change else 'removed'}")
            continue
        old = _value(change["old"]) if "old" in change else "(absent)"
        new = _value(change["new"]) if "new" in change else "(absent)"
        lines.append(f"  - {kind}{md_code(change['path'], 200)}: {old} -> {new}")
    return "\n".join(lines)


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "))
    return md_code(text, VALUE_WIDTH)


def _fit(blocks: list[_Block], limit: int) -> str:
    fixed = sum(len(line) + 1 for b in blocks for line in b.head)
    # room for one "... N more" line per block and the closing note
    budget = limit - fixed - 80 * len(blocks) - 300
    out: list[str] = []
    left_out = 0
    for block in blocks:
        out += block.head
        shown = 0
        for entry in block.entries:
            if len(entry) + 1 > budget:
                break
            out.append(entry)
            budget -= len(entry) + 1
            shown += 1
        if shown < len(block.entries):
            out.append(f"- ... and {len(block.entries) - shown} more")
            left_out += len(block.entries) - shown
    if left_out:
        out += [
            "",
            f"_{left_out} entries left out to keep this comment under {limit:,} characters; "
            "`modelserve diff --format json` lists them all._",
        ]
    text = "\n".join(out) + "\n"
    if (
        len(text) > limit
    ):  # only when the fixed parts alone are too long (thousands of environments)
        # Cut between lines, never inside one: each line closes its own code spans, so a cut
        # cannot turn the rest of a value into live markdown.
        note = (
            "\n_(cut at the comment size limit; `modelserve diff --format json` has everything)_\n"
        )
        kept, size = [], len(note)
        for line in out:
            if size + len(line) + 1 > limit:
                break
            kept.append(line)
            size += len(line) + 1
        text = "\n".join(kept) + "\n" + note
    return text


def render_failure_markdown(
    sides: list[tuple[str, dict[str, str], list[Any]]], limit: int = MARKDOWN_LIMIT
) -> str:
    """The comment when a side does not render: its errors, each value in a code span."""
    blocks = []
    for name, side, errors in sides:
        where = (
            f"{side.get('ref', '')}, {side.get('commit', '')[:10]}"
            if side.get("commit")
            else side.get("ref", "")
        )
        head = [
            "",
            f"### modelserve diff: the {name} side ({md_code(where)}) does not render",
            "",
            f"Fix these {len(errors)} error(s) first:",
            "",
        ]
        entries = [
            f"- {md_code(f'{f.file}:{f.line}:{f.col}' if f.line else f.file)} {md_code(f.rule)}: "
            f"{md_code(f.message, 300)}"
            for f in errors
        ]
        blocks.append(_Block(head, entries))
    return _fit(blocks, limit)
