"""Rebuild jobs are leased: a job whose process was killed is failed as interrupted by a live
replica, a job another live replica renews is left alone, and a new rebuild runs meanwhile.
A rebuild cut short by a stop is started again when the service starts again."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from assistant.service import keys
from assistant.storage.protocols import KnowledgeRow
from assistant.storage.shop_files import create_shop_from
from assistant.suggest.rebuild import INTERRUPTED, SHUT_DOWN
from tests.service.conftest import ClientFactory, make_settings
from tests.service.test_admin_index import bearer, wait_job
from tests.service.test_shops import TEA, rebuild, tea_client, top_entry

LEASE_S = 0.6  # renewed every 0.2 s by the app; a real deployment keeps the 60 s default


async def job_state(client: TestClient[Any, Any], job_id: str, secret: str) -> dict[str, Any]:
    response = await client.get(f"/v1/admin/jobs/{job_id}", headers=bearer(secret))
    assert response.status == 200, await response.text()
    job: dict[str, Any] = (await response.json())["job"]
    return job


async def until_failed(client: TestClient[Any, Any], job_id: str, secret: str, within_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + within_s
    while (job := await job_state(client, job_id, secret))["state"] != "failed":
        assert time.monotonic() < deadline, f"job still {job['state']} after {within_s} s: {job}"
        await asyncio.sleep(LEASE_S / 6)
    return job


async def test_a_killed_replicas_job_is_failed_a_live_ones_is_not_and_a_new_rebuild_runs(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    client = await tea_client(make_client, tmp_path, job_lease_s=LEASE_S)
    store = client.app[keys.STORE]
    _, secret = await store.create_token("tea", "admin")
    killed = await store.create_job("tea", "rebuild", owner="gone-host:4242:killed")
    await store.update_job(killed.id, state="running", progress=0.3)
    elsewhere = await store.create_job("tea", "rebuild", owner="other-host:7:alive")
    await store.update_job(elsewhere.id, state="running", progress=0.5)

    async def other_replica_beats() -> None:
        while True:
            await store.beat_jobs(elsewhere.owner)
            await asyncio.sleep(LEASE_S / 6)

    beating = asyncio.get_running_loop().create_task(other_replica_beats())
    try:
        failed = await until_failed(client, killed.id, secret, within_s=30)
        assert (failed["error"], failed["progress"], failed["version"]) == (INTERRUPTED, 0.3, None)

        response = await client.post("/v1/admin/shops/tea/rebuild", headers=bearer(secret))
        assert response.status == 202
        rebuilt = await wait_job(client, (await response.json())["job"]["id"], secret)
        assert rebuilt["state"] == "done" and rebuilt["error"] is None  # its own heartbeats kept it

        await asyncio.sleep(3 * LEASE_S)  # several sweeps while the other replica is alive
        assert (await job_state(client, elsewhere.id, secret))["state"] == "running"
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
    gone = await until_failed(client, elsewhere.id, secret, within_s=30)  # it stopped beating
    assert gone["error"] == INTERRUPTED
    active = await store.active_snapshot("tea")
    assert active is not None and active.version == rebuilt["version"]


async def test_a_rebuild_cut_by_a_restart_is_started_again_and_serves_the_change(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    """A user test: a rebuild cut by a restart stayed failed ("cancelled (shutdown)") and the shop
    served its stale snapshot until an admin rebuilt it by hand."""
    settings = make_settings(index_dir=tmp_path / "index", database_url=f"sqlite:///{tmp_path}/huashu.db")
    first = await make_client(settings)  # the default builder: a child process, seconds to load its model
    store = first.app[keys.STORE]
    await create_shop_from(store, "tea", TEA)
    await rebuild(first, "tea")
    oolong = {
        "id": "tea-oolong-cold", "stage": "pre_sale", "category": "冲泡", "question": "乌龙茶能冷泡吗？",
        "variants": ["铁观音可以冷泡吗"], "answer": "亲，可以的，冷水冷藏泡6小时左右口感最好哦。", "tags": ["explain"],
    }  # fmt: skip
    await store.put_row("tea", KnowledgeRow("faq/tea.yaml", -1, oolong["id"], oolong))
    cut = await first.app[keys.REBUILDER].start("tea")
    while (await store.job(cut.id)).state != "running":  # type: ignore[union-attr]
        await asyncio.sleep(0.05)
    await first.close()  # the stop cancels the build

    second = await make_client(settings)
    await second.app[keys.FIRST_START]
    store = second.app[keys.STORE]
    resumed, stopped = await store.jobs("tea", limit=2)
    assert (stopped.id, stopped.state, stopped.error) == (cut.id, "failed", SHUT_DOWN)
    await second.app[keys.REBUILDER].finished(resumed.id)
    done = await store.job(resumed.id)
    assert done is not None and done.state == "done", done
    active = await store.active_snapshot("tea")
    assert active is not None and active.knowledge_revision == await store.knowledge_revision("tea")
    assert (await top_entry(second, "铁观音能不能冷泡", shop="tea"))["suggestions"][0]["entry_id"] == oolong["id"]

    third = await make_client(settings)  # nothing cut short this time: nothing is built again
    await third.app[keys.FIRST_START]
    assert [j.id for j in await third.app[keys.STORE].jobs("tea", limit=1)] == [resumed.id]
