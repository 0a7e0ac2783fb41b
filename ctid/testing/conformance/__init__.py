"""The switch driver conformance suite: the same CSTA scenarios against every driver.

A driver is plugged in through a ``SwitchHarness`` (``harness.py``): how to
build the driver, and how to make its phones answer, hang up, press keys and
hold, make outside callers call in, and break and restore the link. The
scenarios (``calls.py``, ``features.py``, ``services.py``) are written once; they drive the
daemon through its public API and assert the same CSTA event sequences for
every driver. A scenario names the ``Capability`` values it needs; a driver
that does not declare them gets ``ScenarioNotSupported``, never a silent pass.

To run the suite against a driver, with pytest and pytest-trio::

    import pytest
    from ctid.testing.conformance import SCENARIOS, ScenarioNotSupported, run_scenario

    @pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
    async def test_conformance(scenario, autojump_clock):
        try:
            await run_scenario(MyHarness, scenario)
        except ScenarioNotSupported as exc:
            pytest.skip(str(exc))

The suite runs on ``trio.testing.MockClock`` (``autojump_clock``): no real
time passes, so a harness must not use real sockets or real waits.
"""

from . import calls as calls
from . import campaign as campaign
from . import fax as fax
from . import features as features
from . import outbound as outbound
from . import restart as restart
from . import services as services
from . import voicemail as voicemail
from .harness import ANSWERS as ANSWERS
from .harness import BUSY as BUSY
from .harness import CALLER as CALLER
from .harness import NO_ANSWER as NO_ANSWER
from .harness import UNREACHABLE as UNREACHABLE
from .harness import Hearing as Hearing
from .harness import SwitchHarness as SwitchHarness
from .run import SCENARIOS as SCENARIOS
from .run import Scenario as Scenario
from .run import ScenarioNotSupported as ScenarioNotSupported
from .run import ScenarioRun as ScenarioRun
from .run import brief as brief
from .run import run_scenario as run_scenario
from .run import scenario as scenario

__all__ = [
    "ANSWERS",
    "BUSY",
    "CALLER",
    "NO_ANSWER",
    "SCENARIOS",
    "UNREACHABLE",
    "Hearing",
    "Scenario",
    "ScenarioNotSupported",
    "ScenarioRun",
    "SwitchHarness",
    "brief",
    "calls",
    "fax",
    "features",
    "outbound",
    "restart",
    "run_scenario",
    "scenario",
    "services",
    "voicemail",
]
