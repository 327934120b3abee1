"""The store's contract runs over every backend: SQLite (a file per test) and the real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from assistant.storage import open_store
from assistant.storage.sql_store import SqlStore
from tests.conftest import POSTGRES_URL

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every async test here shares the session's event loop with the store fixtures."""
    marker = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if pytest_asyncio.is_async_test(item) and HERE in Path(str(item.fspath)).parents:
            item.add_marker(marker, append=False)


def backend_url(backend: str, tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'huashu.db'}" if backend == "sqlite" else POSTGRES_URL


@pytest_asyncio.fixture(params=["sqlite", "postgres"], loop_scope="session")
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlStore]:
    """An opened store of each backend (PostgreSQL must be running: the test fails otherwise)."""
    opened = open_store(backend_url(request.param, tmp_path))
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
def shop_id() -> str:
    """A shop id no other test (or earlier run on the shared PostgreSQL database) has used."""
    return f"s-{uuid.uuid4().hex[:12]}"
