"""`huashu store migrate|purge`: bring the schema up to date; delete old conversation records."""

from __future__ import annotations

import argparse
import os
from typing import Any

from assistant.cli.errors import CliError
from assistant.cli.store_access import add_database_flag, database_url, run_on_store
from assistant.service.settings import Settings, SettingsError
from assistant.storage.migrate import redact
from assistant.storage.record_tables import retention_cutoff
from assistant.storage.sql_store import SqlStore


def register(subparsers: Any) -> None:
    store = subparsers.add_parser("store", help="migrate the store or purge old records")
    actions = store.add_subparsers(dest="action", metavar="ACTION", required=True)
    upgrade = actions.add_parser("migrate", help="apply the schema migrations not yet applied")
    add_database_flag(upgrade)
    upgrade.set_defaults(handler=run_migrate)
    purge = actions.add_parser("purge", help="delete messages, suggestions and feedback older than N days")
    purge.add_argument(
        "--older-than-days", type=int, default=None, help="days to keep (default: $HUASHU_RETENTION_DAYS)"
    )
    add_database_flag(purge)
    purge.set_defaults(handler=run_purge)


def run_migrate(args: argparse.Namespace) -> int:
    async def work(store: SqlStore) -> list[str]:
        return store.database.applied

    applied = run_on_store(args, work)
    print(f"{redact(database_url(args))}: " + (f"applied {', '.join(applied)}" if applied else "up to date"))
    return 0


def run_purge(args: argparse.Namespace) -> int:
    days = args.older_than_days
    if days is None:
        try:
            days = Settings.from_env(os.environ).retention_days
        except SettingsError as exc:
            raise CliError(str(exc)) from exc
    if days <= 0:
        raise CliError("nothing to purge: give --older-than-days N (N > 0) or set HUASHU_RETENTION_DAYS")
    cutoff = retention_cutoff(days)

    async def work(store: SqlStore) -> dict[str, int]:
        return await store.purge(cutoff)

    purged = run_on_store(args, work)
    print(f"purged records before {cutoff}: " + ", ".join(f"{k} {v}" for k, v in purged.items()))
    return 0
