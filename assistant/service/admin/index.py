"""Admin routes of a shop's index: rebuild jobs, snapshots, rollback and pins.

    POST /v1/admin/shops/{shop}/rebuild                        202 {"job": {...}}
    GET  /v1/admin/jobs/{id}                                   the job (state, progress, version, error,
                                                               `resumed_as`: the job that took over one cut short)
    GET  /v1/admin/shops/{shop}/snapshots                      every kept snapshot, active / pinned / stale
    POST /v1/admin/shops/{shop}/snapshots/{version}/activate   rollback (or forward) to a kept snapshot;
                                                               ?restore_knowledge=true puts its knowledge back too
    POST /v1/admin/shops/{shop}/snapshots/{version}/pin        never pruned
    POST /v1/admin/shops/{shop}/snapshots/{version}/unpin

Every route needs an admin token of the shop (auth.py: 401 without, 403 for another shop's
token or an agent token); a job is only shown to its own shop's admins and the operator. A job
that waits says for what (`waiting_behind`): its shop's jobs before it, a builder process (the
process runs `HUASHU_BUILD_PROCESSES` at most) or its embedding turn; how many jobs of its
process go first, and those of them the caller may see (another shop's are only counted: a
shop's admin never learns another shop's name; the operator sees them all).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import msgspec
from aiohttp import web

from assistant.service import keys
from assistant.service.api import json_bytes
from assistant.service.auth import Principal, authenticate
from assistant.service.errors import Conflict, NotFound, Unprocessable
from assistant.storage.protocols import JobRecord, KnowledgeRow, SnapshotRecord, UnknownShop, UnknownSnapshot
from assistant.suggest.rebuild import was_cut_short
from assistant.suggest.registry import ShopNotReady
from assistant.suggest.snapshots import NO_KNOWLEDGE, NoKnowledgeCopy, snapshot_knowledge
from assistant.suggest.staleness import staleness
from assistant.suggest.turns import WaitsFor, jobs_ahead, waits_for


class JobAhead(msgspec.Struct):
    id: str
    shop: str
    state: str
    progress: Annotated[float, msgspec.Meta(ge=0, le=1)]


class WaitingOut(msgspec.Struct):
    jobs: Annotated[
        int,
        msgspec.Meta(
            description="how many jobs go before it: for a queued job, its shop's jobs queued before it; "
            "for one waiting for a builder process, the running builds and the smaller ones waiting too; "
            "for a running one, the smaller builds that embed first"
        ),
    ]
    ahead: Annotated[
        list[JobAhead],
        msgspec.Meta(description="those of them the caller may see (its own shop's; all for the operator)"),
    ]
    waits_for: Annotated[
        WaitsFor,
        msgspec.Meta(
            description="`shop_order` (its shop's jobs before it), `builder_slot` (queued until a builder "
            "process is free, `HUASHU_BUILD_PROCESSES`) or `embedding_turn` (running, smaller builds embed first)"
        ),
    ]


class JobOut(msgspec.Struct):
    id: str
    shop: str
    kind: str
    state: Annotated[str, msgspec.Meta(description="queued, running, done or failed")]
    progress: Annotated[float, msgspec.Meta(ge=0, le=1, description="share of the texts embedded")]
    counts: Annotated[dict[str, int], msgspec.Meta(description="entries per source kind, once done")]
    version: Annotated[str | None, msgspec.Meta(description="the snapshot built, once done")]
    error: Annotated[str | None, msgspec.Meta(description="why it failed")]
    created_at: str
    updated_at: str
    cut_short: Annotated[
        bool,
        msgspec.Meta(
            description="failed because the process building it stopped (a shutdown: `cancelled (shutdown)`; a "
            "killed process whose lease ran out: `interrupted: ...`), not because of its knowledge: the service "
            "builds the shop again (a restarted service, or a live replica), under the job in `resumed_as`"
        ),
    ]
    resumed_as: Annotated[
        str | None,
        msgspec.Meta(
            description="for a job cut short: the job that took over its work, the shop's next job (it read the "
            "knowledge after this job's change, so its snapshot serves it; poll that job instead; cut short in "
            "turn, it names its own). null: not cut short, or nothing has taken over yet"
        ),
    ]
    waiting_behind: Annotated[
        WaitingOut | None,
        msgspec.Meta(description="what it waits for (`GET /v1/admin/jobs/{id}`); null: nothing, or not asked"),
    ] = None


class JobResponse(msgspec.Struct):
    ok: bool
    job: JobOut


class SnapshotOut(msgspec.Struct):
    version: str
    built_at: str
    counts: dict[str, int]
    knowledge_revision: str
    active: bool
    pinned: bool
    stale: Annotated[bool, msgspec.Meta(description="the shop's knowledge changed after this snapshot was built")]
    stale_sources: Annotated[list[str], msgspec.Meta(description="the knowledge files changed since")]


class SnapshotsResponse(msgspec.Struct):
    ok: bool
    shop: str
    knowledge_revision: str
    snapshots: list[SnapshotOut]


class SnapshotResponse(msgspec.Struct):
    ok: bool
    shop: str
    snapshot: SnapshotOut
    restored_rows: Annotated[
        int | None,
        msgspec.Meta(description="with `restore_knowledge=true`: the knowledge rows put back (else null)"),
    ] = None


log = logging.getLogger(__name__)

INDEX_STRUCTS = (JobResponse, SnapshotsResponse, SnapshotResponse)


def job_out(job: JobRecord) -> JobOut:
    return JobOut(
        job.id, job.shop, job.kind, job.state, job.progress, dict(job.counts), job.version, job.error,
        job.created_at, job.updated_at, was_cut_short(job), job.resumed_as or None,
    )  # fmt: skip


async def waiting_out(request: web.Request, principal: Principal, job: JobRecord) -> WaitingOut | None:
    """What `job` waits behind, as `principal` may see it (None: nothing)."""
    wait = waits_for(job)
    if wait is None or not job.owner:
        return None
    ahead = jobs_ahead(job, await request.config_dict[keys.STORE].unfinished_jobs(job.owner))
    if not ahead:
        return None
    shown = [JobAhead(j.id, j.shop, j.state, j.progress) for j in ahead if principal.acts_for(j.shop)]
    return WaitingOut(len(ahead), shown, wait)


async def _snapshot_out(request: web.Request, snapshot: SnapshotRecord, revision: str) -> SnapshotOut:
    found = await staleness(
        request.config_dict[keys.STORE], request.config_dict[keys.SETTINGS].index_dir, snapshot, revision
    )
    return SnapshotOut(
        snapshot.version, snapshot.built_at, dict(snapshot.counts), snapshot.knowledge_revision,
        snapshot.active, snapshot.pinned, found.stale, list(found.sources),
    )  # fmt: skip


def rebuild_wanted(request: web.Request) -> bool:
    """`?rebuild=`: whether a knowledge change starts the rebuild that serves it (the default)."""
    value = request.query.get("rebuild", "true")
    if value not in ("true", "false"):
        raise Unprocessable.on("rebuild", "`true` (the default: start the rebuild that serves the change) or `false`")
    return value == "true"


async def rebuild_soon(request: web.Request, shop: str) -> JobOut:
    """The rebuild that will serve the shop's knowledge as it is now: the shop's job still queued
    in this process, else a new one (404 naming `shop` for an unknown shop)."""
    try:
        return job_out(await request.config_dict[keys.REBUILDER].request(shop))
    except UnknownShop:
        raise NotFound.on("shop", f"no shop {shop!r}") from None


async def rebuild(request: web.Request) -> web.Response:
    """Rebuild the shop's snapshot from its knowledge in the store (a job already queued for the
    shop is answered instead of a second one)."""
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    store = request.config_dict[keys.STORE]
    if await store.shop(shop) is not None and not await store.knowledge_rows(shop):
        raise Conflict.on("knowledge", NO_KNOWLEDGE)
    return json_bytes(JobResponse(True, await rebuild_soon(request, shop)), status=202)


async def job(request: web.Request) -> web.Response:
    """A job's state and progress (only for an admin of the job's shop, or the operator)."""
    principal = await authenticate(request, role="admin")
    found = await request.config_dict[keys.STORE].job(request.match_info["id"])
    if found is None:
        raise NotFound.on("id", "no such job")
    principal.require_shop(found.shop)  # the operator's token is admin of every shop
    out = job_out(found)
    out.waiting_behind = await waiting_out(request, principal, found)
    return json_bytes(JobResponse(True, out))


async def snapshots(request: web.Request) -> web.Response:
    """The shop's kept snapshots, newest first, each saying whether it is active, pinned, stale."""
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    store = request.config_dict[keys.STORE]
    try:
        records = await store.snapshots(shop)
    except UnknownShop:
        raise NotFound.on("shop", f"no shop {shop!r}") from None
    revision = await store.knowledge_revision(shop)
    out = [await _snapshot_out(request, s, revision) for s in records]
    return json_bytes(SnapshotsResponse(True, shop, revision, out))


def _restore_wanted(request: web.Request) -> bool:
    value = request.query.get("restore_knowledge", "false")
    if value not in ("true", "false"):
        raise Unprocessable.on(
            "restore_knowledge", "`true` (put the snapshot's knowledge back too) or `false` (the default)"
        )
    return value == "true"


async def activate(request: web.Request) -> web.Response:
    """Serve this kept snapshot (rollback): verified and loaded first, then a hot swap. With
    `restore_knowledge=true` the store's knowledge becomes the rows the snapshot was built from,
    so the next build (any change, a gap closed, a candidate approved) starts from it instead of
    undoing the rollback; the copy is read and checked before anything changes."""
    shop, version = request.match_info["shop"], request.match_info["version"]
    await authenticate(request, role="admin", shop=shop)
    restore = _restore_wanted(request)
    store = request.config_dict[keys.STORE]
    try:
        if await store.shop(shop) is None:
            raise UnknownShop(shop)
        rows = await _kept_knowledge(request, shop, version) if restore else None
        record = await request.config_dict[keys.INDEX].activate(shop, version)
    except UnknownShop:
        raise NotFound.on("shop", f"no shop {shop!r}") from None
    except UnknownSnapshot:
        raise NotFound.on("version", f"shop {shop!r} has no snapshot {version!r}") from None
    except ShopNotReady as exc:
        raise Conflict.on("version", f"snapshot {version!r} cannot be served: {exc.reason}") from None
    revision = await store.replace_knowledge(shop, rows) if rows is not None else await store.knowledge_revision(shop)
    if rows is not None:
        log.info("knowledge restored", extra={"shop": shop, "version": version, "entries": len(rows)})
    out = await _snapshot_out(request, record, revision)
    return json_bytes(SnapshotResponse(True, shop, out, len(rows) if rows is not None else None))


async def _kept_knowledge(request: web.Request, shop: str, version: str) -> list[KnowledgeRow]:
    """The rows snapshot `version` was built from (404 for an unknown snapshot; 409 without a copy,
    or while a build of the shop is queued or running: a second reading found it undid the restore)."""
    if version not in {s.version for s in await request.config_dict[keys.STORE].snapshots(shop)}:
        raise UnknownSnapshot(version)
    busy = [j for j in await request.config_dict[keys.STORE].jobs(shop, limit=10) if j.state in ("queued", "running")]
    if busy:  # a build of the knowledge being replaced would activate its snapshot after the restore
        raise Conflict.on(
            "restore_knowledge",
            f"job {busy[0].id} of shop {shop!r} is {busy[0].state}: it would serve the knowledge being "
            "replaced once it finishes; restore when it is done",
        )
    index_dir = request.config_dict[keys.SETTINGS].index_dir
    try:
        return await asyncio.to_thread(snapshot_knowledge, index_dir, shop, version)
    except NoKnowledgeCopy as exc:
        raise Conflict.on("restore_knowledge", f"{exc}; activate it without `restore_knowledge`") from None


async def _pin(request: web.Request, pinned: bool) -> web.Response:
    shop, version = request.match_info["shop"], request.match_info["version"]
    await authenticate(request, role="admin", shop=shop)
    store = request.config_dict[keys.STORE]
    try:
        record = await store.pin(shop, version, pinned)
    except UnknownSnapshot:
        raise NotFound.on("version", f"shop {shop!r} has no snapshot {version!r}") from None
    out = await _snapshot_out(request, record, await store.knowledge_revision(shop))
    return json_bytes(SnapshotResponse(True, shop, out))


async def pin(request: web.Request) -> web.Response:
    """Keep this snapshot for ever (pruning never removes a pinned snapshot)."""
    return await _pin(request, True)


async def unpin(request: web.Request) -> web.Response:
    """Let pruning remove this snapshot again once it is old."""
    return await _pin(request, False)


def add_routes(admin: web.Application) -> None:
    admin.router.add_post("/shops/{shop}/rebuild", rebuild)
    admin.router.add_get("/jobs/{id}", job, allow_head=False)
    admin.router.add_get("/shops/{shop}/snapshots", snapshots, allow_head=False)
    admin.router.add_post("/shops/{shop}/snapshots/{version}/activate", activate)
    admin.router.add_post("/shops/{shop}/snapshots/{version}/pin", pin)
    admin.router.add_post("/shops/{shop}/snapshots/{version}/unpin", unpin)
