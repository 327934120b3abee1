"""A rebuild's progress writes stop when the build ends: none is left running to hit a store that
is closing (a cancelled build used to leave one, "the store is not open", at shutdown)."""

from __future__ import annotations

import asyncio

from assistant.storage.sql_store import SqlStore
from assistant.suggest.rebuild import JobProgress


async def test_progress_is_written_then_stops_when_closed(store: SqlStore, shop_id: str) -> None:
    await store.create_shop(shop_id, shop_id)
    job = await store.create_job(shop_id, "rebuild")
    progress = JobProgress(store, job.id)
    progress.report(0.4)
    await progress.flush()
    assert (await store.job(job.id)).progress == 0.4  # type: ignore[union-attr]
    await asyncio.sleep(0.6)  # past the throttle
    progress.report(0.7)  # a write is pending ...
    await progress.close()  # ... and is cancelled, not left to run after the build
    progress.report(0.9)  # a late tick from the build's thread is ignored
    await asyncio.sleep(0)
    assert not [t for t in asyncio.all_tasks() if "_write" in repr(t.get_coro())]
    assert (await store.job(job.id)).progress in (0.4, 0.7)  # type: ignore[union-attr]


async def test_a_shutdown_while_closing_is_not_swallowed(store: SqlStore, shop_id: str) -> None:
    await store.create_shop(shop_id, shop_id)
    job = await store.create_job(shop_id, "rebuild")
    progress = JobProgress(store, job.id)
    gate = asyncio.Event()

    async def slow_write() -> None:  # a write that outlives its cancellation (a store call in flight)
        try:
            await gate.wait()
        except asyncio.CancelledError:
            await asyncio.sleep(0.2)
            raise

    progress._pending = asyncio.get_running_loop().create_task(slow_write())
    await asyncio.sleep(0)
    closing = asyncio.get_running_loop().create_task(progress.close())
    await asyncio.sleep(0.05)  # close is waiting for the cancelled write ...
    closing.cancel()  # ... when the service shuts down
    await asyncio.sleep(0.3)
    assert closing.cancelled()  # the shutdown went on upwards (it used to end as a clean return)
