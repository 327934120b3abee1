"""Whether a shop can be served now: the one answer `/readyz` (the default shop) and the panel's
live stream (the token's shop) both give.

A shop is ready when its suggester is loaded, or loads now from its active snapshot (verified).
Until then `reason` says why not and what comes next: the start-up could not import or load it,
its first snapshot is being built (the job, and `progress`, the build's, 0-1), nothing has been
built yet (built by this service within its index poll, or by `huashu admin rebuild SHOP`), its
first build failed, its active snapshot does not load (a damaged file) and no kept snapshot does
(what was found, and the rebuild queued to replace it: `broken_reason`), or the store does not know
the shop. `/v1/suggest` and the generic webhook answer a shop that is not ready with the same words
(`suggest_when_ready`).

`/readyz` (`readyz`) is the default shop's readiness, with every shop whose active snapshot does
not load here under `shops` (served from an older kept snapshot, or not at all). A load balancer
reads its status code: 503 only while the default shop cannot be served (or the service stops);
another shop's broken snapshot is the same on every replica sharing the index, so pulling this
replica out would help nothing and take the healthy shops down with it: 200, `"status":
"degraded"`, the shop named with the reason and its rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from assistant.service import keys
from assistant.service.core import IncomingMessage, SuggestResult, resolve_shop
from assistant.service.errors import FieldError, ServiceError, ServiceUnavailable
from assistant.storage.protocols import JobRecord, StoreError, revision_of
from assistant.suggest.pipeline import Suggester
from assistant.suggest.rebuild import builds_by_itself, first_build_within_s
from assistant.suggest.registry import SnapshotFailure, broken_reason
from assistant.suggest.staleness import latest_job, stale_shops


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
    if problem is not None and shop not in registry.loaded() and shop not in registry.failures:
        return Readiness(shop, reason=f"index not loaded: {problem}")
    try:
        return Readiness(shop, await resolve_shop(registry, shop))
    except ServiceError as exc:
        return await _broken(app, shop) or await _not_built(app, shop) or Readiness(shop, reason=exc.message)


async def _failure_job(app: web.Application, failure: SnapshotFailure) -> JobRecord | None:
    """The failure's rebuild job as it is now (as it was, when the store cannot tell)."""
    if failure.job is None:
        return None
    try:
        return await app[keys.STORE].job(failure.job.id) or failure.job
    except StoreError:
        return failure.job


async def _broken(app: web.Application, shop: str) -> Readiness | None:
    """`shop`'s active snapshot does not load and no kept snapshot does: what was found and what
    comes next (its rebuild's job as it is now). None when that is not why it is not ready."""
    failure = app[keys.INDEX].failures.get(shop)
    if failure is None or failure.served is not None or shop in app[keys.INDEX].loaded():
        return None
    job = await _failure_job(app, failure)
    progress = job.progress if job is not None and job.state in ("queued", "running") else None
    return Readiness(shop, reason=f"index not loaded: shop {shop!r}: {broken_reason(failure, job)}", progress=progress)


async def broken_shops(app: web.Application) -> dict[str, dict[str, Any]]:
    """The shops whose active snapshot does not load here: the snapshot, why, the kept one served
    instead (None: nothing is served, its requests answer 503 with `reason`), the rebuild job
    replacing it. A shop whose active snapshot changed since is left out (its next use loads it)."""
    registry, store = app[keys.INDEX], app[keys.STORE]
    out: dict[str, dict[str, Any]] = {}
    for shop, failure in sorted(registry.failures.items()):
        try:
            active = await store.active_snapshot(shop)
        except StoreError:
            active = None
        if active is not None and active.version != failure.version:
            continue
        job = await _failure_job(app, failure)
        said = f"shop {shop!r}: {broken_reason(failure, job)}"
        out[shop] = {
            "active": failure.version,
            "served": failure.served,
            "problem": failure.problem,
            "job": job.id if job is not None else None,
            "job_state": job.state if job is not None else None,
            "reason": said if failure.served is not None else f"index not loaded: {said}",
        }
    return out


async def readyz(request: web.Request) -> web.Response:
    """Ready when the default shop can be served (503 in the envelope while it cannot: its first
    build runs, with the build's progress, or its snapshots do not load, with what comes next);
    says which loaded shops serve a stale snapshot, and under `shops` which shops' active snapshot
    does not load here (`"status": "degraded"`, still 200: see the module's words). Also
    `"degraded"` while Redis is down (answers come from this process's state). The panel's stream
    tells each panel the same of its own shop. 503 once a shutdown has begun (the requests in
    flight are being finished)."""
    app = request.app
    if app[keys.IN_FLIGHT].draining:
        raise ServiceUnavailable.on("shutdown", "shutting down: finishing the requests in flight")
    registry = app[keys.INDEX]
    readiness = await shop_readiness(app, app[keys.SETTINGS].default_shop)
    if readiness.suggester is None:
        raise ServiceUnavailable.on("index", readiness.reason)
    suggester = readiness.suggester
    stale = await stale_shops(app[keys.STORE], registry, app[keys.SETTINGS].index_dir)
    shops = await broken_shops(app)
    body: dict[str, object] = {
        "ok": True,
        "status": "degraded" if shops else "ready",
        "index_version": suggester.index_version,
        "shops_loaded": len(registry.loaded()),
        "stale": stale,
        "shops": shops,
    }
    degraded: dict[str, object] = {}
    if shops:
        degraded["shops"] = sorted(shops)
    link = app.get(keys.REDIS)
    if link is not None and not link.up:
        body["status"] = "degraded"
        degraded["redis"] = link.problem
    if degraded:
        body["degraded"] = degraded
    return web.json_response(body)


async def _not_built(app: web.Application, shop: str) -> Readiness | None:
    """Why `shop` has no snapshot yet and what comes next: its first build's job and progress while
    one is queued or running, else whether this service builds it by itself (`builds_by_itself`)
    or an admin must (`huashu admin rebuild`). None when the shop has an active snapshot (it
    could not be loaded: the registry's reason says why) or the store cannot tell."""
    store = app[keys.STORE]
    try:
        if await store.active_snapshot(shop) is not None:
            return None
        job = await latest_job(store, shop)
        revision = await store.knowledge_revision(shop)
    except StoreError:
        return None
    if job is not None and job.state in ("queued", "running"):
        return Readiness(shop, reason=_building(shop, job), progress=job.progress)
    rebuild = f"huashu admin rebuild {shop}"
    if revision == revision_of([]):
        reason = f"it has no knowledge yet: upload some (huashu admin knowledge upload {shop} PATH) and it is built"
    elif job is not None and job.state == "failed" and not builds_by_itself(job, revision):
        reason = f"its last build failed (job {job.id}: {job.error}): fix the knowledge, then run {rebuild}"
    elif not builds_by_itself(job, revision):  # built once, but no snapshot is active
        reason = f"no snapshot is active: run {rebuild}"
    elif within_s := first_build_within_s(app[keys.SETTINGS].index_poll_s):
        reason = f"no snapshot has been built yet: its first build starts within {within_s:g} s (or run {rebuild} now)"
    else:
        reason = f"no snapshot has been built yet: run {rebuild} (HUASHU_INDEX_POLL_S=0: it is not built by itself)"
    return Readiness(shop, reason=f"index not loaded: shop {shop!r}: {reason}")


def _building(shop: str, job: JobRecord) -> str:
    return (
        f"index not loaded: shop {shop!r} is building its first snapshot ({job.progress:.0%}; "
        f"job {job.id}, {job.state}: huashu admin jobs show {job.id})"
    )


async def suggest_when_ready(app: web.Application, message: IncomingMessage) -> SuggestResult:
    """The service's answer to `message`; a shop with nothing to serve yet is a 503 saying what
    comes next, as `/readyz` says it: its first build's job and progress while one runs, when
    this service builds it, or the command that does (not only "no snapshot has been built yet")."""
    try:
        return await app[keys.SERVICE].suggest(message)
    except ServiceUnavailable as exc:
        registry = app[keys.INDEX]
        if not any(e.field == "index" for e in exc.errors):
            raise
        broken = await _broken(app, message.shop)
        if broken is not None:
            raise ServiceUnavailable(broken.reason, [FieldError("index", broken.reason)], exc.headers) from None
        if message.shop in registry.problems:
            raise
        readiness = await _not_built(app, message.shop)
        if readiness is None:
            raise
        raise ServiceUnavailable(readiness.reason, [FieldError("index", readiness.reason)], exc.headers) from None
