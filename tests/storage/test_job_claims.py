"""Work one replica must do, claimed once: of several processes claiming a shop's build at the
same time (each saw the same newest job), exactly one creates it; and the shops that have
knowledge but nothing active, which a service builds by itself, are found in one query."""

from __future__ import annotations

import asyncio
from pathlib import Path

from assistant.storage import open_store
from assistant.storage.sql_store import SqlStore
from tests.storage.test_catalog import faq, snapshot


async def test_of_replicas_claiming_a_build_at_once_one_gets_it(store: SqlStore, shop_id: str, tmp_path: Path) -> None:
    await store.create_shop(shop_id, "shop")
    replicas = [open_store(store.url) for _ in range(4)]  # their own connections, as replicas have
    await asyncio.gather(*(r.open() for r in replicas))
    try:
        for _ in range(3):  # a lost race is a matter of timing: several rounds
            latest = (await store.jobs(shop_id, limit=1)) or [None]
            after = latest[0].id if latest[0] is not None else None
            claims = await asyncio.gather(
                *(r.claim_job(shop_id, "rebuild", f"replica-{n}", after=after) for n, r in enumerate(replicas))
            )
            won = [job for job in claims if job is not None]
            assert len(won) == 1, claims
            assert [j.id for j in await store.jobs(shop_id, limit=1)] == [won[0].id]
            assert (won[0].state, won[0].knowledge_revision) == ("queued", "")
        assert len(await store.jobs(shop_id)) == 3
        assert await store.claim_job(shop_id, "rebuild", "late", after=None) is None  # it has jobs now
    finally:
        await asyncio.gather(*(r.close() for r in replicas))


async def test_the_shops_with_knowledge_and_nothing_active_are_listed(store: SqlStore, shop_id: str) -> None:
    empty, built = f"{shop_id}-empty", f"{shop_id}-built"
    for shop in (shop_id, empty, built):
        await store.create_shop(shop, shop)
    revision = await store.replace_knowledge(shop_id, [faq("faq-a", 0)])
    await store.replace_knowledge(built, [faq("faq-b", 0)])
    await store.add_snapshot(snapshot(built, "v1", "2026-11-30T10:00:00Z", active=True))
    ours = [s for s in await store.unbuilt_shops() if s.startswith(shop_id)]  # PostgreSQL: earlier runs' shops too
    assert ours == [shop_id]
    job = await store.create_job(shop_id, "rebuild")
    failed = await store.update_job(job.id, state="failed", error="bad", knowledge_revision=revision)
    assert (await store.job(job.id)) == failed and failed.knowledge_revision == revision
    await store.add_snapshot(snapshot(shop_id, "v1", "2026-11-30T10:00:00Z"))  # built, not active: still listed
    assert shop_id in await store.unbuilt_shops()
    await store.activate(shop_id, "v1")
    assert shop_id not in await store.unbuilt_shops()
