"""Erlang C: the M/M/c queue without abandonment, as used to staff call centres.

``A = λ·AHT`` Erlangs of traffic offered to ``N`` agents (``A < N``):

* ``C(N, A)``, the probability that a call must wait;
* service level ``P(wait ≤ T) = 1 - C · exp(-(N - A) · T / AHT)``;
* average speed of answer ``ASA = C · AHT / (N - A)``;
* occupancy ``A / N``.
"""

from __future__ import annotations

import math

import attrs

__all__ = ["ErlangC", "erlang_c"]


@attrs.frozen(kw_only=True)
class ErlangC:
    agents: int
    #: Offered traffic in Erlangs.
    traffic: float
    aht: float
    #: Probability of waiting.
    wait_probability: float

    def service_level(self, threshold: float) -> float:
        """Fraction of calls answered within ``threshold`` seconds."""
        return 1.0 - self.wait_probability * math.exp(
            -(self.agents - self.traffic) * threshold / self.aht
        )

    @property
    def asa(self) -> float:
        return self.wait_probability * self.aht / (self.agents - self.traffic)

    @property
    def occupancy(self) -> float:
        return self.traffic / self.agents


def erlang_c(agents: int, calls_per_hour: float, aht: float) -> ErlangC:
    """Erlang C for ``agents`` serving ``calls_per_hour`` calls of ``aht`` seconds each."""
    traffic = calls_per_hour * aht / 3600.0
    if agents <= 0 or traffic >= agents:
        raise ValueError(f"{traffic:.2f} Erlangs need more than {agents} agents (unstable queue)")
    # Sum of A^k/k! computed as running terms (no big factorials).
    term = 1.0
    below = 0.0
    for k in range(agents):
        below += term
        term *= traffic / (k + 1)
    # term is now A^N / N!
    top = term * agents / (agents - traffic)
    return ErlangC(agents=agents, traffic=traffic, aht=aht, wait_probability=top / (below + top))
