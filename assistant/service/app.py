"""`create_app(settings)`: the one pure factory of the suggestion service.

No I/O and no environment reading here: it wires routes, the sub-apps, middlewares and one
cleanup context per resource (`resources.py`: model thread, store, index, shared state, query
encoder, HTTP client, suggestion service, background tasks; `shutdown.py`: the drain of what is in
flight when the service stops); each context tears down only what it started. Tests and `huashu
serve` may hand in a model worker or a suggester they already own; those are never closed by the
app.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from assistant import __version__
from assistant.service import api, keys, resources
from assistant.service.admin.app import PREFIX as ADMIN_PREFIX
from assistant.service.admin.app import create_admin_app
from assistant.service.admin.page import add_admin_page
from assistant.service.batching import ModelWorker
from assistant.service.errors import ClientClosed, error_middleware
from assistant.service.in_flight import InFlight
from assistant.service.logging import bind_request_id
from assistant.service.metrics import ServiceMetrics
from assistant.service.openapi import openapi_document
from assistant.service.panel.live import bus_ctx
from assistant.service.panel.routes import add_panel_routes
from assistant.service.platforms.chatwoot.webhook import chatwoot_webhook
from assistant.service.platforms.generic import generic_webhook
from assistant.service.query_params import query_middleware
from assistant.service.readiness import readyz
from assistant.service.settings import Settings
from assistant.service.shutdown import begin_shutdown, drain_ctx
from assistant.suggest.pipeline import EmotionReader, Suggester

access = logging.getLogger("assistant.service.access")


@web.middleware
async def request_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Request id in, request id out; one access log line and the request metrics. Counted in
    flight while it runs (a shutdown waits for it); answered during a shutdown, it closes its
    connection."""
    rid = bind_request_id(request.headers.get("X-Request-Id"))
    started = time.perf_counter()
    in_flight = request.app[keys.IN_FLIGHT]
    with in_flight.track(request.task):
        response: web.StreamResponse = await handler(request)
    if in_flight.draining:
        response.force_close()
    elapsed = time.perf_counter() - started
    response.headers["X-Request-Id"] = rid
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    metrics = request.app[keys.METRICS]
    metrics.requests.labels(route=route, method=request.method, status=str(response.status)).inc()
    metrics.latency.labels(route=route).observe(elapsed)
    if response.status == ClientClosed.status:
        metrics.client_closed.inc()
    access.info(
        "request",
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status,
            "ms": round(elapsed * 1000, 2),
        },
    )
    return response


def create_app(
    settings: Settings,
    *,
    model: ModelWorker | None = None,
    suggester: Suggester | None = None,
    detector: EmotionReader | None = None,
    suggesters: Mapping[str, Suggester] | None = None,
) -> web.Application:
    """The service, ready for `web.run_app` or aiohttp's test client. Pure: no I/O here.

    `suggester` serves the default shop and `suggesters` other shops, as handed in (tests): such
    shops need not exist in the store and are never evicted. Every other shop is loaded from
    the store's active snapshot on first use."""
    shops = dict(suggesters or {})
    if suggester is not None:
        shops[settings.default_shop] = suggester
    app = web.Application(
        middlewares=[request_middleware, error_middleware, query_middleware],
        client_max_size=settings.max_body_bytes,
    )
    app[keys.SETTINGS] = settings
    app[keys.METRICS] = ServiceMetrics()
    app[keys.METRICS].watch_shops(lambda: app.get(keys.INDEX), settings.default_shop)
    app[keys.OPENAPI] = openapi_document(__version__)
    app[keys.IN_FLIGHT] = InFlight(settings.shutdown_grace_s)
    app.cleanup_ctx.extend(
        [
            resources.model_context(settings, model),
            resources.store_ctx,
            resources.index_context(settings, shops, detector),
            resources.shared_state_ctx,
            resources.encoder_ctx,
            resources.chatwoot_ctx,
            bus_ctx,
            resources.service_context(),
            resources.background_ctx,
            drain_ctx,  # last: leaves first, once aiohttp has finished the requests in flight
        ]
    )
    app.router.add_post("/v1/suggest", api.suggest)
    app.router.add_post("/v1/webhooks/generic", generic_webhook)
    app.router.add_post("/v1/webhooks/chatwoot", chatwoot_webhook)
    app.router.add_get("/healthz", api.healthz, allow_head=False)
    app.router.add_get("/readyz", readyz, allow_head=False)
    app.router.add_get("/metrics", api.metrics, allow_head=False)
    app.router.add_get("/openapi.json", api.openapi, allow_head=False)
    add_panel_routes(app)
    add_admin_page(app)
    app.add_subapp(ADMIN_PREFIX, create_admin_app())
    app.on_shutdown.append(begin_shutdown)  # the panels' streams end (close_bus)
    return app
