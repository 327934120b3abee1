"""The schema comes from yoyo migrations: applied once, tracked, safe when several start at once."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from assistant.storage import open_store
from assistant.storage.migrate import MIGRATIONS, applied_migrations, migrate, redact
from assistant.storage.protocols import StoreError
from tests.storage.conftest import backend_url

TABLES = {"shops", "knowledge_rows", "snapshots", "jobs", "tokens", "messages", "suggestions", "feedback", "answers"}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_every_migration_is_applied_and_tracked(backend: str, tmp_path: Path) -> None:
    url = backend_url(backend, tmp_path)
    store = open_store(url)
    await store.open()
    try:
        everything = sorted(p.stem for p in MIGRATIONS.glob("*.sql") if not p.stem.endswith(".rollback"))
        assert await asyncio.to_thread(applied_migrations, url) == everything
        if backend == "sqlite":
            names = await store.database.fetch("SELECT name FROM sqlite_master WHERE type='table'")
        else:
            names = await store.database.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        assert {n for (n,) in names} >= TABLES
    finally:
        await store.close()


async def test_several_processes_opening_a_new_file_at_once_migrate_it_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    stores = [open_store(url) for _ in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        await stores[0].create_shop("one", "one")
        assert [s.shop for s in await stores[3].shops()] == ["one"]
    finally:
        await asyncio.gather(*(s.close() for s in stores))


def test_cue_marks_stored_twice_before_0009_are_kept_once(tmp_path: Path) -> None:
    """Two panels on two replicas could store one cue mark twice; 0009 keeps the earliest, then a
    unique index keeps it once."""
    from yoyo import get_backend, read_migrations

    url = f"sqlite:///{tmp_path / 'old.db'}"
    backend = get_backend(url)
    before = read_migrations(str(MIGRATIONS)).filter(lambda m: m.id < "0009")
    with backend.lock():
        backend.apply_migrations(backend.to_apply(before))
    backend.connection.close()
    insert = (
        "INSERT INTO feedback (id, shop, conversation_id, message_id, action, index_version, cue, at) "
        "VALUES (?, 'demo', 'c1', ?, 'cue_wrong', 'v1', ?, ?)"
    )
    marks = [
        ("f3", "m1", "anger", "2026-11-22T10:00:00Z"),
        ("f1", "m1", "anger", "2026-11-22T10:00:00Z"),  # the same instant: the smaller id stays
        ("f2", "m1", "anger", "2026-11-22T10:00:01Z"),
        ("f4", "m1", "anxiety", "2026-11-22T10:00:02Z"),
        ("f5", "m2", "anger", "2026-11-22T10:00:03Z"),
    ]
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.executemany(insert, marks)
    assert migrate(url)[0] == "0009.cue_marks_once"  # then the later ones
    with sqlite3.connect(tmp_path / "old.db") as db:
        kept = db.execute("SELECT id FROM feedback ORDER BY id").fetchall()
        assert [k for (k,) in kept] == ["f1", "f4", "f5"]
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(insert, ("f6", "m1", "anger", "2026-11-22T10:00:09Z"))


async def test_an_unreachable_database_is_one_clear_error() -> None:
    store = open_store("postgresql://huashu:secret-pw@127.0.0.1:1/nowhere")
    with pytest.raises(StoreError, match="cannot open the database") as caught:
        await store.open()
    assert "secret-pw" not in str(caught.value)


def test_a_password_is_never_shown() -> None:
    assert redact("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"
    assert redact("sqlite:///var/huashu.db") == "sqlite:///var/huashu.db"
