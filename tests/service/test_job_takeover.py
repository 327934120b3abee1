"""A rebuild cut short (a SIGTERM mid-build, a killed process whose lease ran out) is failed, and
the job that then builds the shop is named on it (`resumed_as`): an admin polling the old job
learns that its change was served, and by which job."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from assistant.service import keys
from assistant.storage.protocols import JobRecord, KnowledgeRow, SnapshotRecord
from assistant.storage.shop_files import create_shop_from
from assistant.suggest.rebuild import INTERRUPTED, SHUT_DOWN, Rebuilder
from tests.service.conftest import ClientFactory, make_settings
from tests.service.test_admin_index import bearer
from tests.service.test_shops import TEA, rebuild

LEASE_S = 0.6
OOLONG = {
    "id": "tea-oolong-cold", "stage": "pre_sale", "category": "冲泡", "question": "乌龙茶能冷泡吗？",
    "variants": ["铁观音可以冷泡吗"], "answer": "亲，可以的，冷水冷藏泡6小时左右口感最好哦。", "tags": ["explain"],
}  # fmt: skip


async def job_json(client: TestClient[Any, Any], job_id: str, secret: str) -> dict[str, Any]:
    response = await client.get(f"/v1/admin/jobs/{job_id}", headers=bearer(secret))
    assert response.status == 200, await response.text()
    job: dict[str, Any] = (await response.json())["job"]
    return job


async def test_a_rebuild_cut_by_a_shutdown_names_the_job_that_resumed_it(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(
        index_dir=tmp_path / "index", database_url=f"sqlite:///{tmp_path}/huashu.db", rebuild_mode="inline"
    )
    first = await make_client(settings)
    store = first.app[keys.STORE]
    await create_shop_from(store, "tea", TEA)
    await rebuild(first, "tea")
    real = Rebuilder._build
    held: set[str] = set()

    async def held_forever(self: Rebuilder, job: JobRecord, rows: list[KnowledgeRow]) -> SnapshotRecord:
        if job.id in held:
            await asyncio.Event().wait()
        return await real(self, job, rows)

    monkeypatch.setattr(Rebuilder, "_build", held_forever)
    await store.put_row("tea", KnowledgeRow("faq/tea.yaml", -1, OOLONG["id"], OOLONG))
    cut = await first.app[keys.REBUILDER].request("tea")
    held.add(cut.id)
    while (await store.job(cut.id)).state != "running":  # type: ignore[union-attr]
        await asyncio.sleep(0.02)
    await first.close()  # SIGTERM: the build is cancelled

    second = await make_client(settings)
    await second.app[keys.FIRST_START]
    store = second.app[keys.STORE]
    _, secret = await store.create_token("tea", "admin")
    resumed = (await store.jobs("tea", limit=1))[0]
    assert resumed.id != cut.id
    old = await job_json(second, cut.id, secret)
    assert (old["state"], old["error"], old["resumed_as"], old["cut_short"]) == ("failed", SHUT_DOWN, resumed.id, True)
    await second.app[keys.REBUILDER].finished(resumed.id)
    new = await job_json(second, resumed.id, secret)
    assert (new["state"], new["resumed_as"], new["cut_short"]) == ("done", None, False)
    active = await store.active_snapshot("tea")
    assert active is not None and active.knowledge_revision == await store.knowledge_revision("tea")


async def test_a_killed_replicas_rebuild_names_the_job_that_resumed_it(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    settings = make_settings(
        index_dir=tmp_path / "index", database_url=f"sqlite:///{tmp_path}/huashu.db", rebuild_mode="inline",
        job_lease_s=LEASE_S,
    )  # fmt: skip
    client = await make_client(settings)
    store = client.app[keys.STORE]
    await create_shop_from(store, "tea", TEA)
    await rebuild(client, "tea")
    _, secret = await store.create_token("tea", "admin")
    await store.put_row("tea", KnowledgeRow("faq/tea.yaml", -1, OOLONG["id"], OOLONG))
    killed = await store.create_job("tea", "rebuild", owner="gone-host:4242:killed")
    await store.update_job(killed.id, state="running", progress=0.3)

    deadline = time.monotonic() + 30
    while not (old := await job_json(client, killed.id, secret))["resumed_as"]:
        assert time.monotonic() < deadline, old
        await asyncio.sleep(LEASE_S / 6)
    assert (old["state"], old["error"], old["cut_short"]) == ("failed", INTERRUPTED, True)
    await client.app[keys.REBUILDER].finished(old["resumed_as"])
    assert (await job_json(client, old["resumed_as"], secret))["state"] == "done"


async def test_cut_jobs_name_the_next_job_of_their_shop(make_client: ClientFactory, tmp_path: Path) -> None:
    """A job cut while a newer one of its shop was already queued (or made by an admin's change
    before the service resumed anything) is taken over by that newer job: it reads the knowledge
    after the cut job's change, so it serves it."""
    settings = make_settings(
        index_dir=tmp_path / "index", database_url=f"sqlite:///{tmp_path}/huashu.db", rebuild_mode="inline"
    )
    client = await make_client(settings)
    store, rebuilder = client.app[keys.STORE], client.app[keys.REBUILDER]
    await create_shop_from(store, "tea", TEA)
    await rebuild(client, "tea")
    running = await store.create_job("tea", "rebuild", owner="gone:1:a")
    queued = await store.create_job("tea", "rebuild", owner="gone:1:a")
    for job in (running, queued):
        await store.update_job(job.id, state="failed", error=SHUT_DOWN)
    await store.put_row("tea", KnowledgeRow("faq/tea.yaml", -1, OOLONG["id"], OOLONG))
    fresh = await rebuilder.request("tea")  # an admin's change, before anything resumed them
    await rebuilder.finished(fresh.id)
    assert [(await store.job(j.id)).resumed_as for j in (running, queued)] == [queued.id, fresh.id]  # type: ignore[union-attr]
    assert await rebuilder.resume(["tea"]) == []  # served already: nothing built again
