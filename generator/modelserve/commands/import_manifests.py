"""modelserve import: adopt existing InferenceServices, ServingRuntimes and
ClusterServingRuntimes into catalog files and one environment's entries (modelserve.adopt).

Everything is planned and checked before anything is written: a catalog file that exists with
other content, a planned file the input schemas refuse, or any manifest in error is a refusal
(exit 1, nothing written), never an overwrite. An existing environment file is extended (new
GPU profiles and entries; comments and order kept); a new one is created. Each field the catalog
cannot carry, each default and each fix is printed with the manifest's file:line.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelserve.commands import common
from modelserve.errors import EXIT_FINDINGS, EXIT_OK, ConfigError
from modelserve.report.console import write_trusted
from modelserve.report.display import one_line
from modelserve.report.emit import emit_json, resolve_format

SCHEMA_OF = {
    "runtime": "../../schemas/runtime.schema.json",
    "model": "../../schemas/model.schema.json",
    "environment": "../schemas/environment.schema.json",
}


@dataclass(frozen=True)
class ImportOptions:
    root: Path
    paths: tuple[Path, ...]
    env: str
    cluster: str | None
    namespace: str | None
    kubernetes_version: str
    kserve: str
    dry_run: bool
    format: str


def add_parser(sub: common.Subparsers, name: str) -> None:
    parser = common.add_command(
        sub,
        name,
        "adopt InferenceService and ServingRuntime manifests into the catalog and an environment",
        [
            "modelserve import --env prod manifests/",
            "modelserve import --env lab --cluster lab-1 --namespace models nim-deploy/kserve/",
            "modelserve import --env prod --dry-run isvc.yaml runtime.yaml",
        ],
        exits="0 imported (notes printed), 1 a manifest error or a file that would be "
        "overwritten (nothing written), 2 usage",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    parser.add_argument("--env", required=True, metavar="NAME", help="environment to add to")
    parser.add_argument(
        "--cluster", metavar="NAME", help="cluster of a new environment (default: its name)"
    )
    parser.add_argument(
        "--namespace",
        metavar="NS",
        help="namespace of a new environment (default: the manifests' one, else default)",
    )
    parser.add_argument(
        "--kubernetes-version", default="1.33", metavar="1.N", help="of a new environment"
    )
    parser.add_argument("--kserve", default="0.20", metavar="0.N", help="of a new environment")
    parser.add_argument("--dry-run", action="store_true", help="report; write nothing")
    common.add_root(parser)
    common.add_format(parser, ("auto", "text", "json"))


def from_args(args: argparse.Namespace) -> ImportOptions:
    return ImportOptions(
        Path(args.root),
        tuple(args.paths),
        args.env,
        args.cluster,
        args.namespace,
        args.kubernetes_version,
        args.kserve,
        args.dry_run,
        args.format,
    )


def _new_environment(options: ImportOptions, adopted: Any, notes: list[Any]) -> dict[str, Any]:
    from modelserve.adopt import Note

    def default(message: str) -> None:
        notes.append(Note(f"environments/{options.env}.yaml", 1, 1, "default", "", message))

    namespace = options.namespace
    if namespace is None:
        found = sorted(adopted.namespaces)
        namespace = found[0] if len(found) == 1 else "default"
        if len(found) != 1:
            default(
                f"namespace '{namespace}': the manifests name "
                f"{', '.join(found) if found else 'none'}; pass --namespace"
            )
    env: dict[str, Any] = {
        "name": options.env,
        "cluster": options.cluster or options.env,
        "namespace": namespace,
        "kubernetesVersion": options.kubernetes_version,
        "platform": {"kserve": options.kserve},
    }
    if options.cluster is None:
        default(f"cluster '{options.env}' (the environment's name): pass --cluster")
    if adopted.modes == {"Knative"}:
        env["deploymentMode"] = "Knative"
    elif len(adopted.modes) > 1:
        default("the manifests mix deployment modes; the environment uses Standard")
    elif not adopted.modes:
        default(
            "no manifest names serving.kserve.io/deploymentMode (the cluster's default decides, "
            "Knative in KServe's own inferenceservice-config); the environment uses Standard"
        )
    from modelserve.adopt import registry_of

    registries = sorted({registry_of(str(r["image"])) for r in adopted.runtimes.values()})
    if registries:
        env["registry"] = {"allowed": registries}
        default(
            f"registry.allowed {', '.join(registries)}: the registries the imported images "
            "come from; keep only those your policy allows"
        )
    if len(adopted.prometheus) == 1:
        env["monitoring"] = {"prometheusAddress": next(iter(adopted.prometheus))}
    elif adopted.prometheus:
        default(
            "the manifests name several Prometheus addresses for KEDA "
            f"({', '.join(sorted(adopted.prometheus))}); set monitoring.prometheusAddress"
        )
    env["flux"] = {"sourceRef": {"kind": "GitRepository", "name": "flux-system"}}
    default("flux.sourceRef GitRepository flux-system (the name flux bootstrap gives it)")
    if adopted.profiles:
        env["gpuProfiles"] = adopted.profiles
    env["models"] = adopted.entries
    return env


def _extend_environment(data: Any, adopted: Any) -> None:
    """Add the new profiles and the entries of models the environment does not list yet."""
    if adopted.profiles:
        if not isinstance(data.get("gpuProfiles"), dict):
            data["gpuProfiles"] = {}
        for name, profile in adopted.profiles.items():
            data["gpuProfiles"].setdefault(name, profile)
    monitoring = data.get("monitoring")
    if len(adopted.prometheus) == 1 and not (monitoring or {}).get("prometheusAddress"):
        if not isinstance(monitoring, dict):
            data["monitoring"] = monitoring = {}
        monitoring["prometheusAddress"] = next(iter(adopted.prometheus))
    if not isinstance(data.get("models"), list):
        data["models"] = []
    listed = {str(e.get("model")) for e in data["models"] if isinstance(e, dict)}
    data["models"].extend(e for e in adopted.entries if e["model"] not in listed)


def _existing_profiles(path: Path) -> tuple[Any, dict[str, dict[str, Any]]]:
    from modelserve import edit
    from modelserve.load.yamlio import read_text

    if not path.is_file():
        return None, {}
    from ruamel.yaml.error import YAMLError

    try:
        data = edit.load(read_text(path))
    except (YAMLError, OSError, UnicodeError, ValueError) as err:
        raise ConfigError(
            f"{path}: cannot be read as YAML ({one_line(str(err))}); mend it (`modelserve "
            "validate` shows where) or import into another --env"
        ) from err
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a mapping")
    profiles = data.get("gpuProfiles") or {}
    plain = {
        str(k): {
            "nodeLabels": dict(v.get("nodeLabels") or {}),
            "taints": [dict(t) for t in v.get("taints") or []],
        }
        for k, v in profiles.items()
        if isinstance(v, dict)
    }
    return data, plain


def _catalog_runtimes(folder: Path) -> set[str]:
    """Names of the runtimes the catalog has (files that do not parse name none)."""
    from modelserve.load.yamlio import YamlError, load_text, read_text

    names = set()
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else ():
        try:
            docs = load_text(read_text(path), multi=False)
        except (YamlError, OSError, UnicodeError, ValueError):
            continue
        if docs and isinstance(docs[0].data, dict) and docs[0].data.get("name"):
            names.add(str(docs[0].data["name"]))
    return names


def plan(options: ImportOptions) -> tuple[Any, dict[str, str], list[str]]:
    """(what was adopted, rel path -> text to write, rel paths kept as they are)."""
    from modelserve import edit
    from modelserve.adopt import Note, adopt, read_manifests

    repo = common.open_repository(options.root)
    for path in options.paths:
        if not path.exists():
            raise ConfigError(f"{path}: no such file or folder")

    def shown(path: Path) -> str:
        # inside the repository relative to its root, else as the user named it
        rel = repo.rel(path.resolve())
        return path.as_posix() if rel.startswith("/") else rel

    from modelserve.validate.apimachinery import is_dns1123_label

    if is_dns1123_label(options.env):
        raise ConfigError(
            f"--env {options.env!r} is not an environment name (a DNS-1123 label: lower-case "
            "letters, digits and '-')"
        )
    env_path = repo.folder("environment") / f"{options.env}.yaml"
    if (env_path.exists() or env_path.is_symlink()) and (
        env_path.is_symlink() or not env_path.is_file()
    ):
        raise ConfigError(f"{repo.rel(env_path)} is not a regular file: not written through")
    manifests, notes = read_manifests(options.paths, shown)
    env_data, profiles = _existing_profiles(env_path)
    adopted = adopt(manifests, profiles, notes, _catalog_runtimes(repo.folder("runtime")))
    files: dict[str, str] = {}
    kept: list[str] = []
    for kind, documents in (("runtime", adopted.runtimes), ("model", adopted.models)):
        for name, document in sorted(documents.items()):
            target = repo.folder(kind) / f"{name}.yaml"
            text = f"# yaml-language-server: $schema={SCHEMA_OF[kind]}\n" + edit.dump(document)
            rel = repo.rel(target)
            if target.exists() or target.is_symlink():
                same = target.is_file() and target.read_text(encoding="utf-8") == text
                if same:
                    kept.append(rel)
                else:
                    adopted.notes.append(
                        Note(
                            rel,
                            1,
                            1,
                            "error",
                            "",
                            f"exists with other content; not overwritten: remove or rename it, "
                            f"or drop {kind} {name} from the input",
                        )
                    )
                continue
            files[rel] = text
    rel_env = repo.rel(env_path)
    if env_data is None:
        env = _new_environment(options, adopted, adopted.notes)
        files[rel_env] = (
            f"# yaml-language-server: $schema={SCHEMA_OF['environment']}\n" + edit.dump(env)
        )
    else:
        before = edit.dump(env_data)
        _extend_environment(env_data, adopted)
        after = edit.dump(env_data)
        if after != before:
            files[rel_env] = after
    adopted.notes += _invalid_outputs(files)
    adopted.notes.sort()
    return adopted, files, kept


def _invalid_outputs(files: dict[str, str]) -> list[Any]:
    """Each planned file checked against its input schema, as `validate` will read it: the
    import never writes a file the catalog refuses (the notes name the file and field)."""
    from modelserve.adopt import Note
    from modelserve.load.yamlio import load_text
    from modelserve.validate.inputs import validate_document

    kinds = {"runtimes": "runtime", "models": "model", "environments": "environment"}
    notes = []
    for rel, text in sorted(files.items()):
        kind = kinds[Path(rel).parent.name]
        (doc,) = load_text(text, multi=False)
        for f in validate_document(kind, rel, doc):
            notes.append(
                Note(rel, f.line, f.col, "error", f.path, f"the import would write: {f.message}")
            )
    return notes


def run(options: ImportOptions) -> int:
    from modelserve.atomic import write_atomic

    adopted, files, kept = plan(options)
    root = options.root.resolve()
    if not adopted.failed and not options.dry_run:
        # the catalog files first, the environment that lists them last
        for rel, text in sorted(
            files.items(), key=lambda item: item[0].startswith("environments/")
        ):
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, text)
    written = [] if adopted.failed or options.dry_run else sorted(files)
    if resolve_format(options.format) == "json":
        emit_json(
            {
                "notes": [n.to_dict() for n in adopted.notes],
                "written": written,
                "planned": sorted(files),
                "kept": kept,
            },
            sys.stdout,
        )
    else:
        lines = [
            f"{n.file}:{n.line}:{n.col}: {n.kind}: {n.message}" + (f" [{n.path}]" if n.path else "")
            for n in adopted.notes
        ]
        if adopted.failed:
            lines.append("nothing written: mend the errors above")
        elif options.dry_run:
            lines += [f"would write {rel}" for rel in sorted(files)]
        else:
            lines += [f"wrote {rel}" for rel in written]
        lines += [f"kept {rel}: the same content is there" for rel in kept]
        lines.append(
            f"{len(adopted.runtimes)} runtime(s), {len(adopted.models)} model(s), "
            f"{len(adopted.notes)} note(s)"
        )
        write_trusted(sys.stdout, "\n".join(one_line(line, 2000) for line in lines) + "\n")
    return EXIT_FINDINGS if adopted.failed else EXIT_OK
