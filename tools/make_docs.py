"""`make docs`: write everything generated from the code, so no document is kept by hand.

- docs/rules.md, from the rule modules (their INFO, docstrings and examples);
- the rule count in README.md;
- schemas/*.schema.json, through tools/make_input_schemas.py;
- the capacity pictures of the example's prod, docs/capacity/*.svg, and the capacity plan the
  README shows between its `capacity` markers;
- the endpoints of the example's prod and their AIDB SQL, between the `endpoints` markers;
- `modelserve import` of two of NVIDIA's nim-deploy manifests (from ../shared/upstream), between
  the `import` markers.

    python tools/make_docs.py [--check]

With --check nothing is written: exit 1 and the names of the stale files when any differs.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

from modelserve.commands.rules import markdown
from modelserve.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
RULE_COUNT = re.compile(r"`docs/rules\.md`, \d+ rules,")
CAPACITY_ENV = "prod"


def _block(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.DOTALL)


def readme(text: str, blocks: dict[str, str]) -> str:
    """The README with its rule count and each generated block (marker name -> the text
    between the markers) brought up to date."""
    if not RULE_COUNT.search(text):
        raise SystemExit("README.md: the rule count sentence (`docs/rules.md`, N rules,) is gone")
    text = RULE_COUNT.sub(f"`docs/rules.md`, {len(RULES)} rules,", text)
    for name, block in blocks.items():
        pattern = _block(name)
        if not pattern.search(text):
            raise SystemExit(f"README.md: the <!-- {name}:begin/end --> markers are gone")
        text = pattern.sub(lambda m, b=block: m.group(1) + b + m.group(2), text)
    return text


def endpoints_docs() -> str:
    """`modelserve endpoints --env prod` and its `--format sql`, as the README shows them."""
    from modelserve.deploy.tree import build_tree
    from modelserve.endpoints import environment_endpoints
    from modelserve.load.repository import Repository, load_repository
    from modelserve.report import endpoints as report

    catalog = load_repository(Repository(ROOT)).catalog
    if CAPACITY_ENV not in catalog.environments:
        raise SystemExit(f"make_docs: the example's environments/{CAPACITY_ENV}.yaml is missing")
    found = environment_endpoints(catalog, build_tree(catalog), CAPACITY_ENV)
    command = f"modelserve endpoints --env {CAPACITY_ENV}"
    return (
        f"```\n$ {command}\n{report.markdown(found)}```\n\n"
        f"```sql\n-- $ {command} --format sql\n"
        f"{report.sql(found, command + ' --format sql')}```\n"
    )


def capacity_docs() -> tuple[dict[Path, str], str]:
    """The example's prod: one picture per pool, and the plan as `capacity` prints it."""
    from modelserve.capacity import plan
    from modelserve.commands.capacity import picture_name
    from modelserve.load.repository import Repository, load_repository
    from modelserve.report import capacity as report
    from modelserve.rules.base import Context

    plans = plan(Context(load_repository(Repository(ROOT)).catalog), env=CAPACITY_ENV)
    pictures = {
        ROOT / "docs" / "capacity" / picture_name(p.cluster, p.pool): report.svg(p) for p in plans
    }
    return pictures, report.markdown(plans)


IMPORTED = (
    "kserve-runtimes-llama3-8b-instruct-1.0.0.yaml",
    "kserve-nim-models-llama3-8b-instruct_2xa100_1.0.0.yaml",
)


def import_docs() -> str:
    """`modelserve import` of a nim-deploy runtime and model into an empty repository, and the
    environment file it writes."""
    import contextlib
    import io
    import os
    import tempfile

    from modelserve.cli import main as modelserve

    shared = Path(os.environ.get("MODELSERVE_SHARED") or ROOT.parent / "shared")
    samples = shared / "upstream" / "samples" / "nim"
    if not samples.is_dir():
        raise SystemExit(f"{samples}: missing (the README's import example reads it)")
    args = ["--env", "lab", "--cluster", "lab-1", "--namespace", "models-lab", *IMPORTED]
    with tempfile.TemporaryDirectory() as tmp:
        for folder in ("catalog/runtimes", "catalog/models", "environments"):
            (Path(tmp) / folder).mkdir(parents=True)
        out = io.StringIO()
        with contextlib.chdir(samples), contextlib.redirect_stdout(out):
            code = modelserve(["import", "--root", tmp, *args])
        if code != 0:
            raise SystemExit(f"modelserve import failed:\n{out.getvalue()}")
        env = (Path(tmp) / "environments" / "lab.yaml").read_text(encoding="utf-8")
    return (
        f"```\n$ cd nim-deploy/kserve && modelserve import {' '.join(args)}\n{out.getvalue()}"
        f"$ cat environments/lab.yaml\n{env}```\n"
    )


def wanted() -> dict[Path, str]:
    spec = importlib.util.spec_from_file_location(
        "make_input_schemas", ROOT / "tools" / "make_input_schemas.py"
    )
    assert spec is not None and spec.loader is not None
    schemas = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(schemas)
    pictures, capacity = capacity_docs()
    files = {ROOT / "docs" / "rules.md": markdown()}
    blocks = {
        "capacity": f"```\n$ modelserve capacity --env {CAPACITY_ENV}\n{capacity}```\n",
        "endpoints": endpoints_docs(),
        "import": import_docs(),
    }
    files[ROOT / "README.md"] = readme((ROOT / "README.md").read_text(encoding="utf-8"), blocks)
    files.update(pictures)
    files.update({ROOT / "schemas" / name: text for name, text in schemas.render_all().items()})
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make_docs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    files = wanted()
    stale = [
        path
        for path, text in files.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    for path in stale:
        if args.check:
            print(f"stale: {path.relative_to(ROOT)} (run `make docs`)")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(files[path], encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
