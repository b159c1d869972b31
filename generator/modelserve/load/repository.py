"""Load and locate: find the catalog and environment files, parse them, check their schema.

Everything that goes wrong here becomes a Finding with a file and line; the caller gets
whatever could be built from the files that were sound, so one broken model does not hide
the problems of the others.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelserve.cache.parse import ParseCache
from modelserve.findings import Finding, Severity
from modelserve.load.recency import Recency
from modelserve.load.walk import TooDeep, walk
from modelserve.load.yamlio import (
    Document,
    YamlError,
    decode,
    load_text,
    read_bytes,
    readable_stat,
)
from modelserve.model import (
    Catalog,
    Environment,
    Model,
    Runtime,
    Source,
    environment_from,
    model_from,
    runtime_from,
)
from modelserve.validate.inputs import validate_document

YAML_SUFFIXES = (".yaml", ".yml")
KINDS = {
    "runtime": ("catalog", "runtimes"),
    "model": ("catalog", "models"),
    "environment": ("environments",),
}


@dataclass
class Repository:
    """Where the files of a repository live (catalog/, environments/, deploy/); the
    Kustomize tree written into deploy/ is ``deploy.tree.Tree``."""

    root: Path
    deploy_dirname: str = "deploy"

    @property
    def deploy(self) -> Path:
        return self.root / self.deploy_dirname

    def folder(self, kind: str) -> Path:
        return self.root.joinpath(*KINDS[kind])

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


@dataclass
class Loaded:
    catalog: Catalog
    findings: list[Finding] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)  # rel -> SHA-256 of the bytes read
    real_dirs: dict[str, str] = field(
        default_factory=dict
    )  # folder -> its resolved path, for this load
    uncacheable: set[str] = field(default_factory=set)  # files holding a credential: never cached
    recency: Recency | None = None  # which of two files was edited last (git), asked on conflicts
    # files whose document came from the parse cache, which holds none with a credential
    known_clean: set[str] = field(default_factory=set)


def discover(repo: Repository, kind: str, findings: list[Finding] | None = None) -> list[Path]:
    """The files of ``kind`` that are loaded; every other file there that looks like YAML is a
    finding (``file-not-loaded``), so a file is never silently left out of what is generated.
    Hidden files (editor state such as ``.x.yaml.swp``) are the one exception."""
    findings = [] if findings is None else findings
    folder = repo.folder(kind)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name) if folder.is_dir() else []
    except OSError as exc:
        findings.append(
            Finding(
                repo.rel(folder),
                1,
                1,
                "file-unreadable",
                Severity.ERROR,
                f"cannot list {repo.rel(folder)}/: {exc.strerror or exc}",
                hint="check the folder's permissions",
            )
        )
        return []
    loaded = []
    for entry in entries:
        path = Path(entry.path)
        name = entry.name
        if name.startswith("."):
            continue
        if name.endswith(YAML_SUFFIXES):
            loaded.append(path)
        elif _is_folder(entry):
            if _holds_yaml(path):
                findings.append(
                    _not_loaded(
                        repo,
                        path,
                        Severity.ERROR,
                        f"{repo.rel(path)}/ holds YAML files that "
                        f"are not loaded: {kind} files must sit directly in {repo.rel(folder)}/",
                        f"move the files up into {repo.rel(folder)}/",
                    )
                )
        elif name.lower().endswith(YAML_SUFFIXES):
            findings.append(
                _not_loaded(
                    repo,
                    path,
                    Severity.ERROR,
                    f"{repo.rel(path)} is not loaded: only the "
                    "lower-case suffixes .yaml and .yml are read",
                    f"rename it to {name[: name.rfind('.')]}{name[name.rfind('.') :].lower()}",
                )
            )
        elif _LOOKS_LIKE_YAML.search(name):
            findings.append(
                _not_loaded(
                    repo,
                    path,
                    Severity.WARNING,
                    f"{repo.rel(path)} looks like a {kind} file but is not loaded (a backup?)",
                    "delete it, or rename it to end in .yaml if it is meant to be loaded",
                )
            )
    return loaded


_LOOKS_LIKE_YAML = re.compile(r"(?i)\.ya?ml")
_FOLDER_SCAN_LIMIT = 1000  # entries looked at to tell whether a stray folder holds YAML


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _holds_yaml(folder: Path) -> bool:
    """Whether ``folder`` (links not followed) holds a YAML file, looking at a bounded number of
    entries."""
    seen = 0
    try:
        for _, folders, names in walk(folder):
            seen += len(folders) + len(names)
            if any(_LOOKS_LIKE_YAML.search(name) for name in names):
                return True
            if seen > _FOLDER_SCAN_LIMIT:
                return False
    except TooDeep:
        return True  # a stray tree that deep deserves a look either way
    return False


def _not_loaded(
    repo: Repository, path: Path, severity: Severity, message: str, hint: str
) -> Finding:
    return Finding(repo.rel(path), 1, 1, "file-not-loaded", severity, message, hint=hint)


def stray_files(repo: Repository, findings: list[Finding]) -> None:
    """YAML files in ``catalog/`` itself or in a folder of it that is neither runtimes/ nor
    models/."""
    catalog = repo.root / "catalog"
    known = {repo.folder(k).name for k in ("runtime", "model")}
    try:
        entries = sorted(os.scandir(catalog), key=lambda e: e.name) if catalog.is_dir() else []
    except OSError as exc:
        findings.append(
            Finding(
                "catalog",
                1,
                1,
                "file-unreadable",
                Severity.ERROR,
                f"cannot list catalog/: {exc.strerror or exc}",
                hint="check the folder's permissions",
            )
        )
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith("."):
            continue
        if _is_folder(entry):
            if entry.name not in known and _holds_yaml(path):
                findings.append(
                    _not_loaded(
                        repo,
                        path,
                        Severity.ERROR,
                        f"{repo.rel(path)}/ holds YAML files "
                        "that are not loaded: runtimes go in catalog/runtimes/, models in "
                        "catalog/models/",
                        "move the files into catalog/runtimes/ or catalog/models/",
                    )
                )
        elif _LOOKS_LIKE_YAML.search(entry.name):
            findings.append(
                _not_loaded(
                    repo,
                    path,
                    Severity.ERROR,
                    f"{repo.rel(path)} is not loaded: runtimes go "
                    "in catalog/runtimes/, models in catalog/models/",
                    "move it into catalog/runtimes/ or catalog/models/",
                )
            )


def load_repository(repo: Repository, parse_cache: ParseCache | None = None) -> Loaded:
    loaded = Loaded(Catalog(), recency=Recency(repo.root))
    builders: dict[str, Callable[[dict[str, Any], Source], Runtime | Model | Environment]] = {
        "runtime": runtime_from,
        "model": model_from,
        "environment": environment_from,
    }
    targets: dict[str, dict[str, Any]] = {
        "runtime": loaded.catalog.runtimes,
        "model": loaded.catalog.models,
        "environment": loaded.catalog.environments,
    }
    stray_files(repo, loaded.findings)
    for kind in ("runtime", "model", "environment"):
        for path in discover(repo, kind, loaded.findings):
            rel = repo.rel(path)
            loaded.files[rel] = path
            doc = load_one(repo, path, rel, kind, loaded, parse_cache)
            if doc is None:
                loaded.catalog.broken.setdefault(kind, set()).add(path.stem)
                continue
            obj = builders[kind](doc.data, Source(rel, doc))
            previous = targets[kind].get(obj.name)
            if previous is not None:
                # Reported on the copy the user edited last (else on the one that sorts later);
                # the other stays the definition the rest of the checks see.
                older = previous.source.file
                if loaded.recency is not None and loaded.recency.newer(older, rel) == older:
                    targets[kind][obj.name] = obj
                    loaded.findings.append(
                        _duplicate(kind, obj.name, older, previous.source.doc, rel)
                    )
                else:
                    loaded.findings.append(_duplicate(kind, obj.name, rel, doc, older))
                continue
            targets[kind][obj.name] = obj
    if parse_cache is not None:
        parse_cache.save()
    return loaded


def load_one(
    repo: Repository,
    path: Path,
    rel: str,
    kind: str,
    loaded: Loaded,
    parse_cache: ParseCache | None = None,
) -> Document | None:
    """Parse and schema-check one file; problems go to ``loaded.findings`` and give None."""
    findings = loaded.findings
    outside = outside_repository(repo.root, path, loaded.real_dirs)
    if outside:
        findings.append(
            Finding(
                rel,
                1,
                1,
                "file-outside-repo",
                Severity.ERROR,
                f"{rel} is a link to {outside}, outside the repository",
                hint="replace the symlink with the file itself",
            )
        )
        return None
    try:
        docs = _parse(path, rel, loaded, parse_cache)
    except YamlError as exc:
        findings.append(
            Finding(rel, exc.line, exc.col, exc.rule, Severity.ERROR, exc.message, hint=exc.hint)
        )
        return None
    except OSError as exc:
        findings.append(
            Finding(
                rel,
                1,
                1,
                "file-unreadable",
                Severity.ERROR,
                f"cannot read {rel}: {exc.strerror or exc}",
                hint="check the file's permissions",
            )
        )
        return None
    if not docs or docs[0].data is None:
        findings.append(
            Finding(
                rel,
                1,
                1,
                "file-empty",
                Severity.ERROR,
                f"{rel} holds no {kind}",
                hint=f"add the {kind} fields or delete the file",
            )
        )
        return None
    problems = validate_document(kind, rel, docs[0])
    findings.extend(problems)
    return None if problems else docs[0]


def _parse(path: Path, rel: str, loaded: Loaded, parse_cache: ParseCache | None) -> list[Document]:
    if parse_cache is None:
        raw = read_bytes(path)
        loaded.digests[rel] = ParseCache.digest(raw)
        return load_text(decode(raw), multi=False)
    info = readable_stat(path)  # taken before the read: a later change shows in the next stat
    known = parse_cache.known_digest(path, info)
    cached = parse_cache.get(known) if known is not None else None
    if cached is None or known is None:
        raw = read_bytes(path)
        digest = ParseCache.digest(raw)
        cached = parse_cache.get(digest)
    else:
        digest = known
    loaded.digests[rel] = digest
    parse_cache.saw(path, info, digest)
    if cached is not None:
        loaded.known_clean.add(rel)  # the parse cache stores only documents without credentials
        return [cached]
    docs = load_text(decode(raw), multi=False)
    if docs and not parse_cache.put(digest, docs[0]):
        loaded.uncacheable.add(rel)  # holds a credential: nothing made from it is cached
    return docs


def outside_repository(root: Path, path: Path, real_dirs: dict[str, str] | None = None) -> str:
    """The resolved target if ``path`` (a symlink, or inside one) leaves ``root``; else ''.

    ``real_dirs`` remembers resolved folders for one load: a file that is not itself a link
    resolves into its folder's real path, which saves resolving every folder on the way again
    for each of a thousand files.
    """
    real_dirs = {} if real_dirs is None else real_dirs

    def resolved(folder: str) -> str:
        if folder not in real_dirs:
            real_dirs[folder] = os.path.realpath(folder)
        return real_dirs[folder]

    real_root = resolved(str(root))
    if os.path.islink(path):
        real = os.path.realpath(path)
    else:
        real = os.path.join(resolved(str(path.parent)), path.name)
    if real == real_root or real.startswith(real_root + os.sep):
        return ""
    return real


def _duplicate(kind: str, name: str, rel: str, doc: Document, first: str) -> Finding:
    line, col = doc.locate(("name",))
    return Finding(
        rel,
        line,
        col,
        "duplicate-name",
        Severity.ERROR,
        f"{kind} '{name}' is already defined in {first}",
        "name",
        hint=f"rename one of the two {kind}s or delete the copy",
    )
