"""What queueing theory predicts for one queue, beside what ``ctid simulate`` ran.

Two models, chosen by the callers' patience:

* **Erlang C** (M/M/c, callers never give up): ``erlang.erlang_c``, closed forms.
* **Erlang A** (M/M/c+M, Palm's model; Garnett, Mandelbaum and Reiman, "Designing a
  call center with impatient customers", MSOM 4(3), 2002): callers give up after an
  exponential patience of mean ``1/θ``. The number in the system is a birth-death
  chain (births ``λ``, deaths ``min(n, c)·μ + max(n - c, 0)·θ``) solved numerically;
  a caller's wait is followed from the number of callers ahead of it.

How ``ctid simulate``'s parameters enter:

* An agent is busy for talk, wrap-up and the time its phone rings before it answers:
  the service time is ``aht + wrap_up + mean answer delay``.
* A caller waits in the queue, then hears the agent's phone ring: the service level is
  ``P(queue wait + answer delay <= T)``, averaged over the uniform answer delay, and the
  ASA adds the delay. An impatient caller may still give up while the phone rings (as
  in the simulation): it survives a ring of ``d`` seconds with probability ``exp(-θd)``,
  which weighs the service level and the ASA and adds to the abandon rate, and the agent
  is then busy only for the ring (``E[min(d, patience)]``), not for the talk.
* Occupancy is the work done (calls that reach an agent times the agent's time for
  them) over the agents' time, as the simulation measures it (handling over handling
  plus ready).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import attrs

from .erlang import erlang_c

__all__ = ["Prediction", "erlang_a_wait", "predict"]

#: Probability mass below which the chain's tail is cut.
TAIL: Final = 1e-12
#: Points of the answer-delay range averaged over.
DELAY_POINTS: Final = 21


@attrs.frozen(kw_only=True)
class Prediction:
    """Queueing theory's answer for one queue."""

    #: ``"erlang-c"`` or ``"erlang-a"``.
    model: str
    service_level: float
    asa_seconds: float
    occupancy: float
    abandon_rate: float

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "service_level": round(self.service_level, 4),
            "asa_seconds": round(self.asa_seconds, 2),
            "occupancy": round(self.occupancy, 4),
            "abandon_rate": round(self.abandon_rate, 4),
        }


@attrs.frozen(kw_only=True)
class ErlangAWait:
    """Erlang A for one queue: the stationary chain and what an arriving caller meets."""

    agents: int
    arrival_rate: float
    service_rate: float
    abandon_rate_per_caller: float
    #: P(n in the system) for n = 0 .. len - 1 (the tail below ``TAIL`` cut off).
    stationary: tuple[float, ...]

    @property
    def wait_probability(self) -> float:
        return sum(self.stationary[self.agents :])

    @property
    def abandon_probability(self) -> float:
        """Abandoned over offered: ``θ·E[queue length] / λ`` (rate balance)."""
        c = self.agents
        queued = sum((n - c) * p for n, p in enumerate(self.stationary) if n > c)
        return self.abandon_rate_per_caller * queued / self.arrival_rate

    def _ahead(self) -> list[float]:
        """P(an arriving caller finds j callers waiting ahead), j = 0.. (PASTA)."""
        return list(self.stationary[self.agents :])

    def answered_within(self, limits: Sequence[float]) -> list[float]:
        """P(answered and waited at most t) for each t in ``limits`` (sorted ascending)."""
        c, mu, theta = self.agents, self.service_rate, self.abandon_rate_per_caller
        at_once = sum(self.stationary[:c])
        p = self._ahead()
        if not p or not limits:
            return [at_once for _ in limits]
        cmu = c * mu
        top_rate = cmu + len(p) * theta + theta
        # RK4 on dp_j/dt = -(cμ + (j+1)θ) p_j + (cμ + (j+1)θ) p_{j+1}; the mass leaving
        # p_0 at rate cμ is answered.
        h = min(0.25 / top_rate, max(limits) / 50 or 1.0)
        out: list[float] = []
        served, t, idx = 0.0, 0.0, 0
        n = len(p)
        leave = [cmu + j * theta + theta for j in range(n)]
        down = [cmu + (j + 1) * theta for j in range(n)]

        def deriv(v: list[float]) -> list[float]:
            d = [-leave[j] * v[j] for j in range(n)]
            for j in range(n - 1):
                d[j] += down[j] * v[j + 1]
            return d

        while idx < len(limits):
            while idx < len(limits) and limits[idx] <= t + 1e-12:
                out.append(at_once + served)
                idx += 1
            if idx >= len(limits):
                break
            step = min(h, limits[idx] - t)
            k1 = deriv(p)
            k2 = deriv([p[j] + step / 2 * k1[j] for j in range(n)])
            k3 = deriv([p[j] + step / 2 * k2[j] for j in range(n)])
            k4 = deriv([p[j] + step * k3[j] for j in range(n)])
            # What p_0 lost to service over the step (Simpson's rule on the RK4 stages).
            p0_mid = p[0] + step / 2 * (k1[0] + k2[0]) / 2
            p0_end = p[0] + step * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]) / 6
            served += cmu * step * (p[0] + 4 * p0_mid + p0_end) / 6
            p = [p[j] + step * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]) / 6 for j in range(n)]
            t += step
        return out

    def answered_wait(self) -> tuple[float, float]:
        """(P(answered), mean wait of answered callers), by first-step analysis."""
        c, mu, theta = self.agents, self.service_rate, self.abandon_rate_per_caller
        cmu = c * mu
        ahead = self._ahead()
        served = sum(self.stationary[:c])
        weighted = 0.0
        s_prev = m_prev = 0.0
        for j, pj in enumerate(ahead):
            rate = cmu + j * theta + theta
            if j == 0:
                s_j = cmu / rate
                m_j = s_j / rate
            else:
                q = (cmu + j * theta) / rate
                s_j = q * s_prev
                m_j = q * (m_prev + s_prev / rate)
            served += pj * s_j
            weighted += pj * m_j
            s_prev, m_prev = s_j, m_j
        return served, (weighted / served if served else 0.0)


def erlang_a_wait(
    agents: int, calls_per_hour: float, service_seconds: float, patience: float
) -> ErlangAWait:
    """Erlang A for ``agents`` serving calls of ``service_seconds``, callers' mean patience."""
    if agents <= 0:
        raise ValueError("Erlang A needs at least one agent")
    lam = calls_per_hour / 3600.0
    mu = 1.0 / service_seconds
    theta = 1.0 / patience
    logs = [0.0]
    n = 0
    # log π_n up to where the tail is negligible (θ > 0 makes it fall fast past c).
    while True:
        n += 1
        death = min(n, agents) * mu + max(n - agents, 0) * theta
        logs.append(logs[-1] + math.log(lam) - math.log(death))
        if n > agents and logs[-1] - max(logs) < math.log(TAIL) and death > lam:
            break
        if n > agents + 100_000:
            raise ValueError("Erlang A: the queue does not settle")
    top = max(logs)
    weights = [math.exp(v - top) for v in logs]
    total = sum(weights)
    return ErlangAWait(
        agents=agents,
        arrival_rate=lam,
        service_rate=mu,
        abandon_rate_per_caller=theta,
        stationary=tuple(w / total for w in weights),
    )


def _delays(answer_delay: tuple[float, float]) -> list[float]:
    lo, hi = answer_delay
    if hi <= lo:
        return [lo]
    return [lo + (hi - lo) * i / (DELAY_POINTS - 1) for i in range(DELAY_POINTS)]


def predict(
    *,
    agents: int,
    calls_per_hour: float,
    aht: float,
    wrap_up: float = 0.0,
    patience: float = math.inf,
    answer_delay: tuple[float, float] = (0.0, 0.0),
    threshold: float = 20.0,
) -> Prediction:
    """Service level, ASA, occupancy and abandon rate that theory gives (see the module)."""
    delays = _delays(answer_delay)
    mean_delay = sum(delays) / len(delays)
    service = aht + wrap_up + mean_delay
    if math.isinf(patience):
        try:
            c = erlang_c(agents, calls_per_hour, service)
        except ValueError:
            # More traffic than agents: the queue grows without end.
            return Prediction(
                model="erlang-c", service_level=0.0, asa_seconds=math.inf, occupancy=1.0,
                abandon_rate=0.0,
            )  # fmt: skip
        level = sum(c.service_level(threshold - d) if d <= threshold else 0.0 for d in delays)
        return Prediction(
            model="erlang-c",
            service_level=level / len(delays),
            asa_seconds=c.asa + mean_delay,
            occupancy=c.occupancy,
            abandon_rate=0.0,
        )
    theta = 1.0 / patience
    survive = [math.exp(-theta * d) for d in delays]
    stays = sum(survive) / len(survive)
    # The agent's time for a caller it reaches: the ring, cut short if the caller goes,
    # then talk and wrap-up if it stayed.
    ring = sum((1 - math.exp(-theta * d)) / theta for d in delays) / len(delays)
    service = ring + stays * (aht + wrap_up)
    a = erlang_a_wait(agents, calls_per_hour, service, patience)
    limits = sorted({threshold - d for d in delays if d <= threshold})
    within = dict(zip(limits, a.answered_within(limits), strict=True))
    level = sum(
        within.get(threshold - d, 0.0) * alive for d, alive in zip(delays, survive, strict=True)
    ) / len(delays)
    reached, queue_wait = a.answered_wait()
    answered_ring = sum(d * alive for d, alive in zip(delays, survive, strict=True)) / sum(survive)
    reached_load = calls_per_hour / 3600.0 * reached * service
    return Prediction(
        model="erlang-a",
        service_level=level,
        asa_seconds=queue_wait + answered_ring,
        occupancy=min(1.0, reached_load / agents),
        abandon_rate=1.0 - reached * stays,
    )
