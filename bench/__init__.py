"""Benchmarks: synthetic catalogs, the naive hand-written layout, and the runner.

Run them with ``python -m bench.run`` (``make bench``).
"""
