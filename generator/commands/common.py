"""Options and helpers shared by several commands."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..cache import FindingsCache
from ..errors import ConfigError
from ..loader import Layout
from ..report import FORMATS

DEFAULT_SCHEMA_STORE = "schema-store"


def add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="repository root holding catalog/, environments/ and deploy/ (default: .)")


def add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="auto",
                        help="report format; auto = github under GitHub Actions, else text")


def add_schema_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--schema-location", action="append", type=Path, default=[], metavar="DIR",
                        help="schema store in kubeconform layout ({kind}_{version}.json), searched first; "
                             f"default: {DEFAULT_SCHEMA_STORE}/ under the root when it exists")
    parser.add_argument("--strict", action="store_true", help="a kind with no schema is an error, not a warning")


def layout_from(args: argparse.Namespace) -> Layout:
    root = Path(args.root)
    if not root.is_dir():
        raise ConfigError(f"--root {root} is not a folder")
    layout = Layout(root.resolve())
    if not any(layout.folder(k).is_dir() for k in ("runtime", "model", "environment")):
        raise ConfigError(f"{root} has no catalog/ or environments/ folder: run from the repository root or pass --root")
    return layout


def schema_dirs(args: argparse.Namespace, root: Path) -> list[Path]:
    dirs = [Path(d) for d in args.schema_location]
    for d in dirs:
        if not d.is_dir():
            raise ConfigError(f"--schema-location {d} is not a folder (create it with `modelserve schemas import`)")
    default = root / DEFAULT_SCHEMA_STORE
    if not dirs and default.is_dir():
        dirs.append(default)
    return dirs


def cache_from(args: argparse.Namespace) -> FindingsCache:
    return FindingsCache(None, enabled=not getattr(args, "no_cache", False))


class Progress:
    """Progress on a terminal for runs longer than a couple of seconds; silent in CI or a pipe."""

    def __init__(self, stream=None, delay: float = 2.0):
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.delay = delay
        self.enabled = self.stream.isatty() and not os.environ.get("CI")

    def __call__(self, message: str) -> None:
        if self.enabled and time.perf_counter() - self.start >= self.delay:
            self.stream.write(f"\r\033[K{message}")
            self.stream.flush()

    def done(self, message: str = "") -> None:
        """Clear the progress line (and leave ``message`` in its place, if any)."""
        if self.enabled and time.perf_counter() - self.start >= self.delay:
            self.stream.write(f"\r\033[K{message}" + ("\n" if message else ""))
            self.stream.flush()
