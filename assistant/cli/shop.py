"""`huashu shop create|import|export|list`: shops and their knowledge, on the store directly
(also while a service runs on it: an import is one transaction the service sees whole)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from assistant.cli.errors import CliError, os_reason
from assistant.cli.store_access import add_database_flag, run_on_store
from assistant.storage.shop_files import create_shop_from, export_knowledge, import_knowledge
from assistant.storage.sql_store import SqlStore


def register(subparsers: Any) -> None:
    shop = subparsers.add_parser("shop", help="create shops, import or export their knowledge, list them")
    actions = shop.add_subparsers(dest="action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="a new shop with the knowledge of a folder")
    create.add_argument("shop", help="shop id: lowercase letters, digits, - and _")
    create.add_argument("--knowledge", type=Path, required=True, help="knowledge folder (the knowledge/ formats)")
    create.add_argument("--name", default=None, help="display name (default: shop.yaml's name, else the id)")
    add_database_flag(create)
    create.set_defaults(handler=run_create)

    replace = actions.add_parser("import", help="replace a shop's knowledge with a folder (all validated first)")
    replace.add_argument("shop")
    replace.add_argument("folder", type=Path, help="knowledge folder")
    add_database_flag(replace)
    replace.set_defaults(handler=run_import)

    export = actions.add_parser("export", help="write a shop's knowledge back as files")
    export.add_argument("shop")
    export.add_argument("folder", type=Path, help="folder to write (created; other files are left alone)")
    add_database_flag(export)
    export.set_defaults(handler=run_export)

    listing = actions.add_parser("list", help="every shop with its knowledge revision and active snapshot")
    add_database_flag(listing)
    listing.set_defaults(handler=run_list)


def _folder(path: Path) -> Path:
    if not path.is_dir():
        raise CliError(f"{path}: {'is a file, not a' if path.exists() else 'no such'} knowledge folder")
    return path


def run_create(args: argparse.Namespace) -> int:
    folder = _folder(args.knowledge)

    async def work(store: SqlStore) -> str:
        record, revision = await create_shop_from(store, args.shop, folder, args.name)
        rows = len(await store.knowledge_rows(record.shop))
        return f"shop {record.shop} ({record.name}) created from {folder}/: {rows} rows, knowledge revision {revision}"

    print(run_on_store(args, work))
    return 0


def run_import(args: argparse.Namespace) -> int:
    folder = _folder(args.folder)

    async def work(store: SqlStore) -> str:
        count, revision = await import_knowledge(store, args.shop, folder)
        return f"shop {args.shop}: knowledge replaced from {folder}/: {count} rows, knowledge revision {revision}"

    print(run_on_store(args, work))
    return 0


def run_export(args: argparse.Namespace) -> int:
    if args.folder.exists() and not args.folder.is_dir():
        raise CliError(f"{args.folder}: is a file, not a folder to write the knowledge to")

    async def work(store: SqlStore) -> list[Path]:
        try:
            return await export_knowledge(store, args.shop, args.folder)
        except OSError as exc:
            raise CliError(f"{exc.filename or args.folder}: cannot write: {os_reason(exc)}") from None

    written = run_on_store(args, work, read_only=True)
    print(f"shop {args.shop}: {len(written)} files written to {args.folder}/")
    return 0


def run_list(args: argparse.Namespace) -> int:
    async def work(store: SqlStore) -> list[str]:
        lines = []
        for shop in await store.shops():
            active = await store.active_snapshot(shop.shop)
            revision = await store.knowledge_revision(shop.shop)
            stale = " (stale)" if active and active.knowledge_revision != revision else ""
            snapshot = f"{active.version}{stale}" if active else "none"
            lines.append(f"{shop.shop}\t{shop.name}\trevision {revision}\tsnapshot {snapshot}")
        return lines

    lines = run_on_store(args, work, read_only=True)
    print("\n".join(lines) if lines else "no shops yet (huashu shop create SHOP --knowledge DIR)")
    return 0
