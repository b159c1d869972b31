"""modelserve generate: write deploy/ from the catalog, atomically, only when it is sound."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from modelserve.commands import common
from modelserve.deploy.write import write_tree
from modelserve.errors import EXIT_FINDINGS, EXIT_OK
from modelserve.generate import generate
from modelserve.report.emit import emit_json, findings_document, report, resolve_format


@dataclass(frozen=True)
class GenerateOptions:
    root: Path
    format: str


def add_parser(sub: common.Subparsers, name: str) -> None:
    parser = common.add_command(
        sub,
        name,
        "render the catalog into deploy/ (Kustomize overlays for Flux)",
        ["modelserve generate", "modelserve --root ../gitops generate"],
        exits="0 written or up to date, 1 findings of severity error (nothing written), 2 usage",
    )
    common.add_root(parser)
    common.add_format(parser)


def from_args(args: argparse.Namespace) -> GenerateOptions:
    return GenerateOptions(root=Path(args.root), format=args.format)


def run(options: GenerateOptions) -> int:
    repo = common.open_repository(options.root)
    fmt = resolve_format(options.format)
    start = time.perf_counter()
    progress = common.Progress()
    generated = generate(repo, progress, common.schema_dirs((), repo.root))
    loaded_at = time.perf_counter()
    if generated.tree is None:
        report(
            generated.findings,
            sys.stdout,
            fmt,
            "nothing was written",
            suppressed=generated.suppressed,
        )
        return EXIT_FINDINGS
    files = dict(generated.tree.files.items())  # renders every file's YAML text
    rendered_at = time.perf_counter()
    progress(f"writing {len(files)} files")
    result = write_tree(repo.deploy, files)
    done = time.perf_counter()
    progress.done("")
    common.report_kept(result.foreign)
    summary = (
        f"deploy/: {len(result.written)} written, {len(result.unchanged)} unchanged, "
        f"{len(result.removed)} removed "
        f"({len(generated.tree.files)} files, {len(generated.catalog.environments)} environments) "
        f"in {done - start:.2f}s (load+check {loaded_at - start:.2f}s, "
        f"render {rendered_at - loaded_at:.2f}s, write {done - rendered_at:.2f}s)"
    )
    if fmt == "json":
        emit_json(
            {
                "status": "written" if result.changed else "unchanged",
                "written": result.written,
                "unchanged": len(result.unchanged),
                "removed": result.removed,
                "kept": result.foreign,
                **findings_document(
                    generated.findings,
                    summary,
                    {
                        "files": len(generated.tree.files),
                        "environments": len(generated.catalog.environments),
                        "written": len(result.written),
                        "unchanged": len(result.unchanged),
                        "removed": len(result.removed),
                        "seconds": round(done - start, 3),
                    },
                    generated.suppressed,
                ),
            },
            sys.stdout,
        )
        return EXIT_OK
    if fmt == "sarif":  # one SARIF document and nothing else on stdout
        report(generated.findings, sys.stdout, fmt, summary, suppressed=generated.suppressed)
        return EXIT_OK
    if generated.findings:
        report(generated.findings, sys.stdout, fmt)
    print(summary)
    return EXIT_OK
