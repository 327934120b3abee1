"""Fixtures of the admin tests: an app with the demo shop in its store and a token book."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from assistant.retrieval.snapshot import BuildReport
from assistant.service import keys
from assistant.service.app import create_app
from assistant.service.batching import ModelWorker
from assistant.storage.shop_files import create_shop_from
from assistant.suggest.pipeline import EmotionReader, Suggester
from tests.conftest import KNOWLEDGE

from ..conftest import make_settings
from ..panel.conftest import TokenBook
from ..test_shops import seeded_index


@dataclass
class Admin:
    """A started app, its token book and one token of each kind."""

    client: TestClient[Any, Any]
    tokens: Any  # a TokenBook, or the app's store with `make_admin(store_tokens=True)`
    admin: str  # admin token of shop demo
    agent: str  # agent token of shop demo
    other_admin: str  # admin token of shop other

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.admin}"}


AdminFactory = Callable[..., Awaitable[Admin]]


@pytest_asyncio.fixture(loop_scope="session")
async def make_admin(
    model_worker: ModelWorker,
    service_suggester: Suggester,
    service_detector: EmotionReader,
    demo_index: tuple[Path, BuildReport],
    tmp_path: Path,
) -> AsyncIterator[AdminFactory]:
    """`await make_admin(threshold=None, **settings)`: the service with the demo shop in its store.
    Its index folder starts with the session's embedding cache of the demo shop and rebuilds run
    inline, so the rebuild an approval starts embeds only the new texts (well under a second)."""
    clients: list[TestClient[Any, Any]] = []

    async def factory(threshold: float | None = None, store_tokens: bool = False, **overrides: Any) -> Admin:
        cut = service_suggester.threshold if threshold is None else threshold
        suggester = Suggester(service_suggester.ranker, service_detector, cut)
        fields: dict[str, Any] = {"rebuild_mode": "inline", **overrides}
        fields.setdefault("index_dir", seeded_index(tmp_path / f"app{len(clients)}", demo_index))
        settings = make_settings(**fields).replace(request_timeout_s=60.0)
        app = create_app(settings, model=model_worker, suggester=suggester, detector=service_detector)
        tokens: Any = TokenBook()
        if not store_tokens:  # else the store keeps them, hashed, as in production
            app[keys.TOKENS] = tokens
        client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        store = app[keys.STORE]
        if store_tokens:
            tokens = store
        await create_shop_from(store, "demo", KNOWLEDGE)
        await store.create_shop("other", "别家")
        _, admin = await tokens.create_token("demo", "admin")
        _, agent = await tokens.create_token("demo", "agent")
        _, other = await tokens.create_token("other", "admin")
        return Admin(client, tokens, admin, agent, other)

    yield factory
    for client in clients:
        await client.close()
