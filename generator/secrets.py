"""What a credential looks like, and how to show one without leaking it.

Shared by the secret-literal rule and by every reporter, which scrubs messages so that a
value echoed by a schema error (jsonschema quotes the offending value) is never printed whole.
"""

from __future__ import annotations

import math
import re

PATTERNS = [
    ("an NGC API key", re.compile(r"nvapi-[A-Za-z0-9_-]{20,}")),
    ("an NGC legacy key", re.compile(r"\b[a-z0-9]{26}:[a-f0-9-]{36}\b")),
    ("an AWS access key", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----|[\s\S]*)")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("a GitHub token", re.compile(r"\b(ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}\b")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("a bearer token", re.compile(r"\b(?i:bearer)\s+[A-Za-z0-9._~+/-]{16,}=*")),
    ("a Slack token", re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}")),
    ("a JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
    # Bounded repetitions: unbounded ones backtrack quadratically on long values without "@".
    ("a password in a URL", re.compile(r"[a-z][a-z0-9+.-]{0,30}://[^/\s:@]{1,256}:[^/\s@]{3,256}@")),
]
SECRET_NAME = re.compile(r"(?i)(key|token|secret|passw(or)?d|credential|api_?key)$")


def redact(value: str) -> str:
    return value[:4] + "…" + f"({len(value)} characters)"


def entropy(value: str) -> float:
    counts = {c: value.count(c) for c in set(value)}
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


# One pass over a value for the common case (no credential at all).
ANY_PATTERN = re.compile("|".join(f"(?:{p.pattern})" for _, p in PATTERNS))


def classify(value: str, key_name: str = "") -> str:
    if ANY_PATTERN.search(value):
        for label, pattern in PATTERNS:
            if pattern.search(value):
                return label
    if key_name and SECRET_NAME.search(key_name) and len(value) >= 16 and " " not in value \
            and "://" not in value and entropy(value) > 3.5:
        return f"a credential (a random value for {key_name})"
    return ""


def scrub(text: str) -> str:
    """``text`` with every credential-looking substring redacted."""
    for _, pattern in PATTERNS:
        text = pattern.sub(lambda m: redact(m.group(0)), text)
    return text
