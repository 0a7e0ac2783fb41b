"""ctid's benchmarks: ``python -m bench NAME [options]``; results and commands in docs/performance.md."""
