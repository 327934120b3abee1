"""What the service remembers for the learning loop and analytics: every incoming message, the
suggestions shown for it, and the reply the agent really sent.

`Store` is the interface; `SQLiteStore` (aiosqlite, the embedded default) and `PostgresStore`
(asyncpg) implement it. Handlers never wait for a write: `Recorder` takes records into a
bounded queue and a background task writes them in batches (one transaction each).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import astuple
from pathlib import Path
from typing import Any, Protocol

from assistant.service.metrics import ServiceMetrics
from assistant.storage.records import MessageRecord, Record, SuggestionRecord

log = logging.getLogger("assistant.service.store")


_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS messages (
        platform TEXT NOT NULL, shop TEXT NOT NULL, conversation_id TEXT NOT NULL,
        message_id TEXT NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL,
        sent_at TEXT NOT NULL, received_at TEXT NOT NULL,
        PRIMARY KEY (platform, shop, conversation_id, message_id))""",
    """CREATE TABLE IF NOT EXISTS suggestions (
        platform TEXT NOT NULL, shop TEXT NOT NULL, conversation_id TEXT NOT NULL,
        message_id TEXT NOT NULL, rank INTEGER NOT NULL, entry_id TEXT NOT NULL,
        score DOUBLE PRECISION NOT NULL, source TEXT NOT NULL, index_version TEXT NOT NULL,
        shown_at TEXT NOT NULL,
        PRIMARY KEY (platform, shop, conversation_id, message_id, rank))""",
)
_MESSAGE_COLUMNS = "platform, shop, conversation_id, message_id, role, text, sent_at, received_at"
_SUGGESTION_COLUMNS = (
    "platform, shop, conversation_id, message_id, rank, entry_id, score, source, index_version, shown_at"
)


class Store(Protocol):
    """Where records end up; every implementation passes `tests/service/test_store.py`."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def write(self, records: Sequence[Record]) -> None:
        """Write in one transaction; a message already recorded is kept as it was."""
        ...

    async def messages(self, shop: str, conversation_id: str) -> list[MessageRecord]: ...

    async def suggestions(self, shop: str, conversation_id: str) -> list[SuggestionRecord]: ...


def _split(records: Sequence[Record]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    messages = [astuple(r) for r in records if isinstance(r, MessageRecord)]
    suggestions = [astuple(r) for r in records if isinstance(r, SuggestionRecord)]
    return messages, suggestions


class SQLiteStore:
    """The embedded default: one SQLite file (WAL), or `:memory:`."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._db: Any = None

    async def open(self) -> None:
        import aiosqlite

        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self._path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            await self._db.execute(statement)
        await self._db.commit()

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def write(self, records: Sequence[Record]) -> None:
        messages, suggestions = _split(records)
        if messages:
            await self._db.executemany(
                f"INSERT OR IGNORE INTO messages ({_MESSAGE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                messages,
            )
        if suggestions:
            await self._db.executemany(
                f"INSERT OR REPLACE INTO suggestions ({_SUGGESTION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                suggestions,
            )
        await self._db.commit()

    async def messages(self, shop: str, conversation_id: str) -> list[MessageRecord]:
        async with self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE shop=? AND conversation_id=? ORDER BY received_at, rowid",
            (shop, conversation_id),
        ) as cursor:
            return [MessageRecord(*row) for row in await cursor.fetchall()]

    async def suggestions(self, shop: str, conversation_id: str) -> list[SuggestionRecord]:
        async with self._db.execute(
            f"SELECT {_SUGGESTION_COLUMNS} FROM suggestions WHERE shop=? AND conversation_id=? "
            "ORDER BY shown_at, message_id, rank",
            (shop, conversation_id),
        ) as cursor:
            return [SuggestionRecord(*row) for row in await cursor.fetchall()]


class PostgresStore:
    """The same records in PostgreSQL (asyncpg pool)."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._pool: Any = None

    async def open(self) -> None:
        import asyncpg

        self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=4)
        async with self._pool.acquire() as conn:
            for statement in _SCHEMA:
                await conn.execute(statement)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def write(self, records: Sequence[Record]) -> None:
        messages, suggestions = _split(records)
        async with self._pool.acquire() as conn, conn.transaction():
            if messages:
                await conn.executemany(
                    f"INSERT INTO messages ({_MESSAGE_COLUMNS}) "
                    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING",
                    messages,
                )
            if suggestions:
                await conn.executemany(
                    f"INSERT INTO suggestions ({_SUGGESTION_COLUMNS}) "
                    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT "
                    "(platform, shop, conversation_id, message_id, rank) DO UPDATE SET "
                    "entry_id=EXCLUDED.entry_id, score=EXCLUDED.score, source=EXCLUDED.source, "
                    "index_version=EXCLUDED.index_version, shown_at=EXCLUDED.shown_at",
                    suggestions,
                )

    async def messages(self, shop: str, conversation_id: str) -> list[MessageRecord]:
        rows = await self._pool.fetch(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE shop=$1 AND conversation_id=$2 ORDER BY received_at",
            shop,
            conversation_id,
        )
        return [MessageRecord(*row) for row in rows]

    async def suggestions(self, shop: str, conversation_id: str) -> list[SuggestionRecord]:
        rows = await self._pool.fetch(
            f"SELECT {_SUGGESTION_COLUMNS} FROM suggestions WHERE shop=$1 AND conversation_id=$2 "
            "ORDER BY shown_at, message_id, rank",
            shop,
            conversation_id,
        )
        return [SuggestionRecord(*row) for row in rows]


class NullStore:
    """`HUASHU_DATABASE_URL=none`: records nothing."""

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def write(self, records: Sequence[Record]) -> None:
        return None

    async def messages(self, shop: str, conversation_id: str) -> list[MessageRecord]:
        return []

    async def suggestions(self, shop: str, conversation_id: str) -> list[SuggestionRecord]:
        return []


def open_store(url: str) -> Store:
    """The store a database URL names (not yet opened)."""
    if url in ("", "none"):
        return NullStore()
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        return SQLiteStore(":memory:" if path in ("", ":memory:", "/:memory:") else path[1:] or path)
    if url.startswith(("postgres://", "postgresql://")):
        return PostgresStore(url)
    raise ValueError(f"HUASHU_DATABASE_URL: unsupported database URL {url!r}")


class Recorder:
    """Non-blocking writes: a bounded queue drained in batches by one background task."""

    def __init__(self, store: Store, metrics: ServiceMetrics, max_pending: int = 10000) -> None:
        self.store = store
        self._metrics = metrics
        self._queue: asyncio.Queue[Record] = asyncio.Queue(max_pending)

    def record(self, *records: Record) -> None:
        for record in records:
            try:
                self._queue.put_nowait(record)
            except asyncio.QueueFull:
                self._metrics.records_dropped.inc()

    async def flush(self) -> None:
        """Wait until everything recorded so far is written."""
        await self._queue.join()

    async def run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < 500:
                batch.append(self._queue.get_nowait())
            try:
                await self.store.write(batch)
            except Exception:
                log.exception("store write failed; %d records lost", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()
