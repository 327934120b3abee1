"""The little a store needs from a database: reads, and write transactions retried while busy.

Statements are written once, in the SQL both backends speak, with `?` placeholders; each
backend (`sqlite.py`, `postgres.py`) runs them its own way. A write transaction that meets a
busy database (another process holds the SQLite write lock; a PostgreSQL connection dropped) is
retried with backoff until its deadline; then `StoreBusy` says what happened.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

from assistant.storage.protocols import StoreError

log = logging.getLogger("assistant.storage")

Row = tuple[Any, ...]
T = TypeVar("T")

DEFAULT_WRITE_BUDGET_S = 10.0
"""How long a write keeps retrying a busy database unless its caller says otherwise."""


class StoreBusy(StoreError):
    """The database stayed busy (locked, unreachable) until the write's deadline."""


class Transaction(Protocol):
    """One open write transaction."""

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Row]: ...


class Database(Protocol):
    """A connection (pool) to one database."""

    url: str
    applied: list[str]
    """The migrations the last `open()` applied."""

    async def open(self) -> None:
        """Bring the schema up to date (`migrate.py`), then connect."""
        ...

    async def close(self) -> None: ...

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        """A read of committed data."""
        ...

    def attempt(self) -> AbstractAsyncContextManager[Transaction]:
        """One try at a write transaction: committed on exit, rolled back on an exception."""
        ...

    def is_busy(self, exc: BaseException) -> bool:
        """Whether `exc` is a passing condition worth retrying (a lock, a dropped connection)."""
        ...


class Backoff:
    """Delays between retries: 20 ms doubling to 1 s, never past the deadline."""

    def __init__(self, deadline: float, first_s: float = 0.02, most_s: float = 1.0) -> None:
        self.deadline = deadline
        self._next = first_s
        self._most = most_s
        self.tries = 0

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    async def wait(self) -> bool:
        """Sleep before the next try; False when the deadline leaves no time for one."""
        self.tries += 1
        left = self.remaining()
        if left <= 0:
            return False
        await asyncio.sleep(min(self._next, left))
        self._next = min(self._next * 2, self._most)
        return self.remaining() > 0


async def retry_busy(
    database: Database, work: Callable[[Transaction], Awaitable[T]], deadline: float | None = None
) -> T:
    """Run `await work(tx)` in a write transaction, retried with backoff while the database is busy.

    `work` may run more than once, so it only touches the database. `deadline` is a
    `time.monotonic()` value (default: `DEFAULT_WRITE_BUDGET_S` from now).
    """
    backoff = Backoff(deadline if deadline is not None else time.monotonic() + DEFAULT_WRITE_BUDGET_S)
    while True:
        try:
            # A lock that blocks instead of failing (PostgreSQL) must not outlive the deadline either.
            async with asyncio.timeout(max(backoff.remaining(), 0.001)), database.attempt() as tx:
                return await work(tx)
        except TimeoutError as exc:
            raise StoreBusy(f"database busy past the deadline after {backoff.tries + 1} tries") from exc
        except Exception as exc:
            if not database.is_busy(exc):
                raise
            if not await backoff.wait():
                raise StoreBusy(f"database busy for {backoff.tries} tries: {exc}") from exc
            log.info("database busy; retrying", extra={"tries": backoff.tries, "problem": str(exc)})
