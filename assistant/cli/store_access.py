"""How the store commands reach the store: `--database-url`, else `HUASHU_DATABASE_URL`, else the
service's default; store and knowledge failures become one `huashu:` line."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

from assistant.cli.errors import CliError
from assistant.knowledge.loader import KnowledgeError
from assistant.service.settings import Settings, SettingsError
from assistant.storage import open_store
from assistant.storage.protocols import StoreError
from assistant.storage.sql_store import SqlStore

T = TypeVar("T")


def add_database_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=None,
        help="the store (default: $HUASHU_DATABASE_URL, else sqlite:///var/huashu.db)",
    )


def database_url(args: argparse.Namespace) -> str:
    if args.database_url:
        return str(args.database_url)
    try:
        return Settings.from_env(os.environ).database_url
    except SettingsError as exc:
        raise CliError(str(exc)) from exc


def run_on_store(args: argparse.Namespace, work: Callable[[SqlStore], Awaitable[T]]) -> T:
    """Open the store named by the flags, run `work` on it, close it; failures as one line."""
    url = database_url(args)

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
