"""PostgreSQL for deployments (asyncpg pool): several replicas share one database.

The statements are the store's portable SQL with `?` placeholders, turned into `$1, $2, ...`
here once per statement text. A dropped connection, a serialisation failure or a deadlock is
"busy": the write transaction is retried (`database.retry_busy`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg

from assistant.storage.database import Row
from assistant.storage.migrate import migrate


@functools.lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$n` (the store's SQL has no `?` inside literals)."""
    parts = sql.split("?")
    out = [parts[0]]
    for n, part in enumerate(parts[1:], start=1):
        out.append(f"${n}{part}")
    return "".join(out)


class _PostgresTransaction:
    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        status: str = await self._connection.execute(numbered(sql), *args)
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._connection.executemany(numbered(sql), [tuple(r) for r in rows])

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return [tuple(r) for r in await self._connection.fetch(numbered(sql), *args)]


_BUSY = (
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
    OSError,
)


class PostgresDatabase:
    """A pool of connections to one PostgreSQL database."""

    def __init__(self, url: str, pool_size: int = 4) -> None:
        self.url = url
        self._pool_size = pool_size
        self._pool: Any = None
        self.applied: list[str] = []

    async def open(self) -> None:
        self.applied = await asyncio.to_thread(migrate, self.url)
        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=self._pool_size)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        if self._pool is None:
            raise RuntimeError("the store is not open")
        return [tuple(r) for r in await self._pool.fetch(numbered(sql), *args)]

    @contextlib.asynccontextmanager
    async def attempt(self) -> AsyncIterator[_PostgresTransaction]:
        if self._pool is None:
            raise RuntimeError("the store is not open")
        async with self._pool.acquire() as connection, connection.transaction():
            yield _PostgresTransaction(connection)

    def is_busy(self, exc: BaseException) -> bool:
        return isinstance(exc, _BUSY)
