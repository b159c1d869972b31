"""Load YAML safely, with the position of every key, at C speed.

libyaml (PyYAML's C parser) produces the events; this module builds plain Python data from
them and records where each key and item starts, so any later check can point at
``file:line:col``. Building from events (not PyYAML's composer) lets us refuse, with a line
number and in bounded time and memory, what Kubernetes would read differently or what is
hostile: duplicate keys, YAML 1.1 booleans and octals, alias bombs, deep nesting, control
characters, byte-order marks, non-UTF-8 bytes and oversized files.

Bounds (also in docs/safety.md): files over ``MAX_FILE_BYTES`` are refused before parsing;
nesting deeper than ``MAX_DEPTH``, alias expansion beyond ``MAX_ALIAS_NODES`` nodes or
``MAX_ALIAS_CHARS`` characters of scalars stop the parse at that event, so the data a file
expands to, and every later walk over it, stays linear in the file size. Every pattern used to
type a scalar is free of nested or adjacent ambiguous repetitions, so typing is linear too.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml is part of every PyYAML wheel; the pure-Python parser is a slow fallback.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIAS_NODES = 100_000
MAX_ALIAS_CHARS = MAX_FILE_BYTES  # scalar characters all aliases together may add
MAX_INTEGER_DIGITS = 20  # 2**64 has 20 digits; go-yaml reads longer integers as floats

Pos = tuple[int, int]
PathKey = tuple[Any, ...]
Weight = tuple[int, int]  # (nodes, scalar characters) a node stands for once aliases are expanded

# C0/C1 controls, BOM, and U+2028/U+2029: libyaml breaks lines there while editors and
# review diffs do not, which could hide a key from a reviewer.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f\ufeff\u2028\u2029]")
# Kubernetes decodes YAML with go-yaml (YAML 1.1 rules): these plain scalars change meaning.
_YAML11_BOOL = re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")
_YAML11_OCTAL = re.compile(r"^[-+]?0[0-7_]+$")
# go-yaml parses these with Go's base-0 integer syntax: 0b1010, 0o17 and 1_000 are numbers.
# (Underscored decimals are tested as "digits and underscores, with an underscore": a pattern
# like [0-9][0-9_]*_[0-9_]* backtracks quadratically on a long run that ends in a letter.)
_GO_INTEGER = re.compile(r"^[-+]?(0[bB][01_]+|0[oO][0-7_]+)$")
_DIGITS_AND_UNDERSCORES = re.compile(r"^[-+]?[0-9][0-9_]*$")
_YAML11_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")
_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = re.compile(r"^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$")
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}


class YamlError(Exception):
    """A YAML problem with its 1-based position; ``rule`` is the stable finding id."""

    def __init__(
        self, message: str, line: int, col: int, rule: str = "yaml-syntax", hint: str = ""
    ):
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.rule = rule
        self.hint = hint


@dataclass
class Document:
    """One YAML document: its data and where each key or item of it starts."""

    data: Any
    positions: dict[PathKey, Pos] = field(default_factory=dict)
    line: int = 1
    # ``# modelserve: ignore[...] reason`` comments: (line, rule ids, reason), for
    # report.waivers; read here, where the text is at hand, and cached with the document.
    waivers: tuple[tuple[int, str, str], ...] = ()

    def locate(self, path: PathKey) -> Pos:
        """Position of ``path``, or of its nearest located ancestor (positions that are not two
        positive integers, as a damaged cache entry could hold, count as absent)."""
        while path:
            pos = self.positions.get(tuple(path))
            if (
                pos is not None
                and type(pos[0]) is int
                and type(pos[1]) is int
                and pos[0] > 0
                and pos[1] > 0
            ):
                return pos
            path = path[:-1]
        return (self.line, 1)


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a file as UTF-8 text, refusing what YAML tools would misread."""
    return decode(read_bytes(path, max_bytes))


def read_bytes(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, refused unread when it is too large."""
    readable_stat(path, max_bytes)
    return path.read_bytes()


def readable_stat(path: Path, max_bytes: int = MAX_FILE_BYTES) -> os.stat_result:
    """The file's stat, when it is a regular file small enough to read; else a YamlError."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        # A FIFO or device named *.yaml would block or never end.
        raise YamlError(
            "not a regular file", 1, 1, "file-not-regular", "replace it with a regular file"
        )
    size = info.st_size
    if size > max_bytes:
        raise YamlError(
            f"file is {size} bytes, over the {max_bytes}-byte limit",
            1,
            1,
            "yaml-too-large",
            "split the file: catalog and environment files are small",
        )
    return info


def decode(raw: bytes) -> str:
    if raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        raise YamlError(
            "file starts with a byte-order mark",
            1,
            1,
            "yaml-encoding",
            "save the file as UTF-8 without a BOM",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlError(
            f"invalid UTF-8 byte 0x{raw[exc.start]:02x}",
            line,
            col,
            "yaml-encoding",
            "save the file as UTF-8",
        ) from None
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise YamlError(
            f"control character U+{ord(bad.group()):04X} in the file",
            line,
            col,
            "yaml-encoding",
            "remove the character; YAML and Kubernetes refuse it",
        )
    return text


def load_text(text: str, *, multi: bool) -> list[Document]:
    """Parse ``text``; with ``multi=False`` a second document is an error."""
    docs = list(_Builder(text).documents())
    if "modelserve:" in text and docs:
        docs = _with_waivers(text, docs)
    if not multi and len(docs) > 1:
        raise YamlError(
            "more than one YAML document in a file that holds one",
            docs[1].line,
            1,
            "yaml-multiple-documents",
            "remove the '---' separator or split the file",
        )
    return docs


WAIVER = re.compile(r"#\s*modelserve:\s*ignore\[([a-z0-9,\s-]*)\]\s*(.*?)\s*$")


def _with_waivers(text: str, docs: list[Document]) -> list[Document]:
    """Each document with the waiver comments on its lines."""
    found = [
        (number, match[1], match[2])
        for number, line in enumerate(text.splitlines(), 1)
        if (match := WAIVER.search(line))
    ]
    bounds = [0] + [d.line for d in docs[1:]] + [len(text) + 2]
    return [
        replace(doc, waivers=tuple(w for w in found if start <= w[0] < end))
        for doc, start, end in zip(docs, bounds, bounds[1:], strict=False)
    ]


def load_file(
    path: Path, *, multi: bool = False, max_bytes: int = MAX_FILE_BYTES
) -> list[Document]:
    return load_text(read_text(path, max_bytes), multi=multi)


def resolve_plain(value: str, line: int, col: int) -> Any:
    """Type a plain (unquoted) scalar the way YAML 1.2 does, refusing YAML 1.1 surprises."""
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _YAML11_BOOL.match(value):
        raise YamlError(
            f"'{value}' is a boolean to Kubernetes (YAML 1.1) but a string to YAML 1.2 tools",
            line,
            col,
            "yaml-ambiguous",
            f'write true/false, or quote it as "{value}"',
        )
    if _INT.match(value):
        return _integer(value, 10, line, col)
    if _YAML11_OCTAL.match(value):
        raise YamlError(
            f"'{_short(value)}' is an octal number to Kubernetes (YAML 1.1) but decimal elsewhere",
            line,
            col,
            "yaml-ambiguous",
            f'quote it as "{_short(value)}" or write the number without a leading 0',
        )
    if _GO_INTEGER.match(value) or ("_" in value and _DIGITS_AND_UNDERSCORES.match(value)):
        raise YamlError(
            f"'{_short(value)}' is a number to Kubernetes but a string to YAML 1.2 tools",
            line,
            col,
            "yaml-ambiguous",
            f'quote it as "{_short(value)}", or write a plain decimal number',
        )
    if _YAML11_SEXAGESIMAL.match(value):
        raise YamlError(
            f"'{_short(value)}' is a base-60 number to Kubernetes (YAML 1.1)",
            line,
            col,
            "yaml-ambiguous",
            f'quote it as "{_short(value)}"',
        )
    if _HEX.match(value):
        return _integer(value, 16, line, col)
    if _FLOAT.match(value) and any(c.isdigit() for c in value):
        return float(value)
    if _SPECIAL_FLOAT.match(value):
        return float(value.replace(".", "", 1)) if "inf" in value.lower() else float("nan")
    return value


def _integer(value: str, base: int, line: int, col: int) -> int:
    """An integer that fits 64 bits; a longer one is refused before it is converted (Python's
    conversion of long decimals is quadratic and capped at 4,300 digits)."""
    digits = len(value.lstrip("+-")) - (2 if base == 16 else 0)
    if digits > (MAX_INTEGER_DIGITS if base == 10 else 16):
        raise YamlError(
            f"the integer '{_short(value)}' ({digits} digits) does not fit 64 bits; Kubernetes "
            "would read it as an inexact floating-point number",
            line,
            col,
            "yaml-number",
            "use a smaller number, or quote it if it is meant as text",
        )
    number = int(value, base)
    if not -(2**63) <= number < 2**64:
        raise YamlError(
            f"the integer '{value}' does not fit 64 bits; Kubernetes would read it as an inexact "
            "floating-point number",
            line,
            col,
            "yaml-number",
            "use a smaller number, or quote it if it is meant as text",
        )
    return number


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else f"{value[:limit]}...({len(value)} characters)"


class _Builder:
    """Turns libyaml events into data plus positions; one instance per text."""

    def __init__(self, text: str):
        self.text = text
        self.anchors: dict[str, tuple[Any, Weight]] = {}
        self.alias_nodes = MAX_ALIAS_NODES
        self.alias_chars = MAX_ALIAS_CHARS

    def documents(self) -> Iterator[Document]:
        events = self._events()
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                doc = Document(None, {}, event.start_mark.line + 1 if event.start_mark else 1)
                self.anchors = {}
                first = next(events)
                if isinstance(first, yaml.DocumentEndEvent):
                    yield doc
                    continue
                doc.data, _ = self._node(first, events, (), doc.positions, 1)
                next(events)  # DocumentEndEvent
                yield doc

    def _events(self) -> Iterator[Any]:
        try:
            yield from yaml.parse(self.text, Loader=_Loader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = exc.problem or "invalid YAML"
            if "nesting depth" in problem:
                raise YamlError(
                    f"nesting deeper than {MAX_DEPTH} levels ({problem})",
                    line,
                    col,
                    "yaml-too-deep",
                    "flatten the structure",
                ) from None
            raise YamlError(
                f"YAML syntax error: {problem}", line, col, "yaml-syntax", self._hint(line, problem)
            ) from None
        except yaml.YAMLError as exc:
            raise YamlError(f"YAML error: {exc}", 1, 1, "yaml-syntax") from None

    def _hint(self, line: int, problem: str) -> str:
        lines = self.text.splitlines()
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        if "\t" in text[: len(text) - len(text.lstrip())] or "tab" in problem:
            return "indent with spaces, not tabs"
        return "check the indentation and quoting on this line"

    def _node(
        self,
        event: Any,
        events: Iterator[Any],
        path: PathKey,
        positions: dict[PathKey, Pos],
        depth: int,
    ) -> tuple[Any, Weight]:
        """Build the node starting at ``event``; returns (value, its weight)."""
        mark = event.start_mark
        if depth > MAX_DEPTH:
            raise YamlError(
                f"nesting deeper than {MAX_DEPTH} levels",
                mark.line + 1,
                mark.column + 1,
                "yaml-too-deep",
                "flatten the structure",
            )
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event)
        if isinstance(event, yaml.ScalarEvent):
            value = self._scalar(event)
            weight = (1, len(event.value))
            self._anchor(event, value, weight)
            return value, weight
        self._check_collection_tag(event)
        if isinstance(event, yaml.SequenceStartEvent):
            value, count = self._sequence(events, path, positions, depth)
        elif isinstance(event, yaml.MappingStartEvent):
            value, count = self._mapping(events, path, positions, depth)
        else:  # pragma: no cover - libyaml guarantees node events here
            raise YamlError("unexpected YAML event", mark.line + 1, mark.column + 1)
        self._anchor(event, value, count)
        return value, count

    @staticmethod
    def _check_collection_tag(event: Any) -> None:
        if event.tag in (None, "!", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"):
            return
        mark = event.start_mark
        raise YamlError(
            f"unsupported YAML tag '{event.tag}'",
            mark.line + 1,
            mark.column + 1,
            "yaml-tag",
            "remove the tag; plain lists and mappings are enough",
        )

    def _anchor(self, event: Any, value: Any, count: Weight) -> None:
        if event.anchor:
            self.anchors[event.anchor] = (value, count)

    def _alias(self, event: Any) -> tuple[Any, Weight]:
        mark = event.start_mark
        if event.anchor not in self.anchors:
            raise YamlError(
                f"unknown alias '*{_short(event.anchor)}'", mark.line + 1, mark.column + 1
            )
        value, weight = self.anchors[event.anchor]
        # Every later walk over the data (and every file rendered from it) expands the alias
        # again: charge its full size, in nodes and in characters.
        self.alias_nodes -= weight[0]
        self.alias_chars -= weight[1]
        if self.alias_nodes < 0 or self.alias_chars < 0:
            raise YamlError(
                f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes or {MAX_ALIAS_CHARS:,} "
                "characters",
                mark.line + 1,
                mark.column + 1,
                "yaml-alias-bomb",
                "write the values out instead of aliasing",
            )
        return value, weight

    def _scalar(self, event: Any) -> Any:
        mark = event.start_mark
        tag = event.tag
        if tag and tag not in ("!", "tag:yaml.org,2002:str"):
            if tag in (
                "tag:yaml.org,2002:int",
                "tag:yaml.org,2002:float",
                "tag:yaml.org,2002:bool",
                "tag:yaml.org,2002:null",
            ):
                return resolve_plain(event.value, mark.line + 1, mark.column + 1)
            raise YamlError(
                f"unsupported YAML tag '{tag}'",
                mark.line + 1,
                mark.column + 1,
                "yaml-tag",
                "remove the tag; plain strings, numbers and booleans are enough",
            )
        if not event.style and event.implicit[0] and tag != "!":
            return resolve_plain(event.value, mark.line + 1, mark.column + 1)
        return event.value

    def _sequence(
        self, events: Iterator[Any], path: PathKey, positions: dict[PathKey, Pos], depth: int
    ) -> tuple[list[Any], Weight]:
        items: list[Any] = []
        nodes, chars = 1, 0
        for event in events:
            if isinstance(event, yaml.SequenceEndEvent):
                return items, (nodes, chars)
            item_path = path + (len(items),)
            positions[item_path] = (event.start_mark.line + 1, event.start_mark.column + 1)
            value, weight = self._node(event, events, item_path, positions, depth + 1)
            items.append(value)
            nodes, chars = nodes + weight[0], chars + weight[1]
        return items, (nodes, chars)  # pragma: no cover - the parser always closes sequences

    def _mapping(
        self, events: Iterator[Any], path: PathKey, positions: dict[PathKey, Pos], depth: int
    ) -> tuple[dict[Any, Any], Weight]:
        result: dict[Any, Any] = {}
        nodes, chars = 1, 0
        for event in events:
            if isinstance(event, yaml.MappingEndEvent):
                return result, (nodes, chars)
            line, col = event.start_mark.line + 1, event.start_mark.column + 1
            if not isinstance(event, yaml.ScalarEvent):
                raise YamlError("mapping keys must be plain strings", line, col, "yaml-key")
            key = self._scalar(event)
            if key == "<<" and not event.style:
                raise YamlError(
                    "merge keys ('<<') are not supported in these files",
                    line,
                    col,
                    "yaml-merge-key",
                    "write the keys out",
                )
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise YamlError(
                    f"mapping key {_short(event.value)!r} is not a string",
                    line,
                    col,
                    "yaml-key",
                    "quote the key",
                )
            key = str(key)
            if key in result:
                first = positions.get(path + (key,), (0, 0))[0]
                raise YamlError(
                    f"duplicate key '{_short(key)}' (first defined on line {first})",
                    line,
                    col,
                    "yaml-duplicate-key",
                    "remove one of the two keys",
                )
            positions[path + (key,)] = (line, col)
            value, weight = self._node(next(events), events, path + (key,), positions, depth + 1)
            result[key] = value
            nodes, chars = nodes + weight[0], chars + len(key) + weight[1]
        return result, (nodes, chars)  # pragma: no cover
