"""Build order on one process: a shop's jobs in order, other shops' builds beside it, embedding one
batch at a time, the smallest build first; a waiting job says what it waits behind (a user test: a
2,000-entry upload of one shop held the other shops' builds for minutes, theirs `queued, 0%`)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from assistant.service import keys
from assistant.service.settings import Secret
from assistant.storage.protocols import JobRecord, KnowledgeRow, SnapshotRecord
from assistant.storage.shop_files import create_shop_from
from assistant.suggest.rebuild import SHOP_DELETED, SHUT_DOWN, Rebuilder
from assistant.suggest.turns import turn_key
from tests.service.conftest import ClientFactory
from tests.service.test_admin_index import bearer
from tests.service.test_shops import TEA, tea_client

OPERATOR = "operator-order-token"


async def big_shop(client: TestClient[Any, Any], extra: int, shop: str = "big") -> None:
    """Shop `big`: the tea shop's knowledge and `extra` entries more (more rows: it embeds last)."""
    store = client.app[keys.STORE]
    await create_shop_from(store, shop, TEA)
    for n in range(extra):
        entry = {
            "id": f"{shop}-{n}", "stage": "pre_sale", "category": "物流", "question": f"第{n}号仓库发什么快递",
            "variants": [f"{n}号仓用什么快递"], "answer": f"亲，{n}号仓库发顺丰哦。", "tags": ["shipping"],
        }  # fmt: skip
        await store.put_row(shop, KnowledgeRow(f"faq/{shop}.yaml", n, entry["id"], entry))


async def until_state(client: TestClient[Any, Any], job_id: str, state: str) -> JobRecord:
    deadline = time.monotonic() + 30
    while (job := await client.app[keys.STORE].job(job_id)) is None or job.state != state:
        assert time.monotonic() < deadline, f"job {job}, not {state}"
        await asyncio.sleep(0.02)
    return job


async def test_a_small_shops_build_finishes_while_a_big_one_of_another_shop_runs(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await tea_client(make_client, tmp_path)
    await big_shop(client, extra=5)
    real = Rebuilder._build
    batches = 0
    finish_big = asyncio.Event()

    async def minutes_of_embedding(self: Rebuilder, job: JobRecord, rows: list[KnowledgeRow]) -> SnapshotRecord:
        nonlocal batches
        if job.shop != "big":
            return await real(self, job, rows)
        while not finish_big.is_set():  # one batch after another, each in its turn, until told
            async with self.turns.turn(turn_key(job)):
                await asyncio.sleep(0.05)
            batches += 1
        return await real(self, job, rows)

    monkeypatch.setattr(Rebuilder, "_build", minutes_of_embedding)
    rebuilder = client.app[keys.REBUILDER]
    big = await rebuilder.start("big")
    while batches < 3:  # the big build is embedding
        await asyncio.sleep(0.02)
    tea = await rebuilder.start("tea")  # queued after it
    await asyncio.wait_for(rebuilder.finished(tea.id), timeout=60)
    done = await client.app[keys.STORE].job(tea.id)
    assert done is not None and done.state == "done", done
    running = await client.app[keys.STORE].job(big.id)
    assert running is not None and running.state == "running"  # still going: tea did not wait for it
    assert done.rows == len(await client.app[keys.STORE].knowledge_rows("tea")) < running.rows
    finish_big.set()
    await rebuilder.finished(big.id)
    assert (await until_state(client, big.id, "done")).version is not None


async def test_a_waiting_job_says_what_it_waits_behind_and_never_names_another_shop(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await tea_client(make_client, tmp_path, admin_token=Secret(OPERATOR))
    await big_shop(client, extra=2)
    store = client.app[keys.STORE]
    _, tea_admin = await store.create_token("tea", "admin")
    _, big_admin = await store.create_token("big", "admin")
    release = asyncio.Event()

    async def held(self: Rebuilder, job: JobRecord, rows: list[KnowledgeRow]) -> SnapshotRecord:
        await release.wait()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Rebuilder, "_build", held)
    rebuilder = client.app[keys.REBUILDER]
    big = await rebuilder.start("big")
    tea = await rebuilder.start("tea")  # another shop: runs beside big, embeds first (fewer rows)
    tea_next = await rebuilder.start("tea")  # the same shop: waits for tea's job
    big_now, tea_now = await until_state(client, big.id, "running"), await until_state(client, tea.id, "running")

    async def waiting(job_id: str, secret: str) -> Any:
        response = await client.get(f"/v1/admin/jobs/{job_id}", headers=bearer(secret))
        assert response.status == 200, await response.text()
        text = await response.text()
        return (await response.json())["job"]["waiting_behind"], text

    queued, _ = await waiting(tea_next.id, tea_admin)
    assert queued == {
        "jobs": 1,
        "ahead": [{"id": tea.id, "shop": "tea", "state": "running", "progress": 0.0}],
        "waits_for": "shop_order",
    }
    assert (await waiting(tea.id, tea_admin))[0] is None  # it has the turn: waits for nothing
    seen_by_big, text = await waiting(big.id, big_admin)
    assert seen_by_big == {"jobs": 1, "ahead": [], "waits_for": "embedding_turn"}
    assert "tea" not in text and tea.id not in text
    seen_by_operator, _ = await waiting(big.id, OPERATOR)
    assert seen_by_operator["ahead"] == [{"id": tea.id, "shop": "tea", "state": "running", "progress": 0.0}]
    assert big_now.rows > tea_now.rows > 0

    release.set()
    for job in (big, tea, tea_next):
        await rebuilder.finished(job.id)
    assert (await waiting(tea_next.id, tea_admin))[0] is None  # done (failed): nothing to wait for


async def until_waiting_for_a_slot(client: TestClient[Any, Any], *job_ids: str) -> None:
    """Until each job has read its knowledge and waits, still queued, for a builder process."""
    deadline = time.monotonic() + 30
    for job_id in job_ids:
        while (job := await client.app[keys.STORE].job(job_id)) is None or not job.knowledge_revision:
            assert time.monotonic() < deadline, f"job {job} never waited for a builder process"
            await asyncio.sleep(0.02)
        assert job.state == "queued" and job.rows > 0, job


async def test_builder_processes_are_capped_and_a_free_one_goes_to_the_smallest_waiting_build(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`HUASHU_BUILD_PROCESSES=1`: a build waits, queued and without a child process, while another
    shop's runs; it says so; a deleted shop's waiting build stops at once without taking or
    leaking the slot; the free slot goes to the smallest build first."""
    client = await tea_client(
        make_client, tmp_path, admin_token=Secret(OPERATOR), rebuild_mode="process", build_processes=1
    )
    for shop, extra in (("big", 5), ("mid", 3), ("doomed", 2)):
        await big_shop(client, extra, shop)
    store, rebuilder = client.app[keys.STORE], client.app[keys.REBUILDER]
    _, tea_admin = await store.create_token("tea", "admin")
    real = Rebuilder._build
    started: list[str] = []
    building, most = 0, 0
    release = asyncio.Event()

    async def counted(self: Rebuilder, job: JobRecord, rows: list[KnowledgeRow]) -> SnapshotRecord:
        nonlocal building, most
        started.append(job.shop)
        building += 1
        most = max(most, building)
        try:
            if job.shop == "big":
                await release.wait()
            return await real(self, job, rows)
        finally:
            building -= 1

    monkeypatch.setattr(Rebuilder, "_build", counted)
    big = await rebuilder.start("big")
    await until_state(client, big.id, "running")
    mid, doomed, tea = [await rebuilder.start(shop) for shop in ("mid", "doomed", "tea")]
    await until_waiting_for_a_slot(client, mid.id, doomed.id, tea.id)
    assert started == ["big"]  # no other child process started (nor its model loaded)

    async def waiting(job_id: str, secret: str) -> tuple[Any, str]:
        response = await client.get(f"/v1/admin/jobs/{job_id}", headers=bearer(secret))
        assert response.status == 200, await response.text()
        return (await response.json())["job"]["waiting_behind"], await response.text()

    seen_by_tea, text = await waiting(tea.id, tea_admin)  # the smallest: behind the running build only
    assert seen_by_tea == {"jobs": 1, "ahead": [], "waits_for": "builder_slot"}
    assert big.id not in text and "big" not in text
    seen_by_operator, _ = await waiting(mid.id, OPERATOR)  # behind big, and the smaller waiting builds
    assert seen_by_operator["waits_for"] == "builder_slot" and seen_by_operator["jobs"] == 3
    assert {(a["id"], a["shop"], a["state"]) for a in seen_by_operator["ahead"]} == {
        (big.id, "big", "running"), (doomed.id, "doomed", "queued"), (tea.id, "tea", "queued")
    }  # fmt: skip

    failures: dict[str, str | None] = {}
    update_job = store.update_job

    async def seen(job_id: str, **changes: Any) -> JobRecord:
        if changes.get("state") == "failed":
            failures[job_id] = changes.get("error")
        return await update_job(job_id, **changes)

    monkeypatch.setattr(store, "update_job", seen)
    deleted = await asyncio.wait_for(
        client.delete("/v1/admin/shops/doomed?confirm=doomed", headers=bearer(OPERATOR)), timeout=30
    )  # not held until big's build ends
    assert deleted.status == 200, await deleted.text()
    assert (await deleted.json())["cancelled_jobs"] == [doomed.id] and failures == {doomed.id: SHOP_DELETED}
    assert rebuilder.builders.holders == 1 and rebuilder.builders.waiting == 2  # big's; mid and tea wait
    assert not release.is_set() and started == ["big"]

    release.set()
    for job in (big, tea, mid):
        await asyncio.wait_for(rebuilder.finished(job.id), timeout=120)
        assert (await until_state(client, job.id, "done")).version is not None
    assert started == ["big", "tea", "mid"] and most == 1
    assert rebuilder.builders.holders == 0 and rebuilder.builders.waiting == 0


async def test_a_shutdown_stops_a_build_waiting_for_a_builder_process(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await tea_client(make_client, tmp_path, rebuild_mode="process", build_processes=1)
    await big_shop(client, extra=2)
    never = asyncio.Event()

    async def held(self: Rebuilder, job: JobRecord, rows: list[KnowledgeRow]) -> SnapshotRecord:
        await never.wait()
        raise AssertionError("never set")

    monkeypatch.setattr(Rebuilder, "_build", held)
    rebuilder = client.app[keys.REBUILDER]
    big = await rebuilder.start("big")
    await until_state(client, big.id, "running")
    tea = await rebuilder.start("tea")
    await until_waiting_for_a_slot(client, tea.id)
    await asyncio.wait_for(rebuilder.close(), timeout=30)
    for job in (big, tea):
        assert (await until_state(client, job.id, "failed")).error == SHUT_DOWN
    assert rebuilder.builders.holders == 0 and rebuilder.builders.waiting == 0
