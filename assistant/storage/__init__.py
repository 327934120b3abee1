"""Where the service keeps what must outlive a process: shops, their knowledge, tokens, snapshot
pointers, rebuild jobs and the conversation records. Protocols in `protocols.py`; one module per
backend (SQLite, the embedded default; PostgreSQL for deployments), one schema, migrations for
both (`migrate.py`, yoyo-migrations). See docs/storage.md.
"""

from __future__ import annotations

from assistant.storage.protocols import Store, StoreError
from assistant.storage.sql_store import SqlStore

__all__ = ["Store", "StoreError", "open_store"]


def open_store(url: str) -> SqlStore:
    """The store a database URL names (not yet opened: `await store.open()` migrates and connects).

    `sqlite:///PATH` (relative; `sqlite:////PATH` absolute), `sqlite://:memory:` or `none` (a
    throwaway file removed at close), `postgresql://USER@HOST:PORT/DB`.
    """
    if url in ("", "none") or url.startswith("sqlite://"):
        from assistant.storage.sqlite import SQLiteDatabase

        return SqlStore(SQLiteDatabase(url))
    if url.startswith(("postgres://", "postgresql://")):
        from assistant.storage.postgres import PostgresDatabase

        return SqlStore(PostgresDatabase(url))
    raise StoreError(f"unsupported database URL {url!r} (sqlite:///PATH, sqlite://:memory:, postgresql://...)")
