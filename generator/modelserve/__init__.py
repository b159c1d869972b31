"""modelserve: a KServe model catalog compiled into validated Kustomize overlays for Flux.

The subpackages are the pipeline, in order: ``load`` (read and locate: file:line:col for every
field), ``model`` (the typed catalog and environments, with their meanings), ``render``
(Kubernetes objects that remember their sources), ``deploy`` (the Kustomize tree and its atomic
write), ``validate`` (input schemas, Kustomize builds, object schemas, hand-written manifests),
``rules`` (catalog and object rules), ``report`` (findings out, scrubbed and escaped) and
``commands`` (the CLI). ``cache`` keeps what a run may reuse; ``diff`` compares two revisions.
"""

__version__ = "0.2.0"
