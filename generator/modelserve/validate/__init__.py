"""Validation: input schemas, catalog rules, Kustomize builds and rendered-object schemas."""
