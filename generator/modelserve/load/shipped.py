"""Where the JSON Schemas this tool ships live: the one locator every reader goes through."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
CHECKOUT_SCHEMAS = PACKAGE_ROOT.parents[1] / "schemas"


@lru_cache(maxsize=1)
def shipped_schemas() -> Path:
    """The installed copy (``modelserve.schemas`` inside a wheel) first, else the checkout's
    ``schemas/``: an editable install maps no package there, so both cases end in one folder.
    """
    try:
        # schemas/ has no __init__.py, so files() gives a namespace reader: go through a file.
        installed = Path(str(resources.files("modelserve.schemas") / "model.schema.json")).parent
    except (ModuleNotFoundError, TypeError, ValueError):
        return CHECKOUT_SCHEMAS
    return installed if (installed / "model.schema.json").is_file() else CHECKOUT_SCHEMAS


def shipped_kinds() -> Path:
    """``schemas/kinds``: the CRD schemas for the kinds the tool renders."""
    return shipped_schemas() / "kinds"


INPUT_SCHEMAS = ("runtime", "model", "environment", "config")


def input_schema_texts() -> dict[str, str]:
    """The input schemas as this release ships them, by file name (``init``, ``schemas
    export``)."""
    return {
        f"{n}.schema.json": (shipped_schemas() / f"{n}.schema.json").read_text(encoding="utf-8")
        for n in INPUT_SCHEMAS
    }
