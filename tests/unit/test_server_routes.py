"""HTTP routes on the API port: the request-head time limit does not cut a slow handler."""

from __future__ import annotations

import trio

from ctid.api.server import HANDSHAKE_TIMEOUT, HttpRequest, HttpResponse
from ctid.testing import call_centre


async def test_a_route_slower_than_the_head_timeout_still_answers(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with call_centre() as cc:

        async def slow(request: HttpRequest) -> HttpResponse:
            await trio.sleep(HANDSHAKE_TIMEOUT * 3)  # a long query, a big download
            return HttpResponse.json(200, {"query": request.query})

        cc.app.server.routes["/slow"] = slow
        started = trio.current_time()
        status, headers, body = await cc.http("/slow?x=1")
        assert (status, body) == (200, b'{"query": "x=1"}')
        assert headers["content-type"] == "application/json"
        assert trio.current_time() - started == HANDSHAKE_TIMEOUT * 3


async def test_unknown_paths_are_404(autojump_clock: trio.abc.Clock) -> None:
    async with call_centre() as cc:
        status, _, _ = await cc.http("/nope")
        assert status == 404
