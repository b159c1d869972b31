"""The one record every check produces: a frozen, sortable Finding."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from modelserve.report.display import FIELD_LIMIT, MESSAGE_LIMIT, one_line


class Severity(enum.IntEnum):
    # Ordered so that max() over findings gives the worst one.
    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()


_FIELD_LIMITS = {
    "file": FIELD_LIMIT,
    "rule": FIELD_LIMIT,
    "message": MESSAGE_LIMIT,
    "path": FIELD_LIMIT,
    "subject": FIELD_LIMIT,
    "hint": MESSAGE_LIMIT,
}


@dataclass(frozen=True, order=True)
class Finding:
    """One problem, located in the file a user edits.

    ``file`` is relative to the repository root where possible; ``line``/``col`` are 1-based
    (0 when unknown). ``path`` is the field path inside the document (``spec.models[2].name``).
    ``subject`` names the object involved, if any (``InferenceService dev/llama``).
    """

    file: str
    line: int
    col: int
    rule: str
    severity: Severity = field(compare=False)
    message: str = field(compare=True)
    path: str = field(default="", compare=False)
    subject: str = field(default="", compare=False)
    hint: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # Every field may quote catalog text: a Finding never holds a credential, a control
        # character or a line break, and its size is bounded, whichever reporter shows it.
        for name, limit in _FIELD_LIMITS.items():
            value = getattr(self, name)
            clean = one_line(value, limit)
            if clean is not value:
                object.__setattr__(self, name, clean)

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "severity": str(self.severity),
            "rule": self.rule,
            "message": self.message,
            "path": self.path,
            "object": self.subject,
            "hint": self.hint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Finding:
        return cls(
            file=str(data["file"]),
            line=int(str(data["line"])),
            col=int(str(data["col"])),
            rule=str(data["rule"]),
            severity=Severity[str(data["severity"]).upper()],
            message=str(data["message"]),
            path=str(data.get("path", "")),
            subject=str(data.get("object", "")),
            hint=str(data.get("hint", "")),
        )


def format_path(path: tuple[object, ...] | list[object]) -> str:
    """``('spec', 'models', 2, 'name')`` -> ``spec.models[2].name``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass
class Summary:
    errors: int = 0
    warnings: int = 0
    infos: int = 0

    @classmethod
    def of(cls, findings: list[Finding]) -> Summary:
        s = cls()
        for f in findings:
            if f.severity is Severity.ERROR:
                s.errors += 1
            elif f.severity is Severity.WARNING:
                s.warnings += 1
            else:
                s.infos += 1
        return s
