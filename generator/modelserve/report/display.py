"""Untrusted text made safe to show: in a terminal, in a CI log, in a pull-request comment.

Catalog values, file names and the committed ``deploy/`` files all come from a pull request.
Before any of it is shown it passes through here, so that it can never

- print a credential whole (``secrets.scrub``),
- drive the terminal (escape sequences, carriage returns, bidi overrides, line separators),
- fake a line of its own (an embedded newline in a one-line field),
- start a GitHub workflow command (``::warning ...::``, ``##[error]``) on the runner's log,
- break out of a markdown code span or mention people in a pull-request comment,
- make the output grow without bound (long values are shortened, with their length).
"""

from __future__ import annotations

import re
from typing import Any

from modelserve.validate.secrets import scrub

# C0 and C1 controls but tab and newline, DEL, lone surrogates (undecodable bytes of a file
# name), and every invisible character: format characters (Unicode category Cf: bidi controls,
# zero-width spaces and joiners, the soft hyphen, the BOM...) and the other default-ignorable code
# points (variation selectors, Hangul fillers, tags). A terminal or a reviewer does not see them,
# and .NET's culture-aware string search, which the Actions runner uses to find workflow commands,
# skips them, so "#<U+00AD>#[" would still be "##[" to it.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\ud800-\udfff\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_UNSAFE_OR_NEWLINE = re.compile(_UNSAFE.pattern[:-1] + "\n]")
_SURROGATE_ESCAPE = range(0xDC80, 0xDD00)  # os.fsdecode's stand-ins for the bytes 0x80-0xff

MESSAGE_LIMIT = 2000  # characters of one finding message
FIELD_LIMIT = 300  # characters of a file name, field path or object label in a finding


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char == "\n":
        return "\\n"
    if code in _SURROGATE_ESCAPE:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape_controls(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with every control character written out as an escape (``\\x1b``, ``\\u202e``)."""
    pattern = _UNSAFE if keep_newlines else _UNSAFE_OR_NEWLINE
    return pattern.sub(_escaped, text)


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…({len(text) - limit} more characters)"


def one_line(text: str, limit: int = FIELD_LIMIT) -> str:
    """A field shown on one line: scrubbed, escaped (newlines too) and at most ``limit`` long."""
    return shorten(escape_controls(scrub(text), keep_newlines=False), limit)


def for_terminal(text: str) -> str:
    """Multi-line text (a diff, a report): scrubbed and escaped, its own line breaks kept."""
    return escape_controls(scrub(text))


def neutralize_workflow_commands(text: str) -> str:
    """No line of ``text`` can start a GitHub Actions workflow command.

    The runner (actions/runner ``ActionCommand.TryParseV2``) takes a line whose text after
    leading whitespace starts with ``::``, and (``ActionCommand.TryParse``) one that holds
    ``##[`` anywhere. A visible space breaks both; an invisible character would not be safe,
    since .NET's culture-aware ``StartsWith``/``IndexOf`` may ignore zero-width characters.
    """
    text = escape_controls(text)  # invisible characters first: the runner's search skips them
    if "::" not in text and "##[" not in text:
        return text
    lines = text.replace("##[", "# #[").split("\n")
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith("::"):
            lines[i] = line[: len(line) - len(stripped)] + ": :" + stripped[2:]
    return "\n".join(lines)


def json_safe(value: Any) -> Any:
    """``value`` with every string scrubbed and free of lone surrogates, ready for ``json.dumps``.

    Strict JSON parsers refuse lone surrogates; a file name's undecodable bytes become ``\\xff``.
    """
    if isinstance(value, str):
        text = scrub(value)
        return _LONE_SURROGATE.sub(_escaped, text) if _LONE_SURROGATE.search(text) else text
    if isinstance(value, dict):
        return {json_safe(str(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(text: str) -> str:
    """Serialized JSON that no runner reads as a workflow command: ``##[`` is written ``#\\u0023[``,
    which parses to the same string."""
    return text.replace("##[", "#\\u0023[")


# --- markdown (GitHub-flavoured), for pull-request comments ------------------------------------


def md_code(text: str, limit: int = 120, *, table: bool = False) -> str:
    """``text`` as an inline code span the content cannot close, safe in a table cell too.

    A code span ends at a backtick run as long as its opener (CommonMark "Code spans"), so the
    fence is one backtick longer than the longest run inside; a space pads content that starts
    or ends with a backtick. GFM table cells split at an unescaped ``|`` even inside code spans,
    so in a ``table`` pipes are escaped (``\\|`` shows there as ``|``). GitHub links no @mention
    or #reference inside code (its mention filter skips code elements), so every catalog value
    shown goes through here.
    """
    body = shorten(escape_controls(scrub(text), keep_newlines=False), limit)
    if table:
        body = body.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    if body.startswith("`") or body.endswith("`") or (body.startswith(" ") and body.endswith(" ")):
        body = f" {body} "
    return f"{fence}{body}{fence}" if body else "` `"
