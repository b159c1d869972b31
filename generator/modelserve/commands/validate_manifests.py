"""modelserve validate-manifests PATH...: the rendered-object checks on any Kubernetes YAML."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from modelserve.commands import common
from modelserve.errors import EXIT_FINDINGS, EXIT_OK, ConfigError
from modelserve.findings import Severity
from modelserve.platform.kserve import NEWEST_KSERVE, KServe
from modelserve.report.display import one_line
from modelserve.report.emit import report
from modelserve.report.waivers import Outcome, apply_config, load_config


@dataclass(frozen=True)
class ValidateManifestsOptions:
    paths: tuple[Path, ...]
    kubernetes_version: str
    policy: bool
    root: Path
    format: str
    schema_locations: tuple[Path, ...]
    strict: bool
    kserve: KServe
    hybrid_manager: bool = False
    install_engine: bool = False


def add_parser(sub: common.Subparsers, name: str) -> None:
    parser = common.add_command(
        sub,
        name,
        "validate Kubernetes manifests (files or folders) against their schemas",
        [
            "modelserve validate-manifests manifests/",
            "modelserve validate-manifests --policy --kserve-version 0.20 isvc.yaml",
        ],
    )
    parser.add_argument(
        "paths", nargs="+", type=Path, help="YAML files or folders (searched for *.yaml, *.yml)"
    )
    parser.add_argument(
        "--kubernetes-version", default="1.33", help="Kubernetes minor version for core schemas"
    )
    parser.add_argument(
        "--kserve-version",
        type=_kserve,
        default=NEWEST_KSERVE,
        metavar="VERSION",
        help=f"KServe release whose admission rules apply (0.15 to 0.20; default {NEWEST_KSERVE})",
    )
    parser.add_argument(
        "--hybrid-manager",
        action="store_true",
        help="the cluster is an EDB Hybrid Manager one: its documented runtimes exist there",
    )
    parser.add_argument(
        "--policy",
        action="store_true",
        help="also run the object rules (`modelserve rules` lists them with scope object)",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=argparse.SUPPRESS,
        help="where the default schema store is looked for (default: the repository root)",
    )
    common.add_format(parser)
    common.add_schema_options(parser)
    common.add_install_engine(parser)


def from_args(args: argparse.Namespace) -> ValidateManifestsOptions:
    return ValidateManifestsOptions(
        paths=tuple(args.paths),
        kubernetes_version=args.kubernetes_version,
        policy=args.policy,
        root=Path(args.root),
        format=args.format,
        schema_locations=tuple(args.schema_location),
        strict=args.strict,
        kserve=args.kserve_version,
        hybrid_manager=args.hybrid_manager,
        install_engine=args.install_engine,
    )


def _kserve(text: str) -> KServe:
    try:
        return KServe.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(options: ValidateManifestsOptions) -> int:
    from modelserve.validate.kubeschemas import SchemaStore
    from modelserve.validate.manifests import validate_manifests
    from modelserve.validate.pipeline import store_finding

    if options.install_engine:
        from modelserve.commands.engine import ensure_for_hook

        ensure_for_hook()

    missing = [p for p in options.paths if not p.exists()]
    if missing:
        raise ConfigError(f"{missing[0]}: no such file or folder")
    store = SchemaStore(
        kubernetes_version=options.kubernetes_version,
        store_dirs=common.schema_dirs(options.schema_locations, options.root),
        strict=options.strict,
    )
    platform = {
        "kubernetes_version": options.kubernetes_version,
        "hybrid_manager": options.hybrid_manager,
    }
    result = validate_manifests(
        list(options.paths),
        store,
        policy=options.policy,
        root=options.root,
        kserve=options.kserve,
        platform=platform,
    )
    findings = result.findings
    findings += [store_finding(options.root.resolve(), p) for p in store.store_problems()]
    if result.objects == 0 and not findings and not result.skipped and not result.roots:
        raise ConfigError(
            "no YAML files found in the given paths: nothing to validate is an error, not a pass"
        )
    for file, why in result.skipped:
        sys.stderr.write(f"modelserve: skipped {one_line(file)}: {one_line(why)}\n")
    extra = (
        f"{result.objects} object(s) checked, {len(result.roots)} Kustomize root(s) built as "
        f"Flux builds them, {len(result.skipped)} file(s) skipped (not Kubernetes)"
        + (f"; kustomize engine: {result.engine}" if result.engine else "")
    )
    stats = {
        "objects": result.objects,
        "kustomize_roots": result.roots,
        "skipped": [{"file": f, "why": w} for f, w in result.skipped],
        "engine": result.engine or None,
    }
    config, problems = load_config(options.root)
    outcome = apply_config(Outcome(findings + problems, list(result.suppressed)), config)
    report(outcome.findings, sys.stdout, options.format, extra, stats, outcome.suppressed)
    failing = {Severity.ERROR} | ({Severity.WARNING} if config.warnings_as_errors else set())
    return EXIT_FINDINGS if any(f.severity in failing for f in outcome.findings) else EXIT_OK
