"""ctid's benchmarks; ``python -m bench [NAME ...]`` runs them and prints the results."""
