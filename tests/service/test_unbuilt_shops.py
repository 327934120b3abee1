"""A shop that has knowledge but no snapshot and nobody building it (made with `huashu shop create`
beside a running service) is built by the service's index poll, by one replica of several sharing
a PostgreSQL store; a build that failed on its knowledge is not started again until the knowledge
changes; meanwhile a request for the shop is a 503 that says what comes next."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from aiohttp.test_utils import TestClient

from assistant.cli import main
from assistant.service import keys
from assistant.storage.protocols import KnowledgeRow
from assistant.storage.shop_files import create_shop_from
from tests.conftest import postgres_database
from tests.service.conftest import ClientFactory, make_settings
from tests.service.helpers import suggest_body
from tests.service.test_shops import TEA

BROKEN = KnowledgeRow("faq/tea.yaml", -1, "tea-broken", {"id": "tea-broken", "stage": "pre_sale", "question": "散茶?"})


async def ask(client: TestClient[Any, Any], shop: str) -> tuple[int, dict[str, Any]]:
    body = suggest_body("白茶放冰箱吗", shop=shop, message_id=f"m-{uuid.uuid4().hex[:8]}")
    response = await client.post("/v1/suggest", json=body)
    payload: dict[str, Any] = await response.json()
    return response.status, payload


async def test_a_shop_created_with_the_cli_beside_the_service_is_built_by_its_poll(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    """A user test: `huashu shop create tea` beside a running service answered 503 "no snapshot has
    been built yet" for over a minute, saying nothing of what to do, until a manual rebuild."""
    url = f"sqlite:///{tmp_path}/huashu.db"
    settings = make_settings(index_dir=tmp_path / "index", database_url=url, rebuild_mode="inline", index_poll_s=0.1)
    client = await make_client(settings)
    await client.app[keys.FIRST_START]
    assert await asyncio.to_thread(main, ["shop", "create", "tea", "--knowledge", str(TEA), "--database-url", url]) == 0
    said = []
    deadline = time.monotonic() + 60
    while (answer := await ask(client, "tea"))[0] == 503:
        said.append(answer[1])
        assert time.monotonic() < deadline, f"tea still not served: {said[-1]}"
        await asyncio.sleep(0.05)
    assert answer[0] == 200 and answer[1]["shop"] == "tea", answer
    for payload in said:  # each 503 says what comes next, in the error envelope
        assert payload["errors"][0]["field"] == "index" and payload["errors"][0]["message"] == payload["error"]
        assert "starts within 0.2 s (or run huashu admin rebuild tea now)" in payload["error"] or (
            "building its first snapshot" in payload["error"] and "huashu admin jobs show" in payload["error"]
        ), payload
    (job,) = await client.app[keys.STORE].jobs("tea")
    assert job.state == "done" and job.owner == client.app[keys.REBUILDER].owner


async def test_a_build_that_failed_on_its_knowledge_waits_for_the_knowledge_to_change(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    settings = make_settings(index_dir=tmp_path / "index", rebuild_mode="inline", index_poll_s=0)  # polls by hand
    client = await make_client(settings)
    await client.app[keys.FIRST_START]
    store, rebuilder = client.app[keys.STORE], client.app[keys.REBUILDER]
    await create_shop_from(store, "tea", TEA)
    status, payload = await ask(client, "tea")
    assert (status, payload["error"]) == (
        503,
        "index not loaded: shop 'tea': no snapshot has been built yet: run huashu admin rebuild tea "
        "(HUASHU_INDEX_POLL_S=0: it is not built by itself)",
    )
    broken = await store.put_row("tea", BROKEN)  # an entry with no answer: its build fails
    assert await rebuilder.build_unbuilt() == []  # the first poll to find it only notes it
    (job,) = await rebuilder.build_unbuilt()
    await rebuilder.finished(job.id)
    failed = await store.job(job.id)
    assert failed is not None and (failed.state, failed.knowledge_revision) == ("failed", broken), failed
    status, payload = await ask(client, "tea")
    assert status == 503 and payload["error"] == (
        f"index not loaded: shop 'tea': its last build failed (job {job.id}: {failed.error}): "
        "fix the knowledge, then run huashu admin rebuild tea"
    )
    for _ in range(3):  # polls go on: the same knowledge is not built again
        assert await rebuilder.build_unbuilt() == []
    assert [j.id for j in await store.jobs("tea")] == [job.id]

    await store.delete_row("tea", BROKEN.entry_id)  # fixed (an import by the CLI, say)
    assert await rebuilder.build_unbuilt() == []
    (again,) = await rebuilder.build_unbuilt()
    await rebuilder.finished(again.id)
    assert (await ask(client, "tea"))[0] == 200


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_postgres() -> AsyncIterator[str]:
    """A PostgreSQL database of its own: the shared test database holds earlier runs' shops, which
    replicas polling for unbuilt shops would build too."""
    async with postgres_database("huashu_claims") as url:
        yield url


async def test_of_two_replicas_on_one_postgresql_store_one_builds_the_new_shop(
    fresh_postgres: str, make_client: ClientFactory, tmp_path: Path
) -> None:  # the database first: it is dropped after the replicas are closed
    settings = make_settings(
        index_dir=tmp_path / "index", database_url=fresh_postgres, rebuild_mode="inline", index_poll_s=0
    )
    replicas = [await make_client(settings), await make_client(settings)]
    for replica in replicas:
        await replica.app[keys.FIRST_START]
    store = replicas[0].app[keys.STORE]
    await create_shop_from(store, "tea", TEA)
    rebuilders = [replica.app[keys.REBUILDER] for replica in replicas]
    assert await asyncio.gather(*(r.build_unbuilt() for r in rebuilders)) == [[], []]
    started = [job for jobs in await asyncio.gather(*(r.build_unbuilt() for r in rebuilders)) for job in jobs]
    assert len(started) == 1, started  # both decided to build it at once; one claimed it
    for rebuilder in rebuilders:
        await rebuilder.finished(started[0].id)
    (job,) = await store.jobs("tea")
    assert job.state == "done", job
    assert await asyncio.gather(*(r.build_unbuilt() for r in rebuilders)) == [[], []]  # built: nothing more
    for replica in replicas:
        assert (await ask(replica, "tea"))[0] == 200
