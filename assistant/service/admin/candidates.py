"""Candidate replies in the admin API: what agents wrote where the library had nothing, or that
rewrote a suggestion heavily, waiting for an admin.

    GET  /v1/admin/shops/{shop}/candidates?days=30&status=pending&limit=50
    POST /v1/admin/shops/{shop}/candidates/{candidate}/approve   as sent, or edited by the body;
                                                                 {"replaces": ENTRY}: as ENTRY's new answer
    POST /v1/admin/shops/{shop}/candidates/{candidate}/reject
    POST /v1/admin/shops/{shop}/candidates/auto-approve          {"agents": N}: the N-agents rule, once
    GET  /v1/admin/shops/{shop}/candidates/rule                  the rule applied on its own
    PUT  /v1/admin/shops/{shop}/candidates/rule                  {"agents": N | null} (null: off)

Every route needs an admin token of the shop it names. The work is `learning.candidate_review`
(shared with `huashu candidates`); an approved reply is a validated FAQ row of
`faq/approved_replies.yaml` in the shop's knowledge, citing where it came from; approving starts
the shop's rebuild (`job` in the answer), so the entry is served once that job is done. A heavy
edit may instead replace the answer of the entry it rewrote (`replaces`): that entry keeps its id,
wordings, tags and file, so the old and the new answer are not both served.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, TypeVar

import msgspec
from aiohttp import web

from assistant.knowledge.loader import KnowledgeError
from assistant.learning import candidate_review as review
from assistant.learning.faq_drafts import FaqDraft
from assistant.learning.shop_candidates import APPROVED_CATEGORY, ShopCandidate
from assistant.service import keys
from assistant.service.admin.analytics import Text, checked_stage, entry_texts
from assistant.service.admin.index import JobOut, rebuild_soon
from assistant.service.admin.shops import existing_shop
from assistant.service.api import json_bytes, read_json
from assistant.service.auth import authenticate
from assistant.service.auto_approval import RULE_DAYS, SETTING, auto_approve_rule
from assistant.service.errors import Conflict, FieldError, NotFound, Unprocessable
from assistant.service.schemas import decode
from assistant.storage.protocols import StoreError, UnknownShop
from assistant.suggest.registry import ShopNotReady

Days = Annotated[int, msgspec.Meta(ge=1, le=365, description="the window the candidate was listed from")]
log = logging.getLogger("assistant.service.admin.candidates")

T = TypeVar("T")
STATUSES = ("pending", "approved", "rejected", "all")


class CandidateOut(msgspec.Struct):
    """One candidate reply with where it came from."""

    id: Annotated[str, msgspec.Meta(description="approve or reject it with POST .../candidates/{id}/...")]
    reply: str
    reason: Annotated[str, msgspec.Meta(description="unanswerable (nothing answered the message) or heavy_edit")]
    source: Annotated[str, msgspec.Meta(description="where it came from, as the published entry cites it")]
    wordings: Annotated[list[str], msgspec.Meta(description="the customers' wordings it answered")]
    agents: list[str]
    count: int
    edited_entries: Annotated[list[str], msgspec.Meta(description="for a heavy edit: the entries it rewrote")]
    conversations: list[str]
    last_seen: str
    status: Annotated[str, msgspec.Meta(description="pending, approved or rejected")]
    stage: Annotated[
        str,
        msgspec.Meta(
            description="the stage its entry is published at when the approval gives none: the stage of "
            "the entries it rewrote, else of the entries suggested for the messages it answered (the "
            "closest in the knowledge), else pre_sale"
        ),
    ]


class CandidatesResponse(msgspec.Struct):
    ok: bool
    shop: str
    days: int
    candidates: list[CandidateOut]


class ApproveBody(msgspec.Struct, forbid_unknown_fields=True):
    """Body of `POST .../approve` (may be empty): what to change before publishing (edit)."""

    answer: Text | None = None
    question: Text | None = None
    variants: Annotated[list[Text], msgspec.Meta(min_length=1, max_length=50)] | None = None
    stage: (
        Annotated[
            str,
            msgspec.Meta(
                description="pre_sale, in_sale or after_sale; absent: the candidate's own `stage` (inferred "
                "from the entries it rewrote or its customers' wordings are closest to)"
            ),
        ]
        | None
    ) = None
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    tags: Annotated[list[str], msgspec.Meta(min_length=1, max_length=20)] = msgspec.field(
        default_factory=lambda: ["other"]
    )
    days: Days = 30
    replaces: (
        Annotated[
            str,
            msgspec.Meta(
                min_length=1,
                max_length=200,
                description=(
                    "for a heavy edit: the id of the entry it rewrote (one of edited_entries), whose answer "
                    "becomes the reply (or `answer`), keeping the entry's id, wordings, tags and file, "
                    "instead of a new entry beside it; the other fields are then ignored"
                ),
            ),
        ]
        | None
    ) = None


class DecideBody(msgspec.Struct, forbid_unknown_fields=True):
    days: Days = 30


class AutoApproveBody(msgspec.Struct, forbid_unknown_fields=True):
    agents: Annotated[int, msgspec.Meta(ge=1, le=1000, description="approve replies sent by this many agents")]
    days: Days = 30


class RuleBody(msgspec.Struct, forbid_unknown_fields=True):
    """Body of `PUT .../candidates/rule`: the shop setting `auto_approve_agents`."""

    agents: (
        Annotated[
            int,
            msgspec.Meta(
                ge=1, le=1000, description="approve on their own the replies sent by this many different agents"
            ),
        ]
        | None
    )  # null: off


class RuleResponse(msgspec.Struct):
    ok: bool
    shop: str
    agents: Annotated[int | None, msgspec.Meta(description="the rule's N; null when the rule is off")]
    days: Annotated[int, msgspec.Meta(description="the records each pass reads")]


class ApprovedOut(msgspec.Struct):
    candidate: CandidateOut
    entry: dict[str, Any]
    file: str
    knowledge_revision: str


class ApprovedResponse(msgspec.Struct):
    ok: bool
    shop: str
    approved: list[ApprovedOut]
    job: Annotated[
        JobOut | None,
        msgspec.Meta(description="the rebuild that serves the approved entries (none when nothing was approved)"),
    ] = None


class RejectedResponse(msgspec.Struct):
    ok: bool
    shop: str
    candidate: CandidateOut


def _out(c: ShopCandidate) -> CandidateOut:
    return CandidateOut(
        c.id, c.reply, c.reason, c.source, list(c.wordings), list(c.agents), c.count,
        list(c.edited_entries), list(c.conversations), c.last_seen, c.status, c.stage,
    )  # fmt: skip


def _approved(a: review.Approved) -> ApprovedOut:
    return ApprovedOut(_out(a.candidate), a.entry, a.file, a.knowledge_revision)


async def _body(request: web.Request, type_: type[T], empty: T) -> T:
    raw = await request.read()
    return decode(await read_json(request), type_) if raw.strip() else empty


async def _shown_texts(request: web.Request, shop: str) -> dict[str, str]:
    """Texts of what the service may show the shop beside the knowledge (its quick replies);
    none while the shop has no snapshot to serve."""
    try:
        suggester = await request.config_dict[keys.INDEX].get(shop)
    except (UnknownShop, ShopNotReady):
        return {}
    return entry_texts(suggester)


async def relearn(request: web.Request, shop: str) -> None:
    """A decision changes what the shop's learning offers (a decided reply is no quick reply):
    this process relearns now, other replicas on their next refresh (nothing when learning is
    off)."""
    learner = request.config_dict[keys.LEARNER]
    if not learner.enabled:
        return
    try:
        await learner.refresh(shop, force=True)
    except StoreError as exc:
        log.error("shop learning not refreshed", extra={"shop": shop, "problem": str(exc)})


async def list_candidates(request: web.Request) -> web.Response:
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    days, limit = _int(request, "days", 30, 365), _int(request, "limit", 50, 500)
    status = request.query.get("status", "pending")
    if status not in STATUSES:
        raise Unprocessable.on("status", f"one of {', '.join(STATUSES)}")
    found = await review.list_candidates(request.config_dict[keys.STORE], shop, days, await _shown_texts(request, shop))
    listed = [_out(c) for c in found if status in ("all", c.status)][:limit]
    return json_bytes(CandidatesResponse(True, shop, days, listed))


def _int(request: web.Request, name: str, default: int, most: int) -> int:
    raw = request.query.get(name, str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise Unprocessable.on(name, f"a whole number from 1 to {most}")
    return int(raw)


async def approve(request: web.Request) -> web.Response:
    """Publish a candidate as a FAQ entry: as agents sent it, or as the body edits it."""
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    body = await _body(request, ApproveBody, ApproveBody())
    if body.stage is not None:
        checked_stage(body.stage)
    category = body.category or APPROVED_CATEGORY
    chosen = FaqDraft(body.answer, body.question, body.variants, body.stage, category, tuple(body.tags))
    store = request.config_dict[keys.STORE]
    try:
        done = await review.approve(store, shop, request.match_info["candidate"], body.days, chosen, body.replaces)
    except (review.UnknownCandidate, review.AlreadyDecided) as exc:
        raise _decision_error(exc) from None
    except review.UnknownEntry as exc:
        raise NotFound.on("replaces", str(exc)) from None
    except review.NotRewritten as exc:
        raise Unprocessable.on("replaces", str(exc)) from None
    except ValueError as exc:
        raise Unprocessable.on("answer", str(exc)) from None
    except KnowledgeError as exc:
        raise Unprocessable(exc.problems[0], [FieldError("body", p) for p in exc.problems]) from None
    await relearn(request, shop)
    job = await rebuild_soon(request, shop)
    return json_bytes(ApprovedResponse(True, shop, [_approved(done)], job), status=201)


async def reject(request: web.Request) -> web.Response:
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    body = await _body(request, DecideBody, DecideBody())
    try:
        found = await review.reject(request.config_dict[keys.STORE], shop, request.match_info["candidate"], body.days)
    except (review.UnknownCandidate, review.AlreadyDecided) as exc:
        raise _decision_error(exc) from None
    await relearn(request, shop)
    return json_bytes(RejectedResponse(True, shop, _out(found)))


async def auto_approve(request: web.Request) -> web.Response:
    """The optional rule: approve, as sent, every pending reply sent by `agents` different agents."""
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    body = decode(await read_json(request), AutoApproveBody)
    try:
        done = await review.auto_approve(request.config_dict[keys.STORE], shop, body.agents, body.days)
    except KnowledgeError as exc:
        raise Unprocessable(exc.problems[0], [FieldError("body", p) for p in exc.problems]) from None
    if done:
        await relearn(request, shop)
    job = await rebuild_soon(request, shop) if done else None
    return json_bytes(ApprovedResponse(True, shop, [_approved(a) for a in done], job))


async def show_rule(request: web.Request) -> web.Response:
    """The shop's N-agents rule, applied after each agent's reply (off unless set)."""
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    record = await existing_shop(request, shop)
    return json_bytes(RuleResponse(True, shop, auto_approve_rule(record.settings), RULE_DAYS))


async def set_rule(request: web.Request) -> web.Response:
    """Turn the N-agents rule on (N) or off (null) for the shop; it applies from the next reply."""
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    body = decode(await read_json(request), RuleBody)
    await existing_shop(request, shop)
    await request.config_dict[keys.STORE].update_shop_settings(shop, {SETTING: body.agents})
    if body.agents is not None:  # what already meets the rule is approved now, not at the next reply
        request.config_dict[keys.AUTO_APPROVER].reply_recorded(shop)
    return json_bytes(RuleResponse(True, shop, body.agents, RULE_DAYS))


def _decision_error(exc: Exception) -> Exception:
    if isinstance(exc, review.AlreadyDecided):
        return Conflict.on("candidate", str(exc))
    return NotFound.on("candidate", str(exc))


def add_routes(admin: web.Application) -> None:
    admin.router.add_get("/shops/{shop}/candidates", list_candidates, allow_head=False)
    admin.router.add_post("/shops/{shop}/candidates/auto-approve", auto_approve)
    admin.router.add_get("/shops/{shop}/candidates/rule", show_rule, allow_head=False)
    admin.router.add_put("/shops/{shop}/candidates/rule", set_rule)
    admin.router.add_post("/shops/{shop}/candidates/{candidate}/approve", approve)
    admin.router.add_post("/shops/{shop}/candidates/{candidate}/reject", reject)
