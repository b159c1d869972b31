"""modelserve validate: every check, offline: YAML, schemas, rules, Kustomize builds, rendered objects."""

from __future__ import annotations

import argparse
import sys

from modelserve.commands import common
from modelserve.errors import ConfigError
from modelserve.findings import Severity
from modelserve.report.emit import report
from modelserve.validate.pipeline import Options, validate_repository


def add_parser(sub: argparse._SubParsersAction, name: str) -> None:
    parser = sub.add_parser(
        name, help="validate the catalog, environments and their rendered overlays"
    )
    common.add_root(parser)
    common.add_format(parser)
    common.add_schema_options(parser)
    parser.add_argument(
        "--env",
        action="append",
        default=None,
        metavar="NAME",
        help="build and check only this environment (repeatable); catalog rules always run",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="do not read or write the build cache"
    )
    parser.add_argument(
        "--jobs",
        type=common.positive,
        default=None,
        help="parallel Kustomize builds (default: CPU count)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    layout = common.layout_from(args)
    progress = common.Progress()
    options = Options(
        envs=set(args.env) if args.env else None,
        strict=args.strict,
        schema_dirs=common.schema_dirs(args, layout.root),
        cache=common.cache_from(args),
        workers=args.jobs,
        progress=progress,
    )
    if options.envs:
        unknown = sorted(
            options.envs - {p.stem for p in layout.folder("environment").glob("*.y*ml")}
        )
        if unknown:
            raise ConfigError(f"--env {unknown[0]}: no such environment file under environments/")
    result = validate_repository(layout, options)
    if result.files == 0:
        raise ConfigError(
            "no catalog or environment files found: nothing to validate is an error, not a pass"
        )
    progress.done("")
    extra = (
        f"{result.files} files, {result.objects} objects in {result.built + result.cached} builds "
        f"({result.cached} cached); kustomize engine: {result.engine or 'not run'}; {result.seconds:.2f}s"
    )
    report(result.findings, sys.stdout, args.format, extra)
    return 1 if any(f.severity is Severity.ERROR for f in result.findings) else 0
