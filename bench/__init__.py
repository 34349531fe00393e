"""Benchmarks: run as modules (``python -m bench.sweep_bench``); not part of the shipped package."""
