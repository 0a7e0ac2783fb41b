"""``python -m bench NAME [options]``: run one benchmark and print its results.

Names: ``api`` (request round trip, event delivery and memory, beside a bare
trio-websocket server), ``routing`` (the ACD's routing decision against a
naive scan), ``simulate`` (an 8-hour day of ``ctid simulate``), ``failover``
(takeover time of a hot-standby pair against restarting one node), ``chaos``
(kill -9 the active node of a pair again and again under traffic: takeover
time and what changed), ``sessions``
(10,000 logged-in sessions: memory and delivery latency), ``fairness`` (a
healthy client's requests beside 40 connections sending maximum-size frames),
``livestate`` (the live-state store against committing each change on the call
path), ``keep`` (keeping calls in the live store per switch event, against none
and a naive rewrite), ``fuzz`` (hostile frames against a real ``ctid demo``, with
a healthy client's latency), ``history`` (``records.history`` on millions of
calls on SQLite and PostgreSQL, against the same look-up without its indexes),
``webhooks`` (events/s through the webhook outbox against one POST per event),
``outbox_index`` (what the outbox's event-id index costs the writer and saves the
journal's replay), ``due_index`` (the dialler's due read with the old and the new
due index: plans and times),
``pacing`` (predictive dialling on ``ctid simulate --campaign``: the abandon-rate
grid, the gain over progressive, the wall time of a day), ``records`` (the call
records of a simulated day written batched against op after op), ``passes`` (trio's
scheduler passes and task steps per dial of a campaign day).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def _api(argv: list[str]) -> None:
    from . import api

    api.main(argv)


def _fuzz(argv: list[str]) -> None:
    from . import fuzz

    fuzz.main(argv)


def _transport(name: str) -> Callable[[list[str]], None]:
    def run(argv: list[str]) -> None:
        from . import fairness, sessions

        {"sessions": sessions.main, "fairness": fairness.main}[name](argv)

    return run


def _acd(name: str) -> Callable[[list[str]], None]:
    def run(argv: list[str]) -> None:
        from . import acd_routing, acd_simulate, keep_calls

        parser = argparse.ArgumentParser(prog=f"python -m bench {name}")
        parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
        args = parser.parse_args(argv)
        mains = {
            "routing": acd_routing.main,
            "simulate": acd_simulate.main,
            "keep": keep_calls.main,
        }
        mains[name](quick=args.quick)

    return run


def _chaos(argv: list[str]) -> None:
    from . import chaos

    chaos.main(argv)


def _failover(argv: list[str]) -> None:
    from . import failover

    failover.main(argv)


def _livestate(argv: list[str]) -> None:
    from . import livestate

    parser = argparse.ArgumentParser(prog="python -m bench livestate")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    livestate.main(quick=parser.parse_args(argv).quick)


def _history(argv: list[str]) -> None:
    from . import history

    history.main(argv)


def _pacing(argv: list[str]) -> None:
    from . import pacing

    pacing.main(argv)


def _passes(argv: list[str]) -> None:
    from . import campaign_passes

    campaign_passes.main(argv)


def _records(argv: list[str]) -> None:
    from . import records_apply

    records_apply.main(argv)


def _outbox_index(argv: list[str]) -> None:
    from . import outbox_index

    outbox_index.main(argv)


def _due_index(argv: list[str]) -> None:
    from . import due_index

    due_index.main(argv)


def _webhooks(argv: list[str]) -> None:
    from . import webhooks

    webhooks.main(argv)


BENCHMARKS: dict[str, Callable[[list[str]], None]] = {
    "api": _api,
    "failover": _failover,
    "chaos": _chaos,
    "routing": _acd("routing"),
    "simulate": _acd("simulate"),
    "sessions": _transport("sessions"),
    "fairness": _transport("fairness"),
    "livestate": _livestate,
    "keep": _acd("keep"),
    "fuzz": _fuzz,
    "history": _history,
    "webhooks": _webhooks,
    "outbox_index": _outbox_index,
    "due_index": _due_index,
    "pacing": _pacing,
    "records": _records,
    "passes": _passes,
}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
        print(__doc__, file=sys.stderr)
        return 2
    BENCHMARKS[sys.argv[1]](sys.argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
