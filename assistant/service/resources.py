"""The service's resources, one aiohttp cleanup context each, in the order `create_app` installs
them: the model thread, the store (and the recorder that writes before answering), the shops'
index (registry, rebuilds, snapshot polling, live learning), conversation memory and delivery
dedup (in process or Redis), the query encoder, the Chatwoot HTTP client, the suggestion service
with its ranking thread, and the background tasks. Each tears down only what it started; a model
worker or suggester handed in by the caller is never closed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
from aiohttp import web

from assistant.knowledge.loader import KnowledgeError
from assistant.retrieval.snapshot import load_snapshot_at
from assistant.service import keys, shared_state
from assistant.service.auto_approval import AutoApprover
from assistant.service.background import BackgroundTasks
from assistant.service.batching import ModelWorker, QueryEncoder
from assistant.service.conversation_recall import RecallingConversations
from assistant.service.conversations import ConversationMemory, SeenSet
from assistant.service.core import SuggestionService
from assistant.service.fallback_state import FallbackConversations, FallbackDeliveries
from assistant.service.home import checkout, paths
from assistant.service.panel.events import PanelPublisher
from assistant.service.platforms.chatwoot.client import ChatwootClient
from assistant.service.redis_link import RedisLink, RedisUnavailable
from assistant.service.settings import Settings
from assistant.storage import open_store
from assistant.storage.protocols import RecordStore, StoreError
from assistant.storage.record_tables import retention_cutoff
from assistant.storage.recorder import Recorder
from assistant.storage.shop_files import ensure_default_shop
from assistant.suggest.pipeline import EmotionReader, Suggester
from assistant.suggest.rebuild import Rebuilder, RebuildOptions
from assistant.suggest.registry import ShopNotReady, ShopRegistry
from assistant.suggest.shop_learning import ShopLearner
from assistant.suggest.snapshots import clean_partial

log = logging.getLogger("assistant.service")

Context = Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]


def model_context(settings: Settings, model: ModelWorker | None) -> Context:
    async def model_ctx(app: web.Application) -> AsyncIterator[None]:
        if model is not None:  # owned by the caller
            app[keys.MODEL] = model
            yield
            return
        worker = await asyncio.to_thread(
            ModelWorker.start, settings.model, settings.model_threads, settings.long_lane_nice
        )
        app[keys.MODEL] = worker
        try:
            yield
        finally:
            await asyncio.to_thread(worker.close)

    return contextlib.asynccontextmanager(model_ctx)


def index_context(settings: Settings, suggesters: Mapping[str, Suggester], detector: EmotionReader | None) -> Context:
    async def index_ctx(app: web.Application) -> AsyncIterator[None]:
        log.info("service paths", extra=paths(settings))  # absolute: what a relative setting came to
        store = app[keys.STORE]
        worker = app[keys.MODEL]
        embedder = worker.embedder

        def load(path: Path, threshold: float) -> Suggester:
            snapshot = load_snapshot_at(path, model=embedder.name, dimension=embedder.dim)
            return Suggester.from_snapshot(snapshot, detector, threshold)

        budget = settings.shops_memory_mb * 1024 * 1024
        registry = ShopRegistry(store, settings.index_dir, load, budget)
        for shop, suggester in suggesters.items():
            registry.keep(shop, suggester)
        app[keys.INDEX] = registry
        options = RebuildOptions(
            settings.index_dir,
            settings.model,
            mode="inline" if settings.rebuild_mode == "inline" else "process",
            nice=settings.rebuild_nice,
            keep=settings.keep_snapshots,
            lease_s=settings.job_lease_s,
            processes=settings.build_processes,
        )
        rebuilder = Rebuilder(store, registry, worker, options)
        app[keys.REBUILDER] = rebuilder
        if suggesters:
            version = next(iter(suggesters.values())).index_version
            app[keys.METRICS].set_index(version, embedder.name)
        loop = asyncio.get_running_loop()
        first = loop.create_task(_first_start(app, bool(suggesters)), name="first-start")
        app[keys.FIRST_START] = first
        polling = loop.create_task(_follow_store(registry, rebuilder, first, settings.index_poll_s), name="index-poll")
        leasing = loop.create_task(rebuilder.keep_alive(), name="job-lease")
        learner = ShopLearner(store, registry, settings.learning_refresh_s, settings.learning_days)
        app[keys.LEARNER] = learner
        registry.on_swap(learner.snapshot_swapped)
        learning = loop.create_task(learner.run(), name="shop-learning")
        try:
            yield
        finally:
            await _stop(learning)
            await _stop(leasing)
            await _stop(polling)
            await _stop(first)
            await rebuilder.close()

    return contextlib.asynccontextmanager(index_ctx)


async def _first_start(app: web.Application, handed_in: bool) -> None:
    """Clean what a killed build left; on a fresh store import the knowledge folder as the default
    shop and build its first snapshot (the service listens meanwhile: /readyz says how far);
    else load the default shop's active snapshot. Then start again the rebuilds that the last
    stop cut short (a user test: a shop stayed stale after a restart until a manual rebuild)."""
    s = app[keys.SETTINGS]
    for removed in await asyncio.to_thread(clean_partial, s.index_dir):
        log.warning("half-built snapshot removed", extra={"path": str(removed)})
    if not handed_in:
        await _load_default_shop(app)
    try:
        await app[keys.REBUILDER].resume()
    except StoreError as exc:
        log.error("rebuilds cut short not resumed", extra={"problem": str(exc)})


async def _load_default_shop(app: web.Application) -> None:
    s = app[keys.SETTINGS]
    store, registry, rebuilder = app[keys.STORE], app[keys.INDEX], app[keys.REBUILDER]
    shop = s.default_shop
    try:
        if s.knowledge_dir.is_dir():
            await ensure_default_shop(store, shop, s.knowledge_dir)
        if await store.shop(shop) is None:
            folder = s.knowledge_dir.resolve()
            registry.problems[shop] = f"no shop {shop!r} and no knowledge folder {folder}/ to import"
            log.error(
                "no knowledge folder: the default shop has nothing to serve",
                extra={"shop": shop, "path": str(folder), "fix": _knowledge_fix()},
            )
            return
        if await store.active_snapshot(shop) is None:
            log.info("building the first snapshot", extra={"shop": shop})
            await rebuilder.build_now(shop)
        suggester = await registry.get(shop)
    except KnowledgeError as exc:
        registry.problems[shop] = f"{len(exc.problems)} problem(s) in {s.knowledge_dir}/: " + "; ".join(exc.problems)
        log.error("default shop not imported", extra={"problem": registry.problems[shop]})
        return
    except (ShopNotReady, StoreError) as exc:
        registry.problems.setdefault(shop, str(exc))
        log.error("default shop not loaded", extra={"problem": str(exc)})
        return
    app[keys.METRICS].set_index(suggester.index_version, suggester.ranker.embedder_name)
    log.info("index loaded", extra={"shop": shop, "version": suggester.index_version})


def _knowledge_fix() -> str:
    found = checkout()
    beside = f", or start huashu serve in the checkout {found}" if found is not None else ""
    return f"set HUASHU_KNOWLEDGE_DIR (or --knowledge) to the shop's knowledge folder{beside}"


async def _follow_store(
    registry: ShopRegistry, rebuilder: Rebuilder, first: asyncio.Task[None], every_s: float
) -> None:
    """Swap in snapshots activated by another replica or the CLI, and build the shops that have
    knowledge but no snapshot and nobody builds (a user test: a shop made with `huashu shop create`
    beside the service answered 503 until a manual rebuild); the latter once the first start has
    built what it builds, so the default shop's first build is not started twice."""
    if every_s <= 0:
        return
    while True:
        await asyncio.sleep(every_s)
        try:
            await registry.refresh()
            if first.done():
                await rebuilder.build_unbuilt()
        except StoreError as exc:
            log.error("snapshot poll failed", extra={"problem": str(exc)})


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel a background task of this app and wait until it has finished."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@contextlib.asynccontextmanager
async def store_ctx(app: web.Application) -> AsyncIterator[None]:
    """The store (migrated on open) and the recorder that writes before a request is answered."""
    s = app[keys.SETTINGS]
    store = open_store(s.database_url)
    await store.open()
    metrics = app[keys.METRICS]
    app[keys.STORE] = store
    if keys.TOKENS not in app:  # a test may hand in its own token book
        app[keys.TOKENS] = store
    app[keys.RECORDER] = Recorder(store, budget_s=s.request_timeout_s, dropped=metrics.records_dropped.inc)
    operator = str(s.admin_token)
    shop_token = await app[keys.TOKENS].verify_token(operator) if operator else None
    if shop_token is not None:
        log.error(
            "HUASHU_ADMIN_TOKEN is a shop's token, not an operator token: it acts only for its shop",
            extra={"shop": shop_token.shop, "token": shop_token.id, "role": shop_token.role},
        )
    purging = asyncio.get_running_loop().create_task(_purge_daily(store, s.retention_days), name="purge")
    try:
        yield
    finally:
        await _stop(purging)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(app[keys.RECORDER].flush(), timeout=s.request_timeout_s)
        await store.close()


async def _purge_daily(store: RecordStore, retention_days: int) -> None:
    """Records older than `retention_days` are deleted at start and then once a day."""
    if retention_days <= 0:
        return
    while True:
        try:
            purged = await store.purge(retention_cutoff(retention_days))
            log.info("records purged", extra={"retention_days": retention_days, **purged})
        except StoreError as exc:
            log.error("purge failed", extra={"problem": str(exc)})
        await asyncio.sleep(86400)


@contextlib.asynccontextmanager
async def shared_state_ctx(app: web.Application) -> AsyncIterator[None]:
    """Conversation memory and delivery dedup: in this process, or in Redis for several workers
    (through a `RedisLink`: short timeouts, this process's state while Redis is down). Either
    memory recalls a conversation it has no turns for from the record store."""
    s = app[keys.SETTINGS]
    memory = ConversationMemory(s.conversations_max, s.conversation_ttl_s, s.conversation_turns)
    seen = SeenSet(s.dedup_size)
    store = app[keys.STORE]
    if not s.redis_url:
        app[keys.MEMORY] = RecallingConversations(memory, store, s.conversation_ttl_s, s.conversation_turns)
        app[keys.DELIVERIES] = seen
        yield
        return
    metrics = app[keys.METRICS]
    link = RedisLink(s.redis_url, s.redis_timeout_s, s.redis_retry_s, metrics.set_redis, metrics.redis_fallbacks.inc)
    try:
        if not await link.check():
            if s.redis_required:
                problem = f"Redis unreachable at {link.where} ({link.problem}); HUASHU_REDIS_REQUIRED is set"
                raise RedisUnavailable(problem)
            log.warning("starting degraded: redis unreachable", extra={"problem": link.problem})
            metrics.set_redis(False)
        app[keys.REDIS] = link
        shared_memory = shared_state.RedisConversations(link.client, s.conversation_ttl_s, s.conversation_turns)
        app[keys.MEMORY] = RecallingConversations(
            FallbackConversations(link, shared_memory, memory), store, s.conversation_ttl_s, s.conversation_turns
        )
        app[keys.DELIVERIES] = FallbackDeliveries(link, shared_state.RedisDeliveries(link.client), seen)
        watcher = asyncio.get_running_loop().create_task(link.watch(), name="redis-watch")
        try:
            yield
        finally:
            await _stop(watcher)
    finally:
        await link.close()


@contextlib.asynccontextmanager
async def encoder_ctx(app: web.Application) -> AsyncIterator[None]:
    s = app[keys.SETTINGS]
    encoder = QueryEncoder(
        app[keys.MODEL],
        app[keys.METRICS],
        max_batch=s.batch_max_size,
        max_wait_s=s.batch_max_wait_ms / 1000,
        queue_tokens=s.queue_tokens,
        long_text_tokens=s.long_text_tokens,
        long_queue_tokens=s.long_queue_tokens,
        cache_size=s.embedding_cache_size,
        retry_after_s=s.retry_after_s,
        batching=s.batching,
    )
    app[keys.ENCODER] = encoder
    task = asyncio.get_running_loop().create_task(encoder.run(), name="query-batcher")
    try:
        yield
    finally:
        await _stop(task)
        encoder.fail_pending()


@contextlib.asynccontextmanager
async def chatwoot_ctx(app: web.Application) -> AsyncIterator[None]:
    """One HTTP session for Chatwoot's API (each shop has its own URL and token)."""
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout, raise_for_status=False) as session:
        app[keys.CHATWOOT] = ChatwootClient(session)
        yield


def service_context() -> Context:
    async def service_ctx(app: web.Application) -> AsyncIterator[None]:
        s = app[keys.SETTINGS]
        # Ranking (FAISS, BM25, fusion) and emotion reading: a second thread, off the loop,
        # so the model thread only ever encodes.
        rank_executor = ThreadPoolExecutor(1, thread_name_prefix="huashu-rank")
        approver = AutoApprover(app[keys.STORE], app[keys.REBUILDER], s.auto_approve_interval_s)
        app[keys.AUTO_APPROVER] = approver
        app[keys.SERVICE] = SuggestionService(
            s,
            app[keys.INDEX],
            app[keys.ENCODER],
            rank_executor,
            app[keys.MEMORY],
            app[keys.RECORDER],
            app[keys.METRICS],
            listeners=(PanelPublisher(app[keys.BUS]), approver),
        )
        try:
            yield
        finally:
            await approver.close()
            rank_executor.shutdown(wait=True, cancel_futures=True)

    return contextlib.asynccontextmanager(service_ctx)


@contextlib.asynccontextmanager
async def background_ctx(app: web.Application) -> AsyncIterator[None]:
    tasks = BackgroundTasks()
    app[keys.BACKGROUND] = tasks
    try:
        yield
    finally:
        await tasks.cancel_all()
