"""Exit codes and the one exception family the CLI turns into them."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class FatalError(Exception):
    """A problem that stops the command; the message is shown to the user as is."""

    exit_code = EXIT_FINDINGS


class ConfigError(FatalError):
    """Bad usage or configuration (missing folder, unknown option value): exit 2."""

    exit_code = EXIT_USAGE
