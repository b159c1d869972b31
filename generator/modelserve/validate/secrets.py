"""What a credential looks like, and how to show one without leaking it.

Shared by the secret-literal rule, the caches (which never store a file holding one) and every
output path (``display``), which scrubs text so that a value echoed by a schema error, a diff
line or a crash log is never printed whole.

Every pattern runs in time linear in the text: a token pattern may only start where a token
starts (a look-behind on its own characters) and its runs are possessive, so a long run that
does not end as the pattern needs is scanned once, not once per starting position
(``tests/test_bounds.py`` holds this with hostile values of 100-500 kB).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

_TOKEN = "A-Za-z0-9_-"

PATTERNS = [
    ("an NGC API key", re.compile(rf"(?<![{_TOKEN}])nvapi-[{_TOKEN}]{{20,}}+")),
    ("an NGC legacy key", re.compile(r"\b[a-z0-9]{26}:[a-f0-9-]{36}\b")),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    # PEM (RSA, EC, OpenSSH, PKCS#8, encrypted) and PGP private key blocks; without an END line,
    # everything after BEGIN counts as the key.
    (
        "a private key",
        re.compile(
            r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
            r"(?:[\s\S]*?-----END [A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)"
        ),
    ),
    ("a Hugging Face token", re.compile(r"(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,}+\b")),
    (
        "a GitHub token",
        re.compile(r"(?<![A-Za-z0-9_])(?:ghp|gho|ghs|ghu|ghr|github_pat)_[A-Za-z0-9_]{20,}+"),
    ),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    (
        "an OpenAI or Anthropic API key",
        re.compile(
            rf"(?<![{_TOKEN}])sk-(?:[A-Za-z0-9]{{32,}}+(?![{_TOKEN}])|(?:proj|svcacct|admin)-[{_TOKEN}]{{40,}}+"
            rf"|ant-(?:api|admin)[0-9]{{2}}-[{_TOKEN}]{{40,}}+)"
        ),
    ),
    ("a bearer token", re.compile(r"\b(?i:bearer)\s{1,20}[A-Za-z0-9._~+/-]{16,}+=*")),
    ("a Slack token", re.compile(r"(?<![A-Za-z0-9-])xox[abpres]-[A-Za-z0-9-]{10,}+")),
    (
        "a JWT",
        re.compile(
            rf"(?<![{_TOKEN}])eyJ[{_TOKEN}]{{10,}}+\.[{_TOKEN}]{{10,}}+\.[{_TOKEN}]{{10,}}+"
        ),
    ),
    # Any scheme, either case, an empty user name allowed (redis://:pw@host). Bounded runs.
    (
        "a password in a URL",
        re.compile(
            r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}://"
            r"[^/\s:@]{0,256}+:[^/\s@]{1,256}+@"
        ),
    ),
]
# One pass over a value for the common case (no credential at all).
ANY_PATTERN = re.compile("|".join(f"(?:{p.pattern})" for _, p in PATTERNS))
# What every pattern above must contain, as plain text: a search for these literals is several
# times cheaper than ANY_PATTERN, whose look-behinds defeat the regex engine's prefix scan.
_MARKERS = re.compile(
    r"nvapi-|:|AKIA|ASIA|-----BEGIN|hf_|gh[oprsu]_|github_pat_|AIza|sk-|xox|eyJ|(?i:bearer)"
)


def _any_pattern(text: str) -> bool:
    return bool(_MARKERS.search(text)) and bool(ANY_PATTERN.search(text))


# A name that says its value is a credential: api_key, NGC_API_KEY, --hf-token, password...
SECRET_NAME = re.compile(r"(?i)(?:key|token|secret|passw(?:or)?d|pwd|credentials?|auth)$")
# name=value and --name=value inside free text (args, commands, descriptions).
_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9_.-])-{0,2}([A-Za-z_][A-Za-z0-9_.-]{0,100})[=:]"
    r"[\"']?([^\s\"',;&|]{16,4096}+)"
)
# A flag that takes the next argument as its value: --api-key, -token.
_FLAG = re.compile(r"^-{1,2}([A-Za-z0-9_.-]{1,100})$")
# An env entry written as YAML, its value on the line after its name (a diff too) or after a comma.
_NAME_THEN_VALUE = re.compile(
    r"name:[ \t]{0,20}[\"']?([A-Za-z0-9_.-]{1,100})[\"']?[ \t]{0,20}(?:,|\n[^\n]{0,40}?)"
    r"[ \t]{0,20}value:[ \t]{0,20}[\"']?([^\s\"',}]{16,4096}+)"
)
REFERENCES = ("secretKeyRef", "configMapKeyRef")


def redact(value: str) -> str:
    return value[:4] + "…" + f"({len(value)} characters)"


def entropy(value: str) -> float:
    """Shannon entropy per character (bits); linear in the length."""
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in Counter(value).values()) if total else 0.0


@lru_cache(maxsize=4096)
def names_a_secret(name: str) -> bool:
    """``name`` says its value is a credential (but a plain ``key``, as in a taint, does not)."""
    return bool(SECRET_NAME.search(name)) and name.lower() not in ("key", "-key", "--key")


def looks_random(value: str) -> bool:
    """A credential-like value: long, no spaces, no URL, and close to random."""
    return (
        16 <= len(value) <= 4096
        and " " not in value
        and "://" not in value
        and entropy(value) > 3.5
    )


def classify(value: str, key_name: str = "") -> str:
    """What credential ``value`` holds (``"a JWT"``), or ''; ``key_name`` is what it is called."""
    if _any_pattern(value):
        for label, pattern in PATTERNS:
            if pattern.search(value):
                return label
    if key_name and names_a_secret(key_name) and looks_random(value):
        return f"a credential (a random value for {key_name})"
    for name, _assigned in _assignments(value):
        return f"a credential (a random value for {name})"
    return ""


_SECRET_WORDS = ("key", "token", "secret", "passw", "pwd", "credential", "auth")


def _may_assign_a_secret(text: str) -> bool:
    """A cheap test that ``text`` could hold ``name=value`` with a secret-sounding name."""
    if len(text) < 18 or ("=" not in text and ":" not in text):
        return False
    lowered = text.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def _assignments(text: str) -> Iterator[tuple[str, str]]:
    """(name, value) of each ``name=value`` in ``text`` whose name says secret and value looks
    random."""
    if not _may_assign_a_secret(text):
        return
    for match in _ASSIGNMENT.finditer(text):
        if names_a_secret(match.group(1)) and looks_random(match.group(2)):
            yield match.group(1), match.group(2)


def _secret_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    if _any_pattern(text):
        for _, pattern in PATTERNS:
            spans += [m.span() for m in pattern.finditer(text)]
    if _may_assign_a_secret(text):
        spans += [
            m.span(2)
            for m in _ASSIGNMENT.finditer(text)
            if names_a_secret(m.group(1)) and looks_random(m.group(2))
        ]
    if "value:" in text:
        spans += [
            m.span(2)
            for m in _NAME_THEN_VALUE.finditer(text)
            if names_a_secret(m.group(1)) and looks_random(m.group(2))
        ]
    return spans


def scrub(text: str) -> str:
    """``text`` with every credential-looking substring redacted; linear in its length."""
    spans = _secret_spans(text)
    if not spans:
        return text
    out, at = [], 0
    for start, end in sorted(spans):
        if start < at:  # overlaps a span already redacted
            if end > at:
                at = end
            continue
        out += [text[at:start], redact(text[start:end])]
        at = end
    out.append(text[at:])
    return "".join(out)


# --- where credentials hide in a parsed file ---------------------------------------------------

Found = tuple[tuple[Any, ...], str, str]  # (path to the node, what it holds, the value)


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_./-]{1,15}")  # too short and plain for any credential pattern


def find_in(data: Any, path: tuple[Any, ...] = ()) -> Iterator[Found]:
    """Every credential in ``data``: values and mapping keys, by pattern or by what they are called.

    A value is judged with the name it goes by: an env entry's ``name`` for its ``value``, the
    mapping key above it, or the flag before it in a list (``["--api-key", "..."]``). A key
    holding a credential is reported at the key's own path. References to Secrets and ConfigMaps
    are the fix, not a credential, and are not searched.
    """
    todo: list[tuple[Any, tuple[Any, ...], str]] = [(data, path, "")]
    while todo:
        node, at, name = todo.pop()
        if isinstance(node, str):
            label = classify(node, name)
            if label:
                yield at, label, node
        elif isinstance(node, dict):
            entry_name = str(node.get("name", "")) if "value" in node else ""
            for key, value in node.items():
                if key in REFERENCES:
                    continue
                text = str(key)
                label = "" if _PLAIN_KEY.fullmatch(text) else classify(text)
                if label:
                    yield at + (key,), label, text
                todo.append((value, at + (key,), entry_name if key == "value" else text))
        elif isinstance(node, list):
            flag = ""
            for i, item in enumerate(node):
                todo.append((item, at + (i,), flag))
                match = _FLAG.match(item) if isinstance(item, str) else None
                flag = match.group(1) if match else ""


def redacted_path(path: tuple[Any, ...], value: str) -> tuple[Any, ...]:
    """``path`` with the credential redacted where it is itself a key on the way."""
    return tuple(redact(part) if part == value else part for part in path)


def holds_secret(data: Any) -> bool:
    return next(find_in(data), None) is not None
