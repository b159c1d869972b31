"""modelserve endpoints: per environment, how consumers reach each model (URL, gRPC, the
OpenAI-compatible base and served model name, task, API key Secret), as markdown, JSON, or the
SQL that registers the models with EDB's AIDB (modelserve.endpoints)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from modelserve.commands import common
from modelserve.errors import EXIT_OK
from modelserve.report.console import write_trusted
from modelserve.report.emit import emit_json, resolve_format


@dataclass(frozen=True)
class EndpointsOptions:
    root: Path
    env: str | None
    format: str


def add_parser(sub: common.Subparsers, name: str) -> None:
    parser = common.add_command(
        sub,
        name,
        "list how consumers reach each model, or the SQL registering them with AIDB",
        [
            "modelserve endpoints",
            "modelserve endpoints --env prod --format json",
            "modelserve endpoints --env prod --format sql > register-prod.sql",
        ],
        exits="0 printed, 2 an unknown or unloadable environment",
    )
    parser.add_argument("--env", metavar="NAME", help="only this environment")
    common.add_root(parser)
    common.add_format(parser, ("auto", "markdown", "json", "sql"))


def from_args(args: argparse.Namespace) -> EndpointsOptions:
    return EndpointsOptions(Path(args.root), args.env, args.format)


def run(options: EndpointsOptions) -> int:
    from modelserve.deploy.tree import build_tree
    from modelserve.endpoints import environment_endpoints
    from modelserve.load.repository import load_repository
    from modelserve.report import endpoints as report

    repo = common.open_repository(options.root)
    loaded = load_repository(repo)
    if options.env is not None:
        common.require_environment(loaded, options.env)
    common.warn_file_errors(loaded, "models that did not load are left out")
    catalog = loaded.catalog
    tree = build_tree(catalog)
    names = [options.env] if options.env else sorted(catalog.environments)
    found = [e for name in names for e in environment_endpoints(catalog, tree, name)]
    chosen = options.format
    if chosen == "sql":
        scope = f" --env {options.env}" if options.env else ""
        write_trusted(sys.stdout, report.sql(found, f"modelserve endpoints{scope} --format sql"))
    elif resolve_format(chosen) == "json":
        emit_json(report.to_dict(found), sys.stdout)
    else:
        write_trusted(sys.stdout, report.markdown(found))
    return EXIT_OK
