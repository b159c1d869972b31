"""The capacity plan (modelserve.capacity) as markdown, JSON and one SVG picture per pool.

The picture has one column per node and one slot per device (GPU, MIG slice or time-sliced
replica), filled in the colour of the model whose replica holds it, with a legend; everything
in it follows from the plan in a fixed order, so the same catalog draws the same bytes.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from modelserve.capacity import PoolPlan
from modelserve.report.display import md_code, one_line

MARKDOWN_LIMIT = 60_000  # a pull-request comment: GitHub refuses more than 65,536 characters

# Tableau 20, dark shades first: neighbours in the legend stay apart.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)  # fmt: skip
FREE = "#ffffff"
SLOT_W, SLOT_H, GAP, MARGIN, TITLE_H, LABEL_H, LEGEND_H = 96, 22, 14, 16, 44, 34, 20
# Average advance of DejaVu Sans (0.6 em, bold 0.65 em): wide enough for any text, never measured
# from a font file, so the width is the same on every machine.
CHAR_W, TITLE_CHAR_W, MIN_WIDTH = 7.2, 9.1, 520
SLOT_CHARS = 14  # of a 10 px label inside a slot


def _cores(millicores: int) -> str:
    return f"{millicores / 1000:g}"


def _gib(size: int) -> str:
    return f"{size / 2**30:.0f} GiB"


def headroom(total: int | None, used: int, unit: Any) -> str:
    if total is None:
        return "not described"
    return f"{unit(total - used)} free of {unit(total)}"


def to_dict(plan: PoolPlan) -> dict[str, Any]:
    return {
        "cluster": plan.cluster,
        "pool": plan.pool,
        "profile": plan.profile,
        "environments": plan.environments,
        "devices": plan.devices,
        "nodes": plan.nodes,
        "perNode": plan.per_node,
        "capacity": plan.capacity,
        "committed": {"min": plan.committed_min, "max": plan.committed_max, "peak": plan.peak},
        "surging": plan.surging or None,
        "free": plan.free,
        "cpu": {"millicores": plan.cpu_total, "committedMillicores": plan.cpu_committed},
        "memory": {"bytes": plan.memory_total, "committedBytes": plan.memory_committed},
        "models": [
            {"owner": o, "minReplicas": low, "maxReplicas": high, "perReplica": each}
            for o, low, high, each in plan.models
        ],
        "placement": [
            {
                "node": i + 1,
                "replicas": list(use.owners),
                "free": use.free,
                "cpuFreeMillicores": use.cpu_free,
                "memoryFreeBytes": use.memory_free,
            }
            for i, use in enumerate(plan.node_use)
        ],
        "unplaced": {
            "min": plan.unplaced_min,
            "max": plan.unplaced_max,
            "peak": plan.unplaced_peak,
        },
    }


def markdown(plans: list[PoolPlan], limit: int = MARKDOWN_LIMIT) -> str:
    """The plan for a pull-request comment, cut (with a note) before ``limit`` characters."""
    parts = ["## Capacity", ""]
    if not plans:
        parts.append("No GPU deployments.")
    for plan in plans:
        section = _pool_markdown(plan)
        if sum(len(p) + 1 for p in parts) + len(section) > limit - 200:
            parts.append(
                f"... {len(plans) - plans.index(plan)} more pool(s) not shown (size limit)"
            )
            break
        parts.append(section)
    return "\n".join(parts).rstrip() + "\n"


def _pool_markdown(plan: PoolPlan) -> str:
    envs = ", ".join(md_code(e) for e in plan.environments)
    lines = [
        f"### {md_code(plan.cluster)} pool {md_code(plan.pool)} "
        f"(profile {md_code(plan.profile)}; {envs})",
        "",
        f"| {one_line(plan.devices)} | |",
        "|---|---|",
    ]
    if plan.capacity is None:
        lines.append("| nodes | not described (`gpuProfiles.<p>.nodes`): nothing simulated |")
    else:
        lines.append(f"| nodes | {plan.nodes} x {plan.per_node} = {plan.capacity} |")
    peak = (
        f"{plan.peak} ({md_code(plan.surging, table=True)} rolling out)"
        if plan.surging
        else (f"{plan.peak}")
    )
    lines += [
        f"| committed at minimum replicas | {plan.committed_min}{_miss(plan.unplaced_min)} |",
        f"| at maximum replicas | {plan.committed_max}{_miss(plan.unplaced_max)} |",
        f"| at rollout peak | {peak}{_miss(plan.unplaced_peak)} |",
        f"| free at minimum | {'' if plan.free is None else plan.free} |",
        f"| CPU (cores) | {headroom(plan.cpu_total, plan.cpu_committed, _cores)} |",
        f"| memory | {headroom(plan.memory_total, plan.memory_committed, _gib)} |",
    ]
    if plan.node_use:
        lines += ["", "| node | in use | free | replicas at minimum |", "|---|---|---|---|"]
        for index, use in enumerate(plan.node_use, 1):
            counted: dict[str, int] = {}
            for owner in use.owners:
                counted[owner] = counted.get(owner, 0) + 1
            replicas = ", ".join(
                f"{md_code(o, table=True)}" + (f" x {n}" if n > 1 else "")
                for o, n in counted.items()
            )
            lines.append(f"| {index} | {len(use.slots)} | {use.free} | {replicas or '-'} |")
    return "\n".join(lines) + "\n"


def _miss(owners: list[str]) -> str:
    if not owners:
        return ""
    names = ", ".join(md_code(o, table=True) for o in sorted(set(owners)))
    return f"; **{len(owners)} replica(s) do not fit** ({names})"


def colours(plan: PoolPlan) -> dict[str, str]:
    owners = sorted({o for o, *_ in plan.models})
    return {o: PALETTE[i % len(PALETTE)] for i, o in enumerate(owners)}


def svg(plan: PoolPlan) -> str:
    """One picture of the pool at minimum replicas."""
    per_node = plan.per_node or 0
    columns = max(1, len(plan.node_use))
    colour = colours(plan)
    legend = [(owner, _legend_text(plan, owner)) for owner in sorted(colour)]
    short = {o: o.rsplit("/", 1)[-1] for o in colour}
    if len(set(short.values())) < len(short):  # one model in two environments: say which
        short = {o: o for o in colour}
    title = (
        f"{plan.cluster} / pool {plan.pool}: {plan.committed_min} of {plan.capacity} "
        f"{plan.devices} at minimum replicas"
    )
    subtitle = f"profile {plan.profile}; environments {', '.join(plan.environments)}"
    unplaced = (
        "does not fit at minimum replicas: " + ", ".join(sorted(set(plan.unplaced_min)))
        if plan.unplaced_min
        else ""
    )
    text_w = max(
        [len(title) * TITLE_CHAR_W, len(subtitle) * CHAR_W, len(unplaced) * CHAR_W]
        + [22 + len(text) * CHAR_W for _, text in legend]
    )
    grid_w = columns * SLOT_W + (columns - 1) * GAP
    width = max(MARGIN * 2 + max(grid_w, int(text_w + 0.5)), MIN_WIDTH)
    grid_h = per_node * SLOT_H
    height = TITLE_H + grid_h + LABEL_H + LEGEND_H * (len(legend) + 1) + MARGIN
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Verdana, sans-serif" '
        'font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="22" font-size="14" font-weight="bold">'
        f"{escape(one_line(title))}</text>",
        f'<text x="{MARGIN}" y="38" fill="#555555">{escape(one_line(subtitle))}</text>',
    ]
    for index, use in enumerate(plan.node_use):
        x = MARGIN + index * (SLOT_W + GAP)
        for slot in range(per_node):
            y = TITLE_H + (per_node - 1 - slot) * SLOT_H  # filled from the bottom up
            owner = use.slots[slot] if slot < len(use.slots) else None
            fill = colour.get(owner, FREE) if owner else FREE
            out.append(
                f'<rect x="{x}" y="{y}" width="{SLOT_W}" height="{SLOT_H}" fill="{fill}" '
                'stroke="#333333" stroke-width="1"/>'
            )
            if owner:  # the name too, so the picture does not rely on colour alone
                out.append(
                    f'<text x="{x + 4}" y="{y + 15}" font-size="10" fill="{_ink(fill)}">'
                    f"{escape(_fit(short.get(owner, owner), SLOT_CHARS))}</text>"
                )
        label_y = TITLE_H + grid_h + 16
        middle = x + SLOT_W // 2
        out.append(f'<text x="{middle}" y="{label_y}" text-anchor="middle">node {index + 1}</text>')
        out.append(
            f'<text x="{middle}" y="{label_y + 14}" text-anchor="middle" '
            f'fill="#555555">{use.free} free</text>'
        )
    y = TITLE_H + grid_h + LABEL_H + 14
    for owner, text in legend:
        out.append(
            f'<rect x="{MARGIN}" y="{y - 11}" width="14" height="14" fill="{colour[owner]}" '
            'stroke="#333333"/>'
        )
        out.append(f'<text x="{MARGIN + 22}" y="{y}">{escape(one_line(text))}</text>')
        y += LEGEND_H
    if unplaced:
        out.append(f'<text x="{MARGIN}" y="{y}" fill="#d62728">{escape(one_line(unplaced))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _legend_text(plan: PoolPlan, owner: str) -> str:
    each = next(e for o, _, _, e in plan.models if o == owner)
    low = sum(low for o, low, _, _ in plan.models if o == owner)
    return f"{owner}: {low} replica(s) x {each} = {low * each} {plan.devices}"


def _fit(text: str, chars: int) -> str:
    text = one_line(text)
    return text if len(text) <= chars else text[: chars - 1] + "\u2026"


def _ink(fill: str) -> str:
    """Black on light fills, white on dark ones (WCAG relative luminance, sRGB approximated)."""
    red, green, blue = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "#000000" if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.45 else "#ffffff"
