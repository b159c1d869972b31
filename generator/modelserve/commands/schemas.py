"""modelserve schemas import: convert CRDs into a local schema store (kubeconform layout);
modelserve schemas export: write the input schemas where a repository's modelines find them."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from modelserve.commands import common
from modelserve.commands.common import DEFAULT_SCHEMA_STORE
from modelserve.errors import EXIT_OK, ConfigError
from modelserve.load.walk import MAX_DEPTH, TooDeep, files_under
from modelserve.report.display import one_line
from modelserve.report.emit import emit_json, resolve_format

MAX_CRD_FILES = 10_000  # files taken from the folders given
SCHEMA_BASE = "https://modelserve.dev/schemas/"  # the $id base of the input schemas


@dataclass(frozen=True)
class SchemasImportOptions:
    """``schemas import``, the one action of ``schemas``."""

    paths: tuple[Path, ...]
    from_cluster: bool
    out: Path
    format: str


@dataclass(frozen=True)
class SchemasExportOptions:
    """``schemas export``: the input schemas into ``folder``."""

    folder: Path
    format: str


def add_parser(sub: common.Subparsers, name: str) -> None:
    parser = common.add_command(
        sub,
        name,
        "manage the local schema store",
        [
            "modelserve schemas import crds/ --out schema-store",
            "modelserve schemas import --from-cluster",
            "modelserve schemas export schemas   # for the catalog files' modelines",
        ],
        exits="0 written, 2 usage or a malformed CRD",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    imp = actions.add_parser(
        "import", help="convert CustomResourceDefinitions into {kind}_{version}.json schemas"
    )
    imp.add_argument("paths", nargs="*", type=Path, help="CRD YAML files or folders")
    imp.add_argument(
        "--from-cluster",
        action="store_true",
        help="read the CRDs of the current kubeconfig's cluster",
    )
    imp.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_SCHEMA_STORE),
        help=f"schema store folder (default: {DEFAULT_SCHEMA_STORE}/, "
        "used by validate when present)",
    )
    common.add_format(imp, ("auto", "text", "json", "github"))
    export = actions.add_parser(
        "export", help="write the runtime, model, environment and config schemas into a folder"
    )
    export.add_argument(
        "folder", nargs="?", type=Path, default=Path("schemas"), help="default: schemas/"
    )
    common.add_format(export, ("auto", "text", "json"))


def from_args(args: argparse.Namespace) -> SchemasImportOptions | SchemasExportOptions:
    if args.action == "export":
        return SchemasExportOptions(folder=Path(args.folder), format=args.format)
    return SchemasImportOptions(
        paths=tuple(args.paths),
        from_cluster=args.from_cluster,
        out=Path(args.out),
        format=args.format,
    )


def _crd_files(paths: list[Path]) -> list[Path]:
    """The YAML files of ``paths``: folders are searched (links to folders not followed)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            try:
                files += files_under(path, (".yaml", ".yml"))
            except TooDeep as exc:
                raise ConfigError(
                    f"{exc.path} lies more than {MAX_DEPTH} folders deep; name the CRD files"
                ) from None
        else:
            files.append(path)
        if len(files) > MAX_CRD_FILES:
            raise ConfigError(
                f"more than {MAX_CRD_FILES} YAML files under the given paths; name the CRD files"
            )
    return files


def export(options: SchemasExportOptions) -> int:
    """Write the input schemas; a file already there is replaced only when it is one of ours
    (its ``$id`` is under this tool's schema base), so a user's file is never overwritten."""
    from modelserve.atomic import write_atomic
    from modelserve.load.shipped import input_schema_texts

    folder = options.folder
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    written, kept = [], []
    for name, text in input_schema_texts().items():
        target = folder / name
        if target.is_symlink() or (target.exists() and not _ours(target)):
            kept.append(name)
            continue
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            write_atomic(target, text)
            written.append(name)
    if resolve_format(options.format) == "json":
        emit_json({"written": written, "kept": kept}, sys.stdout)
        return EXIT_OK
    for name in kept:
        sys.stderr.write(
            f"modelserve: kept {one_line(str(folder / name))}: not a modelserve schema\n"
        )
    print(f"{len(written)} schema(s) written to {folder}, {len(kept)} kept")
    return EXIT_OK


def _ours(path: Path) -> bool:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and str(data.get("$id", "")).startswith(SCHEMA_BASE)


def run(options: SchemasImportOptions | SchemasExportOptions) -> int:
    if isinstance(options, SchemasExportOptions):
        return export(options)
    from modelserve.validate.kubeschemas import import_crds, import_from_cluster

    if not options.paths and not options.from_cluster:
        raise ConfigError("give CRD files or folders, or --from-cluster")
    missing = [p for p in options.paths if not p.exists()]
    if missing:
        raise ConfigError(f"{missing[0]}: no such file or folder")
    if options.out.exists() and not options.out.is_dir():
        raise ConfigError(f"--out {options.out} exists and is not a folder")
    files = _crd_files(list(options.paths))
    conflicts: list[str] = []
    written = import_crds(files, options.out, conflicts) if files else []
    if options.from_cluster:
        written += import_from_cluster(options.out)
    if not written:
        raise ConfigError("no CustomResourceDefinition with a schema was found")
    if resolve_format(options.format) == "json":
        emit_json(
            {
                "written": [str(p) for p in written],
                "conflicts": conflicts,
                "summary": {"files_read": len(files), "schemas": len(written)},
            },
            sys.stdout,
        )
        return EXIT_OK
    for path in written:
        print(f"JSON schema written to {path}")
    for conflict in conflicts:
        sys.stderr.write(f"modelserve: warning: {one_line(conflict, 2000)}\n")
    print(
        f"{len(written)} schema(s) written to {options.out} from {len(files)} file(s)"
        + (f"; {len(conflicts)} kind(s) defined twice, the later kept" if conflicts else "")
    )
    return EXIT_OK
