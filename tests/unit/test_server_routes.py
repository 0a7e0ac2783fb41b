"""HTTP routes on the API port: the request-head time limit does not cut a slow handler;
large bodies are streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import h11
import pytest
import trio
import trio.lowlevel

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


def _streamed(parts: list[bytes], length: int) -> HttpResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for part in parts:
            await trio.lowlevel.checkpoint()
            yield part

    return HttpResponse(
        status=200, length=length, chunks=chunks, content_type="application/octet-stream"
    )


async def test_a_streamed_body_arrives_whole_with_its_length(
    autojump_clock: trio.abc.Clock,
) -> None:
    parts = [bytes([i]) * 70_000 for i in range(3)]
    async with call_centre() as cc:

        async def big(request: HttpRequest) -> HttpResponse:
            return _streamed(parts, sum(map(len, parts)))

        cc.app.server.routes["/big"] = big
        status, headers, body = await cc.http("/big")
        assert (status, headers["content-length"]) == (200, "210000")
        assert body == b"".join(parts)


async def test_head_announces_the_length_and_sends_no_body(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with call_centre() as cc:

        async def big(request: HttpRequest) -> HttpResponse:
            return HttpResponse(status=200, length=123_456, chunks=None)

        cc.app.server.routes["/big"] = big
        status, headers, body = await cc.http("/big", method="HEAD")
        assert (status, headers["content-length"], body) == (200, "123456", b"")


async def test_a_body_shorter_than_announced_is_cut_not_padded(
    autojump_clock: trio.abc.Clock,
) -> None:
    # The file went away between the length being taken and the last chunk: the
    # client must see a truncated transfer, not a complete-looking short one.
    async with call_centre() as cc:

        async def short(request: HttpRequest) -> HttpResponse:
            return _streamed([b"x" * 1000], 5000)

        cc.app.server.routes["/short"] = short
        with pytest.raises(h11.RemoteProtocolError):
            await cc.http("/short")
