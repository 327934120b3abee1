"""The agent's side panel: its page and assets, the live stream, and the "try it" preview.

Live push is server-sent events on a plain `StreamResponse`: the panel only ever listens (its
actions are ordinary POSTs with the one error envelope), SSE is plain HTTP through any proxy,
carries the token as a query parameter inside the Chatwoot iframe, and needs no extra
dependency. The panel's script reconnects by itself (with back-off) and shows "offline" while
the service is away; on every (re)connection the stream starts with the conversation's latest
event, so nothing shown is stale after a restart; when the bus has none (a single process that
restarted), with the conversation's last recorded turns instead. `hello` also says whether the
token's shop is ready (`readiness.py`, as `/readyz` for the default shop); while it is not, the
stream re-checks every second and sends a `readiness` event each time that changes, so the panel
shows "not ready" instead of "online" and needs no polling of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web

from assistant.retrieval.types import SuggestRequest, Turn
from assistant.service import keys
from assistant.service.api import json_bytes, read_json
from assistant.service.auth import Principal, authenticate
from assistant.service.conversation_recall import recall
from assistant.service.core import IncomingMessage, SuggestResult, resolve_shop
from assistant.service.errors import Forbidden, ServiceError, ServiceUnavailable, Unprocessable, error_body
from assistant.service.panel import feedback
from assistant.service.panel.bus import Queue
from assistant.service.panel.events import RECALLED_MESSAGES, recalled_events, suggestion_event
from assistant.service.readiness import Readiness, shop_readiness
from assistant.service.schemas import NonEmpty, decode, require_id, require_text
from assistant.storage.protocols import StoreError

log = logging.getLogger("assistant.service.panel")

STATIC = Path(__file__).parent / "static"
HEARTBEAT_S = 15.0
READY_RECHECK_S = 1.0  # how often a stream re-checks a shop that is not ready yet
RETRY_MS = 1000

# The earlier turn /panel/try puts before the typed message.
EARLIER_TURNS: dict[str, tuple[Turn, ...]] = {
    "none": (),
    "calm": (Turn("customer", "你好，想问一下这款什么时候能发货？"), Turn("agent", "亲，一般48小时内发货哦")),
    "angry": (
        Turn("customer", "都三天了还没发货，你们到底怎么回事！"),
        Turn("agent", "亲，非常抱歉，我马上帮您查一下"),
        Turn("customer", "别再敷衍我了，今天不给说法我就投诉！"),
    ),
}


class TryBody(msgspec.Struct, forbid_unknown_fields=False):
    """Body of `POST /panel/try`: a customer message and which earlier turns precede it."""

    text: str
    earlier: Annotated[
        Literal["none", "calm", "angry"], msgspec.Meta(description="a calm or an angry earlier exchange")
    ] = "none"
    shop: (
        Annotated[
            NonEmpty,
            msgspec.Meta(
                description="the shop to try (also `?shop=`); absent: the token's (the operator's: the default "
                "shop); another shop than a shop token's: 403",
            ),
        ]
        | None
    ) = None


def _tried_shop(request: web.Request, body: TryBody, principal: Principal) -> str:
    """The shop /panel/try answers from: the body's or the query's `shop` (422 when they differ),
    else the token's. A shop's token asking for another shop is a 403 naming `shop`; the operator
    (and open access) may ask for any shop, an unknown one being `resolve_shop`'s 404."""
    query = request.query.get("shop")
    if query is not None and not query:
        raise Unprocessable.on("shop", "must not be empty")
    if query is not None and body.shop is not None and query != body.shop:
        raise Unprocessable.on("shop", f"the body names shop {body.shop!r}, the query {query!r}: name one")
    shop = body.shop or query or principal.shop
    require_id(shop, "shop")
    principal.require_shop(shop)
    return shop


def _conversation(request: web.Request) -> str:
    value = request.query.get("conversation", "").strip()
    if not value or len(value) > 200:
        raise Unprocessable.on("conversation", "the conversation to follow: ?conversation=ID (1-200 characters)")
    return value


# Defence in depth behind textContent: only the panel's own script and style run. No
# frame-ancestors: any page may frame the panel (Chatwoot's host is the shop's own).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'"
)


def _page(name: str) -> web.FileResponse:
    response = web.FileResponse(STATIC / name)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def panel_page(request: web.Request) -> web.StreamResponse:
    """The panel (its data comes from the stream, which checks the token)."""
    return _page("panel.html")


async def panel_script(request: web.Request) -> web.StreamResponse:
    return _page("panel.js")


async def panel_labels(request: web.Request) -> web.StreamResponse:
    """The cue and escalation names, shared with the admin page (`/admin/labels.js`)."""
    return _page("labels.js")


async def panel_style(request: web.Request) -> web.StreamResponse:
    return _page("panel.css")


def _frame(kind: str, data: bytes) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n"


Allowed = Callable[[], Awaitable[ServiceError | None]]


async def _relay(
    response: web.StreamResponse, queue: Queue, app: web.Application, readiness: Readiness, allowed: Allowed
) -> None:
    """Write each event of `queue` (`update`) until it ends. While the shop is not ready, re-check
    it every `READY_RECHECK_S` and write a `readiness` event whenever it changes (the build's
    progress too); a comment after `HEARTBEAT_S` without a write keeps proxies from closing it.
    The token is checked again before each event and each comment: once it is revoked, the
    stream says so (`denied`, the error envelope) and ends instead of writing anything more."""
    loop = asyncio.get_running_loop()
    written = loop.time()
    while True:
        try:
            event = await asyncio.wait_for(queue.get(), HEARTBEAT_S if readiness.ready else READY_RECHECK_S)
        except TimeoutError:
            if (readiness.ready or loop.time() - written >= HEARTBEAT_S) and await _denied(response, allowed):
                return
            frame = b""
            if not readiness.ready:
                now = await shop_readiness(app, readiness.shop)
                if now.fields() != readiness.fields():
                    frame = _frame("readiness", json.dumps(now.fields()).encode())
                readiness = now
            if not frame and (readiness.ready or loop.time() - written >= HEARTBEAT_S):
                frame = b": ping\n\n"
            if frame:
                await response.write(frame)
                written = loop.time()
            continue
        if event is None:  # the service is shutting down
            return
        if await _denied(response, allowed):
            return
        await response.write(_frame("update", event))
        written = loop.time()


async def _denied(response: web.StreamResponse, allowed: Allowed) -> bool:
    """Whether the stream's token no longer stands; if so, a last `denied` event says why."""
    problem = await allowed()
    if problem is None:
        return False
    envelope = error_body(problem.status, problem.message, problem.errors)
    await response.write(_frame("denied", json.dumps(envelope, ensure_ascii=False).encode()))
    return True


def _still_allowed(request: web.Request, principal: Principal) -> Allowed:
    """The stream's token checked again, as at its start: None while it stands for the same shop,
    else the error its request would now get (a store that cannot tell is a 503: the panel
    reconnects and asks again)."""

    async def check() -> ServiceError | None:
        try:
            now = await authenticate(request, role="agent")
        except ServiceError as exc:
            return exc
        except StoreError as exc:
            return ServiceUnavailable.on("store", str(exc))
        if now.shop != principal.shop:
            return Forbidden.on("Authorization", f"this token is no longer one of shop {principal.shop!r}")
        return None

    return check


async def _recalled(app: web.Application, shop: str, conversation: str) -> list[bytes]:
    """For a conversation the bus has no event of (the service restarted, or the bus forgot it),
    what the store kept of it (live messages only, as the memory's): the last customer message's
    suggestions and cues as shown, the turns around it (`recalled_events`)."""
    s = app[keys.SETTINGS]
    store = app[keys.STORE]
    try:
        messages = await recall(store, (shop, conversation), s.conversation_ttl_s, RECALLED_MESSAGES, time.time())
        recalled = await recalled_events(store, messages)
    except StoreError as exc:  # the panel starts empty, as before
        log.warning("panel turns not recalled", extra={"shop": shop, "problem": str(exc)})
        return []
    return [msgspec.json.encode(event) for event in recalled]


async def _with_marks(app: web.Application, shop: str, conversation: str, opening: list[bytes]) -> list[bytes]:
    """The opening events, each suggestions event with `marked_wrong`: the cues of its message
    the agents marked 不准 (a panel opened again shows them marked, its banner withdrawn as they
    left it), and `dismissed`: the entry ids of its suggestions the agents dismissed (忽略; a
    panel opened again hides them as a click did), and `sent`: the entry ids of its suggestions
    sent into the conversation (发送; a panel opened again shows them 已发送, their send off, so a
    reload cannot send a reply twice), and `used`: those copied (使用, or 编辑 then 使用; shown 已复制
    again). A dismissal counts while it is the latest action on that suggestion: one used, edited
    or sent after it (from another panel) is shown again; a send stands whatever follows it. One
    store read, only when a suggestions event opens; unchanged when it fails."""
    decoded: list[dict[str, Any]] = [msgspec.json.decode(e) for e in opening]
    if not any(e.get("type") == "suggestions" and not e.get("preview") for e in decoded):
        return opening
    try:
        records = await app[keys.STORE].feedback(shop, conversation)
    except StoreError as exc:
        log.warning("panel cue marks, dismissals and sends not read", extra={"shop": shop, "problem": str(exc)})
        return opening
    marks = [f for f in records if f.action == "cue_wrong"]
    latest = {(f.message_id, f.entry_id): f.action for f in records if f.action != "cue_wrong"}  # oldest first
    out: list[bytes] = []
    for event, raw in zip(decoded, opening, strict=True):
        if event.get("type") != "suggestions" or event.get("preview"):
            out.append(raw)
            continue
        message = event.get("message_id")
        event["marked_wrong"] = sorted({f.cue for f in marks if f.message_id == message})
        event["dismissed"] = sorted(e for (m, e), action in latest.items() if m == message and action == "dismiss")
        event["sent"] = sorted({f.entry_id for f in records if f.action == "send" and f.message_id == message})
        event["used"] = sorted({f.entry_id for f in records if f.action in ("use", "edit") and f.message_id == message})
        out.append(msgspec.json.encode(event))
    return out


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events of one conversation of the token's shop: `hello` (with the shop's
    readiness), then the latest event (or, when the bus has none, the conversation's last recorded
    turns), then every new one (`update`), and `readiness` each time a
    shop not ready yet changes; a comment every 15 s keeps proxies from closing it."""
    principal = await authenticate(request, role="agent")
    conversation = _conversation(request)
    app = request.app
    bus = app[keys.BUS]
    _, mine = await feedback.chatwoot_targets(app, principal.shop)
    readiness = await shop_readiness(app, principal.shop)
    hello = {
        "shop": principal.shop,
        "conversation_id": conversation,
        "can_send": feedback.can_send(mine),
        **readiness.fields(),
    }
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    with contextlib.suppress(ConnectionError):
        async with bus.watch(principal.shop, conversation) as queue:
            latest = await bus.latest(principal.shop, conversation)
            opening = f"retry: {RETRY_MS}\n\n".encode() + _frame("hello", json.dumps(hello).encode())
            shown = [latest] if latest is not None else await _recalled(app, principal.shop, conversation)
            shown = await _with_marks(app, principal.shop, conversation, shown)
            opening += b"".join(_frame("update", e) for e in shown)
            await response.write(opening)
            await _relay(response, queue, app, readiness, _still_allowed(request, principal))
    return response


async def try_message(request: web.Request) -> web.Response:
    """What the panel would show for a typed customer message of the shop asked for (`_tried_shop`);
    nothing is recorded or remembered."""
    principal = await authenticate(request, role="agent")
    app = request.app
    body = decode(await read_json(request), TryBody)
    shop = _tried_shop(request, body, principal)
    text = require_text(body.text, "text", app[keys.SETTINGS].max_text_chars)
    context = EARLIER_TURNS[body.earlier]
    started = time.perf_counter()  # timed as /v1/suggest times it (`SuggestionService.suggest`)
    suggester = await resolve_shop(app[keys.INDEX], shop)
    request_ = SuggestRequest(text, context, app[keys.SETTINGS].suggestions)
    texts = await asyncio.to_thread(suggester.query_texts, request_)  # a follow-up's restating tags words
    vectors, hits = await app[keys.ENCODER].encode(texts)
    encoded = time.perf_counter()
    outcome = await asyncio.to_thread(suggester.rank, request_, vectors)
    done = time.perf_counter()
    message = IncomingMessage("try", shop, "try", "try", text)
    result = SuggestResult.timed(message, outcome, (started, encoded, done), hits)
    return json_bytes(suggestion_event(result, context, preview=True))


def add_panel_routes(app: web.Application) -> None:
    app.router.add_get("/panel", panel_page, allow_head=False)
    app.router.add_get("/panel/try", panel_page, allow_head=False)
    app.router.add_get("/panel/panel.js", panel_script, allow_head=False)
    app.router.add_get("/panel/labels.js", panel_labels, allow_head=False)
    app.router.add_get("/panel/panel.css", panel_style, allow_head=False)
    app.router.add_get("/panel/events", events, allow_head=False)
    app.router.add_post("/panel/try", try_message)
    app.router.add_post("/panel/send", feedback.send)
    app.router.add_post("/v1/feedback", feedback.feedback)
