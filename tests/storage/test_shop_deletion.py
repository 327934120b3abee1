"""Deleting a shop (`Store.delete_shop`) removes everything the store holds of it in one
transaction, and nothing of another shop; a token carries its label."""

from __future__ import annotations

import pytest

from assistant.storage.protocols import UnknownShop
from assistant.storage.records import AnswerRecord, FeedbackRecord, MessageRecord, OutcomeRecord, SuggestionRecord
from assistant.storage.sql_store import SqlStore

from .test_catalog import faq, snapshot

AT = "2026-11-30T10:00:00.000+00:00"


async def _fill(store: SqlStore, shop: str) -> str:
    """A shop holding one of everything; its admin token's secret."""
    await store.create_shop(shop, shop)
    await store.replace_knowledge(shop, [faq("ship-1", 0), faq("ship-2", 1, "发什么快递")])
    await store.add_snapshot(snapshot(shop, "v1", AT, active=True))
    await store.create_job(shop, "rebuild")
    _, secret = await store.create_token(shop, "admin", "前台")
    await store.write(
        [
            MessageRecord("api", shop, "c1", "m1", "customer", "几天发货", AT, AT),
            SuggestionRecord("api", shop, "c1", "m1", 1, "ship-1", 0.9, "faq", "v1", AT, "亲，48小时内发货哦"),
            FeedbackRecord("f1", shop, "c1", "m1", "use", "v1", "a1", "ship-1", 1, 0.9, "亲，48小时内发货哦", at=AT),
            AnswerRecord("api", shop, "c1", "m1", True, 0.9, at=AT),
            OutcomeRecord("api", shop, "c1", "m2", "m1", "used", "ship-1", 1.0, "a1", at=AT),
        ]
    )
    return secret


async def test_deleting_a_shop_removes_all_it_holds_and_nothing_of_another(store: SqlStore, shop_id: str) -> None:
    gone, kept = f"{shop_id}-gone", f"{shop_id}-kept"
    gone_secret = await _fill(store, gone)
    kept_secret = await _fill(store, kept)

    deleted = await store.delete_shop(gone)

    assert deleted == {
        "knowledge_rows": 2, "snapshots": 1, "jobs": 1, "tokens": 1,
        "messages": 1, "suggestions": 1, "feedback": 1, "answers": 1, "reply_outcomes": 1,
    }  # fmt: skip
    assert await store.shop(gone) is None and gone not in {s.shop for s in await store.shops()}
    assert await store.verify_token(gone_secret) is None and await store.tokens(gone) == []
    assert await store.jobs(gone) == [] and await store.active_snapshot(gone) is None
    history = await store.history(gone, "2000-01-01T00:00:00Z")
    assert (history.messages, history.suggestions, history.feedback, history.answers, history.outcomes) == (
        [], [], [], [], []
    )  # fmt: skip
    with pytest.raises(UnknownShop):
        await store.knowledge_rows(gone)
    # the other shop is as it was
    assert len(await store.knowledge_rows(kept)) == 2 and (await store.active_snapshot(kept)) is not None
    assert (await store.verify_token(kept_secret)) is not None and len(await store.jobs(kept)) == 1
    assert len((await store.history(kept, "2000-01-01T00:00:00Z")).messages) == 1
    # the id is free again: a new shop of that id starts empty
    await store.create_shop(gone, "again")
    assert await store.knowledge_rows(gone) == [] and await store.snapshots(gone) == []


async def test_deleting_an_unknown_shop_is_unknown_shop(store: SqlStore, shop_id: str) -> None:
    with pytest.raises(UnknownShop):
        await store.delete_shop(shop_id)


async def test_a_token_keeps_its_label_and_never_its_secret(store: SqlStore, shop_id: str) -> None:
    await store.create_shop(shop_id, "shop")
    labelled, secret = await store.create_token(shop_id, "agent", "前台小王")
    plain, _ = await store.create_token(shop_id, "admin")
    assert labelled.name == "前台小王" and plain.name == ""
    assert await store.verify_token(secret) == labelled
    # two tokens made within one millisecond share `created_at`: their order is the ids' (CI saw both)
    assert {(t.id, t.role, t.name) for t in await store.tokens(shop_id)} == {
        (labelled.id, "agent", "前台小王"),
        (plain.id, "admin", ""),
    }
