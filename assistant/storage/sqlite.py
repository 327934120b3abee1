"""SQLite, the embedded default (aiosqlite, WAL): one file that the service and the CLI share.

Two connections: one writer, whose transactions start with `BEGIN IMMEDIATE` (the write lock
is taken up front, so a transaction never fails half-way on a lock) and run one at a time, and
one reader, which in WAL mode sees committed data while another process writes. The writer
waits at most `BUSY_WAIT_MS` inside SQLite for a lock another process holds, then gives the
event loop back: the retry with backoff is `database.retry_busy`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from assistant.storage.database import Row
from assistant.storage.migrate import migrate

BUSY_WAIT_MS = 100
WAL_WAIT_S = 10.0  # switching a new file to WAL waits this long for other openers at most


async def _wal(connection: aiosqlite.Connection) -> None:
    """Put the file in WAL mode. The switch needs the file to itself and SQLite may refuse it at
    once ("database is locked") while another process migrates or switches the same new file,
    without waiting on its busy handler: retried with back-off, up to `WAL_WAIT_S`."""
    loop = asyncio.get_running_loop()
    deadline, pause = loop.time() + WAL_WAIT_S, 0.02
    while True:
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or loop.time() + pause > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)


def sqlite_path(url: str) -> str | None:
    """The file a `sqlite://` URL names, or None for a throwaway store (`:memory:`, `none`).

    `sqlite:///var/huashu.db` is relative to the working directory, `sqlite:////srv/h.db` absolute.
    """
    if url in ("", "none"):
        return None
    path = url.removeprefix("sqlite://")
    if path in ("", ":memory:", "/:memory:"):
        return None
    return path[1:] if path.startswith("/") else path


class _SQLiteTransaction:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        cursor = await self._connection.execute(sql, tuple(args))
        changed = cursor.rowcount
        await cursor.close()
        return changed

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._connection.executemany(sql, [tuple(r) for r in rows])

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return [tuple(r) for r in await self._connection.execute_fetchall(sql, tuple(args))]


class SQLiteDatabase:
    """One SQLite file; `sqlite://:memory:` is a private file in a temporary folder, removed at close."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._path = sqlite_path(url)
        self._scratch: str | None = None
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self.applied: list[str] = []

    @property
    def path(self) -> Path:
        """The database file (the temporary one of a throwaway store once opened)."""
        if self._path is not None:
            return Path(self._path)
        if self._scratch is None:
            raise RuntimeError("a throwaway SQLite store has no file before it is opened")
        return Path(self._scratch) / "huashu.db"

    async def open(self) -> None:
        if self._path is None:
            self._scratch = tempfile.mkdtemp(prefix="huashu-store-")
        path = self.path.resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.applied = await asyncio.to_thread(migrate, f"sqlite:///{path}")
        self._writer = await self._connect(path)
        self._reader = await self._connect(path)
        await self._reader.execute("PRAGMA query_only=ON")

    @staticmethod
    async def _connect(path: Path) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(path, isolation_level=None)
        await _wal(connection)
        # NORMAL in WAL mode: a commit survives the process being killed (only a power cut
        # may lose the last transactions); FULL would fsync on every commit.
        await connection.execute("PRAGMA synchronous=NORMAL")
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute(f"PRAGMA busy_timeout={BUSY_WAIT_MS}")
        return connection

    async def close(self) -> None:
        for connection in (self._writer, self._reader):
            if connection is not None:
                await connection.close()
        self._writer = self._reader = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        if self._reader is None:
            raise RuntimeError("the store is not open")
        return [tuple(r) for r in await self._reader.execute_fetchall(sql, tuple(args))]

    @contextlib.asynccontextmanager
    async def attempt(self) -> AsyncIterator[_SQLiteTransaction]:
        if self._writer is None:
            raise RuntimeError("the store is not open")
        writer = self._writer
        async with self._lock:
            try:
                # Inside the try: a deadline that cancels us while BEGIN waits still queues the
                # ROLLBACK behind it, so the connection never stays in a transaction.
                await writer.execute("BEGIN IMMEDIATE")
                yield _SQLiteTransaction(writer)
                await writer.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    await writer.execute("ROLLBACK")
                raise

    def is_busy(self, exc: BaseException) -> bool:
        if not isinstance(exc, sqlite3.OperationalError):
            return False
        message = str(exc).lower()
        return "locked" in message or "busy" in message
