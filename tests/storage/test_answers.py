"""What the service answered for each message, and a shop's history over a window, on every backend."""

from __future__ import annotations

import dataclasses
import uuid

from assistant.storage.record_tables import retention_cutoff
from assistant.storage.records import AnswerRecord, FeedbackRecord, MessageRecord, SuggestionRecord
from assistant.storage.sql_store import SqlStore


def answer(shop: str, conversation: str, message_id: str, at: str, answerable: bool = True) -> AnswerRecord:
    return AnswerRecord(
        "api", shop, conversation, message_id, answerable, 0.81 if answerable else 0.12,
        cues=(("anger", "high"), ("complaint_risk", "medium")), escalation=("complaint_high",),
        total_ms=23.5, index_version="v1", at=at,
    )  # fmt: skip


async def test_an_answer_round_trips_and_a_retry_replaces_it(store: SqlStore, shop_id: str) -> None:
    conversation = f"c-{uuid.uuid4()}"
    first = answer(shop_id, conversation, "m1", "2026-11-22T10:00:00.000+00:00", answerable=False)
    await store.write([first])
    assert (await store.history(shop_id, "2026-11-22")).answers == [first]
    again = answer(shop_id, conversation, "m1", "2026-11-22T10:00:01.000+00:00")
    await store.write([again])
    assert (await store.history(shop_id, "2026-11-22")).answers == [again]


async def test_history_reads_one_shop_within_the_window_oldest_first(store: SqlStore, shop_id: str) -> None:
    other = f"{shop_id}-b"
    conversation = f"c-{uuid.uuid4()}"
    day1, day2, day3 = (f"2026-11-2{d}T10:00:00.000+00:00" for d in (1, 2, 3))
    records = [
        MessageRecord("api", shop_id, conversation, "m2", "agent", "亲，在的", day2, day2, "agent", "7", "小王"),
        MessageRecord("api", shop_id, conversation, "m1", "customer", "在吗", day1, day1),
        MessageRecord("api", shop_id, conversation, "m3", "customer", "还在吗", day3, day3),
        MessageRecord("api", other, conversation, "m1", "customer", "别家的", day2, day2),
        SuggestionRecord("api", shop_id, conversation, "m1", 1, "faq-1", 0.9, "faq", "v1", day2),
        SuggestionRecord("api", other, conversation, "m1", 1, "faq-1", 0.9, "faq", "v1", day2),
        FeedbackRecord(f"f-{uuid.uuid4().hex}", shop_id, conversation, "m1", "use", "v1", at=day2),
        answer(shop_id, conversation, "m1", day2),
        answer(other, conversation, "m1", day2),
        answer(shop_id, conversation, "m3", day3),
    ]
    await store.write(records)
    window = await store.history(shop_id, "2026-11-21T12:00:00", until="2026-11-23")
    assert [m.message_id for m in window.messages] == ["m2"]
    assert [(s.shop, s.entry_id) for s in window.suggestions] == [(shop_id, "faq-1")]
    assert [f.action for f in window.feedback] == ["use"]
    assert [(a.shop, a.message_id) for a in window.answers] == [(shop_id, "m1")]
    everything = await store.history(shop_id, "2026-01-01")
    assert [m.message_id for m in everything.messages] == ["m1", "m2", "m3"]
    assert [a.message_id for a in everything.answers] == ["m1", "m3"]
    assert (await store.history(f"{shop_id}-none", "2026-01-01")).messages == []


async def test_old_answers_are_purged(store: SqlStore, shop_id: str) -> None:
    conversation = f"c-{uuid.uuid4()}"
    await store.write(
        [answer(shop_id, conversation, "m-old", "2020-01-01T00:00:00.000+00:00"),
         answer(shop_id, conversation, "m-new", retention_cutoff(0))]
    )  # fmt: skip
    purged = await store.purge(retention_cutoff(30))
    assert purged["answers"] >= 1
    assert [a.message_id for a in (await store.history(shop_id, "2000")).answers] == ["m-new"]


async def test_what_was_shown_for_a_message_round_trips_for_the_panel(store: SqlStore, shop_id: str) -> None:
    """The panel opened after a restart reads back the cues as drawn and each suggestion's
    matched wording and tags (`shown_for`); a message nothing was suggested for has none."""
    conversation = f"c-{uuid.uuid4()}"
    at = "2026-11-22T10:00:00.000+00:00"
    cue = {
        "name": "anger",
        "level": "high",
        "score": 0.91,
        "tip": "先共情道歉",
        "evidence": [{"start": 0, "end": 3, "text": "气死了"}],
    }
    shown = answer(shop_id, conversation, "m1", at)
    shown = AnswerRecord(*dataclasses.astuple(shown)[:-1], cue_details=(cue,))
    quick = SuggestionRecord(
        "api", shop_id, conversation, "m1", 2, "qr-1", 0.5, "past_reply", "v1", at, "亲，在的", "greeting",
        ("quick_reply", "greeting"),
    )  # fmt: skip
    plain = SuggestionRecord("api", shop_id, conversation, "m1", 1, "faq-1", 0.9, "faq", "v1", at, "亲，三天", "几天到")
    await store.write([shown, quick, plain])
    found, suggestions = await store.shown_for(shop_id, "api", conversation, "m1")
    assert found == shown and found.cue_details == (cue,)
    assert suggestions == [plain, quick]
    assert await store.shown_for(shop_id, "api", conversation, "m2") == (None, [])
    assert await store.shown_for(f"{shop_id}-b", "api", conversation, "m1") == (None, [])
