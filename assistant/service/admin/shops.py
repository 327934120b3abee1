"""Shop routes of the admin API.

    POST /v1/admin/shops          create a shop (the operator's token only), optionally with its
                                  knowledge files, whose first build starts at once (`job`;
                                  `?rebuild=false` stores only); answers its first admin token,
                                  shown once
    GET  /v1/admin/shops/{shop}   the shop, its settings (secrets hidden), its knowledge and
                                  its active snapshot (stale when the knowledge changed since)
    PATCH /v1/admin/shops/{shop}  change its settings (the operator's token only): merged into
                                  the stored ones, `null` removes a key; served at once
    DELETE /v1/admin/shops/{shop}?confirm={shop}
                                  delete the shop and everything of it (the operator's token only;
                                  never the default shop the service serves)

Who may create shops or change their settings: only the operator, who holds `HUASHU_ADMIN_TOKEN`
(a process setting, not a shop's token). A shop's admin token is a tenant's: it never creates or
sees another shop, and it never changes its own settings (it could point another tenant's
Chatwoot account or inboxes at its shop).

A settings change applies without a restart: Chatwoot routing and the auto-approve rule read the
settings from the store on every delivery and pass; the threshold is taken when a snapshot is
loaded, so this replica's registry is told at once (`ShopRegistry.apply_settings`) and the other
replicas re-read it in the poll that follows the store's snapshots (`HUASHU_INDEX_POLL_S`).

A deletion is complete: one store transaction removes the shop, its knowledge, snapshot records,
jobs, tokens and its whole history (messages, suggestions, feedback, answers, reply outcomes);
then its folder under the index (snapshots and embedding cache) goes. Its builds running here
are cancelled first; this replica stops serving it at once, the others at their next poll (their
registry drops a shop the store no longer has).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Annotated, Any

import msgspec
from aiohttp import web

from assistant.knowledge.files import SHOP_FILE, shop_name
from assistant.knowledge.loader import KnowledgeError
from assistant.knowledge.uploads import empty_uploads, merge_uploads
from assistant.service import keys
from assistant.service.admin.index import JobOut, rebuild_soon, rebuild_wanted
from assistant.service.admin.shop_settings import pairing_problems, settings_problems, shown
from assistant.service.api import json_bytes, read_json
from assistant.service.auth import Principal, authenticate
from assistant.service.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from assistant.service.platforms.chatwoot.routing import chatwoot_shops, claim_conflict
from assistant.service.schemas import decode
from assistant.storage.protocols import SHOP_ID, KnowledgeRow, ShopExists, ShopRecord, UnknownShop
from assistant.suggest.shop_deletion import delete_shop_everywhere

log = logging.getLogger("assistant.service.admin.shops")

SECRET_HINTS = ("secret", "token", "password", "key")


class CreateShopBody(msgspec.Struct, forbid_unknown_fields=True):
    """Body of `POST /v1/admin/shops`."""

    shop: Annotated[str, msgspec.Meta(description="shop id: lowercase letters, digits, - and _ (at most 63)")]
    name: Annotated[
        str,
        msgspec.Meta(
            max_length=200,
            description="display name (default: shop.yaml's, else the id), without spaces at its ends; with a "
            "shop.yaml in `files` that has a `name`, it must be that name (a 422 naming both otherwise: the "
            "shop.yaml names the shop)",
        ),
    ] = ""
    settings: Annotated[
        dict[str, Any], msgspec.Meta(description="the shop's own settings (threshold, Chatwoot account, ...)")
    ] = msgspec.field(default_factory=dict)
    files: Annotated[
        dict[str, str] | None,
        msgspec.Meta(description="its knowledge: path (`faq/pre_sale.yaml`) -> file text; validated first"),
    ] = None


class SettingsBody(msgspec.Struct, forbid_unknown_fields=True):
    """Body of `PATCH /v1/admin/shops/{shop}`."""

    settings: Annotated[
        dict[str, Any],
        msgspec.Meta(
            description="merged into the shop's settings; a key set to null is removed (threshold, "
            "chatwoot_account, chatwoot_inboxes, chatwoot_webhook_secret, auto_approve_agents, "
            "webhook_secret, webhook_secret_previous, ...; any other key is refused, naming the key meant)"
        ),
    ]


class KnowledgeOut(msgspec.Struct):
    revision: str
    rows: int
    files: Annotated[dict[str, int], msgspec.Meta(description="rows per knowledge file")]


class SnapshotOut(msgspec.Struct):
    version: str
    built_at: str
    counts: dict[str, int]
    pinned: bool
    stale: Annotated[bool, msgspec.Meta(description="the knowledge changed after this snapshot was built")]


class ShopOut(msgspec.Struct):
    shop: str
    name: str
    created_at: str
    settings: Annotated[dict[str, Any], msgspec.Meta(description="secrets shown as `***`")]
    knowledge: KnowledgeOut
    active_snapshot: SnapshotOut | None


class ShopResponse(msgspec.Struct):
    ok: bool
    shop: ShopOut


class CreatedShop(msgspec.Struct):
    ok: bool
    shop: ShopOut
    admin_token: Annotated[str, msgspec.Meta(description="the new shop's first admin token, shown only once")]
    job: Annotated[
        JobOut | None,
        msgspec.Meta(description="the first build of its knowledge (none without files or with `?rebuild=false`)"),
    ] = None
    warnings: Annotated[
        list[str],
        msgspec.Meta(
            description="what to look at again: each file of `files` that holds nothing (empty, comments only), "
            "skipped beside the others (`files` that all hold nothing are a 422)"
        ),
    ] = msgspec.field(default_factory=list)


class DeletedShop(msgspec.Struct):
    ok: bool
    shop: str
    deleted: Annotated[
        dict[str, int],
        msgspec.Meta(description="rows deleted per table: knowledge, snapshots, jobs, tokens and every record kind"),
    ]
    cancelled_jobs: Annotated[list[str], msgspec.Meta(description="its rebuilds this replica cancelled")]
    files_removed: Annotated[
        bool, msgspec.Meta(description="its folder under the index (snapshots, cache) was removed")
    ]
    conversations_forgotten: Annotated[
        int,
        msgspec.Meta(
            description="its conversations forgotten from the conversation memory (Redis with HUASHU_REDIS_URL, "
            "else this process's)"
        ),
    ] = 0
    conversations_left: Annotated[
        str | None,
        msgspec.Meta(
            description="why the shop's conversations, panel events or deliveries seen in Redis were not forgotten "
            "(Redis down): they expire by their time-to-live; null when none were left"
        ),
    ] = None


async def existing_shop(request: web.Request, shop: str) -> ShopRecord:
    """The shop, or 404 naming `shop` (ask only after the caller was allowed this shop)."""
    record: ShopRecord | None = await request.config_dict[keys.STORE].shop(shop)
    if record is None:
        raise NotFound.on("shop", f"no shop {shop!r}")
    return record


def _hidden(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: ("***" if v and any(h in k.lower() for h in SECRET_HINTS) else v) for k, v in shown(settings).items()}


async def shop_out(request: web.Request, record: ShopRecord) -> ShopOut:
    store = request.config_dict[keys.STORE]
    rows = await store.knowledge_rows(record.shop)
    revision = await store.knowledge_revision(record.shop)
    active = await store.active_snapshot(record.shop)
    snapshot = None
    if active is not None:
        stale = active.knowledge_revision != revision
        snapshot = SnapshotOut(active.version, active.built_at, active.counts, active.pinned, stale)
    files = dict(sorted(Counter(r.file for r in rows).items()))
    knowledge = KnowledgeOut(revision, len(rows), files)
    return ShopOut(record.shop, record.name, record.created_at, _hidden(record.settings), knowledge, snapshot)


def _check_settings(settings: dict[str, Any], outcome: str, *, whole: dict[str, Any] | None = None) -> None:
    """422 naming every wrong key of `settings` (a shop's, or a change to them), then every key
    that `whole` (the shop's settings once changed; `settings` when not given) may not hold
    together."""
    problems = settings_problems(settings) or pairing_problems(settings if whole is None else whole)
    if problems:
        errors = [FieldError(field, problem) for field, problem in problems]
        raise Unprocessable(f"{len(problems)} problem(s) in the settings; {outcome}", errors)


async def _check_claims(request: web.Request, shop: str, settings: dict[str, Any]) -> None:
    """409 naming `settings.chatwoot_inboxes` (or `settings.chatwoot_account` for a whole
    account) when the shop's Chatwoot claim, `settings` being all its settings, takes what
    another shop claims: its deliveries would go to whichever the store lists first; 422 for
    inboxes without an account (a claim that never routes)."""
    app_settings = request.config_dict[keys.SETTINGS]
    mine = chatwoot_shops([ShopRecord(shop, shop, settings)], app_settings)[:-1]
    if not mine:
        if settings.get("chatwoot_inboxes"):
            raise Unprocessable.on(
                "settings.chatwoot_inboxes",
                "inboxes belong to an account: set chatwoot_account too (without it no delivery comes)",
            )
        return
    others = chatwoot_shops([r for r in await request.config_dict[keys.STORE].shops() if r.shop != shop], app_settings)
    found = claim_conflict(others, mine[0])
    if found is not None:
        other, what = found
        field = "settings.chatwoot_inboxes" if mine[0].inboxes else "settings.chatwoot_account"
        raise Conflict.on(field, f"shop {other!r} claims {what} already: a delivery can go to one shop only")


def _operator_only(principal: Principal, what: str) -> None:
    if not principal.operator:
        raise Forbidden.on("Authorization", f"only the operator's token (HUASHU_ADMIN_TOKEN) {what}")


def _created_name(body: CreateShopBody, rows: list[KnowledgeRow]) -> str:
    """The new shop's name: its shop.yaml's `name` (every upload of the shop.yaml names the shop
    after it) or the body's `name`, else its id. 422 naming both when they differ: a user test's
    shop was created 壳先生 beside a shop.yaml saying 壳先生手机壳店, without a word, and the next
    upload of that shop.yaml renamed it. The name is stripped first: "壳先生手机壳店 " was stored with
    its space (a second reading)."""
    in_file, given = shop_name(rows), body.name.strip()  # stripped, as the shop.yaml's is
    if given and in_file and given != in_file:
        said = f"name {given!r} differs from the name in its shop.yaml ({in_file!r})"
        errors = [
            FieldError("name", f"{said}: the shop.yaml names the shop (every upload of it renames the shop)"),
            FieldError(f"files.{SHOP_FILE}", f"{SHOP_FILE}: name: {in_file!r}, not {given!r} as `name` says"),
        ]
        raise Unprocessable(
            f"{said}; no shop was created: leave `name` out, or make it and the shop.yaml's `name` the same", errors
        )
    return given or in_file or body.shop


async def create_shop(request: web.Request) -> web.Response:
    """A new shop (201) with its knowledge and a first admin token; the operator's token only."""
    _operator_only(await authenticate(request, role="admin"), "creates shops")
    wanted = rebuild_wanted(request)
    body = decode(await read_json(request), CreateShopBody)
    if not SHOP_ID.match(body.shop):
        raise Unprocessable.on(
            "shop", "lowercase letters, digits, - and _, starting with a letter or digit (at most 63)"
        )
    _check_settings(body.settings, "no shop was created")
    store = request.config_dict[keys.STORE]
    if await store.shop(body.shop) is not None:
        raise Conflict.on("shop", f"shop {body.shop!r} already exists")
    await _check_claims(request, body.shop, body.settings)
    rows: list[KnowledgeRow] = []
    warnings: list[str] = []
    if body.files is not None:
        uploads = {name: text.encode("utf-8") for name, text in body.files.items()}
        try:
            rows = await asyncio.to_thread(merge_uploads, [], uploads, replace_all=True)
            warnings = empty_uploads([], uploads)
        except KnowledgeError as exc:
            errors = [FieldError(f"files.{p.split(':', 1)[0]}", p) for p in exc.problems]
            raise Unprocessable(
                f"{len(exc.problems)} problem(s) in the knowledge; no shop was created", errors
            ) from None
    name = _created_name(body, rows)
    try:
        record = await store.create_shop(body.shop, name, body.settings)
    except ShopExists:
        raise Conflict.on("shop", f"shop {body.shop!r} already exists") from None
    if rows:
        await store.replace_knowledge(body.shop, rows)
    _, secret = await request.config_dict[keys.TOKENS].create_token(body.shop, "admin")
    job = await rebuild_soon(request, body.shop) if rows and wanted else None
    return json_bytes(CreatedShop(True, await shop_out(request, record), secret, job, warnings), status=201)


async def show_shop(request: web.Request) -> web.Response:
    """The shop, its knowledge and its active snapshot."""
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    record = await existing_shop(request, shop)
    return json_bytes(ShopResponse(True, await shop_out(request, record)))


async def change_settings(request: web.Request) -> web.Response:
    """Merge settings into the shop's (null removes a key); the operator's token only. Served at
    once: this replica's loaded suggester takes the threshold now, the others at their next poll."""
    shop = request.match_info["shop"]
    _operator_only(await authenticate(request, role="admin", shop=shop), "changes a shop's settings")
    body = decode(await read_json(request), SettingsBody)
    _check_settings(body.settings, "nothing was changed", whole={})
    current = await existing_shop(request, shop)
    merged = {k: v for k, v in {**current.settings, **body.settings}.items() if v is not None}
    _check_settings(body.settings, "nothing was changed", whole=merged)
    await _check_claims(request, shop, merged)
    try:
        record = await request.config_dict[keys.STORE].update_shop_settings(shop, body.settings)
    except UnknownShop:
        raise NotFound.on("shop", f"no shop {shop!r}") from None
    request.config_dict[keys.INDEX].apply_settings(record)
    log.info("shop settings changed", extra={"shop": shop, "keys": sorted(body.settings)})
    return json_bytes(ShopResponse(True, await shop_out(request, record)))


def _confirmed(request: web.Request, shop: str) -> None:
    """422 naming `confirm` unless `?confirm=` repeats the shop id: a script's slip (a wrong
    variable, a loop over shops) cannot delete a shop."""
    confirm = request.query.get("confirm")
    if confirm is None:
        raise Unprocessable.on("confirm", f"deleting a shop needs ?confirm={shop} (its id repeated)")
    if confirm != shop:
        raise Unprocessable.on("confirm", f"{confirm!r} is not the shop's id {shop!r}: nothing was deleted")


async def delete_shop(request: web.Request) -> web.Response:
    """Delete the shop and everything of it; the operator's token only, `?confirm=` the shop id,
    never the default shop (409 naming `shop`)."""
    shop = request.match_info["shop"]
    _operator_only(await authenticate(request, role="admin", shop=shop), "deletes shops")
    _confirmed(request, shop)
    state = request.config_dict
    settings = state[keys.SETTINGS]
    if shop == settings.default_shop:
        raise Conflict.on(
            "shop", f"shop {shop!r} is the default shop this service serves (HUASHU_DEFAULT_SHOP): it is kept"
        )
    await existing_shop(request, shop)
    cancelled = await state[keys.REBUILDER].cancel_shop(shop)
    try:
        traces = (state[keys.BUS], state[keys.DELIVERIES])
        deletion = await delete_shop_everywhere(state[keys.STORE], settings.index_dir, shop, state[keys.MEMORY], traces)
    except UnknownShop:  # deleted meanwhile by another call (or `huashu shop delete`)
        raise NotFound.on("shop", f"no shop {shop!r}") from None
    state[keys.INDEX].drop(shop)
    log.warning(
        "shop deleted",
        extra={
            "shop": shop,
            "deleted": deletion.rows,
            "files": deletion.files,
            "conversations": deletion.conversations,
            "conversations_left": deletion.conversations_left,
            "cancelled_jobs": cancelled,
        },
    )
    gone = DeletedShop(
        True,
        shop,
        deletion.rows,
        cancelled,
        deletion.files is not None,
        deletion.conversations or 0,
        deletion.conversations_left,
    )
    return json_bytes(gone)


def add_routes(admin: web.Application) -> None:
    admin.router.add_post("/shops", create_shop)
    admin.router.add_get("/shops/{shop}", show_shop, allow_head=False)
    admin.router.add_patch("/shops/{shop}", change_settings)
    admin.router.add_delete("/shops/{shop}", delete_shop)
