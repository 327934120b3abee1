"""Nothing acknowledged is lost (issue 10, item 1): the service writes a message before it
answers. With the SQLite file locked by another process while requests arrive, every answered
message is in the store; past the deadline the request answers 503 and the loss is counted."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from assistant.service import keys
from assistant.storage import open_store
from assistant.storage.record_tables import retention_cutoff
from assistant.storage.records import MessageRecord

from .conftest import ClientFactory, make_settings
from .helpers import suggest_body


async def send(client: TestClient[Any, Any], conversation: str, n: int) -> tuple[str, int, dict[str, Any]]:
    message_id = f"m-{n}"
    response = await client.post(
        "/v1/suggest", json=suggest_body("快递几天能到", conversation_id=conversation, message_id=message_id)
    )
    return message_id, response.status, await response.json()


def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another process's write lock on the file. Taken off the event loop: the service may be
    inside a write of its own (its start-up's), which needs the loop to commit."""
    holder = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


async def test_a_locked_database_delays_answers_and_loses_nothing(make_client: ClientFactory, tmp_path: Path) -> None:
    db = tmp_path / "records.db"
    client = await make_client(make_settings(database_url=f"sqlite:///{db}", request_timeout_s=10.0))
    holder = await asyncio.to_thread(hold_write_lock, db)
    requests = [asyncio.ensure_future(send(client, "locked", n)) for n in range(30)]
    await asyncio.sleep(3)
    assert not any(r.done() for r in requests)  # none answered while its record cannot be written
    holder.execute("COMMIT")
    holder.close()
    answers = await asyncio.gather(*requests)
    answered = {m for m, status, _ in answers if status == 200}
    assert len(answered) == 30
    stored = {m.message_id for m in await client.app[keys.STORE].messages("demo", "locked")}
    assert answered <= stored
    assert len(await client.app[keys.STORE].suggestions("demo", "locked")) == 30 * 5


async def test_what_was_answered_is_recorded_with_cues_escalation_and_time(client: TestClient[Any, Any]) -> None:
    text = "都三天了还没发货！！！再不发我就给差评"
    response = await client.post("/v1/suggest", json=suggest_body(text, conversation_id="answered", message_id="a1"))
    body = await response.json()
    (answer,) = (await client.app[keys.STORE].history("demo", retention_cutoff(1))).answers
    assert (answer.conversation_id, answer.message_id, answer.answerable) == ("answered", "a1", body["answerable"])
    assert answer.top_score == max(s["score"] for s in body["suggestions"])
    shown = {(c["name"], c["level"]) for c in body["emotion"]["cues"] if c["level"] in ("medium", "high")}
    assert set(answer.cues) == shown and shown
    assert answer.escalation and list(answer.escalation) == body["emotion"]["escalation_reasons"]
    assert answer.total_ms > 0 and answer.index_version == body["index_version"]


async def test_past_the_deadline_the_answer_is_503_and_the_loss_is_counted(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    db = tmp_path / "records.db"
    client = await make_client(make_settings(database_url=f"sqlite:///{db}", request_timeout_s=2.0))
    _, status, first = await send(client, "late", 0)
    assert status == 200
    per_request = 2 + len(first["suggestions"])  # the message, what was answered, each suggestion shown
    holder = await asyncio.to_thread(hold_write_lock, db)
    try:
        answers = await asyncio.gather(*(send(client, "late", n) for n in range(1, 9)))
    finally:
        holder.execute("COMMIT")
        holder.close()
    statuses = {status for _, status, _ in answers}
    assert statuses == {503}
    body = answers[0][2]
    assert body["ok"] is False and body["errors"][0]["field"] == "message" and "not be stored" in body["error"]
    metrics = await (await client.get("/metrics")).text()
    assert f"huashu_records_dropped_total {8 * per_request:.1f}" in metrics
    stored = [m.message_id for m in await client.app[keys.STORE].messages("demo", "late")]
    assert stored == ["m-0"]


async def test_records_past_the_retention_are_purged_at_start(make_client: ClientFactory, tmp_path: Path) -> None:
    db = tmp_path / "records.db"
    store = open_store(f"sqlite:///{db}")
    await store.open()
    old, recent = "2020-01-01T00:00:00.000+00:00", retention_cutoff(0)
    await store.write(
        [
            MessageRecord("api", "demo", "kept", "m-old", "customer", "很久以前", old, old),
            MessageRecord("api", "demo", "kept", "m-new", "customer", "刚刚", recent, recent),
        ]
    )
    await store.close()
    client = await make_client(make_settings(database_url=f"sqlite:///{db}", retention_days=30))
    app_store = client.app[keys.STORE]
    async with asyncio.timeout(30):
        while len(await app_store.messages("demo", "kept")) != 1:
            await asyncio.sleep(0.05)
    assert [m.message_id for m in await app_store.messages("demo", "kept")] == ["m-new"]
