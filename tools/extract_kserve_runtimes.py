"""Extract KServe's built-in ClusterServingRuntimes per release into the data this tool ships.

KServe installs the runtimes of ``config/runtimes/`` (listed in its kustomization.yaml) with
every release; the ClusterServingRuntime webhook refuses a new runtime that collides with one
of them (pkg/webhook/admission/servingruntime/servingruntime_webhook.go,
``validateServingRuntimePriority``). What that check reads of each runtime (names, supported
formats with version, autoSelect and priority, protocols, multiModel, disabled) is written to
``generator/modelserve/platform/kserve_runtimes.json``, with the tag and file it came from.

    python tools/extract_kserve_runtimes.py KSERVE_GIT_DIR

KSERVE_GIT_DIR is a clone (or bare mirror) of github.com/kserve/kserve with its tags.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "generator" / "modelserve" / "platform" / "kserve_runtimes.json"
# Every .0 release of a supported minor version (what "0.17" means) and its latest patch.
TAGS = [
    "v0.15.0",
    "v0.15.2",
    "v0.16.0",
    "v0.17.0",
    "v0.17.1",
    "v0.18.0",
    "v0.18.1",
    "v0.19.0",
    "v0.20.0",
]


def show(git_dir: str, tag: str, path: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", git_dir, "show", f"{tag}:{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def runtimes_of(git_dir: str, tag: str) -> list[dict[str, object]]:
    listed = yaml.safe_load(show(git_dir, tag, "config/runtimes/kustomization.yaml"))
    out = []
    for name in listed["resources"]:
        path = f"config/runtimes/{name}"
        for doc in yaml.safe_load_all(show(git_dir, tag, path)):
            if not doc or doc.get("kind") != "ClusterServingRuntime":
                continue
            spec = doc["spec"]
            out.append(
                {
                    "name": doc["metadata"]["name"],
                    "source": path,
                    "formats": [
                        {k: f[k] for k in ("name", "version", "autoSelect", "priority") if k in f}
                        for f in spec.get("supportedModelFormats") or []
                    ],
                    "protocols": list(spec.get("protocolVersions") or []),
                    "multiModel": bool(spec.get("multiModel", False)),
                    "disabled": bool(spec.get("disabled", False)),
                }
            )
    return sorted(out, key=lambda r: str(r["name"]))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    data = {
        "source": (
            "https://github.com/kserve/kserve config/runtimes/ (the kustomization's resources)"
        ),
        "releases": {tag.lstrip("v"): runtimes_of(argv[0], tag) for tag in TAGS},
    }
    OUT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {', '.join(data['releases'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
