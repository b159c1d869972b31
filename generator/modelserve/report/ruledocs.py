"""What each finding id means, for reporters that describe their rules (SARIF).

The rule modules describe themselves (``INFO`` and the module docstring); the ids that come
from the pipeline's own layers (YAML, schemas, builds) are described here.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from modelserve import __version__

REPOSITORY = "https://github.com/modelserve/modelserve"
# docs/rules.md of the release that reports, so a finding's help matches the code that made it.
RULES_DOC = f"{REPOSITORY}/blob/v{__version__}/docs/rules.md"

BUILTIN = {
    "schema": ("The file or object matches its JSON Schema", "fix the field as the message says"),
    "schema-missing": ("A rendered kind has a schema to check it against", "import its CRD"),
    "schema-store": ("The local schema store is readable and well-formed", "re-import it"),
    "kustomize-build": ("Every overlay builds with Kustomize", "fix the kustomization it names"),
    "build-mismatch": ("A Kustomize build holds exactly the rendered objects", "regenerate"),
    "cel": ("CRD CEL validation rules (x-kubernetes-validations) hold", "fix the field"),
    "api-version": ("Objects use an API version the cluster serves", "use the served version"),
    "kubeconform": ("kubeconform agrees with the offline schemas", "fix the object"),
    "deploy-unreferenced": (
        "Hand-written files under deploy/ are listed by a kustomization",
        "list it in a kustomization.yaml, or delete it",
    ),
    "deploy-drift": (
        "The committed deploy/ is what the generator writes from the catalog",
        "run modelserve generate and commit deploy/",
    ),
    "waiver": ("Waivers give a reason and match a finding", "say why, or remove the waiver"),
    "config": ("The .modelserve.yaml configuration is valid", "fix the field it names"),
    "file-not-loaded": ("Every catalog file could be loaded", "fix the file"),
    "file-unreadable": ("Every file can be read", "make it readable"),
}
YAML_RULE = ("The file is plain, unambiguous YAML", "fix the YAML as the message says")


@dataclass(frozen=True)
class RuleDoc:
    id: str
    summary: str
    description: str
    fix: str
    section: bool = False  # docs/rules.md has a section of its own for it

    @property
    def help_uri(self) -> str:
        return f"{RULES_DOC}#{self.id}" if self.section else RULES_DOC


def rule_doc(rule_id: str) -> RuleDoc:
    from modelserve.rules import RULES

    for rule in RULES:
        if rule.INFO.id == rule_id:
            doc = inspect.getdoc(rule) or rule.INFO.summary
            first = doc.split("\n\n")[0]
            return RuleDoc(rule_id, rule.INFO.summary, first, rule.INFO.hint, section=True)
    summary, fix = BUILTIN.get(rule_id, YAML_RULE if rule_id.startswith("yaml-") else ("", ""))
    return RuleDoc(rule_id, summary or rule_id, summary or rule_id, fix or "see the message")
