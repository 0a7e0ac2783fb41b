from collections.abc import AsyncIterator

import pytest
import trio
import trio.testing

from ctid.testing import CallCentre, call_centre

from .rawclient import RawClient


@pytest.fixture
async def cc() -> AsyncIterator[CallCentre]:
    async with call_centre() as centre:
        yield centre


async def raw_client(
    cc: CallCentre, subprotocols: list[str] | None = None, *, lockstep: bool = False
) -> RawClient:
    """A raw client over memory streams; ``lockstep`` makes the server's writes wait for reads."""
    pair = trio.testing.lockstep_stream_pair if lockstep else trio.testing.memory_stream_pair
    client_stream, server_stream = pair()
    cc.nursery.start_soon(cc.app.server.handle_stream, server_stream)
    client = RawClient(client_stream)
    await client.handshake(subprotocols)
    return client
