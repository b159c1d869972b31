"""modelserve schemas import: convert CRDs into a local schema store (kubeconform layout)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError
from .common import DEFAULT_SCHEMA_STORE


def add_parser(sub: argparse._SubParsersAction, name: str) -> None:
    parser = sub.add_parser(name, help="manage the local schema store")
    actions = parser.add_subparsers(dest="action", required=True)
    imp = actions.add_parser("import", help="convert CustomResourceDefinitions into {kind}_{version}.json schemas")
    imp.add_argument("paths", nargs="*", type=Path, help="CRD YAML files or folders")
    imp.add_argument("--from-cluster", action="store_true", help="read the CRDs of the current kubeconfig's cluster")
    imp.add_argument("--out", type=Path, default=Path(DEFAULT_SCHEMA_STORE),
                     help=f"schema store folder (default: {DEFAULT_SCHEMA_STORE}/, used by validate when present)")
    imp.set_defaults(run=run_import)


def run_import(args: argparse.Namespace) -> int:
    from ..kubeschemas import import_crds, import_from_cluster

    if not args.paths and not args.from_cluster:
        raise ConfigError("give CRD files or folders, or --from-cluster")
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise ConfigError(f"{missing[0]}: no such file or folder")
    files = [f for p in args.paths for f in (sorted(p.rglob("*.y*ml")) if p.is_dir() else [p])]
    args.out.mkdir(parents=True, exist_ok=True)
    written = import_crds(files, args.out) if files else []
    if args.from_cluster:
        written += import_from_cluster(args.out)
    for path in written:
        print(f"JSON schema written to {path}")
    if not written:
        raise ConfigError("no CustomResourceDefinition with a schema was found")
    return 0
