"""modelserve engine [install]: which Kustomize engine builds, in which order they are tried,
and the one step that installs the in-process one (validate.engine_install says why it is a
step and not a dependency)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from modelserve.commands import common
from modelserve.errors import EXIT_OK, ConfigError
from modelserve.report.console import write_trusted
from modelserve.report.emit import emit_json, resolve_format


@dataclass(frozen=True)
class EngineOptions:
    action: str  # "show" | "install"
    format: str


def add_parser(sub: common.Subparsers, name: str) -> None:
    parser = common.add_command(
        sub,
        name,
        "show the Kustomize engine that builds and the fallback order, or install the "
        "in-process one (pykustomize) into this environment",
        ["modelserve engine", "modelserve engine install", "modelserve engine --format json"],
        exits="0 shown or installed, 2 no engine found, or the install failed",
    )
    parser.add_argument(
        "action",
        nargs="?",
        choices=("show", "install"),
        default="show",
        help="show (default) or install: pip-install pykustomize, pinned by version and hash",
    )
    common.add_format(parser, ("auto", "text", "json"))


def from_args(args: argparse.Namespace) -> EngineOptions:
    return EngineOptions(action=args.action, format=args.format)


def run(options: EngineOptions) -> int:
    from modelserve.validate import engine_install, kustomize

    if options.action == "install":
        outcome = engine_install.install()
        if not outcome.installed:
            raise ConfigError(
                f"the in-process Kustomize engine was not installed: {outcome.message}"
            )
        sys.stderr.write(f"modelserve: {outcome.message}\n")
    try:
        chosen = kustomize.engine()
    except ConfigError as exc:
        chosen, missing = None, str(exc)
    if resolve_format(options.format) == "json":
        emit_json(
            {
                "engine": chosen.name if chosen else None,
                "passed_over": list(chosen.passed_over) if chosen else [],
                "order": list(kustomize.ORDER),
                "override": kustomize.ENGINE_ENV,
            },
            sys.stdout,
        )
    elif chosen:
        write_trusted(
            sys.stdout,
            f"kustomize engine: {chosen.name}\n"
            + "".join(f"  passed over: {p}\n" for p in chosen.passed_over)
            + f"order: {', '.join(kustomize.ORDER)} (force one with {kustomize.ENGINE_ENV}=NAME)\n",
        )
    if chosen is None:
        raise ConfigError(missing)
    return EXIT_OK


def ensure_for_hook() -> None:
    """``--install-engine``: install the in-process engine if it is missing and can be, and say
    so in one line; never fails the run (a binary engine, or the no-engine error, follows)."""
    from modelserve.validate import engine_install

    if engine_install.is_present() or engine_install.unsupported_reason():
        return
    if not engine_install.recently_failed():
        sys.stderr.write("modelserve: installing the in-process Kustomize engine (once) ...\n")
    outcome = engine_install.install(force_retry=False)
    verdict = outcome.message if outcome.installed else f"not installed: {outcome.message}"
    sys.stderr.write(f"modelserve: {verdict}\n")
