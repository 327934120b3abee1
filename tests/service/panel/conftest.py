"""Fixtures of the panel tests: apps served on a real port (for the browser), a token book, a
store that keeps what it is asked to write, a Chatwoot stand-in, and headless Chromium."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, async_playwright

from assistant.service import keys
from assistant.service.app import create_app
from assistant.service.batching import ModelWorker
from assistant.service.settings import Settings
from assistant.storage.protocols import Role, ShopRecord, TokenRecord
from assistant.storage.records import FeedbackRecord, Record
from assistant.suggest.pipeline import EmotionReader, Suggester

from ..conftest import make_settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHATWOOT_TOKEN = "chatwoot-api-token"


class TokenBook:
    """Tokens in memory (the `TokenStore` contract), so the panel's shop scope can be tested."""

    def __init__(self) -> None:
        self._by_secret: dict[str, TokenRecord] = {}

    async def create_token(self, shop: str, role: Role, name: str = "") -> tuple[TokenRecord, str]:
        secret = secrets.token_urlsafe(16)
        record = TokenRecord(uuid.uuid4().hex, shop, role, name=name)
        self._by_secret[secret] = record
        return record, secret

    def add(self, secret: str, shop: str, role: Role) -> TokenRecord:
        """A token with a secret of the test's choosing (one that is also a setting, say)."""
        record = self._by_secret[secret] = TokenRecord(uuid.uuid4().hex, shop, role)
        return record

    async def verify_token(self, secret: str) -> TokenRecord | None:
        return self._by_secret.get(secret)

    def revoke(self, secret: str) -> None:
        del self._by_secret[secret]

    async def has_tokens(self) -> bool:
        return bool(self._by_secret)

    async def tokens(self, shop: str) -> list[TokenRecord]:
        return [record for record in self._by_secret.values() if record.shop == shop]

    async def revoke_token(self, shop: str, token_id: str) -> bool:
        found = [s for s, record in self._by_secret.items() if record.shop == shop and record.id == token_id]
        for secret in found:
            del self._by_secret[secret]
        return bool(found)


class KeepingStore:
    """Wraps the app's store: writes go through, and every record asked for is kept here."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.records: list[Record] = []
        self.written = asyncio.Condition()

    async def write(self, records: Sequence[Record], **options: Any) -> None:
        await self.inner.write(records, **options)
        async with self.written:
            self.records.extend(records)
            self.written.notify_all()

    def feedback(self) -> list[FeedbackRecord]:
        return [r for r in self.records if isinstance(r, FeedbackRecord)]

    async def wait_feedback(self, count: int, timeout: float = 10.0) -> list[FeedbackRecord]:
        async with asyncio.timeout(timeout), self.written:
            await self.written.wait_for(lambda: len(self.feedback()) >= count)
        return self.feedback()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class Served:
    """One running app on a real port."""

    server: TestServer
    store: KeepingStore
    tokens: TokenBook | None

    @property
    def app(self) -> web.Application:
        return self.server.app

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


ServeFactory = Callable[..., Awaitable[Served]]


@pytest_asyncio.fixture(loop_scope="session")
async def serve(
    model_worker: ModelWorker, service_suggester: Suggester, service_detector: EmotionReader
) -> AsyncIterator[ServeFactory]:
    """`await serve(settings=None, tokens=None, port=0)`: the service on 127.0.0.1, started."""
    servers: list[TestServer] = []

    async def factory(
        settings: Settings | None = None,
        *,
        tokens: TokenBook | None = None,
        port: int = 0,
        threshold: float | None = None,
        suggester: Suggester | None = None,
        shops: Sequence[ShopRecord] = (),
    ) -> Served:
        """`threshold` overrides the answerable cut-off; `suggester` serves another index;
        `shops` are created in the app's store."""
        base = suggester or service_suggester
        cut = base.threshold if threshold is None else threshold
        suggester = Suggester(base.ranker, service_detector, cut)
        # a generous deadline: these tests are about the panel, on a machine shared with others
        settings = (settings or make_settings()).replace(request_timeout_s=60.0)
        app = create_app(
            settings,
            model=model_worker,
            suggester=suggester,
            detector=service_detector,
            suggesters={"other": suggester},  # a second shop the scope tests post to
        )
        if tokens is not None:
            app[keys.TOKENS] = tokens
        server = TestServer(app, host="127.0.0.1", port=port)
        await server.start_server()
        servers.append(server)
        for shop in shops:
            await app[keys.STORE].create_shop(shop.shop, shop.name, shop.settings)
        recorder = app[keys.RECORDER]
        store = KeepingStore(recorder.store)
        recorder.store = store
        return Served(server, store, tokens)

    yield factory
    for server in servers:
        await server.close()


@dataclass
class ChatwootStandIn:
    """A local aiohttp app speaking Chatwoot's message API; it records what it receives."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 7000
    server: TestServer | None = None

    async def create(self, request: web.Request) -> web.Response:
        if request.headers.get("api_access_token") != CHATWOOT_TOKEN:
            return web.json_response({"error": "unauthorized"}, status=401)
        self.next_id += 1
        body = await request.json()
        self.messages.append(
            {
                "account": request.match_info["account"],
                "conversation": request.match_info["conversation"],
                "id": self.next_id,
                **body,
            }
        )
        return web.json_response({"id": self.next_id, "content": body.get("content"), "private": body.get("private")})

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/"))


@pytest_asyncio.fixture(loop_scope="session")
async def chatwoot_stand_in() -> AsyncIterator[ChatwootStandIn]:
    stand_in = ChatwootStandIn()
    app = web.Application()
    app.router.add_post("/api/v1/accounts/{account}/conversations/{conversation}/messages", stand_in.create)
    stand_in.server = TestServer(app, host="127.0.0.1")
    await stand_in.server.start_server()
    yield stand_in
    await stand_in.server.close()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (a missing browser fails the tests)."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session
