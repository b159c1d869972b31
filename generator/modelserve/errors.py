"""Exit codes (docs/safety.md, "Exit codes") and the one exception family the CLI maps to them."""

from __future__ import annotations

EXIT_OK = 0  # success: clean, written, or up to date
EXIT_FINDINGS = 1  # findings, drift (check), a refusal to write; also a closed pipe (fail closed)
EXIT_USAGE = 2  # bad usage or configuration
EXIT_INTERNAL = 3  # internal error: one line on stderr and a crash log
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_SIGTERM = 143  # stopped by SIGTERM, after the same clean-up as a normal end
EXIT_SIGHUP = 129  # stopped by SIGHUP, likewise


class FatalError(Exception):
    """A problem that stops the command; the message is shown to the user as is."""

    exit_code = EXIT_FINDINGS


class ConfigError(FatalError):
    """Bad usage or configuration (missing folder, unknown option value): exit 2."""

    exit_code = EXIT_USAGE
