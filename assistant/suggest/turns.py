"""Embedding turns and builder slots: the builds of one process wait for both smallest first.

Builds of different shops run side by side, but only one of them embeds at a time (the CPU is
shared with live queries). A build asks for a turn before each batch and gives it back after;
the next turn goes to the build with the smallest key (`turn_key`: fewest knowledge rows, then
the older job). So a small shop's build that starts while a big one runs waits for the batch in
flight, then embeds all of its own, and the big build goes on after it.

In `process` mode each build runs a child process that loads its own copy of the model, so a
process runs at most `HUASHU_BUILD_PROCESSES` of them at once: a build first waits for a builder
slot (still `queued`, its rows read, no model loaded), and a free slot goes to the waiting build
with the smallest key too. Both are `SmallestFirstSlots` (one turn; N slots). Which jobs go
before a job (`jobs_ahead`) and for what (`waits_for`) is read from the store, so any replica
can tell.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Collection, Iterator, Sequence
from typing import Literal

from assistant.storage.protocols import JobRecord

TurnKey = tuple[int, str, str]
WaitsFor = Literal["shop_order", "builder_slot", "embedding_turn"]


def turn_key(job: JobRecord) -> TurnKey:
    """Who goes first: the job with fewer knowledge rows, then the older one (its id last)."""
    return (job.rows, job.created_at, job.id)


class SmallestFirstSlots:
    """At most `capacity` holders at a time; a free slot goes to the waiter with the smallest key.

    A slot given to a waiter whose task was cancelled meanwhile is handed on, never lost."""

    def __init__(self, capacity: int = 1) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self.capacity = capacity
        self._holders: set[TurnKey] = set()
        self._waiting: dict[TurnKey, asyncio.Future[None]] = {}

    @property
    def holders(self) -> int:
        return len(self._holders)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def acquire(self, key: TurnKey) -> None:
        """Wait for a slot (what `withdraw` gives raises instead)."""
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[key] = granted
        self._hand_on()
        try:
            await granted
        except BaseException:
            if self._waiting.get(key) is granted:
                del self._waiting[key]
            elif granted.done() and not granted.cancelled() and granted.exception() is None:
                self._holders.discard(key)  # given, then cancelled before it ran: free again
            self._hand_on()
            raise

    def release(self, key: TurnKey) -> None:
        """`key`'s slot is free: it goes on to the smallest waiter."""
        self._holders.discard(key)
        self._hand_on()

    @contextlib.asynccontextmanager
    async def slot(self, key: TurnKey) -> AsyncIterator[None]:
        """A slot held for the block."""
        await self.acquire(key)
        try:
            yield
        finally:
            self.release(key)

    def withdraw(self, jobs: Collection[str], error: Exception) -> None:
        """The waiters of `jobs` (ids: a key's last part) stop waiting: their `acquire` raises `error`."""
        for key in [k for k in self._waiting if k[2] in jobs]:
            granted = self._waiting.pop(key)
            if not granted.done():
                granted.set_exception(error)

    def _holds_back(self, first: TurnKey) -> bool:
        """Whether a free slot stays free although `first` waits for it (never, here)."""
        return False

    def _hand_on(self) -> None:
        while len(self._holders) < self.capacity and self._waiting:
            first = min(self._waiting)
            if self._holds_back(first):
                return
            granted = self._waiting.pop(first)
            if granted.done():  # its task was cancelled and has not run its cleanup yet: skip it
                continue
            self._holders.add(first)
            granted.set_result(None)


class EmbeddingTurns(SmallestFirstSlots):
    """One embedding batch at a time among a process's builds, the smallest build first.

    A build is registered for as long as it runs (`build`) and asks for a turn before each batch
    (`turn`). A free turn goes to the waiting build with the smallest key, unless a smaller build
    is between two of its batches (it will ask again at once): so a small build, once started,
    embeds batch after batch without a bigger one slipping in between."""

    def __init__(self) -> None:
        super().__init__(1)
        self._builds: set[TurnKey] = set()
        self._between: set[TurnKey] = set()  # builds that embedded a batch and will ask again

    @contextlib.contextmanager
    def build(self, key: TurnKey) -> Iterator[None]:
        """A build registered while it runs (a late turn of a build gone no longer counts)."""
        self._builds.add(key)
        try:
            yield
        finally:
            self._builds.discard(key)
            self._between.discard(key)
            self._hand_on()

    async def acquire(self, key: TurnKey) -> None:
        """Wait for a batch's turn."""
        self._between.discard(key)
        await super().acquire(key)

    def release(self, key: TurnKey) -> None:
        """The batch is embedded: the turn goes on (`key` asks again soon if it still runs)."""
        if key in self._builds:
            self._between.add(key)
        super().release(key)

    @contextlib.asynccontextmanager
    async def turn(self, key: TurnKey) -> AsyncIterator[None]:
        """One batch's turn."""
        async with self.slot(key):
            yield

    def _holds_back(self, first: TurnKey) -> bool:
        return bool(self._between) and min(self._between) < first  # a smaller build is between two batches


def waits_for(job: JobRecord) -> WaitsFor | None:
    """What an unfinished job waits for: a queued one that has not read its knowledge, its shop's
    jobs before it; one that has (its `knowledge_revision` and `rows` recorded), a builder slot;
    a running one, its embedding turn."""
    if job.state == "queued":
        return "builder_slot" if job.knowledge_revision else "shop_order"
    return "embedding_turn" if job.state == "running" else None


def jobs_ahead(job: JobRecord, unfinished: Sequence[JobRecord]) -> list[JobRecord]:
    """The jobs of `job`'s process (`unfinished`: its queued and running jobs) that go before it:
    for a queued job, its shop's jobs queued before it (a shop's jobs run in order); for one
    waiting for a builder slot, the running builds (one must end) and the builds waiting for a
    slot that get one first (`turn_key`); for a running one, the running builds that take the
    embedding turn before it; none once done."""
    others = [j for j in unfinished if j.id != job.id and j.owner == job.owner]
    wait = waits_for(job)
    if wait == "shop_order":
        before = (job.created_at, job.id)  # a running one of its shop started first, whatever its time
        return [j for j in others if j.shop == job.shop and (j.state == "running" or (j.created_at, j.id) < before)]
    if wait == "builder_slot":
        return [j for j in others if j.state == "running" or (waits_for(j) == wait and turn_key(j) < turn_key(job))]
    if wait == "embedding_turn":
        return [j for j in others if j.state == "running" and turn_key(j) < turn_key(job)]
    return []
