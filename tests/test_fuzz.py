"""Fuzzing: random and mutated catalogs never crash the tool, never write outside deploy/.

A case starts from a valid repository (the small catalog of ``modelserve.rules.examples``
or the project's example catalog), optionally with a deploy/ already generated and then
tampered with, and applies up to five mutations: structured edits of the parsed YAML (drop,
rename or duplicate keys, change types, hostile strings, huge and negative numbers, deep
nesting), textual edits of the bytes (truncation, tabs, BOMs, NUL and control bytes, invalid
UTF-8, anchors, aliases and alias bombs, random YAML, files over the size limit) and
filesystem edits (deleted or added files, symlinks inside and outside the repository,
folders where files should be). tests/FUZZING.md describes it and records the runs made.

A case goes through the real CLI in-process (``modelserve.cli.main``: validate with Kustomize
builds, check, generate, check) or, on the long run's fast path, through the library calls those
commands make (``validate_repository`` without builds, ``generate`` + ``write_tree``, ``plan``).
Either way it must: end with exit 0, 1 or 2 (never 3, the internal error; in the library, no
exception but ``FatalError``) and no traceback; leave everything outside deploy/ (the repository,
the files symlinks point at, Python's temp folder, the folder holding it all) exactly as it was;
``validate`` and ``check`` change nothing at all; a failed ``generate`` leaves deploy/ as it was;
a successful one writes generated files as plain files, keeps every foreign entry exactly, and
leaves deploy/ up to date for ``check``; generate's errors are a subset of validate's.

``test_fuzz_fast`` runs FAST_EXAMPLES fixed (derandomized) cases through the CLI in every
``make test`` (it is marked slow: ``make test-fast`` leaves it out). The long run is ``make
fuzz`` (``FUZZ_EXAMPLES=100000 pytest -m slow tests/test_fuzz.py::test_fuzz_long``): random
cases, one in FULL_EVERY through the CLI, the rest through the library fast path; it is skipped
unless FUZZ_EXAMPLES is set.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from modelserve.deploy.write import plan, write_tree
from modelserve.errors import FatalError
from modelserve.findings import Severity
from modelserve.generate import generate
from modelserve.load.repository import Repository
from modelserve.load.yamlio import MAX_DEPTH, MAX_FILE_BYTES
from modelserve.rules.examples import BASE as SMALL_BASE
from modelserve.validate.pipeline import Options, validate_repository
from tests.helpers import PROJECT, UPSTREAM, run_cli

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 0)
FAST_EXAMPLES = 120
FAST_OTHER_EXAMPLES = 45
FULL_EVERY = 10  # long run: one example in this many also runs `validate` with Kustomize builds
# Long enough to catch super-linear scanning: the URL-password pattern of
# generator/modelserve/validate/secrets.py once backtracked quadratically on such values
# (tests/FUZZING.md, "Findings").
LONG_VALUE = 200_000
ALLOWED_EXIT = {0, 1, 2}


def _project_base() -> dict[str, str]:
    files = {}
    for folder in ("catalog/runtimes", "catalog/models", "environments"):
        for path in sorted((PROJECT / folder).glob("*.yaml")):
            files[f"{folder}/{path.name}"] = path.read_text(encoding="utf-8")
    return files


BASES = {"small": dict(SMALL_BASE), "project": _project_base()}
FOLDERS = ("catalog/runtimes", "catalog/models", "environments")


# --- the case: what to write, and how it was made ------------------------------------------


@dataclass(frozen=True)
class Link:
    """A symlink; ``{outside}`` in the target is the folder beside the repository."""

    target: str


@dataclass(frozen=True)
class Folder:
    """An (empty) directory where a file would be."""


Node = bytes | Link | Folder


@dataclass
class Case:
    base: str
    files: dict[str, Node]
    ops: list[str] = field(default_factory=list)
    pregenerate: bool = False
    deploy_ops: list[tuple[str, str, bytes | None]] = field(default_factory=list)
    full: bool = True

    def describe(self) -> str:
        """The input, printed on failure: what changed from the base, with full contents."""
        lines = [
            f"base={self.base} pregenerate={self.pregenerate} full={self.full}",
            f"ops={self.ops}",
            f"deploy_ops={[(a, p, _short(n)) for a, p, n in self.deploy_ops]}",
        ]
        base = {k: v.encode() for k, v in BASES[self.base].items()}
        for rel in sorted(set(base) | set(self.files)):
            node = self.files.get(rel)
            if node != base.get(rel):
                lines.append(f"--- {rel}: {_short(node, 4000)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "Case(\n" + self.describe() + "\n)"


def _short(node: Node | None, limit: int = 200) -> str:
    if isinstance(node, bytes):
        return repr(node[:limit]) + (f"... ({len(node)} bytes)" if len(node) > limit else "")
    return repr(node)


# --- strategies -------------------------------------------------------------------------------

HOSTILE_STRINGS = [
    "",
    " ",
    ".",
    "..",
    "../../etc/passwd",
    "a/b",
    "/abs",
    "A",
    "UPPER-case",
    "ll\u0430ma",
    "\uff4clama",
    "a" * 48,
    "a" * 49,
    "a" * 63,
    "a" * 64,
    "x" * 300,
    "\t",
    "yes",
    "no",
    "on",
    "off",
    "0755",
    "1:30",
    "~",
    "null",
    "true",
    "*",
    "&a",
    "!!python/object/apply:os.system",
    "${HOME}",
    "$(id)",
    "\u202egnp.exe",
    "\u200b",
    "\U0001f4a5",
    "nvapi-" + "Zx81kQm2vB7LrT0pYw5sNd3Hc9Jf6Ga4Ue1Xi8Ko",
    "ftp://example.com/m",
    "javascript:alert(1)",
    "file:///models/../../etc/passwd",
    "http://169.254.169.254/latest",
    "s3://",
    "hf://",
    "pvc://x/../y",
    "C:\\models",
    "\\\\server\\share",
    "-",
    "--",
    "0",
    "1e309",
    "-1",
    "NaN",
    "docker.io/",
    "@sha256:",
    "nvcr.io/x:1@sha256:" + "0" * 64,
    "latest",
    "a" * LONG_VALUE,
]


# Strategies are built once, at import: Hypothesis inspects the source of the functions they use
# when it first validates them, so they must not be rebuilt (and re-read) halfway through a run.
def _hostile_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.sampled_from(HOSTILE_STRINGS),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([10**30, -(10**30), 2**63, 2**64, -1, 0, 65536, 65535]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
    )
    return st.one_of(
        scalars,
        st.lists(scalars, max_size=3),
        st.dictionaries(st.text(max_size=8), scalars, max_size=3),
    )


def _containers(kids: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=10), kids, max_size=4)
    )


HOSTILE_VALUES = _hostile_values()
RANDOM_DATA = st.recursive(
    st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.booleans(), st.none()),
    _containers,
    max_leaves=20,
)
RANDOM_YAML = st.builds(lambda data: yaml.safe_dump(data).encode(), RANDOM_DATA)


def _in_list(value: Any) -> Any:
    return [value]


def _in_map(value: Any) -> Any:
    return {"k": value}


INSERTS = [
    b"\x00",
    b"\t",
    b"\xef\xbb\xbf",
    b"\r",
    b"\r\n",
    b"\xff",
    b"\xc3",
    b"\x85",
    b"\xe2\x80\xa8",
    b"\x7f",
    b"- ",
    b": ",
    b"&a ",
    b"*a",
    b"!!",
    b"!!binary ",
    b"!local ",
    b"{",
    b"[",
    b"'",
    b'"',
    b"%YAML 1.1\n",
    b"---\n",
    b"...\n",
    b"? ",
    b"|\n",
    b">-\n",
    b"#",
    b"<<: *a\n",
    b"\n  ",
    b"\\",
    b"%",
    b"@",
    b"`",
]
PAYLOADS = st.one_of(
    st.sampled_from(INSERTS),
    st.binary(max_size=12),
    st.text(max_size=12).map(lambda text: text.encode("utf-8", "surrogatepass")),
)
NAMES = [
    "x.yaml",
    "x.yml",
    "x.YAML",
    ".hidden.yaml",
    "with space.yaml",
    "\u00fcnicode.yaml",
    "a" * 100 + ".yaml",
    "-dash.yaml",
    "dev.yaml",
    "llama.yaml",
    "vllm-runtime.yaml",
    "x.yaml~",
    "x.json",
]


def _dump(data: Any, draw: st.DrawFn) -> bytes:
    flow = draw(st.sampled_from([False, True, None]))
    text = yaml.safe_dump(
        data,
        allow_unicode=draw(st.booleans()),
        default_flow_style=flow,
        sort_keys=False,
        width=draw(st.sampled_from([80, 10_000])),
    )
    return text.encode("utf-8")


def _paths(data: Any, limit: int = 500) -> list[tuple[Any, ...]]:
    """Paths of the nodes of ``data``, at most ``limit`` (an alias bomb must not explode here)."""
    found: list[tuple[Any, ...]] = []
    todo: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    while todo and len(found) < limit:
        prefix, node = todo.pop(0)
        if prefix:
            found.append(prefix)
        if isinstance(node, dict):
            todo += [(prefix + (k,), v) for k, v in node.items()]
        elif isinstance(node, list):
            todo += [(prefix + (i,), v) for i, v in enumerate(node)]
    return found


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def _text_files(files: dict[str, Node]) -> list[str]:
    return sorted(k for k, v in files.items() if isinstance(v, bytes))


def op_structured(draw: st.DrawFn, files: dict[str, Node]) -> str:
    """Edit the parsed YAML of one file, then write it back out."""
    names = _text_files(files)
    if not names:
        return "structured -: skipped"
    rel = draw(st.sampled_from(names))
    try:
        data = yaml.load(files[rel], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - an earlier mutation broke it; edit bytes instead
        return op_textual(draw, files)
    paths = _paths(data)
    if not isinstance(data, (dict, list)) or not paths:
        files[rel] = _dump(draw(RANDOM_DATA), draw)
        return f"structured {rel}: replaced non-mapping with random data"
    path = draw(st.sampled_from(paths))
    parent, key = _parent(data, path), path[-1]
    kind = draw(
        st.sampled_from(["drop", "rename", "value", "nest", "wrap-list", "copy", "empty-container"])
    )
    if kind == "drop":
        del parent[key]
    elif kind == "rename" and isinstance(parent, dict):
        new = draw(
            st.one_of(
                st.sampled_from(["nmae", "Name", "name ", "images", "storageURI", "<<", "~", "1"]),
                st.text(max_size=10),
            )
        )
        parent[new] = parent.pop(key)
        key = f"{key}->{new!r}"
    elif kind == "nest":
        depth = draw(st.integers(1, MAX_DEPTH + 40))
        value = parent[key]
        for _ in range(depth):
            value = draw(st.sampled_from([_in_list, _in_map]))(value)
        parent[key] = value
        key = f"{key} nested {depth}"
    elif kind == "wrap-list":
        parent[key] = [parent[key], parent[key]]
    elif kind == "copy":
        other = draw(st.sampled_from(paths))
        parent[key] = copy.deepcopy(_parent(data, other)[other[-1]])
    elif kind == "empty-container":
        parent[key] = draw(st.sampled_from([{}, [], "", None]))
    else:
        parent[key] = draw(HOSTILE_VALUES)
    try:
        files[rel] = _dump(data, draw)
    except Exception:  # noqa: BLE001 - e.g. a copied value containing itself
        files[rel] = _dump(draw(RANDOM_DATA), draw)
    return f"structured {rel}: {kind} {path[:-1]}[{key!r}]"


def op_textual(draw: st.DrawFn, files: dict[str, Node]) -> str:
    """Edit the bytes of one file."""
    names = _text_files(files)
    if not names:
        return "textual -: skipped"
    rel = draw(st.sampled_from(names))
    raw: bytes = files[rel]  # type: ignore[assignment]
    kind = draw(
        st.sampled_from(
            [
                "truncate",
                "insert",
                "bom",
                "tabs",
                "dup-line",
                "del-line",
                "anchors",
                "alias-bomb",
                "random-yaml",
                "random-text",
                "multi-doc",
                "other-kind",
                "huge",
                "long-line",
                "crlf",
                "empty",
            ]
        )
    )
    lines = raw.split(b"\n")
    at = draw(st.integers(0, len(raw)))
    line_no = draw(st.integers(0, max(len(lines) - 1, 0)))
    if kind == "truncate":
        files[rel] = raw[:at]
    elif kind == "insert":
        payload = draw(PAYLOADS)
        files[rel] = raw[:at] + payload + raw[at:]
    elif kind == "bom":
        files[rel] = draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])) + raw
    elif kind == "tabs":
        lines[line_no] = lines[line_no].replace(b"  ", b"\t")
        files[rel] = b"\n".join(lines)
    elif kind == "dup-line":
        lines.insert(line_no, lines[line_no])
        files[rel] = b"\n".join(lines)
    elif kind == "del-line":
        del lines[line_no]
        files[rel] = b"\n".join(lines)
    elif kind == "anchors":
        files[rel] = raw + draw(
            st.sampled_from(
                [
                    b"\nextra: &x {a: 1, b: [1, 2]}\nmore: *x\n",
                    b"\ndescription: &d hello\nowners: [*d, *d]\n",
                    b"\nx: *missing\n",
                    b"\nx: &a [*a]\n",
                    b"\n<<: {a: 1}\n",
                ]
            )
        )
    elif kind == "alias-bomb":
        width, depth = draw(st.integers(2, 10)), draw(st.integers(2, 9))
        bomb = [b"a0: &a0 [x, x]"] + [
            b"a%d: &a%d [" % (i, i) + b", ".join([b"*a%d" % (i - 1)] * width) + b"]"
            for i in range(1, depth)
        ]
        files[rel] = raw + b"\n" + b"\n".join(bomb) + b"\n"
    elif kind == "random-yaml":
        files[rel] = _dump(draw(RANDOM_DATA), draw)
    elif kind == "random-text":
        files[rel] = draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    elif kind == "multi-doc":
        files[rel] = raw + b"\n---\n" + raw
    elif kind == "other-kind":
        other = draw(st.sampled_from(names))
        files[rel] = files[other]
    elif kind == "huge":
        files[rel] = raw + b"\n#" + b"x" * (MAX_FILE_BYTES + 1) + b"\n"
    elif kind == "long-line":
        files[rel] = raw + b"\ndescription: " + b"y" * LONG_VALUE + b"\n"
    elif kind == "crlf":
        files[rel] = raw.replace(b"\n", b"\r\n")
    else:
        files[rel] = b""
    return f"textual {rel}: {kind}"


def op_filesystem(draw: st.DrawFn, files: dict[str, Node]) -> str:
    """Delete, add, link or replace files and folders."""
    kind = draw(
        st.sampled_from(
            [
                "delete",
                "add",
                "link-out",
                "link-in",
                "link-dangling",
                "link-loop",
                "link-dev",
                "link-folder-out",
                "link-folder-in",
                "file-is-folder",
                "rename",
                "drop-folder",
            ]
        )
    )
    names = sorted(files)
    rel = draw(st.sampled_from(names)) if names else "catalog/models/x.yaml"
    folder = draw(st.sampled_from(FOLDERS))
    new = f"{folder}/{draw(st.sampled_from(NAMES))}"
    if kind == "delete":
        files.pop(rel, None)
    elif kind == "add":
        texts = [v for v in files.values() if isinstance(v, bytes)] or [b""]
        files[new] = draw(st.one_of(st.sampled_from(texts), RANDOM_YAML))
        rel = new
    elif kind == "link-out":
        files[draw(st.sampled_from([rel, new]))] = Link(
            draw(
                st.sampled_from(
                    [
                        "{outside}/model.yaml",
                        "{outside}/dev.yaml",
                        "{outside}/runtime.yaml",
                        "/etc/hostname",
                    ]
                )
            )
        )
    elif kind == "link-in":
        # A relative link to another file of the repository: allowed, read like the file itself.
        other = draw(st.sampled_from(names)) if names else rel
        files[new] = Link(os.path.relpath(other, os.path.dirname(new)))
    elif kind == "link-dangling":
        files[rel] = Link("no-such-file.yaml")
    elif kind == "link-loop":
        files[rel] = Link(os.path.basename(rel))
    elif kind == "link-dev":
        files[rel] = Link(
            draw(st.sampled_from(["/dev/zero", "/dev/null", "/dev/urandom", "/proc/self/environ"]))
        )
    elif kind == "link-folder-out":
        for key in [k for k in files if k.startswith(folder + "/")]:
            del files[key]
        files[folder] = Link("{outside}/" + folder.replace("/", "-"))
        rel = folder
    elif kind == "link-folder-in":
        others = [f for f in FOLDERS if f != folder]
        for key in [k for k in files if k.startswith(folder + "/")]:
            del files[key]
        files[folder] = Link(
            os.path.relpath(draw(st.sampled_from(others)), os.path.dirname(folder))
        )
        rel = folder
    elif kind == "file-is-folder":
        files[draw(st.sampled_from([rel, new]))] = Folder()
    elif kind == "rename":
        node = files.pop(rel, None)
        if node is not None:
            files[new] = node
    else:
        for key in [k for k in files if k.startswith(folder + "/")]:
            del files[key]
        rel = folder
    return f"filesystem {rel}: {kind} (new name {new})"


VALID_TEXT = st.one_of(st.text(max_size=60), st.sampled_from(HOSTILE_STRINGS[:40]))


def op_valid(draw: st.DrawFn, files: dict[str, Node]) -> str:
    """Keep the file valid but put hostile text where free text is allowed (much is rendered)."""
    names = [n for n in _text_files(files) if n.startswith(FOLDERS)]
    if not names:
        return "valid -: skipped"
    rel = draw(st.sampled_from(names))
    try:
        data = yaml.load(files[rel], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001
        return "valid -: skipped (unparsable)"
    if not isinstance(data, dict):
        return "valid -: skipped (not a mapping)"
    kind = draw(
        st.sampled_from(
            [
                "description",
                "args",
                "annotation",
                "label-value",
                "env-value",
                "owners",
                "reorder",
                "comment",
                "restyle",
            ]
        )
    )
    try:
        return _valid_edit(draw, files, rel, data, kind)
    except (
        TypeError,
        AttributeError,
        KeyError,
        IndexError,
    ):  # an earlier mutation changed the shape
        return f"valid {rel}: skipped ({kind} on a mangled document)"


def _valid_edit(
    draw: st.DrawFn, files: dict[str, Node], rel: str, data: dict[str, Any], kind: str
) -> str:
    if kind == "description":
        data["description"] = draw(VALID_TEXT)
    elif kind == "args":
        target = (
            data["models"][0] if rel.startswith("environments/") and data.get("models") else data
        )
        target["args"] = draw(st.lists(VALID_TEXT, max_size=4))
    elif kind == "annotation" and rel.startswith("catalog/runtimes/"):
        data["podAnnotations"] = {"example.com/note": draw(VALID_TEXT)}
    elif kind == "label-value" and rel.startswith("catalog/runtimes/"):
        data["podLabels"] = {"team": draw(VALID_TEXT)}
    elif kind == "env-value" and rel.startswith("catalog/runtimes/"):
        data.setdefault("env", []).append({"name": "EXTRA_SETTING", "value": draw(VALID_TEXT)})
    elif kind == "owners" and rel.startswith("catalog/models/"):
        data["owners"] = draw(st.lists(VALID_TEXT, max_size=3))
    elif kind == "reorder":
        data = dict(reversed(list(data.items())))
    elif kind == "comment":
        lines = files[rel].split(b"\n")  # type: ignore[union-attr]
        at = draw(st.integers(0, len(lines)))
        files[rel] = b"\n".join(
            lines[:at] + [b"# " + draw(st.text(max_size=30)).encode()] + lines[at:]
        )
        return f"valid {rel}: comment"
    files[rel] = _dump(data, draw)
    return f"valid {rel}: {kind}"


DEPLOY_OPS = [
    "edit-owned",
    "delete-owned",
    "foreign-file",
    "foreign-link-out",
    "owned-becomes-link",
    "empty-dir",
    "foreign-at-generated-path",
    "manifest-list-escape",
    "linked-dir-in-deploy",
    "manifest-junk",
    "deploy-is-file",
]


def deploy_ops() -> st.SearchStrategy[list[tuple[str, str, bytes | None]]]:
    paths = ["overlays/dev/kustomization.yaml", "notes.md", "base/x/y.yaml", "clusters"]
    one = st.tuples(
        st.sampled_from(DEPLOY_OPS),
        st.sampled_from(paths),
        st.one_of(st.none(), st.binary(max_size=30)),
    )
    return st.lists(one, max_size=3)


OPS: list[Callable[[st.DrawFn, dict[str, Node]], str]] = [
    op_valid,
    op_structured,
    op_textual,
    op_filesystem,
]


@st.composite
def cases(draw: st.DrawFn, full_every: int = 1) -> Case:
    # The project catalog (19 files) costs five times the small one: one case in four uses it.
    base = draw(st.sampled_from(["small", "small", "small", "project"]))
    files: dict[str, Node] = {k: v.encode("utf-8") for k, v in BASES[base].items()}
    case = Case(base, files)
    # Few mutations are likelier than many, so that a good share of cases still generates and the
    # writer meets hostile-but-valid values; op_valid twice as likely as each other kind.
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 1, 2, 2, 3, 4, 5]))):
        case.ops.append(draw(st.sampled_from([op_valid, *OPS]))(draw, files))
        op, _, detail = case.ops[-1].partition(": ")
        _event(f"op {op.split(' ')[0]} {detail.split(' ')[0]}")
    case.pregenerate = draw(st.booleans())
    if case.pregenerate:
        case.deploy_ops = draw(deploy_ops())
    case.full = full_every <= 1 or draw(st.sampled_from([True] + [False] * (full_every - 1)))
    return case


# --- writing a case and watching what the tool does --------------------------------------------


def _write(root: Path, rel: str, node: Node, outside: Path) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    if isinstance(node, bytes):
        path.write_bytes(node)
    elif isinstance(node, Link):
        os.symlink(node.target.replace("{outside}", str(outside)), path)
    else:
        path.mkdir()


def _outside(workdir: Path) -> Path:
    """Files beside the repository that symlinks point at; they must never change."""
    outside = workdir / "outside"
    small = BASES["small"]
    for name, rel in (
        ("model.yaml", "catalog/models/llama.yaml"),
        ("dev.yaml", "environments/dev.yaml"),
        ("runtime.yaml", "catalog/runtimes/vllm-runtime.yaml"),
    ):
        _write(outside, name, small[rel].encode(), outside)
    for folder in FOLDERS:
        for rel, text in small.items():
            if rel.startswith(folder + "/"):
                _write(
                    outside,
                    f"{folder.replace('/', '-')}/{rel.rsplit('/', 1)[1]}",
                    text.encode(),
                    outside,
                )
    (outside / "deploy-target").mkdir()
    return outside


def _tamper_deploy(deploy: Path, ops: list[tuple[str, str, bytes | None]], outside: Path) -> None:
    owned = sorted(json.loads((deploy / ".modelserve-owned.json").read_text())["files"])
    for i, (kind, rel, payload) in enumerate(ops):
        data = payload if isinstance(payload, bytes) else b"hand edit\n"
        victim = owned[i * 7 % len(owned)]
        if _blocked(deploy, victim if "owned" in kind else rel):
            continue  # an earlier op put a link or a file where this one's folder was
        if kind == "edit-owned":
            (deploy / victim).write_bytes(data)
        elif kind == "delete-owned":
            (deploy / victim).unlink(missing_ok=True)
        elif kind == "foreign-file":
            _write(deploy, rel, data, outside)
        elif kind == "foreign-link-out":
            _write(deploy, f"link-{i}.yaml", Link("{outside}/model.yaml"), outside)
        elif kind == "owned-becomes-link":
            _write(deploy, victim, Link("{outside}/model.yaml"), outside)
        elif kind == "empty-dir":
            (deploy / f"empty-{i}").mkdir(exist_ok=True)
        elif kind == "foreign-at-generated-path":
            (deploy / ".modelserve-owned.json").write_text(
                json.dumps({"files": [o for o in owned if o != victim]})
            )
        elif kind == "manifest-list-escape":
            (deploy / ".modelserve-owned.json").write_text(
                json.dumps({"files": ["../../outside/model.yaml", "/etc/x"]})
            )
        elif kind == "manifest-junk":
            (deploy / ".modelserve-owned.json").write_bytes(data if payload else b'{"files": [1]}')
        elif kind == "deploy-is-file":
            shutil.rmtree(deploy)
            deploy.write_bytes(data)
            return
        elif kind == "linked-dir-in-deploy":
            shutil.rmtree(deploy / "overlays", ignore_errors=True)
            _write(deploy, "overlays", Link("{outside}/deploy-target"), outside)


def materialize(case: Case, workdir: Path) -> Path:
    """Write the case's repository at ``workdir/repo``; returns it."""
    outside = _outside(workdir)
    repo = workdir / "repo"
    if case.pregenerate:
        for rel, text in BASES[case.base].items():
            _write(repo, rel, text.encode(), outside)
        code, out, err = run_cli("generate", "--root", str(repo))
        assert code == 0, f"the unmutated base must generate: {out}{err}"
        _tamper_deploy(repo / "deploy", case.deploy_ops, outside)
        for folder in ("catalog", "environments"):
            shutil.rmtree(repo / folder)
    repo.mkdir(exist_ok=True)
    # Parents first; nothing is written through a symlinked or file parent (it would land outside).
    for rel in sorted(case.files, key=lambda r: (r.count("/"), r)):
        if not _blocked(repo, rel):
            _write(repo, rel, case.files[rel], outside)
    return repo


def _blocked(repo: Path, rel: str) -> bool:
    parent = repo
    for part in Path(rel).parts[:-1]:
        parent = parent / part
        if parent.is_symlink() or (os.path.lexists(parent) and not parent.is_dir()):
            return True
    return False


Snapshot = dict[str, tuple[Any, ...]]


def snapshot(root: Path) -> Snapshot:
    """Every entry under ``root`` (links not followed): type, and content hash or link target."""
    found: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        for name in dirnames + filenames:
            path = base / name
            found[path.relative_to(root).as_posix()] = _entry(path)
    return found


def _entry(path: Path) -> tuple[Any, ...]:
    st_ = os.lstat(path)
    if stat.S_ISLNK(st_.st_mode):
        return ("link", os.readlink(path))
    if stat.S_ISDIR(st_.st_mode):
        return ("dir",)
    if stat.S_ISREG(st_.st_mode):
        return ("file", hashlib.sha256(path.read_bytes()).hexdigest(), stat.S_IMODE(st_.st_mode))
    return ("other", stat.S_IFMT(st_.st_mode))


@contextlib.contextmanager
def confined(workdir: Path):  # type: ignore[no-untyped-def]
    """Run with the working directory and Python's temp folder inside ``workdir``."""
    tmp = workdir / "tmp"
    tmp.mkdir()
    old_cwd, old_tmp = os.getcwd(), tempfile.tempdir
    os.chdir(workdir)
    tempfile.tempdir = str(tmp)
    try:
        yield
    finally:
        tempfile.tempdir = old_tmp
        os.chdir(old_cwd)


def _event(label: str) -> None:
    """Count ``label`` in `pytest --hypothesis-show-statistics`; a no-op outside @given."""
    with contextlib.suppress(InvalidArgument):
        event(label)


class Failure(AssertionError):
    pass


def _expect(ok: bool, case: Case, message: str, runs: list[str]) -> None:
    if not ok:
        raise Failure(f"{message}\n\nINPUT:\n{case.describe()}\n\nRUNS:\n" + "\n".join(runs))


def _run_checked(case: Case, runs: list[str], *argv: str) -> tuple[int, str, str]:
    code, out, err = run_cli(*argv)
    _event(f"{argv[0]} exit {code}")
    runs.append(f"$ modelserve {' '.join(argv)}  -> exit {code}\n{out[-3000:]}{err[-3000:]}")
    _expect(code in ALLOWED_EXIT, case, f"`{argv[0]}` exited {code} (allowed: 0, 1, 2)", runs)
    _expect(
        "Traceback" not in out + err and "internal error" not in err,
        case,
        f"`{argv[0]}` crashed",
        runs,
    )
    return code, out, err


def run_case(case: Case, workdir: Path, *, full: bool) -> None:
    """Drive one case through the tool and check every property.

    The case goes through the CLI when ``full``, else through the library.
    """
    repo = materialize(case, workdir)
    runs: list[str] = []
    parent_before = set(os.listdir(workdir.parent))
    with confined(workdir):
        state = _State(snapshot(workdir), _owned(repo / "deploy"))
        (_through_cli if full else _through_library)(case, repo, workdir, state, runs)
    _expect(
        set(os.listdir(workdir.parent)) == parent_before,
        case,
        "new entries beside the work folder",
        runs,
    )


@dataclass
class _State:
    """Before the run: every entry of the work folder, and the files deploy/'s manifest listed."""

    everything: Snapshot
    owned: set[str]


def _through_cli(case: Case, repo: Path, workdir: Path, state: _State, runs: list[str]) -> None:
    """validate (with Kustomize builds), check, generate, check: the real commands, in-process."""
    _run_checked(case, runs, "validate", "--root", str(repo), "--format", "json")
    _expect(snapshot(workdir) == state.everything, case, "validate changed files", runs)
    _run_checked(case, runs, "check", "--root", str(repo))
    _expect(snapshot(workdir) == state.everything, case, "check changed files", runs)
    code, _, _ = _run_checked(case, runs, "generate", "--root", str(repo))
    _after_generate(case, repo, workdir, state, code == 0, runs)
    if code == 0:
        code, _, _ = _run_checked(case, runs, "check", "--root", str(repo))
        _expect(code == 0, case, "check after a successful generate is not clean", runs)


def _through_library(case: Case, repo: Path, workdir: Path, state: _State, runs: list[str]) -> None:
    """The fast path: what the commands call, without argparse or Kustomize builds.

    validate_repository with no environment selected runs load, schemas, catalog rules and
    rendering but no build; generate() + write_tree() is the generate command; plan() is check.
    A FatalError is what the CLI turns into exit 1 or 2; any other exception is exit 3.
    """
    layout = Repository(repo.resolve())
    try:
        result = validate_repository(layout, Options(envs=set(), cache=None))
        _expect(
            snapshot(workdir) == state.everything, case, "validate_repository changed files", runs
        )
        generated = generate(layout)
        written = False
        if generated.tree is not None:
            try:
                write_tree(layout.deploy, generated.tree.files)
                written = True
            except FatalError as exc:
                runs.append(f"write_tree refused: {exc}")
    except Failure:
        raise
    except Exception as exc:  # noqa: BLE001 - any exception here is the bug being looked for
        runs.append("".join(traceback.format_exception(exc)))
        _expect(
            False,
            case,
            f"the library raised {type(exc).__name__}: {exc} (the CLI would exit 3)",
            runs,
        )
        return
    _event(f"library generate {'wrote' if written else 'refused'}")
    errors = {f for f in generated.findings if f.severity is Severity.ERROR}
    _expect(
        errors <= set(result.findings), case, "generate reports errors that validate does not", runs
    )
    _after_generate(case, repo, workdir, state, written, runs)
    if written:
        again, _ = plan(layout.deploy, generated.tree.files)  # type: ignore[union-attr]
        _expect(not again.changed, case, "deploy/ is not up to date right after write_tree", runs)


def _after_generate(
    case: Case, repo: Path, workdir: Path, state: _State, ok: bool, runs: list[str]
) -> None:
    now = snapshot(workdir)
    _expect(
        _outside_deploy(now) == _outside_deploy(state.everything),
        case,
        "generate changed files outside deploy/ (or left temp files)",
        runs,
    )
    if ok:
        _expect_sound_deploy(case, repo, _deploy(state.everything), _deploy(now), state.owned, runs)
    else:
        _expect(
            _deploy(now) == _deploy(state.everything),
            case,
            "a failed generate changed deploy/",
            runs,
        )


DEPLOY = "repo/deploy"


def _outside_deploy(snap: Snapshot) -> Snapshot:
    return {k: v for k, v in snap.items() if k != DEPLOY and not k.startswith(DEPLOY + "/")}


def _deploy(snap: Snapshot) -> Snapshot:
    """The entries under deploy/, relative to it ("." when deploy/ itself is a link or a file)."""
    found = {k[len(DEPLOY) + 1 :]: v for k, v in snap.items() if k.startswith(DEPLOY + "/")}
    if DEPLOY in snap and snap[DEPLOY][0] != "dir":
        found["."] = snap[DEPLOY]
    return found


def _owned(deploy: Path) -> set[str]:
    """The manifest's list, read leniently (the fuzzer may have garbled it)."""
    try:
        files = json.loads((deploy / ".modelserve-owned.json").read_text())["files"]
        return {f for f in files if isinstance(f, str)}
    except Exception:  # noqa: BLE001
        return set()


def _expect_sound_deploy(
    case: Case,
    repo: Path,
    before: Snapshot,
    after: Snapshot,
    owned_before: set[str],
    runs: list[str],
) -> None:
    """After a successful generate: generated files are plain files; every foreign entry is kept."""
    deploy = repo / "deploy"
    _expect(
        deploy.is_dir() and not deploy.is_symlink(),
        case,
        "generate succeeded but deploy/ is no folder",
        runs,
    )
    owned = _owned(deploy)
    for rel, entry in after.items():
        if entry[0] == "dir" or rel == ".modelserve-owned.json":
            continue
        if rel in owned:
            _expect(
                entry[0] == "file",
                case,
                f"generated deploy/{rel} is a {entry[0]}, not a file",
                runs,
            )
        else:
            _expect(
                before.get(rel) == entry,
                case,
                f"deploy/{rel} is neither generated nor kept as it was",
                runs,
            )
    for rel, entry in before.items():
        if entry[0] != "dir" and rel != ".modelserve-owned.json" and rel not in owned_before:
            _expect(
                after.get(rel) == entry, case, f"foreign deploy/{rel} was not kept as it was", runs
            )


def _workdir(base: Path) -> Path:
    return Path(tempfile.mkdtemp(prefix="case-", dir=base))


# --- other targets: validate-manifests --policy, schemas import, the cache reader --------------
#
# The same mutations (structured, textual, filesystem) applied to other inputs a pull request
# controls: hand-written manifests (KServe's, NVIDIA's and EDB's samples from ../shared), CRDs
# for `schemas import`, and the files of a cache folder (which a restored CI cache may hold).

SHARED = UPSTREAM
SMALL_CRDS = [
    "crds/kserve/serving.kserve.io_localmodelcaches.yaml",
    "crds/kserve/serving.kserve.io_trainedmodels.yaml",
    "crds/kserve/serving.kserve.io_localmodelnodes.yaml",
    "crds/prometheus-operator/monitoring.coreos.com_prometheusrules.yaml",
]


def _shared_files(pattern: str, limit: int) -> dict[str, bytes]:
    found = sorted(SHARED.glob(pattern))[:limit]
    if not found:
        raise RuntimeError(
            f"missing upstream test data: {SHARED / pattern} "
            "(../shared must sit beside the project)"
        )
    return {path.name: path.read_bytes() for path in found}


def _manifest_bases() -> dict[str, bytes]:
    bases = {
        **_shared_files("samples/kserve/*.yaml", 12),
        **_shared_files("samples/nim/*.yaml", 6),
        **_shared_files("samples/edb/*.yaml", 6),
    }
    return {f"manifests/{name}": data for name, data in bases.items()}


def _crd_bases() -> dict[str, bytes]:
    return {f"crds/{Path(rel).name}": (SHARED / rel).read_bytes() for rel in SMALL_CRDS}


@dataclass
class OtherCase:
    target: str  # "manifests" | "crds" | "cache"
    files: dict[str, Node]
    ops: list[str] = field(default_factory=list)
    cache_ops: list[tuple[str, int, bytes]] = field(default_factory=list)

    def describe(self) -> str:
        lines = [
            f"target={self.target} ops={self.ops} "
            f"cache_ops={[(k, i, _short(b)) for k, i, b in self.cache_ops]}"
        ]
        lines += [f"--- {rel}: {_short(node, 2000)}" for rel, node in sorted(self.files.items())]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "OtherCase(\n" + self.describe() + "\n)"


CACHE_OPS = [
    "junk",
    "truncate",
    "unsigned-copy",
    "resign-shuffled",
    "resign-junk-entry",
    "empty",
    "fifo",
    "folder",
]


@st.composite
def other_cases(draw: st.DrawFn) -> OtherCase:
    target = draw(st.sampled_from(["manifests", "crds", "cache"]))
    if target == "manifests":
        pool = MANIFEST_BASES
        files: dict[str, Node] = {
            rel: pool[rel]
            for rel in draw(
                st.lists(st.sampled_from(sorted(pool)), min_size=1, max_size=3, unique=True)
            )
        }
    elif target == "crds":
        files = {
            rel: CRD_BASES[rel]
            for rel in draw(
                st.lists(st.sampled_from(sorted(CRD_BASES)), min_size=1, max_size=2, unique=True)
            )
        }
    else:
        files = {k: v.encode() for k, v in BASES["small"].items()}
    case = OtherCase(target, files)
    for _ in range(draw(st.sampled_from([0, 1, 1, 2, 3]))):
        op = draw(
            st.sampled_from(
                [op_structured, op_textual, op_filesystem_other]
                if target != "cache"
                else [op_valid, op_structured]
            )
        )
        case.ops.append(op(draw, files))
    if target == "cache":
        case.cache_ops = draw(
            st.lists(
                st.tuples(st.sampled_from(CACHE_OPS), st.integers(0, 50), st.binary(max_size=40)),
                min_size=1,
                max_size=3,
            )
        )
    _event(f"target {target}")
    return case


def op_filesystem_other(draw: st.DrawFn, files: dict[str, Node]) -> str:
    """Links out, to devices, folders where files were, deletions (manifests and CRDs)."""
    rel = draw(st.sampled_from(sorted(files)))
    kind = draw(st.sampled_from(["link-out", "link-dev", "file-is-folder", "delete", "empty"]))
    if kind == "link-out":
        files[rel] = Link("{outside}/model.yaml")
    elif kind == "link-dev":
        files[rel] = Link(
            draw(st.sampled_from(["/dev/zero", "/dev/urandom", "/proc/self/environ"]))
        )
    elif kind == "file-is-folder":
        files[rel] = Folder()
    elif kind == "delete" and len(files) > 1:
        del files[rel]
    else:
        files[rel] = b""
    return f"filesystem {rel}: {kind}"


def run_other(case: OtherCase, workdir: Path) -> None:
    outside = _outside(workdir)
    repo = workdir / "repo"
    repo.mkdir()
    for rel in sorted(case.files, key=lambda r: (r.count("/"), r)):
        if not _blocked(repo, rel):
            _write(repo, rel, case.files[rel], outside)
    runs: list[str] = []
    parent_before = set(os.listdir(workdir.parent))
    with confined(workdir):
        before = snapshot(workdir)
        if case.target == "manifests":
            _run_checked(
                case,
                runs,
                "validate-manifests",
                "--policy",
                "--root",
                str(repo),
                "--format",
                "json",
                str(repo / "manifests"),
            )
            _expect(snapshot(workdir) == before, case, "validate-manifests changed files", runs)
        elif case.target == "crds":
            store = repo / "store"
            code, _, _ = _run_checked(
                case, runs, "schemas", "import", str(repo / "crds"), "--out", str(store)
            )
            now = snapshot(workdir)
            outside_store = {k: v for k, v in now.items() if not k.startswith("repo/store")}
            _expect(outside_store == before, case, "schemas import wrote outside --out", runs)
            written = [k for k in now if k.startswith("repo/store/")]
            _expect(code in (0, 2), case, f"schemas import exited {code}", runs)
            _expect(
                code == 0 or not written,
                case,
                "a refused import wrote schemas (not all or nothing)",
                runs,
            )
            _expect(
                all(
                    re.fullmatch(r"repo/store/[a-z][-a-z0-9]*_[a-z][-a-z0-9]*\.json", k)
                    for k in written
                ),
                case,
                f"schemas import wrote unexpected names: {written}",
                runs,
            )
        else:
            _run_cache_case(case, repo, workdir, runs)
    _expect(
        set(os.listdir(workdir.parent)) == parent_before,
        case,
        "new entries beside the work folder",
        runs,
    )


def _run_cache_case(case: OtherCase, repo: Path, workdir: Path, runs: list[str]) -> None:
    """A validate with a garbled cache folder must report what a run without a cache does."""
    from modelserve.cache.findings import read_signed_json, write_signed_json

    cache_dir = workdir / "cache"
    old = {k: os.environ.get(k) for k in ("MODELSERVE_CACHE_DIR", "MODELSERVE_STATE_DIR")}
    os.environ["MODELSERVE_CACHE_DIR"], os.environ["MODELSERVE_STATE_DIR"] = (
        str(cache_dir),
        str(workdir / "state"),
    )
    try:
        baseline = _run_checked(
            case, runs, "validate", "--root", str(repo), "--format", "json", "--no-cache"
        )
        _run_checked(
            case, runs, "validate", "--root", str(repo), "--format", "json"
        )  # fills the cache
        cached = sorted(p for p in cache_dir.rglob("*.json") if p.is_file())
        resigned = False
        for kind, index, payload in case.cache_ops:
            if not cached:
                break
            path = cached[index % len(cached)]
            if not path.is_file() or path.is_symlink():
                continue
            if kind == "junk":
                path.write_bytes(payload)
            elif kind == "truncate":
                path.write_bytes(path.read_bytes()[: index * 10])
            elif kind == "unsigned-copy":
                path.write_bytes(path.read_bytes().partition(b"\n")[2])
            elif kind in ("resign-shuffled", "resign-junk-entry"):
                data = read_signed_json(path)
                if isinstance(data, dict) and data:
                    key = sorted(data)[index % len(data)]
                    data[key] = (
                        list(reversed(data[key]))
                        if kind == "resign-shuffled" and isinstance(data[key], list)
                        else payload.decode("latin-1")
                    )
                elif isinstance(data, list) and data:
                    data[index % len(data)] = (
                        {"line": "x"} if kind == "resign-junk-entry" else data[::-1]
                    )
                write_signed_json(path, data)
                resigned = True
            elif kind == "empty":
                path.write_bytes(b"")
            elif kind == "fifo":
                path.unlink()
                os.mkfifo(path)
            else:
                path.unlink()
                path.mkdir()
        again = _run_checked(case, runs, "validate", "--root", str(repo), "--format", "json")
        if not resigned:  # unsigned or garbled files are misses: the verdict cannot change
            same = (
                again[0] == baseline[0]
                and json.loads(again[1])["findings"] == json.loads(baseline[1])["findings"]
            )
            _expect(same, case, "a garbled cache changed what validate reports", runs)
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


MANIFEST_BASES = _manifest_bases()
CRD_BASES = _crd_bases()


# --- the tests -------------------------------------------------------------------------------

_COMMON = dict(
    deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=True
)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where cases are written: FUZZ_TMP, else /dev/shm if a writable tmpfs, else pytest's tmp.

    Every successful generate ends with syncfs() on its filesystem; on tmpfs that is free, on a
    disk it flushes the whole disk, which slows the run (and the machine) by an order of magnitude.
    """
    chosen = os.environ.get("FUZZ_TMP") or ("/dev/shm" if os.access("/dev/shm", os.W_OK) else "")
    if not chosen:
        yield tmp_path_factory.mktemp("fuzz")
        return
    folder = Path(tempfile.mkdtemp(prefix="modelserve-fuzz-", dir=chosen))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow  # about 13 s on 2 busy cores: make test runs it, make test-fast does not
@settings(max_examples=FAST_EXAMPLES, derandomize=True, **_COMMON)  # type: ignore[arg-type]
@given(case=cases())
def test_fuzz_fast(case: Case, fuzz_dir: Path) -> None:
    """A fixed sample of cases through validate (with Kustomize builds), check and generate."""
    note(case.describe())
    container = _workdir(fuzz_dir)
    try:
        run_case(case, _workdir(container), full=True)
    finally:
        shutil.rmtree(container, ignore_errors=True)


@settings(max_examples=FAST_OTHER_EXAMPLES, derandomize=True, **_COMMON)  # type: ignore[arg-type]
@given(case=other_cases())
def test_fuzz_other_targets_fast(case: OtherCase, fuzz_dir: Path) -> None:
    """A fixed sample of manifests, CRDs and garbled cache folders through their commands."""
    note(case.describe())
    container = _workdir(fuzz_dir)
    try:
        run_other(case, _workdir(container))
    finally:
        shutil.rmtree(container, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.skipif(not FUZZ_EXAMPLES, reason="long fuzz: set FUZZ_EXAMPLES (make fuzz)")
@settings(max_examples=max(FUZZ_EXAMPLES, 1), **_COMMON)  # type: ignore[arg-type]
@given(
    case=st.one_of(
        cases(full_every=FULL_EVERY),
        cases(full_every=FULL_EVERY),
        cases(full_every=FULL_EVERY),
        cases(full_every=FULL_EVERY),
        other_cases(),
    )
)
def test_fuzz_long(case: Case | OtherCase, fuzz_dir: Path, fuzz_count: None) -> None:
    """FUZZ_EXAMPLES random cases: four in five are repositories (one in FULL_EVERY of those also
    runs the full validate with builds), one in five a manifest, CRD or cache case."""
    note(case.describe())
    container = _workdir(fuzz_dir)
    try:
        if isinstance(case, OtherCase):
            run_other(case, _workdir(container))
        else:
            run_case(case, _workdir(container), full=case.full)
    finally:
        shutil.rmtree(container, ignore_errors=True)
    _progress()


_COUNT = [0]


def _progress(final: bool = False) -> None:
    """Append the count of examples passed to FUZZ_PROGRESS: every 5,000, and once at the end."""
    if not final:
        _COUNT[0] += 1
    if final or _COUNT[0] % 5000 == 0:
        with open(os.environ.get("FUZZ_PROGRESS", os.devnull), "a") as log:
            log.write(f"{_COUNT[0]} examples{' (end)' if final else ''}\n")


@pytest.fixture(scope="module")
def fuzz_count() -> Iterator[None]:
    yield
    _progress(final=True)


def test_materialize_writes_links_outside_and_in(tmp_path: Path) -> None:
    """The fuzzer's plumbing: links resolve where the case says; nothing is written through one."""
    files: dict[str, Node] = {k: v.encode() for k, v in BASES["small"].items()}
    files["catalog/models/out.yaml"] = Link("{outside}/model.yaml")
    files["catalog/models/in.yaml"] = Link("llama.yaml")
    files["environments"] = Link("{outside}/environments")
    files["environments/x.yaml"] = b"must not be written through the link"
    repo = materialize(Case("small", files), tmp_path)
    assert os.path.realpath(repo / "catalog/models/out.yaml") == str(
        (tmp_path / "outside/model.yaml").resolve()
    )
    assert (repo / "catalog/models/in.yaml").read_bytes() == files["catalog/models/llama.yaml"]
    assert sorted(os.listdir(tmp_path / "outside/environments")) == ["dev.yaml"]


@pytest.mark.parametrize("base", sorted(BASES))
@pytest.mark.parametrize("pregenerate", [False, True])
def test_unmutated_bases_pass_every_check(base: str, pregenerate: bool, tmp_path: Path) -> None:
    """The starting points are valid, so the fuzzer's mutations are what fails."""
    case = Case(base, {k: v.encode() for k, v in BASES[base].items()}, pregenerate=pregenerate)
    workdir = tmp_path / "container" / "work"
    workdir.mkdir(parents=True)
    run_case(case, workdir, full=True)
    code, _, _ = run_cli("validate", "--root", str(workdir / "repo"))
    assert code == 0
