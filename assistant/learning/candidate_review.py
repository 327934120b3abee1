"""Reviewing a shop's candidate replies on its store: list, approve (as is or edited), reject,
and the optional rule that approves a reply sent by N different agents.

Shared by the admin API and `huashu candidates`. Candidates are computed from the shop's records
of the last `days` days (`shop_candidates`); a decision is kept in the shop's settings
(`candidate_decisions`: id → approved / rejected), and an approved reply becomes a FAQ row of
`faq/approved_replies.yaml` in the shop's knowledge, validated with the rest before it is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from assistant.knowledge.calendar import day_start, last_days
from assistant.knowledge.files import check_rows
from assistant.knowledge.loader import KnowledgeError
from assistant.learning.faq_drafts import FaqDraft
from assistant.learning.shop_candidates import (
    APPROVED_FILE,
    DECISIONS,
    ShopCandidate,
    candidate_faq_row,
    decisions_of,
    shop_candidates,
)
from assistant.storage.protocols import KnowledgeRow, KnowledgeStore, RecordStore, ShopStore, StoreError, UnknownShop


class ReviewStore(ShopStore, KnowledgeStore, RecordStore, Protocol):
    """What the review needs of the store."""


class UnknownCandidate(StoreError):
    """No candidate with this id in the window."""


class AlreadyDecided(StoreError):
    """The candidate was approved or rejected before."""


class UnknownEntry(StoreError):
    """The entry a candidate should replace is not in the shop's knowledge."""


class NotRewritten(ValueError):
    """The entry to replace is not one the candidate rewrote (or the candidate rewrote none)."""


@dataclass(frozen=True, slots=True)
class Approved:
    candidate: ShopCandidate
    entry: dict[str, Any]
    file: str
    knowledge_revision: str


def since_days(days: int) -> str:
    """The start of the shop's last `days` days (today included), as the store writes times."""
    return day_start(last_days(days)[0])


async def _decisions(store: ReviewStore, shop: str) -> dict[str, str]:
    record = await store.shop(shop)
    if record is None:
        raise UnknownShop(f"no shop {shop!r}")
    return decisions_of(record.settings)


async def list_candidates(
    store: ReviewStore, shop: str, days: int, extra_texts: Mapping[str, str] | None = None
) -> list[ShopCandidate]:
    """The shop's candidates of the last `days` days, with their status (most sent first).
    `extra_texts`: texts of suggestions shown that are not knowledge rows (quick replies)."""
    decisions = await _decisions(store, shop)
    history = await store.history(shop, since_days(days))
    # parsing the shop's whole knowledge is CPU work: off the event loop
    try:
        checked = await asyncio.to_thread(check_rows, await store.knowledge_rows(shop))
    except KnowledgeError:  # a shop with no knowledge yet (the store validates what it writes)
        texts: dict[str, str] = {}
        questions: list[tuple[str, ...]] = []
        stages: dict[str, str] = {}
    else:
        texts = {entry.id: entry.reply for entry in checked.entries}
        questions = [entry.questions for entry in checked.entries]
        stages = {entry.id: entry.stage.value for entry in checked.entries if entry.stage is not None}
    return shop_candidates(
        history,
        {**(extra_texts or {}), **texts},
        decisions,
        knowledge_texts=texts.values(),
        knowledge_questions=questions,
        entry_stages=stages,
    )


async def _pending(store: ReviewStore, shop: str, candidate: str, days: int) -> ShopCandidate:
    found = next((c for c in await list_candidates(store, shop, days) if c.id == candidate), None)
    if found is None:
        raise UnknownCandidate(f"no candidate {candidate!r} in the last {days} days of shop {shop!r}")
    if found.status != "pending":
        raise AlreadyDecided(f"candidate {candidate!r} was {found.status} already")
    return found


async def approve(
    store: ReviewStore,
    shop: str,
    candidate: str,
    days: int = 30,
    chosen: FaqDraft | None = None,
    replaces: str | None = None,
) -> Approved:
    """Publish a candidate (edited by `chosen`) as a FAQ entry; `ValueError` on an empty answer,
    `KnowledgeError` when the entry would not validate.

    `replaces`: the id of the entry a heavy-edit candidate rewrote; its answer becomes the
    candidate's reply (or `chosen.answer`), keeping its id, wordings, tags and file, instead of a
    new entry beside it (`NotRewritten` when the candidate did not rewrite it, `UnknownEntry` when
    the shop's knowledge has no such entry)."""
    found = await _pending(store, shop, candidate, days)
    if replaces is not None:
        return await _replace(store, shop, found, replaces, chosen.answer if chosen else None)
    return await _publish(store, shop, found, chosen)


async def _replace(store: ReviewStore, shop: str, found: ShopCandidate, replaces: str, answer: str | None) -> Approved:
    rows = await store.knowledge_rows(shop)
    original = next((r for r in rows if r.entry_id == replaces), None)
    if original is None:
        raise UnknownEntry(f"no entry {replaces!r} in the knowledge of shop {shop!r}")
    if replaces not in found.edited_entries:
        rewrote = ", ".join(sorted(found.edited_entries)) or "no entry"
        raise NotRewritten(f"candidate {found.id!r} rewrote {rewrote}, not {replaces!r}")
    if "answer" not in original.data:
        raise NotRewritten(f"entry {replaces!r} has no answer to replace")
    text = (found.reply if answer is None else answer).strip()
    if not text:
        raise ValueError("the answer is empty")
    row = KnowledgeRow(original.file, original.position, original.entry_id, {**original.data, "answer": text})
    await asyncio.to_thread(check_rows, [*[r for r in rows if r.entry_id != row.entry_id], row])
    revision = await store.put_row(shop, row)
    await _decide(store, shop, found.id, "approved")
    return Approved(found, row.data, row.file, revision)


async def _publish(store: ReviewStore, shop: str, found: ShopCandidate, chosen: FaqDraft | None) -> Approved:
    data = candidate_faq_row(found, chosen)
    rows = await store.knowledge_rows(shop)
    row = KnowledgeRow(APPROVED_FILE, -1, str(data["id"]), data)  # -1: appended to the file
    await asyncio.to_thread(check_rows, [*[r for r in rows if r.entry_id != row.entry_id], row])
    revision = await store.put_row(shop, row)
    await _decide(store, shop, found.id, "approved")
    return Approved(found, data, APPROVED_FILE, revision)


async def reject(store: ReviewStore, shop: str, candidate: str, days: int = 30) -> ShopCandidate:
    found = await _pending(store, shop, candidate, days)
    await _decide(store, shop, found.id, "rejected")
    return found


async def auto_approve(store: ReviewStore, shop: str, agents: int, days: int = 30) -> list[Approved]:
    """Approve, as they are, the pending candidates sent by at least `agents` different agents."""
    if agents < 1:
        raise ValueError("the rule needs at least 1 agent")
    pending = [c for c in await list_candidates(store, shop, days) if c.status == "pending" and c.meets_rule(agents)]
    return [await _publish(store, shop, c, None) for c in pending]


async def _decide(store: ReviewStore, shop: str, candidate: str, status: str) -> None:
    decisions = await _decisions(store, shop)
    decisions[candidate] = status
    await store.update_shop_settings(shop, {DECISIONS: decisions})
