"""Shops on one process: the default shop imported and built at first start, a second shop that
answers its own questions, unknown shops, rebuilds with a hot swap under traffic, rollback, stale."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from assistant.retrieval.snapshot import BuildReport
from assistant.service import keys
from assistant.service.readiness import shop_readiness
from assistant.storage.protocols import KnowledgeRow
from assistant.storage.shop_files import create_shop_from
from tests.service.conftest import WEBHOOK_SECRET, ClientFactory, make_settings
from tests.service.helpers import dumps, signed_headers, suggest_body

HERE = Path(__file__).parent
TEA = HERE / "fixtures" / "tea_shop"
KNOWLEDGE = HERE.parents[1] / "knowledge"


def seeded_index(tmp_path: Path, demo_index: tuple[Path, BuildReport]) -> Path:
    """An empty index folder whose demo shop starts with the session's embedding cache."""
    index = tmp_path / "index"
    cache = index / "shops" / "demo" / "cache"
    cache.mkdir(parents=True)
    shutil.copy(demo_index[0] / "cache" / "embeddings.sqlite", cache / "embeddings.sqlite")
    return index


async def top_entry(
    client: TestClient[Any, Any], text: str, shop: str | None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    body = suggest_body(text, message_id=f"m-{text}")
    if shop is None:
        del body["shop"]
    else:
        body["shop"] = shop
    response = await client.post("/v1/suggest", json=body, headers=headers or {})
    assert response.status == 200, await response.text()
    payload: dict[str, Any] = await response.json()
    return payload


async def test_first_start_imports_the_demo_shop_and_builds_it_in_the_background(
    make_client: ClientFactory, tmp_path: Path, demo_index: tuple[Path, BuildReport]
) -> None:
    settings = make_settings(
        index_dir=seeded_index(tmp_path, demo_index),
        knowledge_dir=KNOWLEDGE,
        database_url=f"sqlite:///{tmp_path}/huashu.db",
        rebuild_mode="inline",
    )
    client = await make_client(settings, with_ranker=False)
    assert (await client.get("/healthz")).status == 200  # listening while the build runs
    await client.app[keys.FIRST_START]
    ready = await client.get("/readyz")
    assert ready.status == 200, await ready.text()
    store = client.app[keys.STORE]
    active = await store.active_snapshot("demo")
    assert active is not None
    assert (await ready.json())["index_version"] == active.version
    (job,) = await store.jobs("demo")
    assert (job.state, job.progress, job.version) == ("done", 1.0, active.version)
    payload = await top_entry(client, "快递几天能到", shop=None)  # no `shop`: the default shop
    assert payload["shop"] == "demo" and payload["index_version"] == active.version
    assert (tmp_path / "index" / "shops" / "demo" / "snapshots" / active.version / "manifest.json").is_file()

    again = await make_client(settings, with_ranker=False)  # a restart: loads, builds nothing
    await again.app[keys.FIRST_START]
    assert (await (await again.get("/readyz")).json())["index_version"] == active.version
    assert len(await again.app[keys.STORE].jobs("demo")) == 1


async def test_without_knowledge_readyz_says_why_and_the_default_shop_is_unknown(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    settings = make_settings(index_dir=tmp_path / "index", knowledge_dir=tmp_path / "nothing")
    client = await make_client(settings, with_ranker=False)
    await client.app[keys.FIRST_START]
    response = await client.get("/readyz")
    assert response.status == 503
    payload = await response.json()
    assert payload["errors"][0]["field"] == "index" and "no shop 'demo'" in payload["error"]
    assert (await client.post("/v1/suggest", json=suggest_body())).status == 404
    assert (await client.get("/healthz")).status == 200


async def test_while_a_shop_s_first_build_runs_suggest_says_so_as_readiness_does(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    settings = make_settings(index_dir=tmp_path / "index", rebuild_mode="inline", index_poll_s=30)
    client = await make_client(settings, with_ranker=False)
    store = client.app[keys.STORE]
    await create_shop_from(store, "tea", TEA)  # known, nothing built yet
    body = dumps(suggest_body("白茶放冰箱吗", shop="tea"))
    before = await client.post("/v1/suggest", data=body, headers={"Content-Type": "application/json"})
    # a user test: the 503 said "no snapshot has been built yet" and nothing of what to do
    assert (before.status, (await before.json())["error"]) == (
        503,
        "index not loaded: shop 'tea': no snapshot has been built yet: its first build starts within 60 s "
        "(or run huashu admin rebuild tea now)",
    )
    job = await store.create_job("tea", "rebuild")
    await store.update_job(job.id, state="running", progress=0.04)  # a build another replica runs
    said = (await shop_readiness(client.app, "tea")).reason
    assert said == (
        f"index not loaded: shop 'tea' is building its first snapshot (4%; job {job.id}, running: "
        f"huashu admin jobs show {job.id})"
    )
    for route, headers in (
        ("/v1/suggest", {}),
        ("/v1/webhooks/generic", signed_headers(WEBHOOK_SECRET, body)),
    ):
        response = await client.post(route, data=body, headers={"Content-Type": "application/json", **headers})
        assert response.status == 503, route
        payload = await response.json()
        assert (payload["error"], payload["errors"][0]["field"]) == (said, "index"), payload


async def test_an_unknown_shop_is_a_404_naming_shop(client: TestClient[Any, Any]) -> None:
    response = await client.post("/v1/suggest", json=suggest_body(shop="othershop"))
    assert response.status == 404
    payload = await response.json()
    assert payload["errors"][0]["field"] == "shop" and "othershop" in payload["error"]


async def tea_client(make_client: ClientFactory, tmp_path: Path, **overrides: Any) -> TestClient[Any, Any]:
    """The demo shop handed in, and the tea shop created in the store and built once."""
    fields: dict[str, Any] = {"rebuild_mode": "inline", **overrides}
    settings = make_settings(index_dir=tmp_path / "index", database_url=f"sqlite:///{tmp_path}/huashu.db", **fields)
    client = await make_client(settings)
    await create_shop_from(client.app[keys.STORE], "tea", TEA)
    await rebuild(client, "tea")
    return client


async def rebuild(client: TestClient[Any, Any], shop: str) -> str:
    job = await client.app[keys.REBUILDER].start(shop)
    await client.app[keys.REBUILDER].finished(job.id)
    done = await client.app[keys.STORE].job(job.id)
    assert done is not None and done.state == "done", done
    assert done.version is not None
    return done.version


async def test_a_second_shop_answers_its_own_questions_and_not_the_demo_shops(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    client = await tea_client(make_client, tmp_path, rebuild_mode="process")  # the default builder
    tea = await top_entry(client, "熟普要怎么冲泡", shop="tea")
    assert tea["suggestions"][0]["entry_id"] == "tea-brew" and tea["answerable"] is True
    demo = await top_entry(client, "熟普要怎么冲泡", shop="demo")
    assert not any(s["entry_id"].startswith("tea-") for s in demo["suggestions"])
    refund = await top_entry(client, "不喜欢可以七天无理由退货么", shop="tea")
    assert all(s["entry_id"].startswith("tea-") for s in refund["suggestions"])
    assert refund["answerable"] is False
    assert tea["index_version"] != demo["index_version"]


async def test_a_rebuild_swaps_under_traffic_without_a_failure_and_rolls_back(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    client = await tea_client(make_client, tmp_path)
    store = client.app[keys.STORE]
    first = (await store.active_snapshot("tea")).version  # type: ignore[union-attr]
    await top_entry(client, "白茶放冰箱吗", shop="tea")  # loaded
    row = next(r for r in await store.knowledge_rows("tea") if r.entry_id == "tea-ship")
    data = {**row.data, "answer": "亲，茶叶统一发京东快递，下单后24小时内发出。"}
    await store.put_row("tea", KnowledgeRow(row.file, row.position, row.entry_id, data))
    stale = await (await client.get("/readyz")).json()
    assert stale["stale"] == {"tea": ["faq/tea.yaml"]}

    statuses: Counter[int] = Counter()
    versions: list[str] = []
    stop = asyncio.Event()

    async def traffic(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            body = suggest_body("发顺丰吗", shop="tea", conversation_id=f"load-{n}", message_id=f"{n}-{i}")
            response = await client.post("/v1/suggest", json=body)
            statuses[response.status] += 1
            if response.status == 200:
                versions.append((await response.json())["index_version"])

    senders = [asyncio.create_task(traffic(n)) for n in range(4)]
    second = await rebuild(client, "tea")
    while versions.count(second) < 5:  # requests keep flowing after the swap
        await asyncio.sleep(0)
    stop.set()
    await asyncio.gather(*senders)
    assert set(statuses) == {200}, statuses
    assert versions[0] == first and versions[-1] == second != first
    assert (await (await client.get("/readyz")).json())["stale"] == {}
    answer = await top_entry(client, "发什么快递", shop="tea")
    assert "京东" in answer["suggestions"][0]["text"]

    await client.app[keys.INDEX].activate("tea", first)  # rollback
    rolled = await top_entry(client, "发什么快递", shop="tea")
    assert rolled["index_version"] == first and "顺丰" in rolled["suggestions"][0]["text"]
    assert (await store.active_snapshot("tea")).version == first  # type: ignore[union-attr]
