"""Pause Python's cyclic garbage collector while a pipeline builds its large, acyclic data.

Loading and rendering a big catalog allocates hundreds of thousands of dicts and lists that stay
alive until the command ends. Every 700 allocations CPython runs a collection, and the older
generations, which it also collects regularly, hold all of them: on 1,000 models x 4
environments those scans cost 0.2-0.5 s of a one-second incremental validation and grow with
the heap. Nothing the pipeline builds forms reference cycles that need collecting early
(reference counting frees the rest), so collection waits until the pipeline returns.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; restore its previous state even on error."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
