"""Models on MIG or time-sliced pools ask for what the NVIDIA device plugin hands out there.

A profile's ``sharing`` says how the device plugin (k8s-device-plugin v0.20) splits each GPU,
and the pool's nodes then advertise and label it differently:

- **Time-slicing** advertises ``perGpu`` replicas of each GPU (``nvidia.com/gpu``, or
  ``nvidia.com/gpu.shared`` with ``renameByDefault``). A pod asking for more than one is
  refused at allocation when ``failRequestsGreaterThanOne`` is set (``internal/rm/rm.go``
  ``ValidateRequest``: "maximum request size for shared resources is 1"): an error here; without
  it, it may get two replicas of the same GPU, no more memory or compute than one: a warning.
  A replicated resource that
  keeps its name gets its product label suffixed ``-SHARED`` (``internal/lm/resource.go``
  ``getProductName``), so node labels pinning ``nvidia.com/gpu.product`` to the plain product
  match no node.
- **MIG** advertises slices: ``nvidia.com/mig-<profile>`` with the mixed strategy, plain
  ``nvidia.com/gpu`` with the single one (``internal/rm/rm.go`` ``AddDefaultResourcesToConfig``;
  ``+`` in a profile name becomes ``.``). With the single strategy the product label is
  ``<product>-MIG-<profile>`` (``internal/lm/resource.go`` ``NewMIGResourceLabeler``). A CUDA
  process enumerates a single MIG device whatever the container is given (NVIDIA MIG user
  guide, "CUDA Device Enumeration"), so a replica asking for two slices uses one.

And the other way round: node labels carrying those suffixes on a profile without ``sharing``
describe split GPUs as whole ones, so every count of this tool would be off.
``tests/conformance/nvidia-device-plugin-0.20.0`` holds the labeller's own cases.
"""

from __future__ import annotations

from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.model import DEFAULT_GPU_RESOURCE, Profile, Source
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT

INFO = RuleInfo(
    "gpu-sharing",
    Severity.ERROR,
    "Models on MIG or time-sliced pools request one slice or replica, of the resource and on "
    "the node labels the device plugin gives them",
    "request gpu.count 1 on a shared pool (or use a whole-GPU profile), and describe the "
    "resource and labels as the device plugin sets them",
)
_H100 = "    nodeLabels: {nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3}\n"
EXAMPLES = {
    # time-sliced without renaming: the nodes are labelled NVIDIA-H100-80GB-HBM3-SHARED
    "fail": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            _H100, _H100 + "    sharing: {strategy: time-slicing, perGpu: 4}\n"
        )
    },
    # two 3g.40gb slices per GPU, mixed strategy: the 8B model takes one slice (17.9 GiB)
    "pass": {
        "environments/dev.yaml": ENVIRONMENT.replace(
            _H100,
            _H100 + "    gpuResource: nvidia.com/mig-3g.40gb\n"
            "    sharing: {strategy: mig, migProfile: 3g.40gb, perGpu: 2}\n",
        )
    },
}

PRODUCT_LABEL = "nvidia.com/gpu.product"


def mig_resource(profile: Profile) -> str:
    """The mixed strategy's resource for the profile's slices."""
    return "nvidia.com/mig-" + (profile.mig_profile or "").replace("+", ".")


def product_suffix(profile: Profile) -> str | None:
    """What the device plugin appends to the GPU's name in ``nvidia.com/gpu.product`` on the
    profile's nodes (``internal/lm/resource.go``); None where that label is not the one that
    describes the slices (MIG mixed strategy: ``nvidia.com/mig-<profile>.product``)."""
    renamed = profile.gpu_resource != DEFAULT_GPU_RESOURCE
    if profile.sharing == "mig":
        return None if renamed else f"-MIG-{profile.mig_profile}"
    if profile.sharing == "time-slicing" and profile.per_gpu > 1 and not renamed:
        return "-SHARED"
    return ""


def check(ctx: Context) -> Iterator[Finding]:
    seen: set[tuple[str, str]] = set()
    for p in ctx.placements():
        if p.profile is None:
            continue
        if (p.env.name, p.profile.name) not in seen:
            seen.add((p.env.name, p.profile.name))
            yield from _profile(p.env.source, p.profile, p.env.name)
        if p.profile.sharing is None or p.model is None or p.model.gpu_count <= 1:
            continue
        severity = None
        if p.profile.sharing == "mig":
            why = "a CUDA process uses a single MIG device, whatever the container gets"
        elif p.profile.fail_requests_greater_than_one:
            why = "the device plugin refuses more than one replica (failRequestsGreaterThanOne)"
        else:
            why = "the replicas it gets may be of one GPU, giving no more memory or compute"
            severity = Severity.WARNING
        message = (
            f"model '{p.model.name}' asks for {p.model.gpu_count} {p.profile.devices} per "
            f"replica on profile '{p.profile.name}' in '{p.env.name}': {why}"
        )
        yield INFO.at(p.model.source, ("gpu", "count"), message, severity=severity)
        yield INFO.at(p.env.source, p.entry.path + ("profile",), message, severity=severity)


def _profile(source: Source, profile: Profile, env: str) -> Iterator[Finding]:
    where = ("gpuProfiles", profile.name)
    what = f"profile '{profile.name}' in '{env}'"
    if profile.sharing == "mig":
        mixed = mig_resource(profile)
        if profile.gpu_resource not in (mixed, DEFAULT_GPU_RESOURCE):
            yield INFO.at(
                source,
                (*where, "gpuResource"),
                f"{what} has MIG {profile.mig_profile} slices, which the device plugin "
                f"advertises as {mixed} (mixed strategy) or {DEFAULT_GPU_RESOURCE} (single), "
                f"not {profile.gpu_resource}",
            )
    product = profile.node_labels.get(PRODUCT_LABEL)
    suffix = product_suffix(profile)
    if not product or suffix is None:
        return
    if suffix and not product.endswith(suffix):
        yield INFO.at(
            source,
            (*where, "nodeLabels", PRODUCT_LABEL),
            f"{what} requires {PRODUCT_LABEL}={product}, but the device plugin labels these "
            f"nodes {product}{suffix} ({profile.devices} as {profile.gpu_resource}): the "
            "affinity matches no node",
        )
    elif (
        not suffix
        and profile.sharing is None
        and ("-MIG-" in product or product.endswith("-SHARED"))
    ):
        yield INFO.at(
            source,
            (*where, "nodeLabels", PRODUCT_LABEL),
            f"{what} requires {PRODUCT_LABEL}={product}, which the device plugin sets on "
            "MIG or time-sliced GPUs: describe the split in sharing, so that gpu.count, "
            "capacity and memory fit count slices or replicas rather than GPUs",
        )
