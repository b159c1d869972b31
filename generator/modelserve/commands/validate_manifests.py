"""modelserve validate-manifests PATH...: the rendered-object checks on any Kubernetes YAML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from modelserve.commands import common
from modelserve.errors import ConfigError
from modelserve.findings import Severity
from modelserve.report.emit import report


def add_parser(sub: argparse._SubParsersAction, name: str) -> None:
    parser = sub.add_parser(
        name, help="validate Kubernetes manifests (files or folders) against their schemas"
    )
    parser.add_argument(
        "paths", nargs="+", type=Path, help="YAML files or folders (searched for *.yaml, *.yml)"
    )
    parser.add_argument(
        "--kubernetes-version", default="1.33", help="Kubernetes minor version for core schemas"
    )
    parser.add_argument(
        "--policy",
        action="store_true",
        help="also run the manifest rules: gpu-placement, monitor-target, image-latest, secret-literal",
    )
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="where the default schema store is looked for"
    )
    common.add_format(parser)
    common.add_schema_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from modelserve.validate.kubeschemas import SchemaStore
    from modelserve.validate.manifests import validate_manifests
    from modelserve.validate.pipeline import store_finding

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise ConfigError(f"{missing[0]}: no such file or folder")
    store = SchemaStore(
        kubernetes_version=args.kubernetes_version,
        store_dirs=common.schema_dirs(args, Path(args.root)),
        strict=args.strict,
    )
    findings, count = validate_manifests(
        list(args.paths), store, policy=args.policy, root=Path(args.root)
    )
    findings += [store_finding(Path(args.root).resolve(), p) for p in store.store_problems()]
    if count == 0 and not findings:
        raise ConfigError(
            "no YAML files found in the given paths: nothing to validate is an error, not a pass"
        )
    report(findings, sys.stdout, args.format, f"{count} object(s) checked")
    return 1 if any(f.severity is Severity.ERROR for f in findings) else 0
