"""Graceful shutdown: between SIGTERM (or SIGINT) and the exit, nothing already accepted is dropped.

`serve_until_signalled` runs the app through aiohttp's `AppRunner`. On the first signal:

1. the listening socket closes: a new connection is refused;
2. `begin_shutdown`: `/readyz` answers 503 and the panels' streams end at once (they reconnect to
   a replica that is up);
3. the requests being handled are finished, for `HUASHU_SHUTDOWN_GRACE_S` at most, and their
   connections still read: a request whose body is still arriving gets it. This wait comes before
   aiohttp's own (`AppRunner.cleanup`), because aiohttp 3.14 stops reading every connection the
   moment its shutdown begins (`RequestHandler.data_received` drops data once `close()` or
   `shutdown()` was called), so a request in flight whose body was not all in yet waited for it
   until `HUASHU_BODY_TIMEOUT_S` and answered 408. A request answered meanwhile closes its
   connection (`Connection: close`), so keep-alive clients move to another replica. The requests
   still running at the end of the grace period are cut;
4. aiohttp's runner closes the idle connections, waits for what came in its last instant, then
   runs the cleanup contexts: `drain_ctx` (last, so first to leave) gives the work a request
   handed off (a Chatwoot delivery is answered at once, its suggestions and note come after: an
   acknowledged delivery is not sent again, so cancelling it lost its note) what is left of the
   grace period before `background_ctx` cancels it, and says in one line how the drain went;
   then the store, the bus, the model and the background loops close.

A repeated signal does not cut the drain short (a wrapper or a terminal may deliver SIGINT twice;
under `web.run_app` the second one cancelled every request in flight and skipped the cleanup):
the grace period bounds the wait, SIGKILL still stops at once. Under aiohttp's test server the
same hook and context run (`on_shutdown`, cleanup), only step 3 is aiohttp's own wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from aiohttp import web

from assistant.service import keys
from assistant.service.panel.live import close_bus

log = logging.getLogger("assistant.service.shutdown")

SIGNALS = (signal.SIGTERM, signal.SIGINT)
KEEPALIVE_S = 75.0  # as `web.run_app`


async def begin_shutdown(app: web.Application) -> None:
    """The app's `on_shutdown` hook, also called by `serve_until_signalled` as soon as it stops
    listening (a second call does nothing): `/readyz` answers 503 from now on, the drain is timed
    and the panels' streams end."""
    if app[keys.IN_FLIGHT].begin():
        await close_bus(app)


@contextlib.asynccontextmanager
async def drain_ctx(app: web.Application) -> AsyncIterator[None]:
    """The last cleanup context, so the first to leave: by then the requests are finished (or
    cut). The work they handed off gets what is left of the grace period (what still runs after
    it is cancelled by `background_ctx`), then one line says how the drain went."""
    yield
    in_flight = app[keys.IN_FLIGHT]
    if not in_flight.draining:  # a start-up that failed: nothing was served
        return
    background = app[keys.BACKGROUND]
    handed_off = len(background)
    unfinished = await background.drain(in_flight.remaining_s())
    log.info(
        "shutdown drained",
        extra={
            "requests": in_flight.waited_for,
            "requests_cut": in_flight.cut,
            "background": handed_off,
            "background_cut": unfinished,
            "seconds": round(in_flight.elapsed_s(), 3),
            "grace_s": in_flight.grace_s,
        },
    )


async def serve_until_signalled(app: web.Application) -> None:
    """Serve `app` on its settings' host and port until SIGTERM or SIGINT, then shut down as the
    module says. A start-up or listening error propagates (after the cleanup of what started)."""
    settings = app[keys.SETTINGS]
    in_flight = app[keys.IN_FLIGHT]
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()

    def on_signal(sig: signal.Signals) -> None:
        if stopping.is_set():
            log.warning("already shutting down; SIGKILL stops at once", extra={"signal": sig.name})
            return
        log.info(
            "shutting down",
            extra={"signal": sig.name, "requests": in_flight.active, "grace_s": settings.shutdown_grace_s},
        )
        stopping.set()

    for sig in SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        runner = web.AppRunner(
            app, access_log=None, keepalive_timeout=KEEPALIVE_S, shutdown_timeout=settings.shutdown_grace_s
        )
        await runner.setup()
        try:
            if not stopping.is_set():  # a signal during start-up: clean up at once
                site = web.TCPSite(runner, settings.host, settings.port)
                await site.start()
                await stopping.wait()
                await site.stop()
                await begin_shutdown(app)
                await in_flight.drain()
        finally:
            await runner.cleanup()
    finally:
        for sig in SIGNALS:
            loop.remove_signal_handler(sig)
