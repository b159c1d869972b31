"""modelserve explain ENV MODEL: a model's effective objects in one environment, every value
with the file and line it came from, the modelserve default that set it, or the KServe
function that did (modelserve.explain)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelserve.commands import common
from modelserve.errors import EXIT_OK, ConfigError
from modelserve.findings import format_path
from modelserve.report.console import write_trusted
from modelserve.report.display import one_line
from modelserve.report.emit import emit_json, resolve_format

MARGIN_LIMIT = 60  # a longer origin pushes only its own line's value to the right
VALUE_LIMIT = 200


@dataclass(frozen=True)
class ExplainOptions:
    root: Path
    env: str
    model: str
    format: str


def add_parser(sub: common.Subparsers, name: str) -> None:
    parser = common.add_command(
        sub,
        name,
        "show a model's effective objects in one environment, with the origin of every value",
        [
            "modelserve explain prod llama-3-1-8b-instruct",
            "modelserve explain dev sklearn-iris --format json",
        ],
        exits="0 explained, 2 an unknown or unloadable environment or model",
    )
    parser.add_argument("env", metavar="ENV", help="environment name (environments/ENV.yaml)")
    parser.add_argument("model", metavar="MODEL", help="a model the environment deploys")
    common.add_root(parser)
    common.add_format(parser, ("auto", "text", "json"))


def from_args(args: argparse.Namespace) -> ExplainOptions:
    return ExplainOptions(Path(args.root), args.env, args.model, args.format)


def run(options: ExplainOptions) -> int:
    from modelserve.deploy.tree import build_tree
    from modelserve.explain import explain
    from modelserve.load.repository import load_repository

    repo = common.open_repository(options.root)
    loaded = load_repository(repo)
    catalog = loaded.catalog
    common.require_environment(loaded, options.env)
    deployed = [e.model for e in catalog.environments[options.env].entries]
    if options.model not in deployed:
        raise ConfigError(
            f"environment '{options.env}' deploys no model '{options.model}' "
            f"(it deploys: {', '.join(deployed) or 'none'})"
            + common.did_you_mean(options.model, deployed)
        )
    explained = explain(catalog, build_tree(catalog), options.env, options.model)
    if not explained:
        raise ConfigError(
            f"'{options.model}' in '{options.env}' is not rendered: a reference of its entry is "
            "broken (`modelserve validate` says which)"
        )
    if resolve_format(options.format) == "json":
        emit_json(
            {
                "environment": options.env,
                "model": options.model,
                "objects": [
                    {
                        "object": item.label,
                        **({"derivedBy": item.derived_by} if item.derived_by else {}),
                        "fields": [
                            {"path": format_path(list(p)), "value": v, "origin": o.to_dict()}
                            for p, v, o in item.fields
                        ],
                    }
                    for item in explained
                ],
            },
            sys.stdout,
        )
        return EXIT_OK
    write_trusted(sys.stdout, text(explained))
    return EXIT_OK


_NOT_A_STRING = re.compile(r"(?i)true|false|null|yes|no|on|off|~|[-+]?[0-9][0-9._e+-]*|")


def _reads_as_other(value: str) -> bool:
    """A string a reader would take for a number, a boolean or nothing: shown quoted."""
    return _NOT_A_STRING.fullmatch(value) is not None


def text(explained: list[Any]) -> str:
    """Each object, then one line per value: its origin in a left margin, the field, the value,
    and why, for a default."""
    out: list[str] = []
    for item in explained:
        out.append(one_line(item.label, 300))
        if item.derived_by:
            out.append(f"  built by {item.derived_by}")
        width = min(MARGIN_LIMIT, max(len(o.margin) for _, _, o in item.fields))
        for pointer, value, origin in item.fields:
            reads_as_string = isinstance(value, str) and not _reads_as_other(value)
            shown = one_line(value if reads_as_string else json.dumps(value), VALUE_LIMIT)
            why = f"  ({origin.detail})" if origin.kind == "modelserve" and origin.detail else ""
            margin = one_line(origin.margin, 300)
            out.append(f"  {margin:<{width}}  {one_line(format_path(list(pointer)))}: {shown}{why}")
        out.append("")
    return "\n".join(out)
