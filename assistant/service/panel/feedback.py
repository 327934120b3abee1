"""`POST /v1/feedback` and `POST /panel/send`: what an agent did with what the panel showed.

Every use / edit / send / dismiss of a suggestion, and every cue marked wrong, becomes one
`FeedbackRecord` (what was shown: index version, entry ids, ranks, scores; what was chosen; the
edited text; the agent; the time to choose), written through the app's `Recorder` before the
answer. A send is also the agent's real reply: recorded with its outcome (used / edited / not
used, `learning.reply_outcomes`) beside the feedback.

Feedback is stored only when it links to what the shop's records hold (a user test found invented
ids stored as real, counted by the analytics and learned from): the shop is the token's (a body
naming another is a 403 on `shop`; open access and the operator act for the shop named, as with
`/v1/suggest`), the message is one the shop recorded in that conversation (422 on `message_id`,
or on `conversation_id` for a message of another conversation), and the suggestion acted on was
shown for that message, or is an entry of the snapshot the shop serves now (422 on `entry_id`).
One store lookup per feedback (`RecordStore.known_message`); the snapshot is read only for an
entry that was not shown (the message was suggested for again since).

A cue of a message is marked wrong once (a user test found a second click stored again, counted
twice by the stats and learned from twice): a repeat answers 200 with the first mark's id and
`already_recorded`, and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from aiohttp import web

from assistant.emotion.types import CUE_NAMES
from assistant.learning.agents import agent_label
from assistant.service import keys
from assistant.service.api import json_bytes, read_json
from assistant.service.auth import Principal, authenticate
from assistant.service.core import IncomingMessage
from assistant.service.errors import BadGateway, Forbidden, ServiceUnavailable, Unprocessable
from assistant.service.platforms.chatwoot.routing import ANY_ACCOUNT, ChatwootShop, chatwoot_shops, route
from assistant.service.schemas import IdIn, NonEmpty, decode, id_text, is_blank
from assistant.storage.protocols import UnknownShop
from assistant.storage.recorder import RecordsNotStored
from assistant.storage.records import FeedbackRecord
from assistant.suggest.registry import ShopNotReady

Short = Annotated[str, msgspec.Meta(max_length=200)]


class ShownIn(msgspec.Struct):
    """One suggestion that was on screen."""

    entry_id: Short
    rank: Annotated[int, msgspec.Meta(ge=1, le=100)]
    score: float


class FeedbackBody(msgspec.Struct, forbid_unknown_fields=False):
    """Body of `POST /v1/feedback` (and of `POST /panel/send`, whose action is always `send`)."""

    # ids as a platform sends them, a JSON integer too (read as text: `conversation_id`, `message_id`)
    conversation_given: Annotated[
        IdIn, msgspec.Meta(description="conversation id (an integer is taken as its decimal string)")
    ] = msgspec.field(name="conversation_id")
    message_given: Annotated[
        IdIn, msgspec.Meta(description="message id (an integer is taken as its decimal string)")
    ] = msgspec.field(name="message_id")
    action: Annotated[
        Literal["use", "edit", "send", "dismiss", "cue_wrong"],
        msgspec.Meta(description="use, edit (then use), send, dismiss a suggestion; cue_wrong marks a cue"),
    ]
    index_version: Short = ""
    entry_id: Annotated[Short, msgspec.Meta(description="the suggestion acted on (empty for a cue)")] = ""
    rank: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=100,
            description="required for every action but cue_wrong: the rank of the suggestion acted on, "
            "1 first (for cue_wrong: left out, or 0)",
        ),
    ] = 0  # a default only for cue_wrong; `_check` refuses it for the others
    score: float = 0.0
    text: Annotated[str, msgspec.Meta(max_length=4000, description="the text used or sent, as edited")] = ""
    cue: Annotated[
        Short, msgspec.Meta(description="the cue marked wrong (cue_wrong): one of " + ", ".join(CUE_NAMES))
    ] = ""
    elapsed_ms: Annotated[float, msgspec.Meta(ge=0, description="from display to this action")] | None = None
    shown: Annotated[list[ShownIn], msgspec.Meta(max_length=50, description="what was on screen")] = []
    agent: Annotated[Short, msgspec.Meta(description="the agent, as the Chatwoot appContext names them")] = ""
    shop: (
        Annotated[NonEmpty, msgspec.Meta(description="the shop; absent: the token's (another shop's: 403)")] | None
    ) = None

    @property
    def conversation_id(self) -> str:
        return id_text(self.conversation_given, "conversation_id")

    @property
    def message_id(self) -> str:
        return id_text(self.message_given, "message_id")


class FeedbackAccepted(msgspec.Struct):
    ok: bool
    id: str
    already_recorded: Annotated[
        bool,
        msgspec.Meta(
            description="cue_wrong only: this cue of this message was marked wrong before (the first mark's id; "
            "nothing stored again)"
        ),
    ] = False


class SendAccepted(msgspec.Struct):
    ok: bool
    id: str
    chatwoot_message_id: int | None


def _check(body: FeedbackBody) -> None:
    _ = (body.conversation_id, body.message_id)  # a bad id is a 422 naming it, before anything else
    if body.action == "cue_wrong":
        if not body.cue:
            raise Unprocessable.on("cue", "name the cue marked wrong")
        if body.cue not in CUE_NAMES:  # a user test stored `bogus`, counted, and it moved the thresholds
            raise Unprocessable.on("cue", f"{body.cue!r} is no cue: one of {', '.join(CUE_NAMES)}")
        return
    if not body.entry_id:
        raise Unprocessable.on("entry_id", f"name the suggestion the agent chose to {body.action}")
    if body.rank < 1:
        raise Unprocessable.on("rank", f"required for {body.action}: the rank of the suggestion acted on, 1 first")
    if body.action in ("edit", "send") and is_blank(body.text):
        raise Unprocessable.on("text", f"the text to {body.action} must not be empty")


def acting_shop(body: FeedbackBody, principal: Principal) -> str:
    """The shop the feedback is for: the token's; a body naming another is a 403 on `shop` (open
    access and the operator act for the shop named, as `/v1/suggest` does)."""
    shop = body.shop or principal.shop
    principal.require_shop(shop)
    return shop


async def check_links(app: web.Application, shop: str, body: FeedbackBody) -> None:
    """The message is one `shop` recorded in that conversation, and the suggestion named (`_check`
    says which actions must name one) was shown for it or is an entry of the snapshot the shop
    serves; else a 422 naming the field."""
    known = await app[keys.STORE].known_message(shop, body.conversation_id, body.message_id)
    if known is None:
        raise Unprocessable.on(
            "message_id", f"shop {shop!r} has recorded no message {body.message_id!r}: name a message it suggested for"
        )
    if known.conversation_id != body.conversation_id:
        raise Unprocessable.on(
            "conversation_id",
            f"message {body.message_id!r} is not in conversation {body.conversation_id!r} of shop {shop!r}",
        )
    if not body.entry_id or body.entry_id in known.shown or await _serves(app, shop, body.entry_id):
        return
    raise Unprocessable.on(
        "entry_id",
        f"{body.entry_id!r} was not shown for message {body.message_id!r} and is no entry of shop {shop!r}'s index",
    )


async def _serves(app: web.Application, shop: str, entry_id: str) -> bool:
    """Whether the snapshot `shop` serves now has the entry (False while it serves none)."""
    try:
        suggester = await app[keys.INDEX].get(shop)
    except (UnknownShop, ShopNotReady):
        return False
    return entry_id in suggester.ranker.entry_rows()


def _agent(named: str, principal: Principal) -> str:
    """The agent acting: as the panel names them (Chatwoot's currentAgent), else the token, as
    客服 + the start of its id (`agent_label`: how the admin page and the report name agents);
    empty in open access (shown as 未署名客服)."""
    if not named.strip() and not principal.token_id:
        return ""
    return agent_label(named, principal.token_id or "")


def feedback_record(body: FeedbackBody, principal: Principal, shop: str) -> FeedbackRecord:
    return FeedbackRecord(
        id=uuid.uuid4().hex,
        shop=shop,
        conversation_id=body.conversation_id,
        message_id=body.message_id,
        action=body.action,
        index_version=body.index_version,
        agent=_agent(body.agent, principal),
        entry_id=body.entry_id,
        rank=body.rank,
        score=body.score,
        text=body.text,
        cue=body.cue,
        elapsed_ms=body.elapsed_ms,
        shown=tuple({"entry_id": s.entry_id, "rank": s.rank, "score": s.score} for s in body.shown),
        at=dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
    )


async def store_feedback(app: web.Application, record: FeedbackRecord) -> None:
    """Written before the answer: an acknowledged action is in the store (503 when it is not)."""
    try:
        await app[keys.RECORDER].record(record)
    except RecordsNotStored as exc:
        raise ServiceUnavailable.on("body", "the feedback could not be stored (database busy); retry") from exc


async def feedback(request: web.Request) -> web.Response:
    """Record one agent action on the panel."""
    principal = await authenticate(request, role="agent")
    body = decode(await read_json(request), FeedbackBody)
    shop = acting_shop(body, principal)
    _check(body)
    await check_links(request.app, shop, body)
    if body.action == "cue_wrong":
        first = await _marked_before(request.app, shop, body)
        if first is not None:
            return json_bytes(FeedbackAccepted(ok=True, id=first, already_recorded=True))
    record = feedback_record(body, principal, shop)
    await store_feedback(request.app, record)
    return json_bytes(FeedbackAccepted(ok=True, id=record.id))


async def _marked_before(app: web.Application, shop: str, body: FeedbackBody) -> str | None:
    """The id of the shop's first cue_wrong mark of this cue of this message, or None. A click
    again (or on another replica) answers with it: the store keeps one mark per cue of a message
    (its `write` does not store a repeat, so two clicks at once are stored once too)."""
    wanted = (shop, body.conversation_id, body.message_id, body.cue)
    marks = await app[keys.STORE].feedback(shop, body.conversation_id)
    return next((r.id for r in marks if r.cue_mark == wanted), None)


class SendBody(FeedbackBody, forbid_unknown_fields=False):
    """Body of `POST /panel/send`: the feedback fields, plus where the conversation lives."""

    account_id: Annotated[int, msgspec.Meta(ge=1, description="Chatwoot account (from the appContext)")] | None = None
    inbox_id: Annotated[int, msgspec.Meta(ge=1, description="Chatwoot inbox (from the appContext)")] | None = None


async def chatwoot_targets(app: web.Application, shop: str) -> tuple[list[ChatwootShop], list[ChatwootShop]]:
    """Every shop's Chatwoot settings, and those of `shop` (empty when it takes no deliveries)."""
    shops = chatwoot_shops(await app[keys.STORE].shops(), app[keys.SETTINGS])
    return shops, [s for s in shops if s.shop == shop]


def can_send(mine: list[ChatwootShop]) -> bool:
    return any(s.api_url and s.api_token for s in mine)


async def _target(app: web.Application, shop: str, body: SendBody) -> tuple[ChatwootShop, int]:
    """The shop's Chatwoot settings and the account to post into. The account and inbox come
    from Chatwoot's (unsigned) appContext, so they are checked against the shop's claim: the
    token's shop must be the one a delivery from that (account, inbox) would go to."""
    shops, mine = await chatwoot_targets(app, shop)
    if not mine:
        raise Unprocessable.on("conversation_id", f"shop {shop!r} takes no Chatwoot conversations")
    claimed = next((s.account for s in mine if s.account != ANY_ACCOUNT), "")
    account = str(body.account_id) if body.account_id is not None else claimed
    if not account.isdigit():
        raise Unprocessable.on("account_id", "name the Chatwoot account (the Dashboard App's appContext has it)")
    target = route(shops, account, body.inbox_id)
    if target is None and body.inbox_id is None and any(s.account == account and s.inboxes for s in shops):
        # the account's conversations go by inbox: which one this is decides the shop
        raise Unprocessable.on(
            "inbox_id",
            "name the Chatwoot inbox (the Dashboard App's appContext has it; outside Chatwoot add &inbox=ID"
            " to the panel's address)",
        )
    if target is None or target.shop != shop:
        raise Forbidden.on("account_id", f"this Chatwoot account and inbox are not shop {shop!r}'s")
    if not (target.api_url and target.api_token):
        raise ServiceUnavailable.on(
            "chatwoot",
            "sending needs the shop's chatwoot_api_url and chatwoot_api_token (or HUASHU_CHATWOOT_URL/_API_TOKEN)",
        )
    return target, int(account)


async def send(request: web.Request) -> web.Response:
    """Post the (edited) reply into the Chatwoot conversation, then record it as `send`."""
    principal = await authenticate(request, role="agent")
    body = decode(await read_json(request), SendBody)
    body = msgspec.structs.replace(body, action="send")
    shop = acting_shop(body, principal)
    _check(body)
    if not body.conversation_id.isdigit():
        raise Unprocessable.on("conversation_id", "a Chatwoot conversation id is a number")
    target, account = await _target(request.app, shop, body)
    await check_links(request.app, shop, body)  # before the customer is sent anything
    client = request.app[keys.CHATWOOT]
    message_id = await client.post_reply(
        target.api_url, target.api_token, account, int(body.conversation_id), body.text
    )
    if message_id is None:
        raise BadGateway.on("chatwoot", "Chatwoot refused the message or was unreachable (see the service log)")
    record = feedback_record(body, principal, shop)
    await store_feedback(request.app, record)
    # The agent's real reply, with its outcome, now: Chatwoot's echo of it (message_created,
    # outgoing) finds both recorded and adds it to the conversation's turns.
    reply = IncomingMessage(
        platform="chatwoot",
        shop=shop,
        conversation_id=body.conversation_id,
        message_id=str(message_id),
        text=body.text,
        sender="agent",
        sent_at=dt.datetime.now(dt.UTC),
        sender_kind="agent",
        agent_name=record.agent,
    )
    await request.app[keys.SERVICE].record_reply(reply)
    return json_bytes(SendAccepted(ok=True, id=record.id, chatwoot_message_id=message_id))
