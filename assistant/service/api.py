"""The synchronous API: `POST /v1/suggest`, health, readiness, metrics, OpenAPI.

Handlers are thin: check the body, build an `IncomingMessage`, call the service, answer JSON.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from aiohttp import web

from assistant.retrieval.types import Role, Turn
from assistant.service import keys
from assistant.service.auth import authenticate
from assistant.service.core import IncomingMessage, SuggestResult
from assistant.service.errors import (
    Conflict,
    RequestTimeout,
    Unprocessable,
    UnsupportedMediaType,
)
from assistant.service.logging import request_id
from assistant.service.readiness import suggest_when_ready
from assistant.service.schemas import (
    SuggestBody,
    SuggestResponse,
    TimingOut,
    decode,
    emotion_out,
    encode,
    id_text,
    ignored_fields,
    require_id,
    require_text,
    suggestion_out,
)
from assistant.service.settings import Settings
from assistant.storage.protocols import StoreError

log = logging.getLogger("assistant.service")


async def read_json(request: web.Request) -> bytes:
    """The raw body of a JSON request (415 for another content type or a charset other than UTF-8,
    413 past the limit, 408 when it does not arrive within `body_timeout_s`: a client that stops
    sending keeps no connection)."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType.on(
            "Content-Type", f"expected application/json, got {request.content_type or 'nothing'}"
        )
    charset = request.charset
    if charset is not None and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise UnsupportedMediaType.on("Content-Type", f"only UTF-8 bodies are accepted, got charset={charset}")
    try:
        async with asyncio.timeout(request.config_dict[keys.SETTINGS].body_timeout_s):  # sub-apps too
            return await request.read()
    except TimeoutError:  # the error middleware closes its connection after the 408
        raise RequestTimeout.on("body", "the request body did not arrive in time") from None


@dataclass(frozen=True, slots=True)
class Received:
    """A message as the service takes it, with what its caller is told about it."""

    message: IncomingMessage
    warnings: tuple[str, ...] = ()
    long: bool = False  # a customer message longer than `HUASHU_MAX_TEXT_CHARS` (accepted from a webhook)


def text_limit(settings: Settings, sender: Role, *, webhook: bool) -> int:
    """The longest text accepted from `sender`: an agent's reply (recorded, never ranked) and what
    a platform's webhook delivers (what its users typed: refusing it would lose it) up to
    `HUASHU_MAX_REPLY_CHARS`; a customer text on `/v1/suggest` up to `HUASHU_MAX_TEXT_CHARS`
    (its caller can shorten it)."""
    return settings.recorded_chars if webhook or sender == "agent" else settings.max_text_chars


def long_text_warning(field: str, text: str, limit: int) -> str:
    """What the caller is told of a customer text longer than `HUASHU_MAX_TEXT_CHARS`."""
    return (
        f"`{field}` has {len(text)} characters, more than HUASHU_MAX_TEXT_CHARS ({limit}): recorded whole; "
        "the suggestions come from its beginning and its end (the middle is left out), as much as the model "
        "reads (`truncated`)"
    )


def truncated_warning(field: str, text: str) -> str:
    """What the caller of `/v1/suggest` is told of a customer text the model had to cut (it is
    within `HUASHU_MAX_TEXT_CHARS`, longer than the model's maximum sequence length): as
    `long_text_warning` says it of a webhook's longer one, so `truncated` is never unexplained."""
    return (
        f"`{field}` has {len(text)} characters, more than the model reads: the suggestions come from its "
        "beginning and its end (the middle is left out), as much as the model reads (`truncated`)"
    )


def answer_warnings(raw: bytes, received: Received, result: SuggestResult) -> list[str]:
    """The warnings of an answer to a suggest body (`/v1/suggest`, the generic webhook): fields not
    read, what receiving the message noted, and a text the model had to cut."""
    warnings = [*ignored_fields(raw), *received.warnings]
    if result.truncated and not received.long:
        warnings.append(truncated_warning("message.text", received.message.text))
    return warnings


FUTURE_SLACK = dt.timedelta(minutes=5)
"""How far ahead of this clock a platform's `message.time` may be (clocks differ a little)."""


def sent_time(raw: dt.datetime | None, warnings: list[str]) -> dt.datetime | None:
    """`message.time`, or None (the time it is received is used) when it lies in the future past
    `FUTURE_SLACK`: a customer message dated 2999 would come after every reply of its conversation
    in time order, and no reply would be matched to it (a user test). A time without a zone is UTC."""
    if raw is None:
        return None
    aware = raw if raw.tzinfo is not None else raw.replace(tzinfo=dt.UTC)
    if aware - dt.datetime.now(dt.UTC) <= FUTURE_SLACK:
        return raw
    warnings.append(f"`message.time` {raw.isoformat()} is in the future: the time it was received is used")
    return None


def received_from(body: SuggestBody, platform: str, settings: Settings, default_shop: str) -> Received:
    """The normalised message of a `SuggestBody` (texts checked: not blank, not longer than
    `text_limit`, turns too; `k` at most `HUASHU_MAX_SUGGESTIONS`; no `shop`: the default
    shop). A customer message longer than `HUASHU_MAX_TEXT_CHARS` (a webhook's) gets a warning,
    so does a `message.time` in the future (`sent_time`)."""
    webhook = platform != "api"
    sender = body.message.sender
    text = require_text(body.message.text, "message.text", text_limit(settings, sender, webhook=webhook))
    max_k = settings.max_suggestions
    if body.k is not None and body.k > max_k:
        raise Unprocessable.on("k", f"at most {max_k} suggestions (HUASHU_MAX_SUGGESTIONS), not {body.k}")
    turns = None
    if body.turns is not None:
        turns = tuple(
            Turn(t.role, require_text(t.text, f"turns.{i}.text", text_limit(settings, t.role, webhook=webhook)))
            for i, t in enumerate(body.turns)
        )
    conversation_id = id_text(body.conversation_id, "conversation_id")
    message_id = id_text(body.message.id, "message.id")
    if body.shop is not None:
        require_id(body.shop, "shop")
    if body.message.agent_id:
        require_id(body.message.agent_id, "message.agent_id")
    warnings: list[str] = []
    message = IncomingMessage(
        platform=platform,
        shop=body.shop or default_shop,
        conversation_id=conversation_id,
        message_id=message_id,
        text=text,
        sender=sender,
        sent_at=sent_time(body.message.time, warnings),
        turns=turns,
        k=body.k,
        agent_id=body.message.agent_id or "",
        agent_name=body.message.agent_name or "",
    )
    if sender == "agent" or len(text) <= settings.max_text_chars:
        return Received(message, tuple(warnings))
    return Received(message, (long_text_warning("message.text", text, settings.max_text_chars), *warnings), long=True)


def log_long_message(message: IncomingMessage, limit: int, **context: object) -> None:
    """Say (INFO, no text) that a customer message longer than `limit` was accepted."""
    log.info(
        "long message recorded whole",
        extra={
            "platform": message.platform,
            "shop": message.shop,
            "conversation": message.conversation_id,
            "message_id": message.message_id,
            "chars": len(message.text),
            "max_text_chars": limit,
            **context,
        },
    )


async def suggest_received(app: web.Application, received: Received) -> SuggestResult:
    """`suggest_when_ready` for `received.message` (the whole text is recorded; the model reads
    its beginning and its end), logging an over-long one."""
    if received.long:
        log_long_message(received.message, app[keys.SETTINGS].max_text_chars)
    return await suggest_when_ready(app, received.message)


async def refuse_reused_id(app: web.Application, message: IncomingMessage, *, held: bool) -> bool:
    """409 on `message.id` when this conversation's message of that id was recorded with another
    text or sender: its record would keep the first text while the suggestions shown for it were
    the second's, and acceptance, gaps and learning would read one message's answers as the
    other's; also while another request handles the id and has not recorded it yet (`held`:
    this request could not claim it; ten texts sent at once under one id were all answered, the
    record holding one and the suggestions another). The same message again, once recorded (a
    caller's retry, spaces around it aside), is answered again: True then (it is not remembered as
    a turn twice). A store that cannot tell is logged and the message handled: losing a message is
    worse than a mixed record."""
    try:
        recorded = await app[keys.STORE].recorded_message(
            message.platform, message.shop, message.conversation_id, message.message_id
        )
    except StoreError as exc:
        log.warning("reused message id not checked in the store", extra={"shop": message.shop, "problem": str(exc)})
        return False
    said = f"message {message.message_id!r} of conversation {message.conversation_id!r}"
    if recorded is None and held:
        raise Conflict.on("message.id", f"{said} is being handled by another request: give each message its own id")
    if recorded is not None and (recorded.text.strip(), recorded.role) != (message.text.strip(), message.record_role):
        raise Conflict.on(
            "message.id",
            f"{said} was recorded with another text or sender: give each message its own id (the same "
            "message again is answered again)",
        )
    return recorded is not None


def response_of(result: SuggestResult, warnings: Sequence[str] = ()) -> SuggestResponse:
    m = result.message
    return SuggestResponse(
        ok=True,
        shop=m.shop,
        conversation_id=m.conversation_id,
        message_id=m.message_id,
        recorded=m.sender,
        suggestions=[suggestion_out(s) for s in result.suggestions],
        emotion=emotion_out(result.reading),
        answerable=result.answerable,
        index_version=result.index_version,
        timing=TimingOut(
            round(result.total_ms, 2),
            round(result.encode_ms, 2),
            round(result.rank_ms, 2),
            result.cache_hits,
        ),
        request_id=request_id(),
        truncated=result.truncated,
        warnings=list(warnings),
    )


def json_bytes(payload: object, status: int = 200) -> web.Response:
    return web.Response(body=encode(payload), status=status, content_type="application/json")


async def suggest(request: web.Request) -> web.Response:
    """Ranked reply suggestions and emotion cues for one customer message."""
    app = request.app
    principal = await authenticate(request, role="agent")  # before the body is parsed
    raw = await read_json(request)
    body = decode(raw, SuggestBody)
    shop = body.shop or principal.shop  # no `shop`: the token's shop (open mode: the default shop)
    principal.require_shop(shop)  # a shop's token writes only into its own shop
    received = received_from(body, "api", app[keys.SETTINGS], shop)
    message = received.message
    held = ("api", message.shop, message.conversation_id, message.message_id)  # one request at a time per id
    deliveries = app[keys.DELIVERIES]
    claimed = await deliveries.claim(held)
    try:
        if await refuse_reused_id(app, message, held=not claimed):
            received = replace(received, message=replace(message, repeat=True))
        result = await suggest_received(app, received)
    except BaseException:
        if claimed:
            await deliveries.release(held)  # a failure is retryable
        raise
    if claimed:
        await deliveries.settle(held)
    return json_bytes(response_of(result, answer_warnings(raw, received, result)))


async def healthz(request: web.Request) -> web.Response:
    """The process is up (says nothing about the index)."""
    return web.json_response({"ok": True, "status": "alive"})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition of this app's registry."""
    registry = request.app[keys.METRICS]
    registry.queue_depth.set(request.app[keys.ENCODER].queue_depth)
    response = web.Response(body=registry.render())
    response.content_type = "text/plain"
    response.headers["Content-Type"] = registry.content_type
    return response


async def openapi(request: web.Request) -> web.Response:
    """This API described in OpenAPI 3.1."""
    return web.json_response(request.app[keys.OPENAPI])
