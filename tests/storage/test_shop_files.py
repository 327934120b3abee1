"""A shop's knowledge between the store and files; the demo shop imported once on a fresh store."""

from __future__ import annotations

import asyncio

from assistant.knowledge.files import read_rows
from assistant.storage.protocols import revision_of
from assistant.storage.shop_files import ensure_default_shop
from assistant.storage.sql_store import SqlStore
from tests.conftest import KNOWLEDGE


async def test_the_default_shop_is_imported_once_even_by_racing_starts(store: SqlStore, shop_id: str) -> None:
    created = await asyncio.gather(*(ensure_default_shop(store, shop_id, KNOWLEDGE) for _ in range(3)))
    assert [c.shop for c in created if c is not None] == [shop_id]
    assert created[0] is None or created[0].name == "暖居生活旗舰店"
    assert await store.knowledge_revision(shop_id) == revision_of(read_rows(KNOWLEDGE))
    assert await ensure_default_shop(store, shop_id, KNOWLEDGE) is None
