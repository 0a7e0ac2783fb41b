"""``python -m bench NAME [args]``: run one benchmark and print its results."""

from __future__ import annotations

import importlib
import sys

#: Benchmark name -> module with a ``main(argv)``.
BENCHMARKS = {"api": "bench.api"}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
        print(f"usage: python -m bench {{{','.join(BENCHMARKS)}}} [options]", file=sys.stderr)
        sys.exit(2)
    module = importlib.import_module(BENCHMARKS[sys.argv[1]])
    module.main(sys.argv[2:])


if __name__ == "__main__":
    main()
