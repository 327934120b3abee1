"""A shop's knowledge between the store and a folder of knowledge files (the CLI's `huashu shop
create/import/export`, the demo shop on a fresh start).

Every import validates the whole folder first (`read_rows`) and replaces the shop's rows in one
transaction, so a bad file changes nothing and a service running on the same store sees either
the old knowledge or the new.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from assistant.knowledge.files import read_rows, shop_name, write_files
from assistant.storage.protocols import KnowledgeRow, ShopExists, ShopRecord, Store, UnknownShop

log = logging.getLogger("assistant.storage")


async def take_shop_name(store: Store, shop: str, rows: list[KnowledgeRow]) -> str | None:
    """Rename `shop` to the name of the shop.yaml among `rows` (an upload or import of it: the
    shop's knowledge says what the shop is called), when it has one and it differs; the name the
    shop had before, or None when nothing was renamed (`UnknownShop`)."""
    name = shop_name(rows)
    record = await store.shop(shop)
    if record is None:
        raise UnknownShop(f"no shop {shop!r}")
    if not name or name == record.name:
        return None
    await store.rename_shop(shop, name)
    log.info("shop renamed after its shop.yaml", extra={"shop": shop, "shop_name": name, "was": record.name})
    return record.name


async def create_shop_from(store: Store, shop: str, folder: Path, name: str | None = None) -> tuple[ShopRecord, str]:
    """A new shop with the knowledge of `folder` (validated before the shop is created); the
    shop and its knowledge revision. `ShopExists` when the id is taken."""
    rows = await asyncio.to_thread(read_rows, folder)
    record = await store.create_shop(shop, name or shop_name(rows) or shop)
    return record, await store.replace_knowledge(shop, rows)


async def import_knowledge(store: Store, shop: str, folder: Path) -> tuple[int, str, str | None]:
    """Replace an existing shop's knowledge with `folder`'s; (rows imported, new revision, the
    shop's former name when the folder's shop.yaml renamed it, else None: `take_shop_name`)."""
    if await store.shop(shop) is None:
        raise UnknownShop(f"no shop {shop!r} (create it with `huashu shop create`)")
    rows = await asyncio.to_thread(read_rows, folder)
    revision = await store.replace_knowledge(shop, rows)
    return len(rows), revision, await take_shop_name(store, shop, rows)


async def export_knowledge(store: Store, shop: str, folder: Path) -> tuple[list[Path], int]:
    """Write the shop's knowledge as files under `folder`: (the files written, how many files the
    knowledge has). A file of `folder` that already holds its rows is left as it is, byte for byte
    (`write_files`): an export back over the folder imported keeps the owner's comments."""
    rows = await store.knowledge_rows(shop)
    return await asyncio.to_thread(write_files, rows, folder), len({r.file for r in rows})


async def ensure_default_shop(store: Store, shop: str, knowledge_dir: Path) -> ShopRecord | None:
    """Import `knowledge_dir` as `shop` when the store has no such shop (a fresh clone's demo
    shop); the shop created, or None when it existed. Two processes racing here create it once."""
    if await store.shop(shop) is not None:
        return None
    try:
        record, revision = await create_shop_from(store, shop, knowledge_dir)
    except ShopExists:
        return None
    log.info("default shop imported", extra={"shop": shop, "folder": str(knowledge_dir), "revision": revision})
    return record
