"""Command line: ``modelserve <command>``. Each command lives in generator/commands/."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import traceback
from typing import Sequence

from . import __version__
from .commands import COMMANDS
from .errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, FatalError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"modelserve: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="modelserve", description="GitOps model serving for KServe and Flux.")
    parser.add_argument("--version", action="version", version=f"modelserve {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, module in COMMANDS.items():
        module.add_parser(sub, name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.run(args))
    except FatalError as exc:
        sys.stderr.write(f"modelserve: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("modelserve: interrupted\n")
        return EXIT_INTERRUPTED
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (| head); nothing is wrong with the input.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a bare traceback
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    fd, log = tempfile.mkstemp(prefix="modelserve-crash-", suffix=".log")
    with os.fdopen(fd, "w") as handle:
        handle.write(f"modelserve {__version__}, Python {sys.version}\n")
        handle.write("".join(traceback.format_exception(exc)))
    sys.stderr.write(f"modelserve: internal error: {type(exc).__name__}: {exc}\n"
                     f"modelserve: details for a bug report are in {log}\n")
    return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
