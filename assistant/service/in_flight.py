"""The requests a process is handling now, and how its shutdown drains them (`shutdown.py`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator


class InFlight:
    """The requests being handled now (by the task serving each) and, once the shutdown has begun,
    how its drain goes: how many it waited for, how many the end of the grace period cut."""

    def __init__(self, grace_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.grace_s = grace_s
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.started: float | None = None  # when the shutdown began
        self.waited_for = 0  # requests in flight then (panels' streams included)
        self.cut = 0  # requests cancelled at the end of the grace period

    @property
    def active(self) -> int:
        return len(self._tasks)

    @property
    def draining(self) -> bool:
        return self.started is not None

    @contextlib.contextmanager
    def track(self, task: asyncio.Task[None]) -> Iterator[None]:
        """One request, served by `task` (aiohttp's `request.task`), while its handler runs."""
        self._tasks.add(task)
        self._idle.clear()
        try:
            yield
        except asyncio.CancelledError:
            if self.draining:  # cut at the end of the grace period
                self.cut += 1
            raise
        finally:
            self._tasks.discard(task)
            if not self._tasks:
                self._idle.set()

    def begin(self) -> bool:
        """The shutdown begins now; False when it had already begun (nothing changes then)."""
        if self.started is not None:
            return False
        self.started = self._clock()
        self.waited_for = self.active
        return True

    def elapsed_s(self) -> float:
        return 0.0 if self.started is None else self._clock() - self.started

    def remaining_s(self) -> float:
        """What is left of the grace period (0 while not shutting down)."""
        return 0.0 if self.started is None else max(0.0, self.grace_s - self.elapsed_s())

    async def drain(self) -> None:
        """Wait until no request is being handled, for what is left of the grace period; then cut
        the requests still running (their tasks are cancelled; `cut` counts them as they end)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.remaining_s()):
                await self._idle.wait()
        for task in list(self._tasks):
            task.cancel()
