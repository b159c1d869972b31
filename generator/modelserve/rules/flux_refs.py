"""Flux Kustomizations depend on names that exist, without cycles, and point at real folders.

``dependsOn`` may name the generated Kustomizations of the same cluster, the ones its
environments declare in ``flux.dependsOn``, and the Flux Kustomization that installs KServe
(``platform.kserveInstall``; both are managed elsewhere, so only their names are known). A
dependency cycle blocks every Kustomization in it forever; a ``path`` without a
kustomization.yaml makes the reconcile fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT

INFO = RuleInfo(
    "flux-refs",
    Severity.ERROR,
    "Flux dependsOn names exist without cycles; paths hold a kustomization",
    "fix flux.dependsOn or flux.path in the environment file",
)
EXAMPLES = {
    "fail": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            "  sourceRef: {kind: GitRepository, name: flux-system}\n",
            "  sourceRef: {kind: GitRepository, name: flux-system}\n"
            "  dependsOn: [dev-cluster-modelserve-shared]\n",
        )
    },
    "pass": {},
}


def find_cycle(graph: dict[str, list[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt in graph and not state.get(nxt):
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if not state.get(node):
            found = visit(node)
            if found:
                return found
    return []


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.tree is None:
        return
    folders = {
        str(PurePosixPath(f).parent) for f in ctx.tree.files if f.endswith("/kustomization.yaml")
    }
    for root in ctx.tree.roots:
        flux_objects = [
            o
            for o in root.objects
            if o.obj.get("apiVersion", "").startswith("kustomize.toolkit.fluxcd.io/")
        ]
        if not flux_objects:
            continue
        members = [ctx.catalog.environments[name] for name in root.envs]
        external = {d for env in members for d in env.flux.get("dependsOn") or ()}
        external |= {
            env.kserve_install.name
            for env in members
            if env.kserve_install and env.kserve_install.kind == "Kustomization"
        }
        names = {o.obj["metadata"]["name"] for o in flux_objects}
        graph: dict[str, list[str]] = {}
        for o in flux_objects:
            # reported in the environment the object is for (the first one for shared objects)
            label = o.obj["metadata"].get("labels", {}).get("modelserve.io/environment")
            env = ctx.catalog.environments.get(label or "", members[0])
            spec = o.obj["spec"]
            deps = [d["name"] for d in spec.get("dependsOn") or []]
            graph[o.obj["metadata"]["name"]] = deps
            for entry in deps:
                if entry not in names and entry not in external:
                    yield INFO.at(
                        env.source,
                        ("flux",),
                        f"{o.label} depends on '{entry}', which does not exist",
                    )
            prefix = env.flux_path + "/"
            rel = spec.get("path", "").removeprefix(prefix)
            if not spec.get("path", "").startswith(prefix) or rel not in folders:
                yield INFO.at(
                    env.source,
                    ("flux", "path"),
                    f"{o.label} points at '{spec.get('path')}', "
                    "which holds no kustomization.yaml in the generated tree",
                )
        cycle = find_cycle(graph)
        if cycle:
            yield INFO.at(
                members[0].source,
                ("flux", "dependsOn"),
                "Flux dependency cycle: " + " -> ".join(cycle),
            )
