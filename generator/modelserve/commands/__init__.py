"""One module per subcommand: ``add_parser()``, ``from_args()`` -> its frozen options, ``run()``.

``from_args`` is the one place a command reads the argparse Namespace; ``run(options)`` returns
an exit code named in ``modelserve.errors``.
"""

from __future__ import annotations

import argparse
from typing import Any, Protocol, TypeVar

from modelserve.commands import (
    capacity,
    check,
    completion,
    diff,
    endpoints,
    engine,
    explain,
    generate,
    import_manifests,
    init,
    rules,
    schemas,
    validate,
    validate_manifests,
)
from modelserve.commands.common import Subparsers

OptionsT = TypeVar("OptionsT")


class Command(Protocol[OptionsT]):
    """A subcommand module."""

    def add_parser(self, sub: Subparsers, name: str) -> None:
        """Add the subcommand ``name`` and its arguments to ``sub``."""

    def from_args(self, args: argparse.Namespace) -> OptionsT:
        """The command's options, from what argparse parsed."""

    def run(self, options: OptionsT) -> int:
        """Run the command; the exit code."""


COMMANDS: dict[str, Command[Any]] = {
    "generate": generate,
    "validate": validate,
    "check": check,
    "diff": diff,
    "validate-manifests": validate_manifests,
    "schemas": schemas,
    "init": init,
    "rules": rules,
    "completion": completion,
    "engine": engine,
    "explain": explain,
    "capacity": capacity,
    "endpoints": endpoints,
    "import": import_manifests,
}


def run_command(command: Command[OptionsT], args: argparse.Namespace) -> int:
    """Build ``command``'s options from ``args`` and run it."""
    return command.run(command.from_args(args))
