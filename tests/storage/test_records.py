"""The conversation records over every backend: messages, suggestions shown, feedback, purge."""

from __future__ import annotations

import uuid

import pytest

from assistant.storage.database import retry_busy
from assistant.storage.record_tables import retention_cutoff
from assistant.storage.records import FeedbackAction, FeedbackRecord, KnownMessage, MessageRecord, SuggestionRecord
from assistant.storage.sql_store import SqlStore


def message(conversation: str, message_id: str, role: str, text: str, at: str, shop: str = "demo") -> MessageRecord:
    return MessageRecord("api", shop, conversation, message_id, role, text, at, at)


def suggestion(conversation: str, rank: int, entry: str, at: str, shop: str = "demo") -> SuggestionRecord:
    return SuggestionRecord("api", shop, conversation, "m1", rank, entry, 0.9 - rank / 10, "faq", "v1", at)


def feedback(conversation: str, action: FeedbackAction, at: str, shop: str = "demo") -> FeedbackRecord:
    return FeedbackRecord(
        id=f"f-{uuid.uuid4().hex}", shop=shop, conversation_id=conversation, message_id="m1",
        action=action, index_version="v1", agent="小王", entry_id="faq-1", rank=1, score=0.82,
        text="亲，今天下单明天发货哦", elapsed_ms=2400.0,
        shown=({"entry_id": "faq-1", "rank": 1, "score": 0.82}, {"entry_id": "faq-2", "rank": 2, "score": 0.5}),
        at=at,
    )  # fmt: skip


async def test_messages_round_trip_in_order_and_duplicates_are_ignored(store: SqlStore) -> None:
    conversation = f"c-{uuid.uuid4()}"
    first = message(conversation, "m1", "customer", "快递几天能到？", "2026-11-22T10:00:00Z")
    reply = message(conversation, "m2", "agent", "亲，48小时内发货哦", "2026-11-22T10:00:05Z")
    await store.write([first, reply])
    await store.write([message(conversation, "m1", "customer", "a retried delivery", "2026-11-22T10:00:09Z")])
    assert await store.messages("demo", conversation) == [first, reply]
    assert await store.messages("demo", "no-such-conversation") == []


async def test_recent_messages_are_the_last_ones_of_the_conversation_oldest_first(store: SqlStore) -> None:
    conversation = f"c-{uuid.uuid4()}"
    said = [message(conversation, f"m{i}", "customer", f"第{i}句", f"2026-11-22T10:00:0{i}Z") for i in range(5)]
    await store.write([*said[3:], *said[:3]])  # written out of order: read back by time received
    await store.write([message("other", "m9", "customer", "另一个对话", "2026-11-22T10:00:09Z")])
    assert await store.recent_messages("demo", conversation, 3) == said[2:]
    assert await store.recent_messages("demo", conversation, 10) == said
    assert await store.recent_messages("demo", conversation, 0) == []
    assert await store.recent_messages("other-shop", conversation, 3) == []


async def test_a_recorded_message_is_found_by_platform_shop_conversation_and_id(store: SqlStore) -> None:
    conversation = f"c-{uuid.uuid4()}"
    await store.write([message(conversation, "m1", "customer", "在吗", "2026-11-22T10:00:00Z")])
    recorded = await store.recorded_message("api", "demo", conversation, "m1")
    assert recorded is not None and (recorded.received_at, recorded.text) == ("2026-11-22T10:00:00Z", "在吗")
    for other in (("chatwoot", "demo", conversation, "m1"), ("api", "tea", conversation, "m1"),
                  ("api", "demo", "c-other", "m1"), ("api", "demo", conversation, "m2")):  # fmt: skip
        assert await store.recorded_message(*other) is None


async def test_known_message_says_where_a_message_is_and_what_was_shown_for_it(store: SqlStore, shop_id: str) -> None:
    conversation, elsewhere, tea = f"c-{uuid.uuid4()}", f"c-{uuid.uuid4()}", f"{shop_id}-tea"
    at = "2026-11-22T10:00:00Z"
    shown = [suggestion(conversation, r, entry, at, shop_id) for r, entry in ((1, "faq-1"), (2, "quick-0a1b2c3d4e"))]
    await store.write([message(conversation, "m1", "customer", "快递几天能到？", at, shop_id), *shown])
    await store.write([message(conversation, "m2", "agent", "亲，48小时内发货哦", at, shop_id)])
    await store.write([message(elsewhere, m, "customer", "在吗", at, shop_id) for m in ("m1", "m7")])
    await store.write([message(conversation, "m1", "customer", "同一个编号，另一家店", at, shop=tea)])
    assert await store.known_message(shop_id, conversation, "m1") == KnownMessage(
        conversation, frozenset({"faq-1", "quick-0a1b2c3d4e"})
    )
    assert await store.known_message(shop_id, conversation, "m2") == KnownMessage(conversation)  # nothing shown
    assert await store.known_message(shop_id, conversation, "m7") == KnownMessage(elsewhere)  # another conversation
    assert await store.known_message(tea, conversation, "m1") == KnownMessage(conversation)  # its own records
    for unknown in ((shop_id, conversation, "m9"), (f"{shop_id}-x", conversation, "m1"), (tea, elsewhere, "m7")):
        assert await store.known_message(*unknown) is None, unknown


async def test_a_message_keeps_who_sent_it(store: SqlStore) -> None:
    conversation = f"c-{uuid.uuid4()}"
    sent = MessageRecord(
        "chatwoot", "demo", conversation, "m9", "agent", "好的亲", "2026-11-22T10:00:00Z", "2026-11-22T10:00:00Z",
        sender_kind="agent", agent_id="42", agent_name="小王",
    )  # fmt: skip
    await store.write([sent])
    assert await store.messages("demo", conversation) == [sent]


async def test_suggestions_shown_are_kept_per_rank_and_a_reshow_replaces_them(store: SqlStore) -> None:
    conversation = f"c-{uuid.uuid4()}"
    await store.write([suggestion(conversation, r, f"faq-{r}", "2026-11-22T10:00:00Z") for r in (1, 2, 3)])
    await store.write([suggestion(conversation, 1, "faq-new", "2026-11-22T10:00:00Z")])
    shown = await store.suggestions("demo", conversation)
    assert [(s.rank, s.entry_id) for s in shown] == [(1, "faq-new"), (2, "faq-2"), (3, "faq-3")]
    assert shown[1].score == pytest.approx(0.7)


async def test_feedback_round_trips_and_a_retried_feedback_is_kept_once(store: SqlStore) -> None:
    conversation = f"c-{uuid.uuid4()}"
    used = feedback(conversation, "use", "2026-11-22T10:00:03.000+00:00")
    dismissed = FeedbackRecord(f"f-{uuid.uuid4().hex}", "demo", conversation, "m1", "dismiss", "v1")
    await store.write([used])
    await store.write([used, dismissed])
    stored = await store.feedback("demo", conversation)
    assert stored[0] == used
    assert stored[1].action == "dismiss" and stored[1].at and stored[1].elapsed_ms is None and stored[1].shown == ()
    assert len(stored) == 2
    assert used in await store.feedback("demo")


async def test_records_of_one_shop_are_not_read_through_another(store: SqlStore) -> None:
    conversation = f"c-{uuid.uuid4()}"
    at = "2026-11-22T10:00:00Z"
    await store.write(
        [
            message(conversation, "m1", "customer", "在吗", at, shop="shop-a"),
            suggestion(conversation, 1, "faq-1", at, shop="shop-a"),
            feedback(conversation, "use", at, shop="shop-a"),
        ]
    )
    assert await store.messages("shop-b", conversation) == []
    assert await store.suggestions("shop-b", conversation) == []
    assert await store.feedback("shop-b", conversation) == []
    assert [r.conversation_id for r in await store.feedback("shop-b")].count(conversation) == 0
    assert len(await store.messages("shop-a", conversation)) == 1


async def test_purge_deletes_only_what_is_older_than_the_cutoff(store: SqlStore) -> None:
    conversation = f"c-{uuid.uuid4()}"
    old, recent = "2020-01-01T00:00:00.000+00:00", retention_cutoff(0)
    await store.write(
        [
            message(conversation, "m-old", "customer", "很久以前", old),
            message(conversation, "m-new", "customer", "刚刚", recent),
            suggestion(conversation, 1, "faq-old", old),
            feedback(conversation, "use", old),
            feedback(conversation, "send", recent),
        ]
    )
    purged = await store.purge(retention_cutoff(30))
    assert purged["messages"] >= 1 and purged["suggestions"] >= 1 and purged["feedback"] >= 1
    assert [m.message_id for m in await store.messages("demo", conversation)] == ["m-new"]
    assert await store.suggestions("demo", conversation) == []
    assert [f.action for f in await store.feedback("demo", conversation)] == ["send"]


async def test_records_survive_a_restart(store: SqlStore) -> None:
    conversation = f"c-{uuid.uuid4()}"
    await store.write([message(conversation, "m1", "customer", "在吗", "2026-11-22T10:00:00Z")])
    await store.close()
    await store.open()
    assert [m.text for m in await store.messages("demo", conversation)] == ["在吗"]


async def test_a_cue_is_marked_wrong_once_per_message_and_read_once(store: SqlStore, shop_id: str) -> None:
    conversation = f"c-{uuid.uuid4()}"

    def mark(message_id: str, cue: str, at: str) -> FeedbackRecord:
        return FeedbackRecord(f"f-{uuid.uuid4().hex}", shop_id, conversation, message_id, "cue_wrong", "v1",
                              cue=cue, at=at)  # fmt: skip

    first = mark("m1", "anger", "2026-11-22T10:00:00Z")
    await store.write([first, mark("m1", "anger", "2026-11-22T10:00:01Z")])  # a double click, one batch
    await store.write([mark("m1", "anger", "2026-11-22T10:00:02Z")])  # a click again later
    others = [mark("m1", "urgency", "2026-11-22T10:00:03Z"), mark("m2", "anger", "2026-11-22T10:00:04Z")]
    await store.write(others)
    assert await store.feedback(shop_id, conversation) == [first, *others]
    # another replica's mark at the same instant (its own read found none yet) is not stored:
    # the unique index of migration 0009 holds it, not a read before the write
    repeat = mark("m1", "anger", "2026-11-22T10:00:05Z")
    insert = "INSERT INTO feedback (id, shop, conversation_id, message_id, action, index_version, cue, shown, at) "
    row = (repeat.id, shop_id, conversation, "m1", "cue_wrong", "v1", "anger", "[]", repeat.at)
    values = "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
    await retry_busy(store.database, lambda tx: tx.execute(insert + values, row))
    assert await store.feedback(shop_id, conversation) == [first, *others]
    history = await store.history(shop_id, "2026-11-22")
    assert history.feedback == [first, *others]
