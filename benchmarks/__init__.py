"""Benchmarks: `python -m benchmarks [NAME ...]` (or `make bench`).

Each module `bench_*.py` exposes `run() -> dict[str, float]`, a flat mapping of
named figures (`calculator_update_us_p50` ...). The runner prints them and
merges them into `.bench/results.json`.
"""
