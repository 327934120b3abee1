"""`huashu admin ...` waiting on a rebuild that a stop cut short (a SIGTERM, a killed process)
follows the job that took over (`resumed_as`) to its end, instead of ending with the old job's
`cancelled (shutdown)`; `huashu admin jobs show` of the old job names the new one."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from assistant.cli import admin as admin_cli
from assistant.service import keys
from assistant.storage.protocols import JobRecord, KnowledgeRow, SnapshotRecord
from assistant.suggest.rebuild import SHUT_DOWN, Rebuilder

from .conftest import AdminFactory
from .test_admin_cli import FAQ, CapSys, huashu, tea_created


async def test_waiting_on_a_rebuild_cut_short_follows_the_job_that_took_over(
    make_admin: AdminFactory, tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, url, token = await tea_created(make_admin, tmp_path, capsys)
    store, rebuilder = admin.client.app[keys.STORE], admin.client.app[keys.REBUILDER]
    real, holding = Rebuilder._build, [True]

    async def held(self: Rebuilder, job: JobRecord, rows: list[KnowledgeRow]) -> SnapshotRecord:
        if holding[0]:
            await asyncio.Event().wait()
        return await real(self, job, rows)

    monkeypatch.setattr(Rebuilder, "_build", held)
    monkeypatch.setattr(admin_cli, "RESUME_WAIT_S", 20.0)
    entry = tmp_path / "entry.yaml"
    entry.write_text(FAQ.replace("faq-a", "faq-cut"), encoding="utf-8")
    put = ("admin", "entry", "put", "tea", str(entry), "--file", "faq/a.yaml", "--quiet", "--url", url)
    waiting = asyncio.create_task(huashu(*put, f"--token={token}"))
    for _ in range(400):
        jobs = await store.jobs("tea", limit=1)
        if jobs[0].state == "running":
            break
        await asyncio.sleep(0.05)
    cut = jobs[0]
    assert cut.state == "running"
    holding[0] = False
    rebuilder._tasks[cut.id].cancel()  # what a SIGTERM does to a running build
    while (await store.job(cut.id)).state != "failed":  # type: ignore[union-attr]
        await asyncio.sleep(0.05)
    await asyncio.sleep(3 * admin_cli.POLL_S)  # the wait sees it failed, and nothing took over yet
    assert not waiting.done()
    (resumed,) = await rebuilder.resume(["tea"])  # the service started again
    assert await waiting == 0
    out, err = capsys.readouterr()
    assert f"job {resumed.id}: done, snapshot " in out and "serves it" in out, (out, err)
    assert f"job {cut.id} was cut short ({SHUT_DOWN})" in err and f"job {resumed.id} took over" in err, err

    assert await huashu("admin", "jobs", "show", cut.id, "--url", url, f"--token={token}") == 0
    out, err = capsys.readouterr()
    shown = json.loads(out)
    assert (shown["state"], shown["error"], shown["cut_short"], shown["resumed_as"]) == (
        "failed",
        SHUT_DOWN,
        True,
        resumed.id,
    )
    assert f"job {resumed.id} took over" in err and f"huashu admin jobs show {resumed.id}" in err


async def test_a_wait_on_a_job_cut_short_that_nothing_takes_over_ends_saying_so(
    make_admin: AdminFactory, tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, url, token = await tea_created(make_admin, tmp_path, capsys)
    store = admin.client.app[keys.STORE]

    async def held(self: Rebuilder, job: JobRecord, rows: list[KnowledgeRow]) -> SnapshotRecord:
        await asyncio.Event().wait()
        raise AssertionError

    monkeypatch.setattr(Rebuilder, "_build", held)
    monkeypatch.setattr(admin_cli, "RESUME_WAIT_S", 1.5)
    waiting = asyncio.create_task(huashu("admin", "rebuild", "tea", "--quiet", "--url", url, f"--token={token}"))
    for _ in range(400):
        jobs = await store.jobs("tea", limit=1)
        if jobs[0].state == "running":
            break
        await asyncio.sleep(0.05)
    admin.client.app[keys.REBUILDER]._tasks[jobs[0].id].cancel()
    assert await waiting == 1
    err = capsys.readouterr().err
    assert f"rebuild {jobs[0].id} of shop tea failed: {SHUT_DOWN}" in err, err
    assert "nothing took over within 2 s" in err and f"huashu admin jobs show {jobs[0].id}" in err, err
