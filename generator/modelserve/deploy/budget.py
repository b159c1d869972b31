"""What ``generate`` would write stays within a stated total (finding ``output-size``).

Every environment gets its own rendered copy of each model it deploys (and of each runtime those
use), so one large model deployed by many small environment files multiplies: a 1.4 MB model in
100 environments is 143 MB of ``deploy/``. Each object is capped by the ``object-size`` rule (what
etcd stores); this caps the total at OUTPUT_BUDGET bytes, estimated before anything is rendered
from the JSON size of the catalog entries each environment renders. It is a bound of this tool,
not of the cluster: ``generate`` writes nothing and ``validate`` builds nothing over it.
"""

from __future__ import annotations

from modelserve.findings import Finding, Severity
from modelserve.model import Catalog

OUTPUT_BUDGET = 256 * 1024 * 1024
PER_DEPLOYMENT = 4096  # what an InferenceService and monitor add beyond the model's own data


def estimated_bytes(catalog: Catalog) -> dict[str, int]:
    """Per environment, about how many bytes its rendered files take (one linear pass)."""
    model_sizes: dict[str, int] = {}
    runtime_sizes: dict[str, int] = {}
    estimate = {}
    for env in catalog.environments.values():
        total, runtimes = 0, set()
        for entry in env.entries:
            model = catalog.models.get(entry.model)
            if model is None:
                continue
            if model.name not in model_sizes:
                model_sizes[model.name] = model.data_bytes
            total += model_sizes[model.name] + PER_DEPLOYMENT
            runtimes.add(model.runtime)
        for name in runtimes & set(catalog.runtimes):
            if name not in runtime_sizes:
                runtime_sizes[name] = catalog.runtimes[name].data_bytes
            total += runtime_sizes[name]
        estimate[env.name] = total
    return estimate


def over_budget(catalog: Catalog) -> Finding | None:
    """The output-size finding when the catalog would render more than OUTPUT_BUDGET bytes."""
    estimate = estimated_bytes(catalog)
    total = sum(estimate.values())
    if total <= OUTPUT_BUDGET:
        return None
    largest = max(estimate, key=lambda name: estimate[name])
    file, line, col = catalog.environments[largest].source.at("models")
    return Finding(
        file,
        line,
        col,
        "output-size",
        Severity.ERROR,
        f"the environments would render about {total:,} bytes into deploy/, over the "
        f"{OUTPUT_BUDGET:,} this tool writes or validates ('{largest}' alone about "
        f"{estimate[largest]:,})",
        "models",
        hint="deploy fewer large models in fewer environments, or move large values out of "
        "args, env and annotations",
    )
