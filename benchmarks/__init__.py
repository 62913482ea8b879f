"""Benchmarks: `python -m benchmarks` runs them all (see benchmarks/_harness.py)."""
