"""Command line: ``modelserve <command>``. Each command lives in generator/modelserve/commands/."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from modelserve import __version__
from modelserve.commands import COMMANDS, run_command
from modelserve.commands.common import ROOT_HELP, find_root
from modelserve.errors import (
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SIGHUP,
    EXIT_SIGTERM,
    EXIT_USAGE,
    FatalError,
)
from modelserve.report import console
from modelserve.report.display import one_line
from modelserve.validate.secrets import scrub

EXIT_CODES = f"""exit codes:
  {EXIT_OK}    no error found (warnings may be printed)
  {EXIT_FINDINGS}    findings of severity error, or deploy/ out of date
  {EXIT_USAGE}    usage or configuration error (bad option, missing folder, lock held)
  {EXIT_INTERNAL}    internal error (a crash log is written; please report it)
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)
  {EXIT_SIGTERM}  stopped by SIGTERM ({EXIT_SIGHUP}: SIGHUP), after the usual clean-up

run `modelserve COMMAND --help` for a command's options and examples."""

# Signals that end a run the way Ctrl-C does: clean-up (scratch folders, staging trees) runs.
_STOP_SIGNALS = {"SIGTERM": EXIT_SIGTERM, "SIGHUP": EXIT_SIGHUP}


class Stopped(BaseException):
    """A stop signal arrived; raised in the main thread so every ``finally`` block runs."""

    def __init__(self, exit_code: int) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"modelserve: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="modelserve",
        description="GitOps model serving for KServe and Flux.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"modelserve {__version__}")
    parser.add_argument("--root", type=Path, default=argparse.SUPPRESS, help=ROOT_HELP)
    sub = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser, metavar="COMMAND"
    )
    for name, command in COMMANDS.items():
        command.add_parser(sub, name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    with console.installed(), _stop_signals_raise():
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if "root" not in args:
            args.root = find_root(Path("."))
        # The one read of the Namespace outside a command's from_args: which command it is.
        return run_command(COMMANDS[args.command], args)
    except FatalError as exc:
        sys.stderr.write(f"modelserve: {one_line(str(exc), 4000)}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("modelserve: interrupted\n")
        return EXIT_INTERRUPTED
    except Stopped as exc:
        sys.stderr.write("modelserve: stopped by a signal; cleaned up\n")
        return exc.exit_code
    except SystemExit as exc:
        if isinstance(exc.code, str):
            return EXIT_USAGE
        return int(exc.code) if exc.code else EXIT_OK
    except BrokenPipeError:
        # Output goes through console.SafeStream, which absorbs a closed pipe; one raised anyway
        # (a subprocess's pipe) must not turn the run into a success: fail closed.
        return EXIT_FINDINGS
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a bare traceback
        return _internal_error(exc)


@contextlib.contextmanager
def _stop_signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Stopped instead of ending the process where it stands."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise Stopped(_STOP_SIGNALS[signal.Signals(signum).name])

    for name in _STOP_SIGNALS:
        number: int | None = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _internal_error(exc: BaseException) -> int:
    fd, log = tempfile.mkstemp(prefix="modelserve-crash-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
        handle.write(f"modelserve {__version__}, Python {sys.version}\n")
        # A traceback quotes values; the log is attached to bug reports, so it is scrubbed too.
        handle.write(scrub("".join(traceback.format_exception(exc))))
    sys.stderr.write(
        f"modelserve: internal error: {type(exc).__name__}: {one_line(str(exc))}\n"
        f"modelserve: details for a bug report are in {log}\n"
    )
    return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
