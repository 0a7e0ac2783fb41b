"""Benchmarks (``python -m bench ...``); results and commands go to docs/performance.md."""
