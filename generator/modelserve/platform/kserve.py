"""What each supported KServe release accepts and does: the facts the renderer and the admission
rules depend on, each with the KServe source it was read from (github.com/kserve/kserve, at the
release's tag).

An environment states its release (``platform.kserve``); ``"0.20"`` means 0.20.0, the first
release of that minor version, so a check holds for every patch release of it that this table
knows (0.15.0 and 0.15.1 differ: see ``autoscaler_classes``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

SUPPORTED_MINORS = (15, 16, 17, 18, 19, 20)
OLDEST, NEWEST = (0, SUPPORTED_MINORS[0], 0), (0, SUPPORTED_MINORS[-1], 0)
VERSION_PATTERN = r"^0\.(1[5-9]|20)(\.(0|[1-9][0-9]*))?$"
_VERSION = re.compile(VERSION_PATTERN)
_RUNTIMES_FILE = Path(__file__).with_name("kserve_runtimes.json")


@dataclass(frozen=True, order=True)
class KServe:
    """One KServe release."""

    version: tuple[int, int, int]

    @classmethod
    def parse(cls, text: str) -> KServe:
        """``"0.20"`` or ``"0.20.1"``; raises ValueError outside the supported range."""
        if not _VERSION.match(text):
            raise ValueError(f"KServe {text!r} is not a supported release (0.15 to 0.20)")
        major, minor, *patch = (int(p) for p in text.split("."))
        return cls((major, minor, patch[0] if patch else 0))

    def __str__(self) -> str:
        return ".".join(map(str, self.version))

    def at_least(self, minor: int, patch: int = 0) -> bool:
        return self.version >= (0, minor, patch)

    # --- deployment modes ---------------------------------------------------------------------
    # pkg/constants/constants.go, DeploymentModeType: v0.15 knows Serverless, RawDeployment and
    # ModelMesh; v0.16.0 adds Standard and Knative and keeps the old names as deprecated aliases
    # (the controller's GetDeploymentMode in pkg/controller/v1beta1/inferenceservice/utils/utils.go
    # maps them; ParseDeploymentMode in constants.go does from v0.17.0).

    @property
    def deployment_modes(self) -> frozenset[str]:
        """Values of the ``serving.kserve.io/deploymentMode`` annotation this release knows."""
        old = {"Serverless", "RawDeployment", "ModelMesh"}
        return frozenset(old | {"Standard", "Knative"} if self.at_least(16) else old)

    def mode_annotation(self, mode: str) -> str:
        """How this release spells a mode of the catalog (``Standard`` or ``Knative``)."""
        if self.at_least(16):
            return mode
        return {"Standard": "RawDeployment", "Knative": "Serverless"}.get(mode, mode)

    def is_standard(self, annotation: object) -> bool:
        """The webhook validates the annotation as the raw Kubernetes mode (Deployment, Service,
        HPA): ``validateAutoScalingCompExtension`` matches ``RawDeployment`` in v0.15 and
        ``Standard`` from v0.16; from v0.17 the defaulting webhook first rewrites the deprecated
        ``RawDeployment`` to ``Standard`` (``DefaultInferenceService``, "Normalize deprecated
        annotation values", pkg/apis/serving/v1beta1/inference_service_defaults.go)."""
        if not self.at_least(16):
            return annotation == "RawDeployment"
        return annotation == "Standard" or (self.at_least(17) and annotation == "RawDeployment")

    # --- autoscaling ----------------------------------------------------------------------------
    # pkg/constants/constants.go: AutoscalerAllowedClassList is hpa, external, keda in v0.15.0
    # and gains none in v0.15.1; AutoscalerAllowedHPAMetricsList cpu, memory and
    # AutoscalerAllowedKPAMetricsList concurrency, rps in every supported release.

    @property
    def autoscaler_classes(self) -> tuple[str, ...]:
        base = ("hpa", "external", "keda")
        return (*base, "none") if self.version >= (0, 15, 1) else base

    hpa_metrics = ("cpu", "memory")
    kpa_metrics = ("concurrency", "rps")

    # --- built-in runtimes ------------------------------------------------------------------------

    @cached_property
    def builtin_runtimes(self) -> list[dict[str, Any]]:
        """The ClusterServingRuntimes KServe installs with this release (config/runtimes/), from
        the extracted release nearest below it (tools/extract_kserve_runtimes.py)."""
        releases = _releases()
        known = sorted((KServe.parse(v), v) for v in releases)
        chosen = [v for release, v in known if release <= self] or [known[0][1]]
        return list(releases[chosen[-1]])


NEWEST_KSERVE = KServe(NEWEST)


@cache
def _releases() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = json.loads(_RUNTIMES_FILE.read_text())["releases"]
    return data
