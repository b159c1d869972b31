"""The local schema store folders (``schema-store/``, ``--schema-location``), read safely once.

A store is committed to the repository, so a pull request can put anything in it. Each run
scans every store folder once: entries named ``*.json`` must be regular files inside the folder
(a link may point only at another file of the same folder), at most ``MAX_SCHEMA_BYTES`` long,
and are read with that bound, never opened if they are FIFOs or devices. Each file must be a
JSON object whose references stay in the store: ``$ref`` (and ``$dynamicRef``,
``$recursiveRef``) may only be a ``#`` fragment or the name of a file in the same folder (with
a fragment), ``$id`` may not move the base URI, and ``$schema`` must name a standard draft.
Validators built from the store also get a retriever that serves only those files, so no
schema can make a run read another file or open a network connection. A file that breaks any
of this is a finding (rule ``schema-store``) naming the file and the reference, never echoing
what a reference pointed at, and is not used.

The scan's digest (every file name and byte) is what cache keys use, taken once per run.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_SCHEMA_BYTES = 32 * 1024 * 1024  # the largest converted upstream CRD schema is about 3 MB
MAX_STORE_FILES = 10_000
RULE = "schema-store"
STORE_BASE = "json-schema:///"  # jsonschema-rs's base URI for a schema without $id
REFERENCE_KEYS = ("$ref", "$dynamicRef", "$recursiveRef")
STANDARD_DRAFTS = {
    "http://json-schema.org/schema#",
    "http://json-schema.org/draft-04/schema#",
    "http://json-schema.org/draft-06/schema#",
    "http://json-schema.org/draft-07/schema#",
    "https://json-schema.org/draft/2019-09/schema",
    "https://json-schema.org/draft/2020-12/schema",
    "http://json-schema.org/draft-04/schema",
    "http://json-schema.org/draft-06/schema",
    "http://json-schema.org/draft-07/schema",
}
# Keywords whose values are data, not schemas: a "$ref" inside them is just a string.
DATA_KEYWORDS = {"default", "enum", "const", "examples", "example"}
_STORE_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.json$")


@dataclass(frozen=True)
class StoreProblem:
    """A store file that is not used, and why; ``file`` is as the user wrote the folder."""

    file: str
    message: str
    hint: str


@dataclass
class StoreFolder:
    path: Path
    files: dict[str, bytes] = field(default_factory=dict)  # name -> bytes, only the usable ones
    parsed: dict[str, Any] = field(default_factory=dict)

    def schema(self, name: str) -> Any:
        """The parsed JSON of ``name`` (parsed once), or None when it is not a usable file."""
        if name not in self.files:
            return None
        if name not in self.parsed:
            self.parsed[name] = json.loads(self.files[name])
        return self.parsed[name]

    def retrieve(self, uri: str) -> Any:
        """jsonschema-rs retriever: another file of this folder, nothing else, ever."""
        name = uri[len(STORE_BASE) :] if uri.startswith(STORE_BASE) else ""
        found = self.schema(name) if _STORE_NAME.match(name) else None
        if found is None:
            raise ValueError(f"'{uri}' is not a file of the schema store {self.path}; not followed")
        return found


class StoreIndex:
    """Every store folder, scanned and checked once per run."""

    def __init__(
        self, folders: list[StoreFolder], problems: list[StoreProblem], digest: str
    ) -> None:
        self.folders = folders
        self.problems = problems
        self.digest = digest

    @classmethod
    def scan(cls, dirs: list[Path] | tuple[Path, ...]) -> StoreIndex:
        folders, problems = [], []
        digest = hashlib.sha256()
        for index, path in enumerate(dirs):
            folder = StoreFolder(Path(path))
            for name, data, problem in _read_folder(folder.path):
                if problem is not None:
                    problems.append(problem)
                    continue
                digest.update(f"{index}\0{name}\0{len(data)}\0".encode() + data)
                folder.files[name] = data
            folders.append(folder)
        for folder in folders:  # references are checked once every file of the folder is known
            for name in sorted(folder.files):
                problem = _check_file(folder, name)
                if problem is not None:
                    problems.append(problem)
                    del folder.files[name]
                    folder.parsed.pop(name, None)
        return cls(folders, problems, digest.hexdigest())

    def names(self) -> Iterator[tuple[StoreFolder, str]]:
        for folder in self.folders:
            for name in sorted(folder.files):
                yield folder, name


def _shown(folder: Path, name: str) -> str:
    return (folder / name).as_posix()


def _read_folder(folder: Path) -> Iterator[tuple[str, bytes, StoreProblem | None]]:
    try:
        entries = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".json"))
    except OSError as exc:
        yield (
            "",
            b"",
            StoreProblem(
                folder.as_posix(),
                f"cannot list the schema store: {exc.strerror or exc}",
                "check the folder's permissions",
            ),
        )
        return
    if len(entries) > MAX_STORE_FILES:
        yield (
            "",
            b"",
            StoreProblem(
                folder.as_posix(),
                f"the schema store holds {len(entries)} files, over the limit of {MAX_STORE_FILES}",
                "keep only the schemas of kinds you use",
            ),
        )
        return
    real_folder = os.path.realpath(folder)
    for name in entries:
        data, problem = _read_entry(folder, name, real_folder)
        yield name, data, problem


def _read_entry(folder: Path, name: str, real_folder: str) -> tuple[bytes, StoreProblem | None]:
    path = folder / name
    shown = _shown(folder, name)

    def refused(message: str, hint: str) -> tuple[bytes, StoreProblem]:
        return b"", StoreProblem(shown, message, hint)

    if os.path.islink(path):
        target = os.path.realpath(path)
        if os.path.dirname(target) != real_folder:
            return refused(
                f"{name} is a link to a file outside the schema store; not read",
                "replace the link with the schema file itself",
            )
    try:
        info = os.stat(path)
    except OSError as exc:
        return refused(f"cannot read {name}: {exc.strerror or exc}", "remove the broken entry")
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a folder"
            if stat.S_ISDIR(info.st_mode)
            else "not a regular file (a device, FIFO or socket)"
        )
        return refused(
            f"{name} is {kind}; not read", "a schema store holds regular .json files only"
        )
    if info.st_size > MAX_SCHEMA_BYTES:
        return refused(
            f"{name} is {info.st_size:,} bytes, over the {MAX_SCHEMA_BYTES:,}-byte limit; not read",
            "a converted CRD schema is a few MB at most: regenerate it with "
            "`modelserve schemas import`",
        )
    try:
        # O_NONBLOCK: should the entry have been swapped for a FIFO since the stat, open() does not
        # hang; fstat on the open file then decides.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return refused(f"cannot read {name}: {exc.strerror or exc}", "check the file's permissions")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return refused(
                f"{name} is not a regular file; not read",
                "a schema store holds regular .json files only",
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_SCHEMA_BYTES + 1)
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            return refused(
                f"{name} is a folder; not read", "a schema store holds regular .json files only"
            )
        return refused(f"cannot read {name}: {exc.strerror or exc}", "check the file's permissions")
    finally:
        os.close(fd)
    if len(data) > MAX_SCHEMA_BYTES:
        return refused(
            f"{name} grew over the {MAX_SCHEMA_BYTES:,}-byte limit while being read; not used",
            "a converted CRD schema is a few MB at most",
        )
    return data, None


def _check_file(folder: StoreFolder, name: str) -> StoreProblem | None:
    shown = _shown(folder.path, name)
    try:
        schema = folder.schema(name)
    except (ValueError, RecursionError) as exc:
        return StoreProblem(
            shown,
            f"{name} is not JSON ({type(exc).__name__}: {str(exc)[:200]})",
            "regenerate it with `modelserve schemas import`",
        )
    if not isinstance(schema, dict):
        return StoreProblem(
            shown,
            f"{name} is not a JSON schema: it must be an object",
            "regenerate it with `modelserve schemas import`",
        )
    for keyword, value in foreign_references(schema, set(folder.files)):
        return StoreProblem(
            shown,
            f"{name}: {keyword} '{_short(value)}' leaves the schema store; a store schema may "
            "refer only to '#...' fragments and to files of its own folder, so it is not used",
            "remove the reference, or put the schema it names into the store and refer to it by "
            "file name",
        )
    return None


def foreign_references(schema: Any, names: set[str]) -> Iterator[tuple[str, str]]:
    """(keyword, value) of every reference in ``schema`` that would leave the store folder."""
    todo = [schema]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if key in DATA_KEYWORDS:
                continue
            if isinstance(value, str):
                if (
                    key in REFERENCE_KEYS
                    and not _local_reference(value, names)
                    or key in ("$id", "id")
                    and not value.startswith("#")
                    and _is_schema_id(node, key)
                    or key == "$schema"
                    and value not in STANDARD_DRAFTS
                ):
                    yield key, value
            elif isinstance(value, (dict, list)):
                todo.append(value)


def _is_schema_id(node: dict[str, Any], key: str) -> bool:
    # "id" is a keyword only in draft 4; elsewhere a property named "id" holds a dict, not a string.
    return key == "$id" or "$schema" in node or "type" in node or "properties" in node


def _local_reference(value: str, names: set[str]) -> bool:
    if value.startswith("#"):
        return True
    name, _, _fragment = value.partition("#")
    return bool(_STORE_NAME.match(name)) and name in names


def _short(value: str, limit: int = 120) -> str:
    return value if len(value) <= limit else value[:limit] + f"...({len(value)} characters)"
