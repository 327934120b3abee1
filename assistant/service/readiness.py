"""Whether a shop can be served now: the one answer `/readyz` (the default shop) and the panel's
live stream (the token's shop) both give.

A shop is ready when its suggester is loaded, or loads now from its active snapshot (verified).
Until then `reason` says why not: the start-up could not import or load it, its first snapshot
is being built (`progress` is then the build's, 0-1), nothing has been built yet, or the store
does not know the shop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from assistant.service import keys
from assistant.service.core import resolve_shop
from assistant.service.errors import ServiceError
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
        job = await latest_job(app[keys.STORE], shop)
        if job is not None and job.state in ("queued", "running"):
            reason = f"index not loaded: shop {shop!r} is building its first snapshot ({job.progress:.0%})"
            return Readiness(shop, reason=reason, progress=job.progress)
        return Readiness(shop, reason=exc.message)
