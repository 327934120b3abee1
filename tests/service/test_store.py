"""The store contract, run against every implementation: SQLite (embedded) and PostgreSQL (real server)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from assistant.service.store import Store, open_store
from assistant.storage.records import MessageRecord, SuggestionRecord
from tests.conftest import POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = f"sqlite:///{tmp_path / 'huashu.db'}" if request.param == "sqlite" else POSTGRES_URL
    opened = open_store(url)
    try:
        await opened.open()
    except OSError as exc:  # no server on this machine: say so instead of failing obscurely
        pytest.fail(f"PostgreSQL not reachable (start it; CI needs it) at {POSTGRES_URL}: {exc}")
    yield opened
    await opened.close()


def message(conversation: str, message_id: str, role: str, text: str, at: str) -> MessageRecord:
    return MessageRecord("api", "demo", conversation, message_id, role, text, at, at)


def suggestion(conversation: str, rank: int, entry: str, at: str) -> SuggestionRecord:
    return SuggestionRecord("api", "demo", conversation, "m1", rank, entry, 0.9 - rank / 10, "faq", "v1", at)


async def test_messages_round_trip_in_order_and_duplicates_are_ignored(store: Store) -> None:
    conversation = f"c-{uuid.uuid4()}"
    first = message(conversation, "m1", "customer", "快递几天能到？", "2026-11-22T10:00:00Z")
    reply = message(conversation, "m2", "agent", "亲，48小时内发货哦", "2026-11-22T10:00:05Z")
    await store.write([first, reply])
    await store.write([message(conversation, "m1", "customer", "a retried delivery", "2026-11-22T10:00:09Z")])
    assert await store.messages("demo", conversation) == [first, reply]
    assert await store.messages("demo", "no-such-conversation") == []


async def test_suggestions_shown_are_kept_per_rank_and_a_reshow_replaces_them(store: Store) -> None:
    conversation = f"c-{uuid.uuid4()}"
    await store.write([suggestion(conversation, r, f"faq-{r}", "2026-11-22T10:00:00Z") for r in (1, 2, 3)])
    await store.write([suggestion(conversation, 1, "faq-new", "2026-11-22T10:00:00Z")])
    shown = await store.suggestions("demo", conversation)
    assert [(s.rank, s.entry_id) for s in shown] == [(1, "faq-new"), (2, "faq-2"), (3, "faq-3")]
    assert shown[1].score == pytest.approx(0.7)


async def test_records_survive_a_restart(store: Store, tmp_path: Path) -> None:
    conversation = f"c-{uuid.uuid4()}"
    await store.write([message(conversation, "m1", "customer", "在吗", "2026-11-22T10:00:00Z")])
    await store.close()
    await store.open()
    assert [m.text for m in await store.messages("demo", conversation)] == ["在吗"]
