"""The live bus's lifetime on the app: in this process, or on Redis for several replicas."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from assistant.service import keys
from assistant.service.panel.bus import LocalBus, RedisBus


@contextlib.asynccontextmanager
async def bus_ctx(app: web.Application) -> AsyncIterator[None]:
    s = app[keys.SETTINGS]
    if not s.redis_url:
        app[keys.BUS] = LocalBus(s.conversations_max)
        yield
        return
    link = app[keys.REDIS]
    bus = RedisBus(link, s.conversation_ttl_s, max_conversations=s.conversations_max)
    app[keys.BUS] = bus
    listener = asyncio.get_running_loop().create_task(bus.listen(), name="panel-bus")
    try:
        if link.up:  # a degraded start serves this replica's panels; the listener catches up
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await bus.wait_subscribed()
        yield
    finally:
        bus.close()
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener


async def close_bus(app: web.Application) -> None:
    """On shutdown, end every panel's stream (they reconnect to whichever replica is up)."""
    bus = app.get(keys.BUS)
    if bus is not None:
        bus.close()
