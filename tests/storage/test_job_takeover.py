"""A job cut short (a shutdown, a killed process) names the job that took over its work
(`resumed_as`), on every backend: a fresh job names none, and the link is kept as written."""

from __future__ import annotations

from assistant.storage.sql_store import SqlStore


async def test_a_job_records_the_job_that_took_over(store: SqlStore, shop_id: str) -> None:
    await store.create_shop(shop_id, "shop")
    cut = await store.create_job(shop_id, "rebuild", owner="gone:1:x")
    assert cut.resumed_as == "" and (await store.job(cut.id)).resumed_as == ""  # type: ignore[union-attr]
    await store.update_job(cut.id, state="failed", error="cancelled (shutdown)")
    later = await store.create_job(shop_id, "rebuild", owner="alive:2:y")
    linked = await store.update_job(cut.id, resumed_as=later.id)
    assert linked.resumed_as == later.id and linked.state == "failed"
    assert (await store.job(cut.id)) == linked
    assert [j.resumed_as for j in await store.jobs(shop_id)] == ["", later.id]
