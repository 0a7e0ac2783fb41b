"""``ctid simulate --campaign``: a day of a dialler in seconds, with the real campaign code.

The whole daemon runs in a fresh ``trio.run`` on the ``JumpingClock`` (as ``ctid
simulate``: ``run.on_jumping_clock``; the simulated card's deadlines on the daemon's
``TimerQueue`` too):
the campaign's dialler (``ctid.outbound``), the real ACD, call records and the
voice-card simulator, whose outside parties are a crowd
(``[[switch.simulator.callees]]``): a share ``answer_rate`` of calls is answered
after a random ring time (2 s to ``ANSWER_WITHIN`` of ``ring_seconds``), the
others ring until the campaign gives up after ``ring_seconds``; a share
``machine_rate`` of the answers are answering machines. AMD is on, so machines
are hung up and counted apart. Agents answer at once (auto-answer), talk for an
exponential time of mean ``aht`` and wrap up for ``wrap_up`` seconds.

The list is generated, each number called once (``max_attempts = 1``), and topped
up every minute so the dialler never runs dry. Database work runs inline
(``blocking.inline``) so the clock never jumps while it runs: the same seed
gives the same day.

What the daemon does at once the simulation batches (``WRITE_BATCH_SECONDS``):
the call records writer commits what the spool holds every so many simulated
seconds rather than op by op, and the campaign's outcomes are written back the
same way; the last of both are written before the day's figures are taken, so
the database holds every attempt (``ctid report --campaign`` agrees with the
summary).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import attrs
import trio

from ..acd.agent_states import AgentState
from ..acd.desk import set_agent_state
from ..app import App
from ..blocking import inline
from ..config import config_from_dict
from ..ids import IdFactory
from ..outbound import store
from ..outbound.csv_import import ImportedRow, ListImport
from ..outbound.install import CAMPAIGNS
from ..outbound.pacer import DayTally
from ..records import db
from ..records.service import RecordsService
from ..records.template import fresh_database
from ..switch_drivers.simulator.driver import SimulatorDriver
from .clock import JumpingClock
from .dialers import DIALERS
from .people import SimulatedAgents
from .run import FIRST_EXTENSION, MAX_TRUNKS, START_WALL, on_jumping_clock

__all__ = [
    "DIALERS",
    "CampaignResult",
    "CampaignSample",
    "CampaignScenario",
    "deterministic_scheduler",
    "run_campaign",
]

#: A person answers within this share of ``ring_seconds`` (after at least 2 s).
ANSWER_WITHIN: Final = 0.6
#: Seconds between samples (chart, progress, list top-ups).
SAMPLE_SECONDS: Final = 60.0
#: Longest the calls in progress may take to end once the hours are over.
DRAIN_SECONDS: Final = 3600.0
#: Simulated seconds the records writer and the outcome write-back gather writes for
#: one transaction (the daemon commits at once; inline, a pass held an op or two).
WRITE_BATCH_SECONDS: Final = 30.0
CAMPAIGN: Final = "simulated"
QUEUE: Final = "campaign"


@attrs.frozen(kw_only=True)
class CampaignScenario:
    """What ``ctid simulate --campaign`` runs (its flags)."""

    dialer: str
    agents: int
    answer_rate: float
    machine_rate: float
    ring_seconds: float
    aht: float
    wrap_up: float
    hours: float
    max_abandon: float
    seed: int = 1


@attrs.frozen(kw_only=True)
class CampaignSample:
    """The state of the day at one minute."""

    at: float
    dialled: int
    abandoned: int
    persons: int
    lines: int
    agents: dict[str, int]


@attrs.frozen(kw_only=True)
class CampaignResult:
    dialled: int
    answered: int
    machines: int
    connected: int
    abandoned: int
    abandon_rate: float
    agent_occupancy: float
    contacts_per_agent_hour: float
    wall_seconds: float
    samples: tuple[CampaignSample, ...] = ()
    start: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Exactly the keys the issue lists."""
        return {
            "dialled": self.dialled,
            "answered": self.answered,
            "machines": self.machines,
            "connected": self.connected,
            "abandoned": self.abandoned,
            "abandon_rate": round(self.abandon_rate, 4),
            "agent_occupancy": round(self.agent_occupancy, 4),
            "contacts_per_agent_hour": round(self.contacts_per_agent_hour, 2),
            "wall_seconds": round(self.wall_seconds, 2),
        }


Progress = Callable[[float, int], None]


def _config(scenario: CampaignScenario, database: str, state_dir: str) -> Any:
    extensions = [str(FIRST_EXTENSION + i) for i in range(scenario.agents)]
    lines = math.ceil(scenario.agents * 3.0) + 20
    answer_by = max(2.0, scenario.ring_seconds * ANSWER_WITHIN)
    return config_from_dict(
        {
            "server": {"listen": "127.0.0.1:0", "state_dir": state_dir},
            "api": {"ping_interval": 0},
            # The spool stays (the writer's path is the daemon's), but a day thrown
            # away after it needs no fsync: a crash loses the whole day anyway.
            "records": {"enabled": True, "database": database, "fsync": False},
            # A simulated day is never restarted: no live state to keep.
            "livestate": {"enabled": False},
            # Nobody sees a screen pop: no caller lookups (nor their data to load).
            "numbers": {"caller_info": False},
            "switch": {
                "driver": "simulator",
                "simulator": {
                    "extensions": extensions,
                    "trunks": min(MAX_TRUNKS, max(100, lines)),
                    "fax_machines": [],
                    "callees": [
                        {
                            "pattern": ".*",
                            "answer_share": scenario.answer_rate,
                            "machine_share": scenario.machine_rate,
                            "answer_after": [2.0, answer_by],
                        }
                    ],
                    "callee_seed": scenario.seed,
                },
            },
            "acd": {
                "seed": scenario.seed,
                "queues": [
                    {
                        "name": QUEUE,
                        "number": "8000",
                        "wrap_up": scenario.wrap_up,
                        "default_handle_time": scenario.aht + scenario.wrap_up,
                    }
                ],
                "agents": [
                    {"id": f"a{i}", "auto_answer": True, "skills": [{"queue": QUEUE}]}
                    for i in range(scenario.agents)
                ],
            },
            "campaigns": [
                {
                    "name": CAMPAIGN,
                    "mode": scenario.dialer,
                    "queue": QUEUE,
                    "caller_id": "0170000000",
                    "timezone": "UTC",
                    "windows": [
                        {
                            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                            "start": "00:00",
                            "end": "24:00",
                        }
                    ],
                    "max_attempts": 1,
                    "max_abandon_rate": scenario.max_abandon,
                    "amd": True,
                    "abandon_message": "sound:abandoned",
                    "ring_seconds": scenario.ring_seconds,
                    "preview_timeout": 10,
                    "preview_timeout_action": "dial",
                }
            ],
        },
        "<simulate --campaign>",
    )


def run_campaign(
    scenario: CampaignScenario,
    *,
    progress: Progress | None = None,
    keep_database: Path | None = None,
) -> CampaignResult:
    """Run ``scenario``; ``progress(fraction done, dialled so far)`` every simulated minute.
    ``keep_database``: the day's SQLite database is written there (kept) rather than to
    a temporary file."""
    # In memory where the system has it: a simulated day's commits need no disk.
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="ctid-simulate-", dir=shm) as tmp:
        path = keep_database or Path(tmp) / "campaign.db"
        database = db.sqlite_url(path)
        # A copy of the migrated schema, not 13 migrations at every start.
        fresh_database(path)
        config = _config(scenario, database, tmp)
        out: dict[str, Any] = {}
        clock = JumpingClock()

        async def main() -> None:
            app = App(
                config, ids=IdFactory("s"), anchor_wall=START_WALL, serve_api=False, blocking=inline
            )
            async with trio.open_nursery() as nursery:
                await nursery.start(app.run)
                on_jumping_clock(app, clock, card_timers=True)
                await _simulate(app, scenario, out, progress)
                nursery.cancel_scope.cancel()

        began = time.perf_counter()
        with deterministic_scheduler(scenario.seed):
            trio.run(main, clock=clock)
        wall = time.perf_counter() - began
    total: DayTally = out["total"]
    agent_hours = scenario.agents * scenario.hours
    return CampaignResult(
        dialled=total.dialled,
        answered=total.persons,
        machines=total.machines,
        connected=total.connected,
        abandoned=total.abandoned,
        abandon_rate=total.abandoned / total.persons if total.persons else 0.0,
        agent_occupancy=out["occupancy"],
        contacts_per_agent_hour=total.connected / agent_hours if agent_hours else 0.0,
        wall_seconds=wall,
        samples=tuple(out["samples"]),
        start=out["start"],
    )


@contextlib.contextmanager
def deterministic_scheduler(seed: int) -> Iterator[None]:
    """Make trio run the tasks ready together in an order that only ``seed`` decides.

    Trio runs each pass's ready tasks in the order they were woken, reversed or not
    by a coin of its own generator. Tasks woken by deadlines at the same instant
    (common on a simulated clock: the dialler's second, the sampling minute, the writers'
    30 s) are woken in the order of their cancel scopes' memory addresses (trio's
    tie-breaker is ``id(scope)``), and a cancelled scope wakes its tasks in the
    order of a set hashed by address. So a day depended on where objects landed in memory, which
    differs between processes (string hashing, a padding allocation, an
    instrument): one seed gave days that differed in a dial or an abandon.

    Trio has a deterministic mode for Hypothesis: each pass's tasks are sorted by
    creation order, then shuffled by its generator. Both are this run's alone, so
    with the generator seeded the order is the seed's. The mode is switched on for
    the run and back to what it was after (pytest has it on already: importing
    Hypothesis does it). Both are private to trio; without them the day is merely
    not repeatable.
    """
    scheduler = getattr(getattr(trio, "_core", None), "_run", None)
    rng = getattr(scheduler, "_r", None)
    flag = "_ALLOW_DETERMINISTIC_SCHEDULING"
    if scheduler is None or not isinstance(rng, random.Random) or not hasattr(scheduler, flag):
        yield
        return
    before = getattr(scheduler, flag)
    setattr(scheduler, flag, True)
    rng.seed(seed)
    try:
        yield
    finally:
        setattr(scheduler, flag, before)


class _List:
    """The generated list: numbers in chunks, imported as the dialler needs them."""

    def __init__(self, read: Callable[..., Any], utcnow: Callable[[], dt.datetime]) -> None:
        self._read = read
        self._utcnow = utcnow
        self.made = 0
        self.chunks = 0

    async def top_up(self, size: int) -> None:
        rows = tuple(
            ImportedRow(line=i + 2, number=f"+1555{self.made + i:07d}", data={})
            for i in range(size)
        )
        self.made += size
        self.chunks += 1
        parsed = ListImport(rows=rows, problems=(), duplicates=())
        await self._read(
            store.import_list, CAMPAIGN, f"list{self.chunks}", "phone", parsed, self._utcnow()
        )


async def _simulate(
    app: App, scenario: CampaignScenario, out: dict[str, Any], progress: Progress | None
) -> None:
    acd = app.acd
    assert acd is not None
    assert isinstance(app.driver, SimulatorDriver)
    # Commands carried out at once, as in the inbound day (``ExecutesNow``).
    app.driver.commands_at_once = True
    engine = acd.engine
    service = app.api.services[CAMPAIGNS]
    dialler = service.dialler
    assert dialler is not None
    records = app.api.services["records"]
    assert isinstance(records, RecordsService)
    records.writer.limits = attrs.evolve(records.writer.limits, commit_delay=WRITE_BATCH_SECONDS)
    dialler.writer.linger = WRITE_BATCH_SECONDS
    start = trio.current_time()
    end = start + scenario.hours * 3600.0
    extensions = [str(FIRST_EXTENSION + i) for i in range(scenario.agents)]
    for agent, device in zip(engine.agents.values(), extensions, strict=True):
        for requested in ("loggedOn", "ready"):
            await acd.request(
                set_agent_state,
                engine,
                agent,
                device=device,
                requested=requested,
                check_password=False,
                cause="simulation",
            )
    SimulatedAgents(
        sim=app.driver,
        calls=app.calls,
        timers=app.timers,
        devices=dict.fromkeys(extensions, True),
        talk={QUEUE: scenario.aht},
        rng=random.Random(scenario.seed),
    )
    listed = _List(service.read, service.utcnow)
    # Enough numbers for the first minutes at the most the dialler may dial.
    per_minute = max(10, math.ceil(scenario.agents * 3.0 * 60 / max(scenario.ring_seconds, 5)))
    await listed.top_up(per_minute * 5)
    await service.set_state(CAMPAIGN, "running")
    pacer = dialler.pacers[CAMPAIGN]
    samples: list[CampaignSample] = []
    now = start
    while now < end:
        now += SAMPLE_SECONDS
        await trio.sleep_until(now)
        if listed.made - pacer.total.dialled < per_minute * 3:
            await listed.top_up(per_minute * 3)
        samples.append(_sample(now, pacer.total, dialler, engine))
        if progress is not None:
            progress(min(1.0, (now - start) / (end - start)), pacer.total.dialled)
    for agent in engine.agents.values():
        agent.account(trio.current_time())
    handling = sum(a.day.talk + a.day.acw + a.day.reserved for a in engine.agents.values())
    logged = handling + sum(a.day.ready + a.day.not_ready for a in engine.agents.values())
    out["occupancy"] = handling / logged if logged else 0.0
    await service.set_state(CAMPAIGN, "stopped")
    # Calls still ringing are given up; persons with an agent finish their calls.
    for call_id, attempt in list(dialler.attempts.items()):
        if not attempt.handed and call_id in app.model.calls:
            app.control.hang_up(call_id)
    app.calls.sync()
    drain_end = trio.current_time() + DRAIN_SECONDS
    while trio.current_time() < drain_end:
        if not app.model.calls:
            break
        await trio.sleep(SAMPLE_SECONDS)
    # Every attempt in the database before the day ends (the writes are batched).
    await dialler.writer.flush()
    await records.writer.wait_committed()
    out["total"] = attrs.evolve(pacer.total)
    out["samples"] = samples
    out["start"] = start


def _sample(now: float, total: DayTally, dialler: Any, engine: Any) -> CampaignSample:
    agents: dict[str, int] = {}
    for agent in engine.agents.values():
        name = agent.state.value if isinstance(agent.state, AgentState) else str(agent.state)
        agents[name] = agents.get(name, 0) + 1
    return CampaignSample(
        at=now,
        dialled=total.dialled,
        abandoned=total.abandoned,
        persons=total.persons,
        lines=len(dialler.attempts),
        agents=agents,
    )
