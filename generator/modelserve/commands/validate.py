"""modelserve validate: every check, offline.

YAML, schemas, rules, Kustomize builds and the rendered objects
(``generator/modelserve/validate/``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from modelserve.commands import common
from modelserve.deploy.references import unreferenced_findings
from modelserve.errors import EXIT_FINDINGS, EXIT_OK, ConfigError
from modelserve.findings import Severity
from modelserve.report.emit import report
from modelserve.report.waivers import Outcome, apply_config, load_config
from modelserve.validate.pipeline import Options, validate_repository


@dataclass(frozen=True)
class ValidateOptions:
    root: Path
    format: str
    schema_locations: tuple[Path, ...]
    strict: bool
    envs: tuple[str, ...]  # empty: every environment
    no_cache: bool
    jobs: int | None
    warnings_as_errors: bool = False
    install_engine: bool = False


def add_parser(sub: common.Subparsers, name: str) -> None:
    parser = common.add_command(
        sub,
        name,
        "validate the catalog, environments and their rendered overlays",
        [
            "modelserve validate",
            "modelserve validate --env prod --format github",
            "modelserve validate --strict --schema-location schema-store",
        ],
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
        "--warnings-as-errors",
        action="store_true",
        help="exit 1 on warnings too (or warningsAsErrors: true in .modelserve.yaml)",
    )
    parser.add_argument(
        "--jobs",
        type=common.positive,
        default=None,
        help="parallel Kustomize builds (default: CPU count)",
    )
    common.add_install_engine(parser)


def from_args(args: argparse.Namespace) -> ValidateOptions:
    return ValidateOptions(
        root=Path(args.root),
        format=args.format,
        schema_locations=tuple(args.schema_location),
        strict=args.strict,
        envs=tuple(args.env or ()),
        no_cache=args.no_cache,
        jobs=args.jobs,
        warnings_as_errors=args.warnings_as_errors,
        install_engine=args.install_engine,
    )


def run(options: ValidateOptions) -> int:
    repo = common.open_repository(options.root)
    if options.install_engine:
        from modelserve.commands.engine import ensure_for_hook

        ensure_for_hook()
    progress = common.Progress()
    pipeline_options = Options(
        envs=set(options.envs) if options.envs else None,
        strict=options.strict,
        schema_dirs=common.schema_dirs(options.schema_locations, repo.root),
        cache=common.findings_cache(enabled=not options.no_cache),
        workers=options.jobs,
        progress=progress,
    )
    if pipeline_options.envs:
        unknown = sorted(
            pipeline_options.envs - {p.stem for p in repo.folder("environment").glob("*.y*ml")}
        )
        if unknown:
            known = sorted(p.stem for p in repo.folder("environment").glob("*.y*ml"))
            raise ConfigError(
                f"--env {unknown[0]}: no such environment file under environments/ "
                f"(there are: {', '.join(known) or 'none'}){common.did_you_mean(unknown[0], known)}"
            )
    result = validate_repository(repo, pipeline_options)
    if result.files == 0:
        raise ConfigError(
            "no catalog or environment files found: nothing to validate is an error, not a pass"
        )
    findings = list(result.findings) + unreferenced_findings(repo.deploy)
    progress.done("")
    extra = (
        f"{result.files} files, {result.objects} objects in {result.built + result.cached} builds "
        f"({result.cached} cached), {result.derived} derived objects checked; "
        f"kustomize engine: {result.engine or 'not run'}; "
        f"{result.seconds:.2f}s"
    )
    stats = {
        "files": result.files,
        "objects": result.objects,
        "builds": result.built + result.cached,
        "cached": result.cached,
        "derived": result.derived,
        "seconds": round(result.seconds, 3),
        "engine": result.engine or None,
    }
    config, problems = load_config(repo.root)
    outcome = apply_config(Outcome(findings + problems, list(result.suppressed)), config)
    report(outcome.findings, sys.stdout, options.format, extra, stats, outcome.suppressed)
    failing = {Severity.ERROR} | (
        {Severity.WARNING} if options.warnings_as_errors or config.warnings_as_errors else set()
    )
    return EXIT_FINDINGS if any(f.severity in failing for f in outcome.findings) else EXIT_OK
