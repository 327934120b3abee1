"""Schema migrations with yoyo-migrations: plain SQL files in `migrations/`, one schema for both
backends, applied in order and recorded in yoyo's tracking table (`_yoyo_migration`).

yoyo takes its lock table while it migrates, so several replicas (or a CLI command beside a
running service) starting at once apply each migration exactly once. Blocking: call it from a
thread (`asyncio.to_thread(migrate, url)`).
"""

from __future__ import annotations

import logging
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


def migrate(url: str) -> list[str]:
    """Apply every migration not yet applied to the database at `url`; the ids applied."""
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
