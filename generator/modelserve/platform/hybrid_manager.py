"""What an EDB Hybrid Manager cluster holds beside KServe: the ClusterServingRuntimes its
documentation deploys for its model library (``hm_runtimes.json``, extracted from the
documentation's own YAML by ``tools/extract_hm_runtimes.py``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_RUNTIMES_FILE = Path(__file__).with_name("hm_runtimes.json")


@cache
def documented_runtimes() -> tuple[dict[str, Any], ...]:
    data: dict[str, Any] = json.loads(_RUNTIMES_FILE.read_text())
    return tuple(data["runtimes"])
