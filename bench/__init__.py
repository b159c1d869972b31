"""Benchmarks: synthetic catalogs, the naive hand-written layout, and the runner (``python -m bench.run``)."""
