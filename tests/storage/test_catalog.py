"""Shops, knowledge rows, snapshot pointers, jobs and tokens over every backend, and the scope
of each: nothing of shop A is read or changed through shop B's calls."""

from __future__ import annotations

import pytest

from assistant.storage.database import Transaction, retry_busy
from assistant.storage.protocols import (
    KnowledgeRow,
    ShopExists,
    SnapshotRecord,
    StoreError,
    UnknownJob,
    UnknownShop,
    UnknownSnapshot,
    revision_of,
)
from assistant.storage.sql_store import SqlStore


def faq(entry: str, position: int, question: str = "几天发货") -> KnowledgeRow:
    data = {"id": entry, "stage": "pre_sale", "category": "物流", "question": question, "variants": ["多久发货"],
            "answer": "亲，48小时内发货哦", "tags": ["shipping"]}  # fmt: skip
    return KnowledgeRow("faq/shipping.yaml", position, entry, data)


def snapshot(shop: str, version: str, built_at: str, active: bool = False) -> SnapshotRecord:
    return SnapshotRecord(shop, version, built_at, {"faq": 2}, "rev", active=active)


async def test_a_shop_is_created_once_listed_and_its_settings_merge(store: SqlStore, shop_id: str) -> None:
    created = await store.create_shop(shop_id, "茶叶小店", {"threshold": 0.5})
    assert created.shop == shop_id and created.created_at
    with pytest.raises(ShopExists):
        await store.create_shop(shop_id, "again")
    assert await store.shop(shop_id) == created
    assert shop_id in [s.shop for s in await store.shops()]
    updated = await store.update_shop_settings(shop_id, {"suggestions": 3, "threshold": None})
    assert updated.settings == {"suggestions": 3}
    assert (await store.shop(shop_id)) == updated
    assert await store.shop("no-such-shop") is None
    with pytest.raises(UnknownShop):
        await store.update_shop_settings("no-such-shop", {})


@pytest.mark.parametrize("bad", ["", "Upper", "has space", "x" * 64, "-lead", "chatwoot:3"])
async def test_a_shop_id_must_be_a_plain_name(store: SqlStore, bad: str) -> None:
    with pytest.raises(StoreError, match="not a valid id"):
        await store.create_shop(bad, "bad")


async def test_knowledge_is_replaced_whole_and_its_revision_is_a_content_hash(store: SqlStore, shop_id: str) -> None:
    await store.create_shop(shop_id, "shop")
    empty = await store.knowledge_revision(shop_id)
    rows = [faq("ship-1", 0), faq("ship-2", 1, "发什么快递")]
    revision = await store.replace_knowledge(shop_id, rows)
    assert revision == revision_of(rows) != empty
    assert await store.knowledge_rows(shop_id) == rows
    assert await store.knowledge_revision(shop_id) == revision
    assert await store.replace_knowledge(shop_id, []) == empty
    assert await store.replace_knowledge(shop_id, rows) == revision  # a revert is the old revision again


async def test_bad_knowledge_changes_nothing(store: SqlStore, shop_id: str) -> None:
    await store.create_shop(shop_id, "shop")
    rows = [faq("ship-1", 0)]
    revision = await store.replace_knowledge(shop_id, rows)
    with pytest.raises(StoreError, match="entry id"):
        await store.replace_knowledge(shop_id, [faq("dup", 0), faq("dup", 1)])
    with pytest.raises(StoreError, match="position"):
        await store.replace_knowledge(shop_id, [faq("a", 0), faq("b", 0)])
    assert await store.knowledge_rows(shop_id) == rows
    assert await store.knowledge_revision(shop_id) == revision
    with pytest.raises(UnknownShop):
        await store.replace_knowledge("no-such-shop", rows)


async def test_one_row_is_put_replaced_appended_and_deleted(store: SqlStore, shop_id: str) -> None:
    await store.create_shop(shop_id, "shop")
    await store.replace_knowledge(shop_id, [faq("ship-1", 0), faq("ship-2", 1)])
    changed = faq("ship-1", 0, "什么时候发货")
    revision = await store.put_row(shop_id, changed)
    assert revision == await store.knowledge_revision(shop_id)
    appended = await store.put_row(shop_id, faq("ship-3", -1))
    rows = await store.knowledge_rows(shop_id)
    assert [(r.entry_id, r.position) for r in rows] == [("ship-1", 0), ("ship-2", 1), ("ship-3", 2)]
    assert rows[0].data["question"] == "什么时候发货" and appended != revision
    with pytest.raises(StoreError, match="holds entry 'ship-2'"):
        await store.put_row(shop_id, faq("ship-9", 1))
    assert await store.delete_row(shop_id, "ship-2") == revision_of(await store.knowledge_rows(shop_id))
    assert await store.delete_row(shop_id, "ship-2") is None
    assert [r.entry_id for r in await store.knowledge_rows(shop_id)] == ["ship-1", "ship-3"]


async def test_the_entries_changed_since_a_time_are_those_added_or_rewritten(store: SqlStore, shop_id: str) -> None:
    """A shop's first knowledge has no time (the library it starts with); what an admin adds or
    rewrites later does, and uploading a row again as it was keeps its time."""
    await store.create_shop(shop_id, "shop")
    start = "2000-01-01"
    await store.replace_knowledge(shop_id, [faq("ship-1", 0), faq("ship-2", 1)])
    assert await store.entries_changed_since(shop_id, start) == frozenset()
    await store.put_row(shop_id, faq("ship-3", -1))  # an approved candidate, a closed gap
    assert await store.entries_changed_since(shop_id, start) == {"ship-3"}
    rows = await store.knowledge_rows(shop_id)
    moved = KnowledgeRow("faq/other.yaml", -1, "ship-1", rows[0].data)
    await store.put_row(shop_id, moved)  # moved to another file, its text as it was: not changed
    assert await store.entries_changed_since(shop_id, start) == {"ship-3"}
    await store.put_row(shop_id, KnowledgeRow("faq/shipping.yaml", 0, "ship-1", rows[0].data))  # back
    await store.replace_knowledge(shop_id, [rows[0], faq("ship-2", 1, "发什么快递"), rows[2]])  # one rewritten
    assert await store.entries_changed_since(shop_id, start) == {"ship-2", "ship-3"}
    assert await store.entries_changed_since(shop_id, "2999-01-01") == frozenset()
    with pytest.raises(UnknownShop):
        await store.entries_changed_since("no-such-shop", start)
    other = f"{shop_id}-b"  # a shop whose first upload held only shop.yaml (a row with no entry)
    await store.create_shop(other, "shop")
    await store.replace_knowledge(other, [KnowledgeRow("shop.yaml", 0, "", {"name": "茶叶小店"})])
    await store.replace_knowledge(other, [KnowledgeRow("shop.yaml", 0, "", {"name": "茶叶小店"}), faq("ship-1", 0)])
    assert await store.entries_changed_since(other, start) == frozenset()  # still its first knowledge


async def test_snapshots_activate_pin_and_are_never_removed_while_active_or_pinned(
    store: SqlStore, shop_id: str
) -> None:
    await store.create_shop(shop_id, "shop")
    assert await store.active_snapshot(shop_id) is None
    await store.add_snapshot(snapshot(shop_id, "v1", "2026-11-30T10:00:00Z", active=True))
    await store.add_snapshot(snapshot(shop_id, "v2", "2026-11-30T11:00:00Z", active=True))
    with pytest.raises(StoreError, match="already has"):
        await store.add_snapshot(snapshot(shop_id, "v2", "2026-11-30T11:00:00Z"))
    assert [(s.version, s.active) for s in await store.snapshots(shop_id)] == [("v2", True), ("v1", False)]
    rolled_back = await store.activate(shop_id, "v1")
    assert rolled_back.active and (await store.active_snapshot(shop_id)) == rolled_back
    assert (await store.pin(shop_id, "v2")).pinned
    with pytest.raises(StoreError, match="active"):
        await store.remove_snapshot(shop_id, "v1")
    with pytest.raises(StoreError, match="pinned"):
        await store.remove_snapshot(shop_id, "v2")
    await store.pin(shop_id, "v2", pinned=False)
    await store.remove_snapshot(shop_id, "v2")
    assert [s.version for s in await store.snapshots(shop_id)] == ["v1"]
    with pytest.raises(UnknownSnapshot):
        await store.activate(shop_id, "v2")


async def test_a_job_moves_through_its_states(store: SqlStore, shop_id: str) -> None:
    await store.create_shop(shop_id, "shop")
    job = await store.create_job(shop_id, "rebuild")
    assert job.state == "queued" and (await store.job(job.id)) == job
    running = await store.update_job(job.id, state="running", progress=0.5, counts={"embedded": 10})
    assert (running.state, running.progress, running.counts) == ("running", 0.5, {"embedded": 10})
    done = await store.update_job(job.id, state="done", progress=1, version="v3")
    assert (done.state, done.version, done.error) == ("done", "v3", None)
    assert [j.id for j in await store.jobs(shop_id)] == [job.id]
    with pytest.raises(StoreError, match="state"):
        await store.update_job(job.id, state="exploded")
    with pytest.raises(StoreError, match="no field"):
        await store.update_job(job.id, shop="other")
    with pytest.raises(UnknownJob):
        await store.update_job("no-such-job", state="failed")
    assert await store.job("no-such-job") is None
    with pytest.raises(UnknownShop):
        await store.create_job("no-such-shop", "rebuild")


async def test_a_job_whose_owner_stopped_beating_is_failed_and_only_that_one(store: SqlStore, shop_id: str) -> None:
    await store.create_shop(shop_id, "shop")
    killed = await store.create_job(shop_id, "rebuild", owner=f"host-a:1:{shop_id}")
    await store.update_job(killed.id, state="running", progress=0.4)
    alive = await store.create_job(shop_id, "rebuild", owner=f"host-b:2:{shop_id}")
    finished = await store.create_job(shop_id, "rebuild", owner=f"host-a:1:{shop_id}")
    await store.update_job(finished.id, state="done", progress=1, version="v1")
    assert (alive.owner, alive.heartbeat_at) == (f"host-b:2:{shop_id}", alive.created_at)

    async def long_ago(tx: Transaction) -> None:  # the killed owner's last beat, long ago
        await tx.execute("UPDATE jobs SET heartbeat_at=? WHERE owner=?", ("2000-01-01T00:00:00+00:00", killed.owner))

    await retry_busy(store.database, long_ago)
    assert await store.beat_jobs(f"host-b:2:{shop_id}") == 1 and await store.beat_jobs("nobody") == 0
    failed = [j for j in await store.fail_abandoned_jobs(60, "interrupted") if j.shop == shop_id]
    assert [(j.id, j.state, j.error, j.progress) for j in failed] == [(killed.id, "failed", "interrupted", 0.4)]
    states = {j.id: j.state for j in await store.jobs(shop_id)}
    assert states == {killed.id: "failed", alive.id: "queued", finished.id: "done"}
    assert [j for j in await store.fail_abandoned_jobs(60, "again") if j.shop == shop_id] == []  # once


async def test_a_token_is_shown_once_and_only_its_hash_is_kept(store: SqlStore, shop_id: str) -> None:
    await store.create_shop(shop_id, "shop")
    record, secret = await store.create_token(shop_id, "admin")
    assert secret.startswith(f"huashu_{record.id}_") and len(secret) > 40
    assert await store.verify_token(secret) == record
    assert await store.verify_token(secret + "x") is None
    assert await store.verify_token("not-a-token") is None
    assert await store.has_tokens()
    kept = await store.database.fetch("SELECT secret_sha256 FROM tokens WHERE id=?", (record.id,))
    assert secret not in str(kept) and len(kept[0][0]) == 64
    assert [t.id for t in await store.tokens(shop_id)] == [record.id]
    assert await store.revoke_token(shop_id, record.id)
    assert await store.verify_token(secret) is None
    with pytest.raises(StoreError, match="role"):
        await store.create_token(shop_id, "owner")  # type: ignore[arg-type]
    with pytest.raises(UnknownShop):
        await store.create_token("no-such-shop", "agent")


async def test_nothing_of_one_shop_is_changed_or_read_through_another(store: SqlStore, shop_id: str) -> None:
    a, b = f"{shop_id}-a", f"{shop_id}-b"
    await store.create_shop(a, "A")
    await store.create_shop(b, "B")
    rows = [faq("ship-1", 0)]
    revision_a = await store.replace_knowledge(a, rows)
    await store.add_snapshot(snapshot(a, "va", "2026-11-30T10:00:00Z", active=True))
    token, secret = await store.create_token(a, "admin")
    job = await store.create_job(a, "rebuild")

    assert await store.knowledge_rows(b) == []
    assert await store.delete_row(b, "ship-1") is None
    await store.put_row(b, faq("ship-1", 0, "B 的问题"))  # the same entry id in B is B's own row
    assert await store.knowledge_rows(a) == rows and await store.knowledge_revision(a) == revision_a
    assert await store.snapshots(b) == [] and await store.active_snapshot(b) is None
    with pytest.raises(UnknownSnapshot):
        await store.activate(b, "va")
    with pytest.raises(UnknownSnapshot):
        await store.pin(b, "va")
    with pytest.raises(UnknownSnapshot):
        await store.remove_snapshot(b, "va")
    assert await store.tokens(b) == []
    assert not await store.revoke_token(b, token.id)
    assert (await store.verify_token(secret)) == token and token.shop == a
    assert await store.jobs(b) == [] and (await store.job(job.id)) == job and job.shop == a
    assert (await store.active_snapshot(a)) is not None
