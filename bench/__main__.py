"""``python -m bench [routing] [simulate] [--quick]``: run benchmarks, print results."""

from __future__ import annotations

import argparse
import sys

from . import acd_routing, acd_simulate

BENCHMARKS = {"routing": acd_routing.main, "simulate": acd_simulate.main}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"some of {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)} (choose from {', '.join(BENCHMARKS)})")
    for name in args.names or list(BENCHMARKS):
        BENCHMARKS[name](quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
