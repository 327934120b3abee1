"""Admin index routes: rebuild jobs, snapshots, rollback, pins; the auth and shop scope of each."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from assistant.service import keys
from assistant.storage.protocols import JobRecord, KnowledgeRow, SnapshotRecord
from assistant.suggest.rebuild import Rebuilder
from tests.service.conftest import ClientFactory
from tests.service.test_shops import tea_client, top_entry


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def tokens(client: TestClient[Any, Any]) -> dict[str, str]:
    store = client.app[keys.STORE]
    await store.create_shop("other", "Other")
    out = {}
    for name, (shop, role) in {
        "admin": ("tea", "admin"),
        "agent": ("tea", "agent"),
        "other": ("other", "admin"),
    }.items():
        _, out[name] = await store.create_token(shop, role)  # type: ignore[arg-type]
    return out


async def wait_job(client: TestClient[Any, Any], job_id: str, secret: str) -> dict[str, Any]:
    await client.app[keys.REBUILDER].finished(job_id)
    response = await client.get(f"/v1/admin/jobs/{job_id}", headers=bearer(secret))
    assert response.status == 200
    job: dict[str, Any] = (await response.json())["job"]
    return job


async def test_rebuild_snapshots_rollback_and_pin_through_the_api(make_client: ClientFactory, tmp_path: Path) -> None:
    client = await tea_client(make_client, tmp_path)
    secret = (await tokens(client))["admin"]
    store = client.app[keys.STORE]
    first = (await store.active_snapshot("tea")).version  # type: ignore[union-attr]
    row = next(r for r in await store.knowledge_rows("tea") if r.entry_id == "tea-store")
    await store.put_row(
        "tea", KnowledgeRow(row.file, row.position, row.entry_id, {**row.data, "answer": "亲，放冰箱冷藏就好。"})
    )
    listing = await (await client.get("/v1/admin/shops/tea/snapshots", headers=bearer(secret))).json()
    (only,) = listing["snapshots"]
    assert (only["version"], only["active"], only["stale"], only["stale_sources"]) == (
        first,
        True,
        True,
        ["faq/tea.yaml"],
    )

    response = await client.post("/v1/admin/shops/tea/rebuild", headers=bearer(secret))
    assert response.status == 202
    queued = (await response.json())["job"]
    assert queued["state"] in ("queued", "running") and queued["shop"] == "tea"
    job = await wait_job(client, queued["id"], secret)
    assert job["state"] == "done" and job["progress"] == 1.0 and job["counts"]["faq"] == 3
    second = job["version"]
    listing = await (await client.get("/v1/admin/shops/tea/snapshots", headers=bearer(secret))).json()
    assert [(s["version"], s["active"], s["stale"]) for s in listing["snapshots"]] == [
        (second, True, False),
        (first, False, True),
    ]
    assert "冰箱冷藏" in (await top_entry(client, "白茶放冰箱吗", "tea", bearer(secret)))["suggestions"][0]["text"]

    rolled = await client.post(f"/v1/admin/shops/tea/snapshots/{first}/activate", headers=bearer(secret))
    assert rolled.status == 200 and (await rolled.json())["snapshot"]["active"] is True
    assert (await top_entry(client, "白茶放冰箱吗", "tea", bearer(secret)))["index_version"] == first
    pinned = await client.post(f"/v1/admin/shops/tea/snapshots/{second}/pin", headers=bearer(secret))
    assert (await pinned.json())["snapshot"]["pinned"] is True
    unpinned = await client.post(f"/v1/admin/shops/tea/snapshots/{second}/unpin", headers=bearer(secret))
    assert (await unpinned.json())["snapshot"]["pinned"] is False
    missing = await client.post("/v1/admin/shops/tea/snapshots/nope/activate", headers=bearer(secret))
    assert missing.status == 404 and (await missing.json())["errors"][0]["field"] == "version"


async def test_a_failed_build_is_a_failed_job_and_the_active_snapshot_keeps_serving(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    client = await tea_client(make_client, tmp_path)
    secret = (await tokens(client))["admin"]
    store = client.app[keys.STORE]
    first = (await store.active_snapshot("tea")).version  # type: ignore[union-attr]
    row = next(r for r in await store.knowledge_rows("tea") if r.entry_id == "tea-brew")
    await store.put_row("tea", KnowledgeRow(row.file, row.position, row.entry_id, {**row.data, "answer": ""}))
    response = await client.post("/v1/admin/shops/tea/rebuild", headers=bearer(secret))
    job = await wait_job(client, (await response.json())["job"]["id"], secret)
    assert job["state"] == "failed" and "faq/tea.yaml" in job["error"] and job["version"] is None
    assert (await top_entry(client, "普洱怎么泡", "tea", bearer(secret)))["index_version"] == first


ROUTES = [
    ("POST", "/v1/admin/shops/tea/rebuild"),
    ("GET", "/v1/admin/shops/tea/snapshots"),
    ("POST", "/v1/admin/shops/tea/snapshots/{version}/activate"),
    ("POST", "/v1/admin/shops/tea/snapshots/{version}/pin"),
    ("POST", "/v1/admin/shops/tea/snapshots/{version}/unpin"),
    ("GET", "/v1/admin/jobs/{job}"),
]


async def test_every_index_route_needs_an_admin_token_of_that_shop(make_client: ClientFactory, tmp_path: Path) -> None:
    client = await tea_client(make_client, tmp_path)
    secrets = await tokens(client)
    version = (await client.app[keys.STORE].active_snapshot("tea")).version  # type: ignore[union-attr]
    (job,) = await client.app[keys.STORE].jobs("tea")
    for method, template in ROUTES:
        path = template.format(version=version, job=job.id)
        for headers, status in (
            ({}, 401),
            (bearer("not-a-token"), 401),
            (bearer(secrets["agent"]), 403),
            (bearer(secrets["other"]), 403),
        ):
            response = await client.request(method, path, headers=headers)
            assert response.status == status, (method, path, headers, await response.text())
            assert (await response.json())["ok"] is False
        response = await client.request(method, path, headers=bearer(secrets["admin"]))
        assert response.status in (200, 202), (method, path, await response.text())
        if template.endswith("rebuild"):
            await client.app[keys.REBUILDER].finished((await response.json())["job"]["id"])


async def test_a_failing_swap_listener_does_not_fail_the_activation(make_client: ClientFactory, tmp_path: Path) -> None:
    """The snapshot is live once swapped: a listener that fails (say, relearning on a bad record)
    is logged, the admin's activation still succeeds and the listeners after it still run."""
    client = await tea_client(make_client, tmp_path)
    secret = (await tokens(client))["admin"]
    version = (await client.app[keys.STORE].active_snapshot("tea")).version  # type: ignore[union-attr]
    told: list[str] = []

    async def failing(shop: str) -> None:
        raise ValueError(f"bad record of {shop}")

    async def recording(shop: str) -> None:
        told.append(shop)

    client.app[keys.INDEX].on_swap(failing)
    client.app[keys.INDEX].on_swap(recording)
    response = await client.post(f"/v1/admin/shops/tea/snapshots/{version}/activate", headers=bearer(secret))
    assert response.status == 200, await response.text()
    assert (await response.json())["snapshot"]["active"] is True and told == ["tea"]


async def test_a_rollback_can_restore_the_knowledge_so_the_next_build_keeps_it(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    """Without `restore_knowledge` a rollback changes only what is served: the next build, started by
    any change, brought a deleted entry's removal back (a user test). With it, the store's knowledge
    becomes the snapshot's, the snapshot is not stale, and the next build keeps the entry."""
    client = await tea_client(make_client, tmp_path)
    secret = (await tokens(client))["admin"]
    store = client.app[keys.STORE]
    first = (await store.active_snapshot("tea")).version  # type: ignore[union-attr]
    kept = await store.knowledge_rows("tea")
    await store.delete_row("tea", "tea-store")
    response = await client.post("/v1/admin/shops/tea/rebuild", headers=bearer(secret))
    assert (await wait_job(client, (await response.json())["job"]["id"], secret))["state"] == "done"

    wrong = await client.post(
        f"/v1/admin/shops/tea/snapshots/{first}/activate?restore_knowledge=yes", headers=bearer(secret)
    )
    assert wrong.status == 422 and (await wrong.json())["errors"][0]["field"] == "restore_knowledge"
    assert (await store.active_snapshot("tea")).version != first  # type: ignore[union-attr]

    rolled = await client.post(
        f"/v1/admin/shops/tea/snapshots/{first}/activate?restore_knowledge=true", headers=bearer(secret)
    )
    body = await rolled.json()
    assert rolled.status == 200, body
    assert (body["snapshot"]["active"], body["snapshot"]["stale"], body["restored_rows"]) == (True, False, len(kept))
    assert [(r.file, r.position, r.entry_id) for r in await store.knowledge_rows("tea")] == [
        (r.file, r.position, r.entry_id) for r in kept
    ]
    response = await client.post("/v1/admin/shops/tea/rebuild", headers=bearer(secret))
    assert (await wait_job(client, (await response.json())["job"]["id"], secret))["state"] == "done"
    assert "tea-store" in {
        s["entry_id"] for s in (await top_entry(client, "白茶放冰箱吗", "tea", bearer(secret)))["suggestions"]
    }


async def test_restoring_knowledge_from_a_snapshot_without_a_copy_is_a_409_and_changes_nothing(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    client = await tea_client(make_client, tmp_path)
    secret = (await tokens(client))["admin"]
    store = client.app[keys.STORE]
    version = (await store.active_snapshot("tea")).version  # type: ignore[union-attr]
    folder = client.app[keys.SETTINGS].index_dir / "shops" / "tea" / "snapshots" / version
    (folder / "knowledge_rows.json").unlink()  # as a snapshot built before copies were kept
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]["knowledge_rows.json"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    await store.delete_row("tea", "tea-store")
    revision = await store.knowledge_revision("tea")

    response = await client.post(
        f"/v1/admin/shops/tea/snapshots/{version}/activate?restore_knowledge=true", headers=bearer(secret)
    )
    body = await response.json()
    assert response.status == 409 and body["errors"][0]["field"] == "restore_knowledge", body
    assert await store.knowledge_revision("tea") == revision
    plain = await client.post(f"/v1/admin/shops/tea/snapshots/{version}/activate", headers=bearer(secret))
    assert plain.status == 200 and (await plain.json())["restored_rows"] is None


async def test_restoring_knowledge_while_a_build_of_the_shop_runs_is_a_409_and_changes_nothing(
    make_client: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second reading: the build running when the knowledge was restored finished afterwards and
    activated its snapshot of the knowledge replaced, so the store and what was served disagreed."""
    client = await tea_client(make_client, tmp_path)
    secret = (await tokens(client))["admin"]
    store = client.app[keys.STORE]
    first = (await store.active_snapshot("tea")).version  # type: ignore[union-attr]
    release = asyncio.Event()

    async def held(self: Rebuilder, job: JobRecord, rows: list[KnowledgeRow]) -> SnapshotRecord:
        await release.wait()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Rebuilder, "_build", held)
    await store.delete_row("tea", "tea-store")
    job = await client.app[keys.REBUILDER].start("tea")
    revision = await store.knowledge_revision("tea")

    response = await client.post(
        f"/v1/admin/shops/tea/snapshots/{first}/activate?restore_knowledge=true", headers=bearer(secret)
    )
    body = await response.json()
    assert response.status == 409 and body["errors"][0]["field"] == "restore_knowledge", body
    assert job.id in body["errors"][0]["message"]
    assert await store.knowledge_revision("tea") == revision
    release.set()
    assert (await wait_job(client, job.id, secret))["state"] == "failed"
