"""Reply outcomes and the text of what was shown, on every backend: stored once per reply, read
back per conversation and in a shop's history, found before a reply, purged by age."""

from __future__ import annotations

import uuid

from assistant.storage.record_tables import retention_cutoff
from assistant.storage.records import MessageRecord, OutcomeRecord, SuggestionRecord
from assistant.storage.sql_store import SqlStore

T1, T2, T3 = (f"2026-11-22T10:00:0{s}.000+00:00" for s in (1, 2, 3))


def outcome(shop: str, conversation: str, kind: str, at: str) -> OutcomeRecord:
    shown = ({"entry_id": "faq-1", "rank": 1, "score": 0.8, "similarity": 1.0},)
    return OutcomeRecord("api", shop, conversation, "a1", "m1", kind, "faq-1", 1.0, "小王", shown, at)


async def test_the_first_outcome_of_a_reply_stays(store: SqlStore, shop_id: str) -> None:
    conversation = f"c-{uuid.uuid4()}"
    first = outcome(shop_id, conversation, "used", T2)
    await store.write([first])
    await store.write([outcome(shop_id, conversation, "not_used", T3)])  # a late echo of the same reply
    assert await store.outcomes(shop_id, conversation) == [first]
    assert (await store.history(shop_id, "2026-11-22")).outcomes == [first]
    assert (await store.history(f"{shop_id}-b", "2026-11-22")).outcomes == []


async def test_what_was_shown_before_a_reply_is_the_latest_customer_messages(store: SqlStore, shop_id: str) -> None:
    conversation = f"c-{uuid.uuid4()}"
    assert await store.shown_before_reply(shop_id, "api", conversation) == ("", [])
    await store.write(
        [
            MessageRecord("api", shop_id, conversation, "m1", "customer", "在吗", T1, T1),
            MessageRecord("api", shop_id, conversation, "m2", "customer", "几天到", T2, T2),
            MessageRecord("api", shop_id, conversation, "a1", "agent", "亲", T3, T3),
            SuggestionRecord("api", shop_id, conversation, "m1", 1, "faq-0", 0.5, "faq", "v1", T1, "您好"),
            SuggestionRecord("api", shop_id, conversation, "m2", 2, "faq-2", 0.6, "faq", "v1", T2, "两天"),
            SuggestionRecord("api", shop_id, conversation, "m2", 1, "faq-1", 0.7, "faq", "v1", T2, "三天"),
        ]
    )
    message, shown = await store.shown_before_reply(shop_id, "api", conversation)
    assert message == "m2"
    assert [(s.rank, s.entry_id, s.text) for s in shown] == [(1, "faq-1", "三天"), (2, "faq-2", "两天")]
    assert await store.shown_before_reply(shop_id, "chatwoot", conversation) == ("", [])


async def test_the_evidence_marker_moves_with_new_evidence_only(store: SqlStore, shop_id: str) -> None:
    conversation = f"c-{uuid.uuid4()}"
    empty = await store.evidence_marker(shop_id)
    await store.write([MessageRecord("api", shop_id, conversation, "m1", "customer", "在吗", T1, T1)])
    assert await store.evidence_marker(shop_id) == empty  # a customer message teaches nothing yet
    await store.write([MessageRecord("api", shop_id, conversation, "a1", "agent", "亲，在的", T2, T2)])
    replied = await store.evidence_marker(shop_id)
    assert replied != empty
    await store.write([outcome(shop_id, conversation, "used", T3)])
    assert await store.evidence_marker(shop_id) != replied
    assert await store.evidence_marker(f"{shop_id}-b") == empty


async def test_old_outcomes_are_purged(store: SqlStore, shop_id: str) -> None:
    conversation = f"c-{uuid.uuid4()}"
    await store.write([outcome(shop_id, conversation, "used", "2020-01-01T00:00:00.000+00:00")])
    purged = await store.purge(retention_cutoff(30))
    assert purged["reply_outcomes"] >= 1
    assert await store.outcomes(shop_id, conversation) == []
