"""Schema migrations with yoyo-migrations: plain SQL files in `migrations/`, one schema for both
backends, applied in order and recorded in yoyo's tracking table (`_yoyo_migration`).

yoyo takes its lock table while it migrates, so several replicas (or a CLI command beside a
running service) starting at once apply each migration exactly once. Blocking: call it from a
thread (`asyncio.to_thread(migrate, url)`).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from pathlib import Path

from assistant.storage.protocols import StoreError

log = logging.getLogger("assistant.storage")

MIGRATIONS = Path(__file__).with_name("migrations")


def yoyo_url(url: str) -> str:
    """The URL yoyo's backends understand for one of ours (PostgreSQL through psycopg 3)."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


@contextlib.contextmanager
def _file_lock(url: str) -> Iterator[None]:
    """For SQLite, an exclusive lock on a file beside the database while it migrates.

    yoyo's lock table is itself a table in the file: several processes opening a new file at
    once race on creating it ("database table is locked"). An OS file lock serialises them first.
    """
    if not url.startswith("sqlite:///"):
        yield
        return
    lock_path = Path(url.removeprefix("sqlite:///") + ".migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(url: str) -> list[str]:
    """Apply every migration not yet applied to the database at `url`; the ids applied."""
    with _file_lock(url):
        return _migrate(url)


def _migrate(url: str) -> list[str]:
    from yoyo import get_backend, read_migrations

    try:
        backend = get_backend(yoyo_url(url))
    except Exception as exc:  # the driver's own error: unreachable server, unknown database, bad path
        raise StoreError(f"cannot open the database at {redact(url)}: {exc}") from exc
    try:
        migrations = read_migrations(str(MIGRATIONS))
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
        applied = [m.id for m in pending]
        if applied:
            log.info("store migrated", extra={"applied": applied})
        return applied
    finally:
        backend.connection.close()


def applied_migrations(url: str) -> list[str]:
    """The ids of the migrations already applied, oldest first."""
    from yoyo import get_backend, read_migrations

    backend = get_backend(yoyo_url(url))
    try:
        migrations = read_migrations(str(MIGRATIONS))
        return [m.id for m in migrations if backend.is_applied(m)]
    finally:
        backend.connection.close()


def redact(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    head, sep, tail = url.partition("://")
    if not sep or "@" not in tail:
        return url
    credentials, _, host = tail.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{head}://{user}:***@{host}" if ":" in credentials else f"{head}://{user}@{host}"
