"""Embedding turns: the builds of one process embed one batch at a time, the smallest build first.

Builds of different shops run side by side, but only one of them embeds at a time (the CPU is
shared with live queries). A build asks for a turn before each batch and gives it back after;
the next turn goes to the build with the smallest key (`turn_key`: fewest knowledge rows, then
the older job). So a small shop's build that starts while a big one runs waits for the batch in
flight, then embeds all of its own, and the big build goes on after it. Which jobs go before a
job (`jobs_ahead`) is read from the store, so any replica can tell.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence

from assistant.storage.protocols import JobRecord

TurnKey = tuple[int, str, str]


def turn_key(job: JobRecord) -> TurnKey:
    """Who embeds first: the job with fewer knowledge rows, then the older one."""
    return (job.rows, job.created_at, job.id)


class EmbeddingTurns:
    """One embedding batch at a time among a process's builds, the smallest build first.

    A build is registered for as long as it runs (`build`) and asks for a turn before each batch
    (`turn`). A free turn goes to the waiting build with the smallest key, unless a smaller build
    is between two of its batches (it will ask again at once): so a small build, once started,
    embeds batch after batch without a bigger one slipping in between."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: dict[TurnKey, asyncio.Future[None]] = {}
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
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[key] = granted
        self._hand_on()
        try:
            await granted
        except asyncio.CancelledError:
            if self._waiting.get(key) is granted:
                del self._waiting[key]
            elif granted.done() and not granted.cancelled():  # given, then cancelled: free again
                self._held = False
            self._hand_on()
            raise

    def release(self, key: TurnKey) -> None:
        """The batch is embedded: the turn goes on (`key` asks again soon if it still runs)."""
        self._held = False
        if key in self._builds:
            self._between.add(key)
        self._hand_on()

    @contextlib.asynccontextmanager
    async def turn(self, key: TurnKey) -> AsyncIterator[None]:
        """One batch's turn."""
        await self.acquire(key)
        try:
            yield
        finally:
            self.release(key)

    def _hand_on(self) -> None:
        while not self._held and self._waiting:
            first = min(self._waiting)
            if self._between and min(self._between) < first:  # a smaller build is between two batches
                return
            granted = self._waiting.pop(first)
            if granted.done():  # its task was cancelled and has not run its cleanup yet: skip it
                continue
            self._held = True
            granted.set_result(None)


def jobs_ahead(job: JobRecord, unfinished: Sequence[JobRecord]) -> list[JobRecord]:
    """The jobs of `job`'s process (`unfinished`: its queued and running jobs) that go before it:
    for a queued job, its shop's jobs queued before it (a shop's jobs run in order); for a running
    one, the running builds that take the embedding turn before it (`turn_key`); none once done."""
    others = [j for j in unfinished if j.id != job.id and j.owner == job.owner]
    if job.state == "queued":
        before = (job.created_at, job.id)  # a running one of its shop started first, whatever its time
        return [j for j in others if j.shop == job.shop and (j.state == "running" or (j.created_at, j.id) < before)]
    if job.state == "running":
        return [j for j in others if j.state == "running" and turn_key(j) < turn_key(job)]
    return []
