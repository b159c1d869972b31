"""A deployment's ``profile`` names one of the environment's gpuProfiles; GPU models need one.

Without a profile a GPU model gets no node affinity and no tolerations: it stays Pending on
tainted GPU nodes, or lands on whatever GPU pool has room.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from modelserve.findings import Finding, Severity
from modelserve.rules.base import Context, RuleInfo
from modelserve.rules.examples import ENVIRONMENT

INFO = RuleInfo(
    "ref-profile",
    Severity.ERROR,
    "Deployments name an existing profile; GPU models always name one",
    "set 'profile' to a key of gpuProfiles in this environment",
)
EXAMPLES = {
    "fail": {
        "environments/dev.yaml": ENVIRONMENT.replace("    profile: h100\n", "    profile: h10\n")
    },
    "pass": {},
}


def check(ctx: Context) -> Iterator[Finding]:
    for p in ctx.placements():
        names = ", ".join(sorted(p.env.profiles)) or "none defined"
        if p.entry.profile and p.profile is None:
            same_case = [n for n in p.env.profiles if n.lower() == p.entry.profile.lower()]
            close = same_case or difflib.get_close_matches(p.entry.profile, list(p.env.profiles), 1)
            hint = None
            if same_case:
                hint = f"names are case-sensitive: write '{same_case[0]}'"
            elif close:
                hint = f"did you mean '{close[0]}'?"
            yield INFO.at(
                p.env.source,
                p.entry.path + ("profile",),
                f"profile '{p.entry.profile}' is not in gpuProfiles of '{p.env.name}' ({names}); "
                "the model is not rendered until it is",
                hint=hint,
            )
        elif not p.entry.profile and p.model is not None and p.model.gpu_count > 0:
            yield INFO.at(
                p.env.source,
                p.entry.path + ("model",),
                f"model '{p.model.name}' needs {p.model.gpu_count} GPU(s) but has no profile in "
                f"'{p.env.name}'",
                hint=f"add 'profile:' with one of: {names}",
            )
