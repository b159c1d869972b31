"""Generated file texts of earlier runs, so a rebuilt Kustomize root dumps only what changed.

A one-model change makes validation rebuild that model's shard in every environment, and the
build needs every file of the shard on disk: about 65 files per shard, of which one changed.
Dumping YAML is the costly part of a render, so each root keeps the texts it wrote last time,
each beside the fingerprint of the documents it came from (``yamlout.Documents``); a file whose
fingerprint is unchanged reuses its text. Like the findings cache it lives outside the
repository, is keyed by the tool's code, its files are signed (``cache.write_signed_json``), and
anything unreadable or ill-formed in it is simply ignored. Texts rendered from a catalog file
that holds a credential are not stored (``fill(..., store=False)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from modelserve.cache.findings import make_key, read_signed_json, write_signed_json
from modelserve.deploy.tree import LazyFiles
from modelserve.render.yamlout import Documents


class TextCache:
    def __init__(self, directory: Path):
        self.directory = directory / "texts"
        self.reused = 0  # texts taken from the cache
        self.missed = 0  # texts the cache did not have (dumped now, or earlier in this run)

    def _path(self, bucket: str) -> Path:
        return self.directory / f"{make_key('texts', bucket)}.json"

    def fill(self, files: LazyFiles, bucket: str, rels: Iterable[str], store: bool = True) -> None:
        """Give every file in ``rels`` its text, reusing ``bucket``'s texts where they still hold;
        ``store=False`` reads but writes nothing back."""
        path = self._path(bucket)
        old = _read(path)
        new: dict[str, list[str]] = {}
        for rel in rels:
            producer = files.producer(rel)
            fingerprint = producer.fingerprint() if isinstance(producer, Documents) else None
            if fingerprint is None:
                continue
            entry = old.get(rel)
            if (
                isinstance(entry, list)
                and len(entry) == 2
                and entry[0] == fingerprint
                and isinstance(entry[1], str)
            ):
                files.provide(rel, entry[1])
                self.reused += 1
            else:
                self.missed += 1
            new[rel] = [fingerprint, files[rel]]
        if store and new != old:
            write_signed_json(path, new)


def _read(path: Path) -> dict[str, object]:
    data = read_signed_json(path)
    return data if isinstance(data, dict) else {}
