"""Extract the ClusterServingRuntimes EDB's Hybrid Manager documentation deploys into data.

Hybrid Manager's model pages (EnterpriseDB/docs, ``product_docs/docs/edb-postgres-ai/*/
ai-factory/...`` and ``advocacy_docs/edb-postgres-ai/ai-factory/...``) give the runtime each
documented model runs, auto-selecting its format at priority 1. On a Hybrid Manager cluster
those runtimes exist, and KServe's ClusterServingRuntime webhook refuses a catalog runtime that
collides with one (``validateServingRuntimePriority``, as with KServe's built-ins). What that
check reads of each (name, formats, protocols, multiModel, disabled) is written to
``generator/modelserve/platform/hm_runtimes.json`` with the documentation file it came from.

    python tools/extract_hm_runtimes.py SAMPLES_DIR

SAMPLES_DIR holds the documentation's YAML files (``../shared/upstream/samples/edb`` here);
files that do not parse as YAML are listed and skipped, runtimes named twice keep every source.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "generator" / "modelserve" / "platform" / "hm_runtimes.json"


def runtimes_in(folder: Path) -> tuple[dict[str, dict[str, object]], list[str]]:
    found: dict[str, dict[str, object]] = {}
    unreadable = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except yaml.YAMLError:
            unreadable.append(path.name)
            continue
        for doc in docs:
            if not isinstance(doc, dict) or doc.get("kind") != "ClusterServingRuntime":
                continue
            spec = doc.get("spec") or {}
            formats = [
                {k: f[k] for k in ("name", "version", "autoSelect", "priority") if k in f}
                for f in spec.get("supportedModelFormats") or []
            ]
            if not formats:
                continue  # nothing it could collide on
            name = doc["metadata"]["name"]
            entry = found.setdefault(
                name,
                {
                    "name": name,
                    "formats": formats,
                    "protocols": list(spec.get("protocolVersions") or []),
                    "multiModel": bool(spec.get("multiModel", False)),
                    "disabled": bool(spec.get("disabled", False)),
                    "sources": [],
                },
            )
            sources = entry["sources"]
            assert isinstance(sources, list)
            sources.append(path.name)
    return found, unreadable


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    found, unreadable = runtimes_in(Path(argv[0]))
    data = {
        "source": "https://github.com/EnterpriseDB/docs (Hybrid Manager AI Factory model pages)",
        "runtimes": [found[name] for name in sorted(found)],
    }
    OUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {', '.join(sorted(found))}")
    for name in unreadable:
        print(f"skipped (not YAML): {name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
