"""Whether a shop can be served now: the one answer `/readyz` (the default shop) and the panel's
live stream (the token's shop) both give.

A shop is ready when its suggester is loaded, or loads now from its active snapshot (verified).
Until then `reason` says why not: the start-up could not import or load it, its first snapshot
is being built (`progress` is then the build's, 0-1), nothing has been built yet, or the store
does not know the shop. `/v1/suggest` and the generic webhook answer a shop that is not ready
with the same words (`suggest_when_ready`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from assistant.service import keys
from assistant.service.core import IncomingMessage, SuggestResult, resolve_shop
from assistant.service.errors import FieldError, ServiceError, ServiceUnavailable
from assistant.suggest.pipeline import Suggester
from assistant.suggest.staleness import latest_job


@dataclass(frozen=True, slots=True)
class Readiness:
    """A shop's readiness: its suggester when ready, else why not."""

    shop: str
    suggester: Suggester | None = None
    reason: str = ""
    progress: float | None = None  # the running build's progress while the shop waits for it

    @property
    def ready(self) -> bool:
        return self.suggester is not None

    def fields(self) -> dict[str, Any]:
        """What the panel is told (`hello` and `readiness` events): `ready`, `reason`, `progress`."""
        return {"ready": self.ready, "reason": self.reason or None, "progress": self.progress}


async def shop_readiness(app: web.Application, shop: str) -> Readiness:
    """`shop`'s readiness in `app` (the root app); loads the shop's snapshot on first use."""
    registry = app[keys.INDEX]
    problem = registry.problems.get(shop)
    if problem is not None and shop not in registry.loaded():
        return Readiness(shop, reason=f"index not loaded: {problem}")
    try:
        return Readiness(shop, await resolve_shop(registry, shop))
    except ServiceError as exc:
        progress = await _first_build(app, shop)
        if progress is not None:
            return Readiness(shop, reason=_building(shop, progress), progress=progress)
        return Readiness(shop, reason=exc.message)


def _building(shop: str, progress: float) -> str:
    return f"index not loaded: shop {shop!r} is building its first snapshot ({progress:.0%})"


async def _first_build(app: web.Application, shop: str) -> float | None:
    """The progress of the shop's build while one is queued or running, else None."""
    job = await latest_job(app[keys.STORE], shop)
    return job.progress if job is not None and job.state in ("queued", "running") else None


async def suggest_when_ready(app: web.Application, message: IncomingMessage) -> SuggestResult:
    """The service's answer to `message`; a shop with nothing to serve yet while its first build
    runs is a 503 saying so, with the build's progress, as `/readyz` says it (not "no snapshot
    has been built yet")."""
    try:
        return await app[keys.SERVICE].suggest(message)
    except ServiceUnavailable as exc:
        registry = app[keys.INDEX]
        if not any(e.field == "index" for e in exc.errors) or message.shop in registry.problems:
            raise
        progress = await _first_build(app, message.shop)
        if progress is None:
            raise
        reason = _building(message.shop, progress)
        raise ServiceUnavailable(reason, [FieldError("index", reason)], exc.headers) from None
