"""How the store commands reach the store: `--database-url`, else `HUASHU_DATABASE_URL`, else the
service's default; store and knowledge failures become one `huashu:` line. A command that only
reads never creates a store: a SQLite file that is not there is said, with the URL and path
looked at, instead of an empty store made on the spot."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from assistant.cli.errors import CliError
from assistant.knowledge.loader import KnowledgeError
from assistant.service.home import service_home
from assistant.service.settings import Settings, SettingsError
from assistant.storage import open_store
from assistant.storage.protocols import StoreError
from assistant.storage.sql_store import SqlStore
from assistant.storage.sqlite import sqlite_path

T = TypeVar("T")


def add_database_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=None,
        help="the store (default: $HUASHU_DATABASE_URL, else var/huashu.db in the service's home, as huashu serve)",
    )


def database_url(args: argparse.Namespace) -> str:
    if args.database_url:
        return str(args.database_url)
    try:
        return Settings.from_env(os.environ, home=service_home()).database_url
    except SettingsError as exc:
        raise CliError(str(exc)) from exc


def run_on_store(args: argparse.Namespace, work: Callable[[SqlStore], Awaitable[T]], read_only: bool = False) -> T:
    """Open the store named by the flags, run `work` on it, close it; failures as one line.
    `read_only`: a SQLite store that does not exist is a `CliError` naming it (not created)."""
    url = database_url(args)
    if read_only:
        _require_existing(url)

    async def main() -> T:
        store = open_store(url)
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except KnowledgeError as exc:
        raise CliError(f"{len(exc.problems)} problem(s); nothing changed:\n" + "\n".join(exc.problems)) from exc
    except StoreError as exc:
        raise CliError(str(exc)) from exc


def _require_existing(url: str) -> None:
    path = sqlite_path(url) if url.startswith("sqlite://") else None
    if path is not None and not Path(path).is_file():
        raise CliError(
            f"no store at {url} ({Path(path).resolve()}): nothing to read; "
            "set HUASHU_DATABASE_URL or --database-url to the service's store"
        )
