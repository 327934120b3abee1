"""`Recorder`: a record is acknowledged only once committed; concurrent writers share one
transaction; a locked database is waited out within the deadline; past it, nothing is
acknowledged and the loss is counted."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import pytest_asyncio

from assistant.storage import open_store
from assistant.storage.protocols import RecordStore
from assistant.storage.recorder import Recorder, RecordsNotStored
from assistant.storage.records import MessageRecord, Record
from assistant.storage.sql_store import SqlStore
from tests.conftest import POSTGRES_URL


class CountedWrites:
    """The real store, counting how many transactions the recorder asked of it."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store
        self.writes: list[int] = []

    async def write(self, records: Sequence[Record], deadline: float | None = None) -> None:
        self.writes.append(len(records))
        await self.store.write(records, deadline)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


def message(conversation: str, n: int) -> MessageRecord:
    at = "2026-12-01T08:00:00.000+00:00"
    return MessageRecord("api", "demo", conversation, f"m{n}", "customer", f"第{n}条", at, at)


@contextmanager
def write_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's view: a connection holding the SQLite write lock until released."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield holder
    finally:
        if holder.in_transaction:
            holder.execute("COMMIT")
        holder.close()


async def test_concurrent_writers_share_transactions_and_all_are_stored(store: SqlStore) -> None:
    counted = CountedWrites(store)
    recorder = Recorder(counted)  # type: ignore[arg-type]
    conversation = f"c-{uuid.uuid4()}"
    await asyncio.gather(*(recorder.record(message(conversation, n)) for n in range(60)))
    assert len(await store.messages("demo", conversation)) == 60
    assert sum(counted.writes) == 60 and len(counted.writes) < 60


@pytest_asyncio.fixture(loop_scope="session")
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'locked.db'}")
    await opened.open()
    yield opened
    await opened.close()


async def test_a_locked_database_is_waited_out_and_nothing_is_lost(sqlite_store: SqlStore, tmp_path: Path) -> None:
    dropped: list[int] = []
    recorder = Recorder(sqlite_store, budget_s=10, dropped=dropped.append)
    conversation = f"c-{uuid.uuid4()}"
    with write_lock(tmp_path / "locked.db") as holder:
        started = time.monotonic()
        writers = [asyncio.ensure_future(recorder.record(message(conversation, n))) for n in range(20)]
        await asyncio.sleep(1.5)
        assert not any(w.done() for w in writers)  # nothing is acknowledged while the lock is held
        holder.execute("COMMIT")
    await asyncio.gather(*writers)
    assert time.monotonic() - started >= 1.5
    assert len(await sqlite_store.messages("demo", conversation)) == 20 and dropped == []


async def test_past_the_deadline_nothing_is_acknowledged_and_the_loss_is_counted(
    sqlite_store: SqlStore, tmp_path: Path
) -> None:
    dropped: list[int] = []
    recorder = Recorder(sqlite_store, budget_s=0.5, dropped=dropped.append)
    conversation = f"c-{uuid.uuid4()}"
    await recorder.record(message(conversation, 0))
    with write_lock(tmp_path / "locked.db"):
        outcomes = await asyncio.gather(
            *(recorder.record(message(conversation, n)) for n in range(1, 6)), return_exceptions=True
        )
    assert all(isinstance(o, RecordsNotStored) for o in outcomes)
    assert sum(dropped) == 5
    assert [m.message_id for m in await sqlite_store.messages("demo", conversation)] == ["m0"]
    await recorder.record(message(conversation, 9))  # the lock is gone: writing works again
    assert len(await sqlite_store.messages("demo", conversation)) == 2


async def test_a_postgres_lock_held_past_the_deadline_is_not_waited_for_ever() -> None:
    store = open_store(POSTGRES_URL)
    await store.open()
    holder = await asyncpg.connect(POSTGRES_URL)
    dropped: list[int] = []
    recorder = Recorder(store, budget_s=0.5, dropped=dropped.append)
    conversation = f"c-{uuid.uuid4()}"
    try:
        async with holder.transaction():
            await holder.execute("LOCK TABLE messages IN EXCLUSIVE MODE")
            started = time.monotonic()
            outcome = await asyncio.gather(recorder.record(message(conversation, 1)), return_exceptions=True)
            assert isinstance(outcome[0], RecordsNotStored) and time.monotonic() - started < 5
        assert dropped == [1] and await store.messages("demo", conversation) == []
        await recorder.record(message(conversation, 2))
        assert [m.message_id for m in await store.messages("demo", conversation)] == ["m2"]
    finally:
        await holder.close()
        await store.close()
