"""One module per subcommand, each with add_parser() and run(args) -> int."""

from __future__ import annotations

from types import ModuleType

from . import check, generate, rules, validate

COMMANDS: dict[str, ModuleType] = {
    "generate": generate,
    "validate": validate,
    "check": check,
    "rules": rules,
}
