"""Round-trip YAML for files a user owns: comments, key order and quoting survive an edit.

The catalog and environment files are the user's; when the tool writes one (scaffolding a new
repository, importing manifests, fixing a finding), a reviewer must see only the change in the
pull request, not a reformatted file. ruamel.yaml's round-trip mode keeps comments, order and
the original style of untouched nodes. It is imported here only: reading for validation goes
through ``load.yamlio`` (PyYAML's C loader, with positions), so no command's hot path pays for it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelserve.atomic import write_atomic

# Plain scalars YAML 1.1 readers (PyYAML, hence many tools beside this one) turn into booleans,
# null or numbers: a string holding one is written quoted, so every reader sees a string.
_AMBIGUOUS = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|[-+]?(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?|0[xob][0-9a-fA-F_]+"
    r"|\d+(?::[0-5]?\d)+)$"
)


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long value the user wrote on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load(text: str) -> Any:
    """The document of ``text`` as ruamel's commented mapping (it remembers comments)."""
    return _yaml().load(text)


def dump(data: Any) -> str:
    """``data`` as YAML text, strings that other readers would take for another type quoted."""
    out = io.StringIO()
    _yaml().dump(_quote_ambiguous(data), out)
    return out.getvalue()


def edit_file(path: Path, change: Callable[[Any], None]) -> bool:
    """Apply ``change`` to the document of ``path`` in place and write it back atomically if it
    changed anything; comments, order and untouched formatting are kept. True when written."""
    before = path.read_text(encoding="utf-8")
    data = load(before)
    change(data)
    after = dump(data)
    if after == before:
        return False
    write_atomic(path, after)
    return True


def create_file(path: Path, data: Any, schema: str | None = None) -> None:
    """Write a new file (refusing to overwrite one), with the editor modeline for ``schema``."""
    if path.exists() or path.is_symlink():
        raise FileExistsError(f"{path} exists; not overwritten")
    text = dump(data)
    if schema is not None:
        text = f"# yaml-language-server: $schema={schema}\n{text}"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)


def _quote_ambiguous(node: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

    if isinstance(node, str) and not isinstance(node, ScalarString) and _AMBIGUOUS.match(node):
        return DoubleQuotedScalarString(node)
    if isinstance(node, CommentedMap | dict):
        for key in list(node):
            node[key] = _quote_ambiguous(node[key])
        return node
    if isinstance(node, CommentedSeq | list):
        for i, item in enumerate(node):
            node[i] = _quote_ambiguous(item)
        return node
    return node
