"""Every method's parameters, generated from its JSON Schema, with one poison put in.

A poison is refused wherever it is: a lone surrogate, an integer beyond 2**53,
1e999, nesting past the depth limit, an overlong string. Every request must be
answered -32602 (or -32700 for what the decoder refuses), never -32603, with
nothing logged as an error and nothing changed in the daemon.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctid.api.methods import registry
from ctid.testing import call_centre
from ctid.testing.harness import ADMIN_TOKEN

from .conftest import Runner, assert_reply, errors_logged, in_worker, open_raw, strict_json
from .strategies import FUZZ, encode_json, params_strategy, poisoned

METHODS = sorted(registry.methods)


async def test_poisoned_params_of_every_method(caplog: pytest.LogCaptureFixture) -> None:
    async with call_centre() as cc:
        raw, _ = await open_raw(cc, "ctid.v1.json")
        await raw.send_json(
            {"jsonrpc": "2.0", "id": 0, "method": "session.login", "params": {"token": ADMIN_TOKEN}}
        )
        assert strict_json(await raw.receive())["result"]["role"] == "admin"
        app = cc.app

        def state() -> tuple[Any, ...]:
            return (
                len(app.model.calls),
                app.bus.published,
                sum(len(log.monitors) for log in app.bus.logs.values()),
                len(app.bus.logs),
            )

        before = state()
        # Every method once, whatever hypothesis draws below: a poisoned key and value.
        for i, name in enumerate(METHODS):
            await raw.send(
                encode_json({"jsonrpc": "2.0", "id": -i, "method": name, "params": {"p": "\ud800"}})
            )
            reply = strict_json(await raw.receive())
            assert_reply(reply, -i)
            assert reply["error"]["code"] == -32602 and reply["error"]["data"]["path"] == "params.p"
        seen: set[str] = set()

        def run(call: Runner) -> None:
            counter = iter(range(1, 1 << 30))

            # Enough draws to reach most methods, however many there are.
            @settings(FUZZ, max_examples=4 * len(METHODS))
            @given(st.data())
            def check(data: st.DataObject) -> None:
                name = data.draw(st.sampled_from(METHODS), label="method")
                spec = registry.methods[name]
                params = data.draw(poisoned(data.draw(params_strategy(spec))), label="params")
                request_id = next(counter)
                text = encode_json(
                    {"jsonrpc": "2.0", "id": request_id, "method": name, "params": params}
                )

                async def exchange() -> Any:
                    await raw.send(text)
                    return strict_json(await raw.receive())

                reply = call(exchange)
                assert_reply(reply, request_id)
                assert reply["error"]["code"] in (-32602, -32700), reply
                seen.add(name)

            check()

        await in_worker(run)
        assert state() == before
        assert errors_logged(caplog) == []
        assert raw.closed is None
        assert len(seen) > len(METHODS) // 2, sorted(set(METHODS) - seen)
