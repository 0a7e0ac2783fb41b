"""Prometheus metrics (``collector``) and their HTTP listener (``server``).

See docs/operations.md for every metric and an example alert for each.
"""
