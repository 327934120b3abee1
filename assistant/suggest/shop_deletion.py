"""Deleting a shop everywhere it is kept: its rows in the store, then its folder under the index,
then its conversations in the conversation memory (Redis, shared by the service's workers: they
stayed there until their time-to-live). The one sequence behind `DELETE /v1/admin/shops/{shop}`
(which first stops this process's builds of the shop and afterwards drops it from its registry)
and `huashu shop delete` (on the store directly, beside a running service or without one)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assistant.storage.protocols import Store
from assistant.suggest.snapshots import remove_shop_dir


class MemoryUnreachable(Exception):
    """The memory could not forget a shop's conversations (Redis down): they stay there until they
    expire. `forgotten` is what was forgotten anyway (by this process), `left` says where and why."""

    def __init__(self, forgotten: int, left: str) -> None:
        super().__init__(left)
        self.forgotten = forgotten
        self.left = left


class ShopMemory(Protocol):
    """Where something of a shop's conversations is remembered (`Conversations`, the panel's
    `LiveBus`, `Deliveries`)."""

    async def forget_shop(self, shop: str) -> int:
        """Forget all of `shop`'s; how many were forgotten (`MemoryUnreachable` when some could
        not be)."""
        ...


@dataclass(frozen=True, slots=True)
class ShopDeletion:
    """What a deletion removed."""

    rows: dict[str, int]  # rows deleted per table, as `Store.delete_shop` counts them
    files: int | None  # files removed under the index folder; None: the shop had no folder there
    conversations: int | None = None  # conversations forgotten from the memory; None: no memory was given
    conversations_left: str | None = None  # where and why some stay until they expire (`MemoryUnreachable`)


async def delete_shop_everywhere(
    store: Store, index_dir: Path, shop: str, memory: ShopMemory | None = None, traces: Sequence[ShopMemory] = ()
) -> ShopDeletion:
    """Delete `shop` from the store (one transaction: `UnknownShop` when it has no such shop, and
    then nothing else is touched), then remove its folder under `index_dir` (off the event loop),
    then forget its conversations in `memory` and what else is kept of them in `traces` (the
    panel's latest event of each conversation, the deliveries seen: a shop made again under the
    same id replayed the deleted one's messages to its panel and refused its first messages as
    repeats, a user test). After the store, the shop takes no new message (its tokens are gone, and
    no route finds it), so what the memory forgets is not written again (but by a request already
    past those checks: that conversation expires by its time-to-live)."""
    rows = await store.delete_shop(shop)
    files = await asyncio.to_thread(remove_shop_dir, index_dir, shop)
    conversations, left = None, []
    try:
        conversations = await memory.forget_shop(shop) if memory is not None else None
    except MemoryUnreachable as exc:  # the shop is deleted all the same; its conversations expire
        conversations = exc.forgotten
        left.append(exc.left)
    for trace in traces:
        try:
            await trace.forget_shop(shop)
        except MemoryUnreachable as exc:
            left.append(exc.left)
    return ShopDeletion(rows, files, conversations, "; ".join(left) or None)
