"""The platforms an environment runs on, as data: what each supported release accepts."""

# The Kubernetes minor version assumed where none is stated (hand-written manifests).
DEFAULT_KUBERNETES_VERSION = "1.33"
