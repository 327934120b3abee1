"""Apps and a Chatwoot stand-in for the platform adapters' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from assistant.service import keys
from assistant.service.app import create_app
from assistant.service.batching import ModelWorker
from assistant.service.settings import Settings
from assistant.storage.protocols import ShopRecord
from assistant.suggest.pipeline import EmotionReader, Suggester

from .chatwoot_stand_in import ChatwootStandIn

AppFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest_asyncio.fixture(loop_scope="session")
async def make_app(
    model_worker: ModelWorker, service_suggester: Suggester, service_detector: EmotionReader | None
) -> AsyncIterator[AppFactory]:
    """`await make_app(settings, shops=[...])`: a started app, with these shops created in its store."""
    clients: list[TestClient[Any, Any]] = []

    async def factory(
        settings: Settings, *, shops: Sequence[ShopRecord] = (), with_ranker: bool = True
    ) -> TestClient[Any, Any]:
        suggester = Suggester(service_suggester.ranker, service_detector, service_suggester.threshold)
        app: web.Application = create_app(
            settings, model=model_worker, suggester=suggester if with_ranker else None, detector=service_detector
        )
        client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        for shop in shops:
            await client.app[keys.STORE].create_shop(shop.shop, shop.name, shop.settings)
        return client

    yield factory
    for client in clients:
        await client.close()


@pytest_asyncio.fixture(loop_scope="session")
async def stand_in() -> AsyncIterator[ChatwootStandIn]:
    fake = ChatwootStandIn()
    await fake.server.start_server()
    yield fake
    await fake.server.close()
