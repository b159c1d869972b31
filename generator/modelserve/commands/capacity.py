"""modelserve capacity: per cluster and GPU pool, what the catalog commits at minimum and maximum
replicas and at the rollout peak, what is free, and which replica sits on which node
(modelserve.capacity); markdown, JSON, and an SVG picture per pool."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from modelserve.atomic import write_atomic
from modelserve.commands import common
from modelserve.errors import EXIT_OK, ConfigError
from modelserve.report.console import write_trusted
from modelserve.report.display import one_line
from modelserve.report.emit import emit_json, resolve_format

if TYPE_CHECKING:
    from modelserve.capacity import PoolPlan


@dataclass(frozen=True)
class CapacityOptions:
    root: Path
    env: str | None
    cluster: str | None
    format: str
    svg: Path | None


def add_parser(sub: common.Subparsers, name: str) -> None:
    parser = common.add_command(
        sub,
        name,
        "plan GPU capacity per cluster and pool from the scheduling simulation",
        [
            "modelserve capacity",
            "modelserve capacity --env prod --svg docs/",
            "modelserve capacity --cluster gke-prod --format json",
        ],
        exits="0 printed, 2 an unknown environment or cluster, or an unwritable --svg folder",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--env", metavar="NAME", help="only the pools this environment uses")
    scope.add_argument("--cluster", metavar="NAME", help="only this cluster's pools")
    parser.add_argument(
        "--svg",
        type=Path,
        metavar="DIR",
        help="also write one picture per pool, DIR/<cluster>-<pool>.svg",
    )
    common.add_root(parser)
    common.add_format(parser, ("auto", "markdown", "json"))


def from_args(args: argparse.Namespace) -> CapacityOptions:
    return CapacityOptions(Path(args.root), args.env, args.cluster, args.format, args.svg)


def run(options: CapacityOptions) -> int:
    from modelserve.capacity import plan
    from modelserve.load.repository import load_repository
    from modelserve.report import capacity as report
    from modelserve.rules.base import Context

    repo = common.open_repository(options.root)
    loaded = load_repository(repo)
    catalog = loaded.catalog
    if options.env is not None and options.env not in catalog.environments:
        known = sorted(catalog.environments)
        raise ConfigError(
            f"no environment '{options.env}' (there are: {', '.join(known) or 'none'})"
            + common.did_you_mean(options.env, known)
        )
    clusters = sorted({e.cluster for e in catalog.environments.values()})
    if options.cluster is not None and options.cluster not in clusters:
        raise ConfigError(
            f"no cluster '{options.cluster}' in environments/ (there are: "
            f"{', '.join(clusters) or 'none'})" + common.did_you_mean(options.cluster, clusters)
        )
    common.warn_file_errors(loaded, "the plan leaves out what did not load")
    ctx = Context(catalog, recency=loaded.recency)
    plans = plan(ctx, options.env, options.cluster)
    written = _write_pictures(options.svg, plans) if options.svg is not None else []
    if resolve_format(options.format) == "json":
        emit_json({"pools": [report.to_dict(p) for p in plans], "pictures": written}, sys.stdout)
    else:
        write_trusted(sys.stdout, report.markdown(plans))
    for path in written:
        sys.stderr.write(f"modelserve: wrote {one_line(path)}\n")
    return EXIT_OK


def picture_name(cluster: str, pool: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", f"{cluster}-{pool}") + ".svg"


def _write_pictures(folder: Path, plans: list[PoolPlan]) -> list[str]:
    from modelserve.report import capacity as report

    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--svg {folder} is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for item in plans:
        if not item.node_use:  # the profile does not describe its nodes: nothing to draw
            continue
        path = folder / picture_name(item.cluster, item.pool)
        write_atomic(path, report.svg(item))
        written.append(path.as_posix())
    return written
