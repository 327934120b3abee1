"""`DELETE /v1/admin/shops/{shop}?confirm={shop}` (a user test: an outsourcer running several
shops had no way to remove one): the operator's token only, the id repeated, never the default
shop; the shop, its knowledge, snapshots, jobs, tokens, history and files go, its builds are
stopped, and it stops answering at once. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from assistant.cli import main
from assistant.service import keys, shared_state
from assistant.service.settings import Secret
from assistant.storage.protocols import UnknownShop
from assistant.storage.records import AnswerRecord, MessageRecord
from assistant.storage.shop_files import create_shop_from
from assistant.suggest.rebuild import SHOP_DELETED
from assistant.suggest.snapshots import shop_dir
from tests.conftest import REDIS_URL, postgres_database

from ..conftest import WEBHOOK_SECRET
from ..helpers import dumps, signed_headers, suggest_body
from ..test_redis_outage import PrivateRedis, free_port
from ..test_shops import TEA
from .conftest import Admin, AdminFactory

OPERATOR = "operator-deletion-token"
AT = "2026-11-30T10:00:00.000+00:00"


@pytest_asyncio.fixture(params=["sqlite", "postgres"], loop_scope="session")
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A store of each backend (PostgreSQL: a database of its own, dropped after the app closed)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'huashu.db'}"
        return
    async with postgres_database("huashu_deletion") as url:
        yield url


def _delete(admin: Admin, shop: str, confirm: str | None, token: str = OPERATOR) -> Any:
    query = "" if confirm is None else f"?confirm={confirm}"
    return admin.client.delete(f"/v1/admin/shops/{shop}{query}", headers=admin.auth(token))


async def _field(response: Any, status: int) -> str:
    body = await response.json()
    assert response.status == status and body["ok"] is False, body
    field: str = body["errors"][0]["field"]
    return field


async def _served_tea(admin: Admin) -> str:
    """Shop tea, built and answering with an agent token of its own (made through the API)."""
    store, rebuilder = admin.client.app[keys.STORE], admin.client.app[keys.REBUILDER]
    await create_shop_from(store, "tea", TEA)
    await rebuilder.build_now("tea")
    made = await admin.client.post("/v1/admin/shops/tea/tokens", json={"role": "agent"}, headers=admin.auth(OPERATOR))
    assert made.status == 201, await made.text()
    agent: str = (await made.json())["secret"]
    assert (await _ask_tea(admin, agent)).status == 200
    await store.write(
        [
            MessageRecord("api", "tea", "c1", "m1", "customer", "白茶放冰箱吗", AT, AT),
            AnswerRecord("api", "tea", "c1", "m1", True, 0.9, at=AT),
        ]
    )
    return agent


def _ask_tea(admin: Admin, token: str) -> Any:
    body = suggest_body("白茶放冰箱吗", shop="tea", message_id=f"m-{uuid.uuid4().hex[:8]}")
    return admin.client.post("/v1/suggest", json=body, headers=admin.auth(token))


async def test_the_operator_deletes_a_shop_and_everything_of_it(
    database_url: str, make_admin: AdminFactory, tmp_path: Path
) -> None:  # the database first: it is dropped after the app is closed
    admin = await make_admin(admin_token=Secret(OPERATOR), store_tokens=True, database_url=database_url)
    store, index_dir = admin.client.app[keys.STORE], admin.client.app[keys.SETTINGS].index_dir
    agent = await _served_tea(admin)
    assert (shop_dir(index_dir, "tea") / "snapshots").is_dir()
    _, tea_admin = await store.create_token("tea", "admin")

    # refused, nothing deleted: no confirmation, a wrong one, a shop's own admin, the default shop, an unknown shop
    assert await _field(await _delete(admin, "tea", None), 422) == "confirm"
    assert await _field(await _delete(admin, "tea", "demo"), 422) == "confirm"
    assert await _field(await _delete(admin, "tea", "tea", token=tea_admin), 403) == "Authorization"
    assert await _field(await _delete(admin, "tea", "tea", token=admin.admin), 403) == "shop"  # demo's admin
    default = await _delete(admin, "demo", "demo")
    assert await _field(default, 409) == "shop"
    assert "default shop" in (await default.json())["error"] and await store.shop("demo") is not None
    assert await _field(await _delete(admin, "nope", "nope"), 404) == "shop"
    assert await store.shop("tea") is not None and (await _ask_tea(admin, agent)).status == 200

    deleted = await _delete(admin, "tea", "tea")
    body = await deleted.json()
    assert deleted.status == 200, body
    assert body["shop"] == "tea" and body["files_removed"] is True and body["cancelled_jobs"] == []
    assert body["deleted"]["knowledge_rows"] > 0 and body["deleted"]["tokens"] == 2
    assert body["deleted"]["snapshots"] == 1 and body["deleted"]["jobs"] == 1
    assert body["deleted"]["messages"] >= 1 and body["deleted"]["answers"] >= 1

    assert await store.shop("tea") is None and await store.tokens("tea") == []
    assert await store.jobs("tea") == [] and await store.active_snapshot("tea") is None
    history = await store.history("tea", "2000-01-01T00:00:00Z")
    assert history.messages == [] and history.answers == [] and history.suggestions == []
    assert not shop_dir(index_dir, "tea").exists()
    assert "tea" not in admin.client.app[keys.INDEX].loaded()
    # it stops answering at once: its tokens are gone, and the operator is told there is no such shop
    assert (await _ask_tea(admin, agent)).status == 401
    assert await _field(await _ask_tea(admin, OPERATOR), 404) == "shop"
    assert await _field(await admin.client.get("/v1/admin/shops/tea", headers=admin.auth(OPERATOR)), 404) == "shop"
    assert await _field(await _delete(admin, "tea", "tea"), 404) == "shop"
    # the other shops are as they were
    assert (await admin.client.get("/v1/admin/shops/other", headers=admin.auth(OPERATOR))).status == 200
    assert len(await store.knowledge_rows("demo")) > 0


async def test_a_deleted_shop_s_conversation_memory_goes_from_redis(make_admin: AdminFactory) -> None:
    """A user test: after the deletion the shop's conversations stayed in Redis until their
    time-to-live (HUASHU_CONVERSATION_TTL_S). They go with the shop; another shop's stay."""
    admin = await make_admin(admin_token=Secret(OPERATOR), redis_url=REDIS_URL)
    agent = await _served_tea(admin)
    run = uuid.uuid4().hex[:8]
    tea = [f"deletion-{run}-{n}" for n in range(3)]
    for conversation in tea:
        body = suggest_body("白茶放冰箱吗", shop="tea", conversation_id=conversation, message_id="m-1")
        assert (await admin.client.post("/v1/suggest", json=body, headers=admin.auth(agent))).status == 200
    demo = suggest_body("快递几天能到", conversation_id=f"deletion-{run}", message_id="m-1")
    assert (await admin.client.post("/v1/suggest", json=demo, headers=admin.auth(admin.agent))).status == 200
    redis = await shared_state.connect(REDIS_URL)
    try:
        assert await redis.exists(*(f"huashu:turns:tea:{c}" for c in tea)) == 3
        deleted = await _delete(admin, "tea", "tea")
        body = await deleted.json()
        assert deleted.status == 200, body
        assert body["conversations_forgotten"] >= 3  # and any an earlier run left of shop tea
        assert body["conversations_left"] is None
        assert await redis.exists(*(f"huashu:turns:tea:{c}" for c in tea)) == 0
        assert [key async for key in redis.scan_iter(match="huashu:turns:tea:*")] == []
        assert await redis.exists(f"huashu:turns:demo:deletion-{run}") == 1
    finally:
        await redis.aclose()
    # and the service remembers no turn of them
    memory = admin.client.app[keys.MEMORY]
    assert [await memory.turns(("tea", c)) for c in tea] == [()] * 3


async def test_a_shop_deleted_while_redis_is_down_says_its_conversations_stay_there(
    make_admin: AdminFactory, tmp_path: Path
) -> None:
    """Second reading: with Redis down, the deletion answered `conversations_forgotten` with the
    count this process forgot, as if Redis had forgotten them too. It still deletes the shop, and
    `conversations_left` says that Redis holds them until they expire (and why); null otherwise."""
    server = PrivateRedis(free_port(), tmp_path)
    server.start()
    try:
        admin = await make_admin(admin_token=Secret(OPERATOR), redis_url=server.url, redis_retry_s=0.2)
        agent = await _served_tea(admin)
        body = suggest_body("白茶放冰箱吗", shop="tea", conversation_id="down-1", message_id="m-1")
        assert (await admin.client.post("/v1/suggest", json=body, headers=admin.auth(agent))).status == 200
        server.kill()
        deleted = await _delete(admin, "tea", "tea")
        gone = await deleted.json()
        assert deleted.status == 200, gone
        assert gone["conversations_forgotten"] == 2  # by this process (and _served_tea's); Redis was not reached
        left = gone["conversations_left"]
        assert "Redis" in left and "expire within 3600 s (HUASHU_CONVERSATION_TTL_S)" in left, left
        assert await admin.client.app[keys.MEMORY].turns(("tea", "down-1")) == ()
    finally:
        server.stop()


async def test_a_deleted_shop_s_builds_stop_and_fail_saying_why(make_admin: AdminFactory, tmp_path: Path) -> None:
    """A build running and one queued behind it when the shop is deleted: each fails at its next
    step (`cancelled: the shop was deleted`), nothing writes the shop's files afterwards, and the
    rebuilder goes on serving the other shops."""
    admin = await make_admin(admin_token=Secret(OPERATOR))
    store, rebuilder = admin.client.app[keys.STORE], admin.client.app[keys.REBUILDER]
    index_dir = admin.client.app[keys.SETTINGS].index_dir
    # a wording no embedding cache holds: the build must embed, so it waits for the turn held below
    # (with the tea shop's texts cached by an earlier test it finished at once, and the wait for its
    # cancellation below never ended)
    tea = tmp_path / "tea"
    shutil.copytree(TEA, tea)
    with (tea / "faq" / "tea.yaml").open("a", encoding="utf-8") as faq:
        faq.write(f"\n- id: tea-new\n  stage: pre_sale\n  category: 新品\n  question: 新茶{uuid.uuid4().hex}到了吗\n"
                  "  variants: [新茶什么时候到]\n  answer: 亲，下周到货哦。\n  tags: [product]\n")  # fmt: skip
    await create_shop_from(store, "tea", tea)
    held = (0, "", "test-holds-the-turn")  # no build embeds while the test holds the turn
    await rebuilder.turns.acquire(held)
    try:
        running = await rebuilder.start("tea")
        queued = await rebuilder.start("tea")
        failures: dict[str, str | None] = {}
        original = store.update_job

        async def seen(job_id: str, **changes: Any) -> Any:
            if changes.get("state") == "failed":
                failures[job_id] = changes.get("error")
            return await original(job_id, **changes)

        store.update_job = seen  # type: ignore[method-assign]

        async def delete() -> Any:
            return await _delete(admin, "tea", "tea")

        deleting = asyncio.create_task(delete())

        async def cancelling() -> None:
            # the deletion waits on the builds now, or (a build that asked for its turn after the
            # cancellation fails at once, without one) is done already
            while running.id not in rebuilder._cancelled and not deleting.done():
                await asyncio.sleep(0.01)

        await asyncio.wait_for(cancelling(), timeout=60)
    finally:
        rebuilder.turns.release(held)
    response = await deleting
    store.update_job = original  # type: ignore[method-assign]
    body = await response.json()
    assert response.status == 200, body
    assert sorted(body["cancelled_jobs"]) == sorted([running.id, queued.id])
    assert failures == {running.id: SHOP_DELETED, queued.id: SHOP_DELETED}
    assert not shop_dir(index_dir, "tea").exists() and await store.shop("tea") is None
    with pytest.raises(UnknownShop):
        await rebuilder.start("tea")
    job = await rebuilder.start("demo")  # the rebuilder is fine
    await rebuilder.finished(job.id)
    assert (await store.job(job.id)).state == "done"  # type: ignore[union-attr]


async def test_a_job_of_a_shop_deleted_elsewhere_fails_without_raising(make_admin: AdminFactory) -> None:
    """Another replica deleted the shop while this one had its job queued: the job ends, says why
    in the log, and raises nothing (its record went with the shop)."""
    admin = await make_admin()
    store, rebuilder = admin.client.app[keys.STORE], admin.client.app[keys.REBUILDER]
    await create_shop_from(store, "tea", TEA)
    job = await store.create_job("tea", "rebuild", owner=rebuilder.owner)
    await store.delete_shop("tea")
    await rebuilder.run(job)  # never raises
    assert await store.job(job.id) is None


async def test_another_replica_stops_serving_a_shop_deleted_elsewhere(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    store, registry = admin.client.app[keys.STORE], admin.client.app[keys.INDEX]
    await create_shop_from(store, "tea", TEA)
    await admin.client.app[keys.REBUILDER].build_now("tea")
    await registry.get("tea")
    assert "tea" in registry.loaded()
    await store.delete_shop("tea")  # as another replica (or the CLI) does it: this registry still has it
    await registry.refresh()  # the index poll
    assert "tea" not in registry.loaded()
    assert await _field(await _ask_tea(admin, OPERATOR), 404) == "shop"


async def test_huashu_admin_shops_delete_needs_yes(
    make_admin: AdminFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    store = admin.client.app[keys.STORE]
    await create_shop_from(store, "tea", TEA)
    url = str(admin.client.make_url("/"))
    argv = ["admin", "shops", "delete", "tea", "--url", url, f"--token={OPERATOR}"]
    assert await _huashu(*argv) == 2
    err = capsys.readouterr().err
    assert "--yes" in err and "Traceback" not in err
    assert await store.shop("tea") is not None
    assert await _huashu(*argv, "--yes") == 0
    out = capsys.readouterr().out
    assert out.startswith("shop tea deleted: ") and "knowledge rows" in out
    assert await store.shop("tea") is None
    assert await _huashu("admin", "shops", "delete", "demo", "--yes", "--url", url, f"--token={OPERATOR}") == 1
    err = capsys.readouterr().err
    assert "HTTP 409" in err and "default shop" in err


async def _huashu(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


@pytest.mark.parametrize("redis_url", ["", REDIS_URL], ids=["in-process", "redis"])
async def test_a_shop_made_again_under_a_deleted_one_s_id_starts_clean(
    make_admin: AdminFactory, redis_url: str
) -> None:
    """A user test: after deleting tea and creating a new tea, the panel of conversation tt9 replayed
    the deleted shop's customer message and suggestions, and the new shop's first webhook message
    (tt9 / m1) was refused with 409 as already handled, so it was lost. The panel's latest events and
    the deliveries seen go with the shop, in this process and in Redis; another shop's stay."""
    admin = await make_admin(admin_token=Secret(OPERATOR), redis_url=redis_url)
    agent = await _served_tea(admin)
    bus = admin.client.app[keys.BUS]
    conversation = f"tt9-{uuid.uuid4().hex[:8]}"

    def hook(shop: str, text: str) -> Any:
        raw = dumps(suggest_body(text, shop=shop, conversation_id=conversation, message_id="m1"))
        return admin.client.post("/v1/webhooks/generic", data=raw, headers=signed_headers(WEBHOOK_SECRET, raw))

    assert (await hook("tea", "普洱是哪年的")).status == 200
    assert (await hook("demo", "快递几天能到")).status == 200
    assert await bus.latest("tea", conversation) is not None
    assert (await hook("tea", "普洱是哪年的")).status == 409  # a repeat while the shop lives
    assert agent

    deleted = await _delete(admin, "tea", "tea")
    assert deleted.status == 200, await deleted.json()
    assert await bus.latest("tea", conversation) is None
    await create_shop_from(admin.client.app[keys.STORE], "tea", TEA)
    await admin.client.app[keys.REBUILDER].build_now("tea")
    first = await hook("tea", "新店第一个问题：白茶放冰箱吗")
    assert first.status == 200, await first.text()
    latest = await bus.latest("tea", conversation)
    assert latest is not None and "普洱是哪年的" not in latest.decode() and "白茶放冰箱吗" in latest.decode()
    # the default shop's conversation of the same id is as it was
    assert (await hook("demo", "快递几天能到")).status == 409
    demo = await bus.latest("demo", conversation)
    assert demo is not None and "快递几天能到" in demo.decode()
