"""One module per subcommand, each with add_parser() and run(args) -> int."""

from __future__ import annotations

from types import ModuleType

from modelserve.commands import check, diff, generate, rules, schemas, validate, validate_manifests

COMMANDS: dict[str, ModuleType] = {
    "generate": generate,
    "validate": validate,
    "check": check,
    "diff": diff,
    "validate-manifests": validate_manifests,
    "schemas": schemas,
    "rules": rules,
}
