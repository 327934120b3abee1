"""Deleting a shop everywhere it is kept: its rows in the store, then its folder under the index.
The one sequence behind `DELETE /v1/admin/shops/{shop}` (which first stops this process's builds
of the shop and afterwards drops it from its registry) and `huashu shop delete` (on the store
directly, beside a running service or without one)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from assistant.storage.protocols import Store
from assistant.suggest.snapshots import remove_shop_dir


@dataclass(frozen=True, slots=True)
class ShopDeletion:
    """What a deletion removed."""

    rows: dict[str, int]  # rows deleted per table, as `Store.delete_shop` counts them
    files: int | None  # files removed under the index folder; None: the shop had no folder there


async def delete_shop_everywhere(store: Store, index_dir: Path, shop: str) -> ShopDeletion:
    """Delete `shop` from the store (one transaction: `UnknownShop` when it has no such shop, and
    then nothing else is touched), then remove its folder under `index_dir` (off the event loop)."""
    rows = await store.delete_shop(shop)
    files = await asyncio.to_thread(remove_shop_dir, index_dir, shop)
    return ShopDeletion(rows, files)
