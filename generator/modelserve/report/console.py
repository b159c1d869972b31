"""The command's standard output and error: every byte printed passes through here.

``console.installed()`` wraps ``sys.stdout`` and ``sys.stderr`` for the duration of a command, so
no code path can print catalog text raw:

- text is scrubbed of credentials and its control characters escaped (``display.for_terminal``);
  stdout is held until the command ends, so a credential split over lines (a private key in a
  diff) is scrubbed whole;
- when the output may reach a GitHub Actions log, no line can start a workflow command
  (``display.neutralize_workflow_commands``), except the annotations a reporter writes itself
  with :func:`write_trusted` from escaped parts;
- a reader that goes away (``modelserve validate | head``) costs the rest of the output, never
  the exit code: the command still returns what it found (fail closed).
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Iterator
from typing import IO

from modelserve.report.display import for_terminal, neutralize_workflow_commands


def reaches_actions_log(stream: IO[str]) -> bool:
    """Under GitHub Actions, unless the stream is a regular file (redirected, so not the log)."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return False
    try:
        return not stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError, io.UnsupportedOperation):
        return True


class SafeStream(io.TextIOBase):
    """A text stream that makes what it is given safe to show before passing it on."""

    def __init__(self, raw: IO[str], *, hold: bool, neutralize: bool) -> None:
        super().__init__()
        self.raw = raw
        self.hold = hold  # keep everything until flush(); else pass each complete line on
        self.neutralize = neutralize
        self.broken = False
        self._pending: list[str] = []

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return bool(getattr(self.raw, "isatty", lambda: False)())

    def fileno(self) -> int:
        return self.raw.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        self._pending.append(text)
        if not self.hold and "\n" in text:
            self._drain(complete_lines_only=True)
        return len(text)

    def write_trusted(self, text: str) -> None:
        """Text the caller built from escaped parts (an annotation, a colour code): passed as is."""
        self._drain()
        self._emit(text)

    def flush(self) -> None:
        self._drain()
        with contextlib.suppress(BrokenPipeError, OSError, ValueError):
            if not self.broken:
                self.raw.flush()

    def _drain(self, complete_lines_only: bool = False) -> None:
        text = "".join(self._pending)
        self._pending = []
        if complete_lines_only:
            text, _, rest = text.rpartition("\n")
            text += "\n"
            if rest:
                self._pending.append(rest)
        if not text:
            return
        text = for_terminal(text)
        if self.neutralize:
            text = neutralize_workflow_commands(text)
        self._emit(text)

    def _emit(self, text: str) -> None:
        if self.broken or not text:
            return
        try:
            self.raw.write(text)
        except BrokenPipeError:
            self.broken = True
        except UnicodeEncodeError:
            # A strict ASCII or Latin-1 locale: show what cannot be encoded as escapes.
            encoding = getattr(self.raw, "encoding", None) or "ascii"
            self._emit(text.encode(encoding, "backslashreplace").decode(encoding))


def write_trusted(stream: IO[str], text: str) -> None:
    """``stream.write_trusted(text)`` where the stream is a SafeStream, else a plain write."""
    if isinstance(stream, SafeStream):
        stream.write_trusted(text)
    else:
        stream.write(text)


@contextlib.contextmanager
def installed() -> Iterator[tuple[SafeStream, SafeStream]]:
    """Wrap stdout and stderr for one command; on the way out, flush and restore them."""
    old_out, old_err = sys.stdout, sys.stderr
    out = SafeStream(old_out, hold=True, neutralize=reaches_actions_log(old_out))
    err = SafeStream(old_err, hold=False, neutralize=reaches_actions_log(old_err))
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        out.flush()
        err.flush()
        sys.stdout, sys.stderr = old_out, old_err
        if out.broken:
            _silence(old_out)


def _silence(stream: IO[str]) -> None:
    """Point a stream whose reader is gone at /dev/null, so the interpreter's final flush is
    quiet."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
