"""Pause Python's cyclic garbage collector while a pipeline builds its large, acyclic data.

Loading and rendering a big catalog allocates hundreds of thousands of dicts and lists that stay
alive until the command ends. Every 700 allocations CPython runs a collection, and the older
generations, which it also collects regularly, hold all of them: on 1,000 models x 4
environments those scans cost 0.2-0.5 s of a one-second incremental validation and grow with
the heap. Nothing the pipeline builds forms reference cycles that need collecting early
(reference counting frees the rest), so collection waits until the pipeline returns.

On the way out, everything still alive is handed to the oldest generation, where it would be had
the collector run all along: re-enabled as is, the collector's next young-generation pass would
scan every object allocated during the pause (0.1 s at that size) to find the few to free.
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
            gc.freeze()  # moves every tracked object out of the young generations, cheaply
            gc.unfreeze()  # ... and back, into the oldest one
            gc.enable()
