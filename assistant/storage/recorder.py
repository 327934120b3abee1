"""`Recorder`: conversation records written before the request that made them is answered.

`await recorder.record(*records)` returns once the records are committed. Writers that arrive
while a write is in flight wait for the next one, which commits all of them in one
transaction (group commit), so a burst costs one transaction, not one per request. A busy
database is retried with backoff until the deadline (`budget_s`); what still could not be
written is counted (`dropped`), logged, and raised as `RecordsNotStored`, so the caller answers
with an error instead of acknowledging a message that is not stored.

The write runs in the recorder's own task: a caller that gives up (client hung up) does not
cancel a write other callers share.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.storage.protocols import RecordStore, StoreError
from assistant.storage.records import Record

log = logging.getLogger("assistant.storage.recorder")

MAX_BATCH = 500


class RecordsNotStored(StoreError):
    """The records could not be written before their deadline (the database stayed busy)."""


@dataclass(slots=True)
class _Waiting:
    records: Sequence[Record]
    deadline: float
    done: asyncio.Future[None]


class Recorder:
    """Group-committed, awaited writes of conversation records to a `RecordStore`."""

    def __init__(
        self,
        store: RecordStore,
        *,
        budget_s: float = 10.0,
        dropped: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self._budget_s = budget_s
        self._dropped = dropped or (lambda n: None)
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, *records: Record, budget_s: float | None = None) -> None:
        """Write `records` (one transaction with whatever else is waiting); raises `RecordsNotStored`."""
        if not records:
            return
        loop = asyncio.get_running_loop()
        budget = self._budget_s if budget_s is None else budget_s
        waiting = _Waiting(records, time.monotonic() + budget, loop.create_future())
        # Read by the done callback too, so a caller that gave up leaves no unretrieved error.
        waiting.done.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._waiting.append(waiting)
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._drain(), name="recorder")
        await asyncio.shield(waiting.done)

    async def flush(self) -> None:
        """Wait until every write started so far has finished."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def _drain(self) -> None:
        while self._waiting:
            batch: list[_Waiting] = []
            size = 0
            while self._waiting and (not batch or size + len(self._waiting[0].records) <= MAX_BATCH):
                batch.append(self._waiting.pop(0))
                size += len(batch[-1].records)
            await self._write(batch)

    async def _write(self, batch: list[_Waiting]) -> None:
        deadline = max(w.deadline for w in batch)
        try:
            await self.store.write([r for w in batch for r in w.records], deadline=deadline)
        except Exception as exc:
            if len(batch) > 1 and not isinstance(exc, StoreError):
                # One writer's bad record must not fail the others: write each on its own.
                for waiting in batch:
                    await self._write([waiting])
                return
            self._fail(batch, exc)
            return
        for waiting in batch:
            if not waiting.done.done():
                waiting.done.set_result(None)

    def _fail(self, batch: list[_Waiting], exc: Exception) -> None:
        count = sum(len(w.records) for w in batch)
        self._dropped(count)
        log.error("records not stored", extra={"records": count, "problem": str(exc)})
        for waiting in batch:
            if not waiting.done.done():
                waiting.done.set_exception(RecordsNotStored(f"{len(waiting.records)} record(s) not stored: {exc}"))
