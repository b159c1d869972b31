"""modelserve: a KServe model catalog compiled into validated Kustomize overlays for Flux.

The package layout is the pipeline: ``yamlio`` and ``loader`` (load and locate), ``model``
(typed catalog and environments), ``render`` (Kubernetes objects), ``layout`` and ``output``
(the Kustomize tree and its atomic write), ``validate`` (schemas and rules), ``report``.
"""

__version__ = "0.1.0"
