"""Analytics routes of the admin API: a shop's statistics, its knowledge gaps, closing a gap.

    GET  /v1/admin/shops/{shop}/stats?days=14       acceptance, coverage, cues, agents, latency
    GET  /v1/admin/shops/{shop}/gaps?days=30&limit=20   and the messages asked once, apart
    POST /v1/admin/shops/{shop}/gaps/{gap}/close    a FAQ entry from the gap, into the knowledge,
                                                    and the rebuild job that serves it
    GET  /v1/admin/me                               the shop and role of the caller's token, and the
                                                    shops it may act on (the admin page's picker)

Every route needs an admin token of the shop it names (`/me` names none). The data are computed by the pure
functions of `assistant.learning.analytics` and `assistant.learning.shop_gaps` from the shop's
records (`RecordStore.history`). A message's vector is the one `/v1/suggest` computed for it when
it is still in the service's query cache (`QueryEncoder.cache`), else one this app computed before
(`GAP_VECTORS`), else it is encoded on the model thread in small batches (live requests
interleave); clustering runs on a worker thread, and the last gaps of each shop are kept on the
admin app until its records or its snapshot change. Whether the active snapshot answers a gap
now (`suggest.answered_gaps`) is ranked with the vectors its wordings were clustered with: no
encoding, once per gap and snapshot version; so is whether it answers a message asked once (in no
gap: `learning.gaps.GapFindings.asked_once`), which the response lists apart from the gaps.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
import numpy as np
from aiohttp import web

from assistant.knowledge.calendar import day_start, last_days
from assistant.knowledge.files import check_rows
from assistant.knowledge.loader import KnowledgeError, entries_of_rows
from assistant.knowledge.model import Stage
from assistant.learning.analytics import ShopStats, shop_stats
from assistant.learning.faq_drafts import FaqDraft
from assistant.learning.gaps import (
    EXAMPLE_CHARS,
    Gap,
    GapRules,
    UnansweredMessage,
    clip_example,
    knowledge_gaps,
)
from assistant.learning.reranking import quick_suggestion
from assistant.learning.shop_candidates import rejected_of
from assistant.learning.shop_gaps import (
    GAP_VARIANTS,
    GAPS_FILE,
    gap_entry_id,
    gap_faq_row,
    gap_id,
    unanswered_messages,
)
from assistant.retrieval.text import cache_key, plain_text
from assistant.retrieval.types import SuggestRequest
from assistant.service import keys
from assistant.service.admin.index import JobOut, job_out, rebuild_soon
from assistant.service.api import json_bytes, read_json
from assistant.service.auth import Principal, authenticate
from assistant.service.batching import QueryVectorCache
from assistant.service.core import resolve_shop
from assistant.service.errors import Conflict, FieldError, NotFound, Unprocessable
from assistant.service.schemas import decode
from assistant.storage.protocols import KnowledgeRow, UnknownShop
from assistant.storage.records import iso
from assistant.suggest.answered_gaps import answered_gaps, gap_wordings, knowledge_centre
from assistant.suggest.pipeline import Suggester
from assistant.suggest.registry import ShopNotReady
from assistant.suggest.snapshots import NO_KNOWLEDGE

ENCODE_BATCH = 64
WORDINGS_LISTED = 50  # a gap's wordings listed (and the most variants a close may choose): the rest counted
# a text the admin writes: a blank one is refused (422 naming it), never replaced by the pre-filled one
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=r"\S", description="not blank")]
STAGES = tuple(s.value for s in Stage)


def checked_stage(stage: str) -> str:
    """The `stage` of a body that makes a FAQ entry; 422 naming `stage` unless it is a stage (the
    loader's own `faq/gaps.yaml:2: stage: ...` was told under `body`, about a file the admin never
    wrote)."""
    if stage not in STAGES:
        raise Unprocessable.on("stage", f"expected one of {', '.join(STAGES)}, got {stage!r}")
    return stage


class ReplyCount(msgspec.Struct):
    text: str
    count: int


class GapOut(msgspec.Struct):
    """One knowledge gap: what customers asked that nothing answered."""

    id: Annotated[str, msgspec.Meta(description="close it with POST .../gaps/{id}/close")]
    count: Annotated[int, msgspec.Meta(description="how many messages asked it")]
    examples: Annotated[
        list[str],
        msgspec.Meta(
            description="customers' wordings, the most typical first; each on one line and cut to "
            f"{EXAMPLE_CHARS} characters, a longer one ending in … (as the weekly report cuts them)"
        ),
    ]
    replies: Annotated[list[ReplyCount], msgspec.Meta(description="what agents actually replied, most common first")]
    suggested_reply: str | None
    last_seen: str
    wordings: Annotated[
        list[str],
        msgspec.Meta(
            description="every distinct wording of the gap's messages (`count` counts the messages: a "
            f"wording asked twice is one), the most typical first, cut as the examples are; at most "
            f"{WORDINGS_LISTED}: the rest are counted in `unlisted_wordings`"
        ),
    ] = msgspec.field(default_factory=list)
    unlisted_wordings: Annotated[
        int,
        msgspec.Meta(
            description=f"distinct wordings past the {WORDINGS_LISTED} listed; closing the gap with "
            f"`unlisted_wordings: true` adds them to the chosen variants (up to {GAP_VARIANTS} in all)"
        ),
    ] = 0


class AskedOnceOut(msgspec.Struct):
    """A message asked once that nothing answered: in no gap until a second customer asks it."""

    text: Annotated[
        str, msgspec.Meta(description=f"the customer's wording, on one line, cut to {EXAMPLE_CHARS} characters")
    ]
    reply: Annotated[str | None, msgspec.Meta(description="the agent's reply to it, null when none was recorded")]
    at: str


class IndexState(msgspec.Struct):
    """Whether the shop has a snapshot to serve: without one, gaps cannot be clustered (nor
    re-asked), and what the admin can do depends on why there is none."""

    state: Annotated[
        str,
        msgspec.Meta(
            description="ready (a snapshot is served), building (its first build is queued or running), "
            "failed (the latest build failed), missing (never built, or its snapshot cannot be read) or "
            "empty (the shop has no knowledge yet: nothing to build)"
        ),
    ]
    job: Annotated[JobOut | None, msgspec.Meta(description="the shop's latest rebuild job, when not ready")] = None
    problem: Annotated[str | None, msgspec.Meta(description="why nothing is served, when not ready")] = None


class GapsResponse(msgspec.Struct):
    ok: bool
    shop: str
    since: str
    unanswered: Annotated[
        int,
        msgspec.Meta(
            description="substantive messages nothing answered in the window, less those of the gaps "
            "closed since and those of the gaps or messages asked once the active snapshot answers now"
        ),
    ]
    gaps: list[GapOut]
    index: IndexState = msgspec.field(default_factory=lambda: IndexState("ready"))
    open_gaps: Annotated[
        int, msgspec.Meta(description="the open gaps in the window: the listed ones and those past the limit")
    ] = 0
    asked_once: Annotated[
        list[AskedOnceOut],
        msgspec.Meta(
            description=f"messages asked once in the window that nothing answered and no gap holds, apart "
            f"from the gaps (not ranked with them): the latest first, at most {GapRules().asked_once}, "
            "those with content words only, less those the active snapshot answers now; one leaves "
            "this list for a gap when a second customer asks it"
        ),
    ] = msgspec.field(default_factory=list)


class CloseGapBody(msgspec.Struct, forbid_unknown_fields=True):
    """Body of `POST .../gaps/{gap}/close` (may be empty): what the new FAQ entry says; every
    field left out is pre-filled from the gap (answer: the agents' most common reply)."""

    answer: Text | None = None
    question: Text | None = None
    variants: Annotated[list[Text], msgspec.Meta(min_length=1, max_length=WORDINGS_LISTED)] | None = None
    unlisted_wordings: Annotated[
        bool,
        msgspec.Meta(
            description="add the gap's wordings past those listed (`unlisted_wordings` of the gap) to the "
            "variants (without `variants`: to the wordings listed, which a close takes then); an entry "
            f"takes at most {GAP_VARIANTS} variants, the first ones"
        ),
    ] = False
    stage: Annotated[str, msgspec.Meta(description="pre_sale, in_sale or after_sale")] = "pre_sale"
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "知识缺口"
    tags: Annotated[list[str], msgspec.Meta(min_length=1, max_length=20)] = msgspec.field(
        default_factory=lambda: ["other"]
    )
    days: Annotated[int, msgspec.Meta(ge=1, le=365, description="the window the gap was listed from")] = 30


class ClosedGap(msgspec.Struct):
    ok: bool
    shop: str
    gap: str
    entry: dict[str, Any]
    file: str
    knowledge_revision: str
    job: Annotated[JobOut, msgspec.Meta(description="the rebuild that serves the entry (GET /v1/admin/jobs/{id})")]


class StatsResponse(msgspec.Struct):
    ok: bool
    stats: ShopStats


class ShopChoice(msgspec.Struct):
    """A shop the caller may act on."""

    shop: str
    name: Annotated[str, msgspec.Meta(description="its display name (its id when the store has none)")]


class Me(msgspec.Struct):
    ok: bool
    shop: Annotated[
        str,
        msgspec.Meta(
            description="the shop to open first: a shop's token's own; the operator's: the default shop "
            "when it is listed, else the first listed"
        ),
    ]
    role: str
    operator: Annotated[bool, msgspec.Meta(description="the operator's HUASHU_ADMIN_TOKEN: admin of every shop")]
    shops: Annotated[
        list[ShopChoice],
        msgspec.Meta(
            description="the shops the caller may act on, by id: for the operator every shop the store "
            "knows and every shop this process serves; for a shop's token its own shop only"
        ),
    ]


@dataclass(frozen=True, slots=True)
class _Found:
    # the messages, the latest one's time, the snapshot version, the rejected candidates
    signature: tuple[int, float, str, frozenset[str]]
    unanswered: int  # the messages of the window nothing answered (less those of the closed gaps, once read)
    gaps: list[Gap]
    vectors: dict[str, np.ndarray]  # each gap wording's and message asked once's query vector, by its text
    asked_once: list[UnansweredMessage] = dataclasses.field(default_factory=list)  # the latest first


GAP_CACHE = web.AppKey("gap_cache", dict[tuple[str, int], _Found])
GAP_VECTORS = web.AppKey("gap_vectors", QueryVectorCache)  # query vectors this app encoded, by `cache_key`
GAP_VECTORS_KEPT = 20000
# per shop: the snapshot version asked, and which gaps (id and wordings) it answers
ANSWERED_CACHE = web.AppKey("answered_cache", dict[str, tuple[str, dict[tuple[str, tuple[str, ...]], bool]]])
ASKED_AGAIN = 200  # the most asked gaps re-asked against the active snapshot (the list's limit)


def _days(request: web.Request, default: int, most: int) -> int:
    raw = request.query.get("days", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise Unprocessable.on("days", f"a whole number of days from 1 to {most}")
    return int(raw)


def knowledge_texts(suggester: Suggester) -> dict[str, str]:
    """The reply of each entry of the knowledge `suggester` serves."""
    return {entry.id: entry.reply for entry in suggester.ranker.snapshot.entries}


def entry_texts(suggester: Suggester) -> dict[str, str]:
    """The text of everything `suggester` may suggest: its entries and its quick replies."""
    texts = knowledge_texts(suggester)
    if suggester.learning is not None:
        for replies in suggester.learning.quick.by_slot.values():
            for quick in replies:
                s = quick_suggestion(quick)
                texts[s.entry_id] = s.text
    return texts


async def _shop_texts(request: web.Request, shop: str) -> dict[str, str]:
    """The replies of the knowledge the shop serves (`knowledge_texts`); while it has no snapshot
    to serve, of its knowledge in the store (nothing when that does not validate): its statistics
    need no index. Not the quick replies learned now: the statistics take those the window's
    records showed (`analytics.reply_rows`), as the weekly report does, so what was learned since
    changes no list."""
    try:
        return knowledge_texts(await request.config_dict[keys.INDEX].get(shop))
    except UnknownShop:
        raise NotFound.on("shop", f"no shop {shop!r}") from None
    except ShopNotReady:
        pass
    rows = await request.config_dict[keys.STORE].knowledge_rows(shop)
    try:
        checked = await asyncio.to_thread(check_rows, rows)  # parsing is CPU work: off the event loop
    except KnowledgeError:
        return {}
    return {entry.id: entry.reply for entry in checked.entries}


async def index_state(request: web.Request, shop: str, problem: str) -> IndexState:
    """Why the shop has nothing to serve (`problem`: the registry's reason), from its latest job."""
    store = request.config_dict[keys.STORE]
    if not await store.knowledge_rows(shop):  # nothing to build: a rebuild would only fail
        return IndexState("empty", None, NO_KNOWLEDGE)
    jobs = await store.jobs(shop, limit=1)
    if not jobs:
        return IndexState("missing", None, problem)
    job = jobs[0]
    if job.state in ("queued", "running"):
        return IndexState("building", job_out(job), problem)
    if job.state == "failed":
        return IndexState("failed", job_out(job), job.error or problem)
    return IndexState("missing", job_out(job), problem)  # built, but its snapshot cannot be served


async def stats(request: web.Request) -> web.Response:
    """The shop's statistics over the last `days` days (today included); they need no index."""
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    since, until = last_days(_days(request, 14, 365))
    texts = await _shop_texts(request, shop)
    store = request.config_dict[keys.STORE]
    history = await store.history(shop, day_start(since))
    fresh = entries_of_rows(texts, await store.entries_changed_since(shop, day_start(since)))
    result = await asyncio.to_thread(shop_stats, shop, history, texts, since, until, fresh)
    return json_bytes(StatsResponse(True, result))


async def _encode(request: web.Request, suggester: Suggester, texts: list[str]) -> np.ndarray:
    """The query vectors of `texts` (see the module docstring: cached ones first)."""
    encoder = request.config_dict[keys.ENCODER]

    def queries() -> list[str]:  # fitting a long text takes tokenizer calls: off the event loop
        # the message cut as the service cut it (its beginning and its end): the vector it embedded
        return [
            encoder.fit(suggester.query_texts(SuggestRequest(encoder.fit(t, keep_ends=True), (), 1))[0]) for t in texts
        ]

    fitted = await asyncio.to_thread(queries)
    mine = request.app[GAP_VECTORS]
    rows: list[np.ndarray | None] = []
    for key in (cache_key(q) for q in fitted):
        row = mine.get(key)
        rows.append(row if row is not None else encoder.cache.get(key))
    missing = [i for i, row in enumerate(rows) if row is None]
    worker = request.config_dict[keys.MODEL]
    for start in range(0, len(missing), ENCODE_BATCH):
        batch = missing[start : start + ENCODE_BATCH]
        vectors = np.asarray(await worker.encode_queries([fitted[i] for i in batch]), dtype=np.float32)
        for i, row in zip(batch, vectors, strict=True):
            rows[i] = row
            mine.put(cache_key(fitted[i]), row.copy())
    return np.vstack([np.asarray(r, dtype=np.float32).reshape(1, -1) for r in rows if r is not None])


async def _gaps(request: web.Request, shop: str, days: int) -> tuple[str, _Found]:
    """The shop's open gaps over `days` days: clustered again only when its unanswered messages
    or its snapshot changed; the ones closed (their `gap_entry_id` entry exists) are left out on
    every read."""
    since, _ = last_days(days)
    store = request.config_dict[keys.STORE]
    record = await store.shop(shop)
    refused = rejected_of(record.settings) if record is not None else frozenset()
    messages: list[UnansweredMessage] = unanswered_messages(await store.history(shop, day_start(since)), refused)
    suggester = await resolve_shop(request.config_dict[keys.INDEX], shop)
    signature = (len(messages), max((m.at for m in messages), default=0.0), suggester.index_version, refused)
    cache = request.app[GAP_CACHE]
    found = cache.get((shop, days))
    if found is None or found.signature != signature:
        clusters: list[Gap] = []
        once: list[UnansweredMessage] = []
        by_text: dict[str, np.ndarray] = {}
        if messages:
            vectors = await _encode(request, suggester, [m.text for m in messages])
            centre = await asyncio.to_thread(knowledge_centre, suggester)
            findings = await asyncio.to_thread(knowledge_gaps, messages, vectors, None, centre)
            clusters, once = findings.gaps, findings.asked_once
            by_text = {plain_text(m.text): v for m, v in zip(messages, vectors, strict=True)}  # as `Gap.examples`
            by_text = {t: by_text[t] for t in [*gap_wordings(clusters), *(m.text for m in once)]}
        cache[(shop, days)] = found = _Found(signature, len(messages), clusters, by_text, once)
    closed = {row.entry_id for row in await store.knowledge_rows(shop)}
    open_gaps = [g for g in found.gaps if gap_entry_id(gap_id(g)) not in closed]
    still = found.unanswered - sum(g.count for g in found.gaps if gap_entry_id(gap_id(g)) in closed)
    return since.isoformat(), _Found(signature, still, open_gaps, found.vectors, found.asked_once)


def _gap_out(gap: Gap) -> GapOut:
    return GapOut(
        gap_id(gap),
        gap.count,
        [clip_example(e) for e in gap.examples],  # as the report and the CLI list them: no 4,800-character spam
        [ReplyCount(text, n) for text, n in gap.replies],
        gap.suggested_reply,
        iso(gap.last_seen),
        [clip_example(e) for e in gap.wordings[:WORDINGS_LISTED]],
        max(0, len(gap.wordings) - WORDINGS_LISTED),
    )


async def _answered_now(request: web.Request, shop: str, found: _Found, asked: list[Gap]) -> set[str]:
    """The gaps (ids) of `asked` the shop's active snapshot answers now (`suggest.answered_gaps`:
    half of their wordings or more): an entry added by hand, an approved candidate or an edit has
    answered them since their messages came. Ranked once per snapshot version and gap, with the
    vectors the wordings were clustered with (nothing is encoded)."""
    suggester = await resolve_shop(request.config_dict[keys.INDEX], shop)
    version, known = request.app[ANSWERED_CACHE].get(shop, ("", {}))
    if version != suggester.index_version:
        known = {}
        request.app[ANSWERED_CACHE][shop] = (suggester.index_version, known)
    ask = [g for g in asked if (gap_id(g), g.examples) not in known]
    if ask:
        vectors = np.vstack([found.vectors[text].reshape(1, -1) for text in gap_wordings(ask)])
        for gap, yes in zip(ask, await asyncio.to_thread(answered_gaps, suggester, ask, vectors), strict=True):
            known[(gap_id(gap), gap.examples)] = yes
    return {gap_id(g) for g in asked if known.get((gap_id(g), g.examples), False)}


async def gaps(request: web.Request) -> web.Response:
    """The shop's knowledge gaps over the last `days` days, the most asked first."""
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    days = _days(request, 30, 365)
    raw = request.query.get("limit", "20")
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise Unprocessable.on("limit", "a whole number from 1 to 200")
    try:
        await request.config_dict[keys.INDEX].get(shop)
    except UnknownShop:
        raise NotFound.on("shop", f"no shop {shop!r}") from None
    except ShopNotReady as exc:  # nothing to cluster with: the count alone, and why
        first, _ = last_days(days)
        history = await request.config_dict[keys.STORE].history(shop, day_start(first))
        state = await index_state(request, shop, exc.reason)
        return json_bytes(GapsResponse(True, shop, first.isoformat(), len(unanswered_messages(history)), [], state))
    since, found = await _gaps(request, shop, days)
    asked = found.gaps[:ASKED_AGAIN]
    once = [Gap.of_one(m) for m in found.asked_once]
    answered = await _answered_now(request, shop, found, [*asked, *once])
    listed = [_gap_out(g) for g in asked if gap_id(g) not in answered][: int(raw)]
    lone = [
        AskedOnceOut(clip_example(m.text), m.reply, iso(m.at))
        for m, g in zip(found.asked_once, once, strict=True)
        if gap_id(g) not in answered
    ]
    still = found.unanswered - sum(g.count for g in [*asked, *once] if gap_id(g) in answered)
    open_gaps = len(found.gaps) - sum(gap_id(g) in answered for g in asked)
    return json_bytes(GapsResponse(True, shop, since, still, listed, open_gaps=open_gaps, asked_once=lone))


async def close_gap(request: web.Request) -> web.Response:
    """Turn a gap into a FAQ entry of the shop's knowledge (`faq/gaps.yaml`), pre-filled, and
    start the rebuild that serves it."""
    shop = request.match_info["shop"]
    await authenticate(request, role="admin", shop=shop)
    raw = await request.read()
    body = decode(await read_json(request), CloseGapBody) if raw.strip() else CloseGapBody()
    checked_stage(body.stage)
    wanted = request.match_info["gap"]
    store = request.config_dict[keys.STORE]
    _, found = await _gaps(request, shop, body.days)
    gap = next((g for g in found.gaps if gap_id(g) == wanted), None)
    if gap is None:
        closed_by = gap_entry_id(wanted)
        if any(r.entry_id == closed_by for r in await store.knowledge_rows(shop)):
            raise Conflict.on("gap", f"gap {wanted!r} is already closed by entry {closed_by}")
        raise NotFound.on("gap", f"no open gap {wanted!r} in the last {body.days} days (list them again)")
    # the gaps list its examples cut (`clip_example`): a wording chosen from it is its whole text
    whole = {clip_example(e): e for e in gap.wordings}
    question = whole.get(body.question, body.question) if body.question is not None else None
    # the wordings the gap lists, unless the admin chose; those the list left out only when asked
    # for (a close took every wording, thousands for a large gap, none of them read: a second
    # reading), and at most `GAP_VARIANTS` in all (`gap_faq_row`)
    listed = list(gap.wordings[:WORDINGS_LISTED])
    variants = [whole.get(v, v) for v in body.variants] if body.variants is not None else listed
    if body.unlisted_wordings:
        variants += gap.wordings[WORDINGS_LISTED:]
    chosen = FaqDraft(body.answer, question, variants, body.stage, body.category, tuple(body.tags))
    try:
        data = gap_faq_row(gap, chosen)
    except ValueError as exc:
        raise Unprocessable.on("answer", str(exc)) from None
    rows = await store.knowledge_rows(shop)
    if any(r.entry_id == data["id"] for r in rows):
        raise Conflict.on("gap", f"gap {wanted!r} is already closed by entry {data['id']}")
    row = KnowledgeRow(GAPS_FILE, -1, str(data["id"]), data)  # -1: appended to the file
    try:
        await asyncio.to_thread(check_rows, [*rows, row])
    except KnowledgeError as exc:
        problems = [p for p in exc.problems if GAPS_FILE in p] or exc.problems
        raise Unprocessable(problems[0], [FieldError("body", p) for p in problems]) from None
    revision = await store.put_row(shop, row)
    job = await rebuild_soon(request, shop)
    return json_bytes(ClosedGap(True, shop, wanted, data, GAPS_FILE, revision, job), status=201)


async def _choices(request: web.Request, principal: Principal) -> list[ShopChoice]:
    """The shops `principal` may act on: a shop's token its own, the operator every shop the store
    knows and every shop the registry serves (a shop handed in need not be in the store)."""
    store = request.config_dict[keys.STORE]
    if not principal.operator:
        record = await store.shop(principal.shop)
        return [ShopChoice(principal.shop, record.name if record is not None else principal.shop)]
    names = {record.shop: record.name for record in await store.shops()}
    for shop in request.config_dict[keys.INDEX].loaded():
        names.setdefault(shop, shop)
    return [ShopChoice(shop, names[shop]) for shop in sorted(names)]


async def me(request: web.Request) -> web.Response:
    """Which shop the caller's admin token is for, and which shops it may act on (the admin
    page's login and its shop picker)."""
    principal = await authenticate(request, role="admin")
    shops = await _choices(request, principal)
    listed = [choice.shop for choice in shops]
    first = principal.shop if principal.shop in listed or not listed else listed[0]
    return json_bytes(Me(True, first, principal.role, principal.operator, shops))


def add_routes(admin: web.Application) -> None:
    admin[GAP_CACHE] = {}
    admin[ANSWERED_CACHE] = {}
    admin[GAP_VECTORS] = QueryVectorCache(GAP_VECTORS_KEPT)
    admin.router.add_get("/me", me, allow_head=False)
    admin.router.add_get("/shops/{shop}/stats", stats, allow_head=False)
    admin.router.add_get("/shops/{shop}/gaps", gaps, allow_head=False)
    admin.router.add_post("/shops/{shop}/gaps/{gap}/close", close_gap)
