"""A shop's name follows the shop.yaml imported into it (`huashu shop import`), on every backend."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assistant.storage.shop_files import import_knowledge
from assistant.storage.sql_store import SqlStore

FAQ = (
    "- id: faq-a\n  stage: pre_sale\n  category: 物流\n  question: 包邮吗\n  variants: [包不包邮]\n"
    "  answer: 亲，全场包邮哦\n  tags: [shipping]\n"
)


def folder(path: Path, shop_yaml: str) -> Path:
    (path / "faq").mkdir(parents=True)
    (path / "shop.yaml").write_text(shop_yaml, encoding="utf-8")
    (path / "faq" / "a.yaml").write_text(FAQ, encoding="utf-8")
    return path


async def test_a_shop_is_renamed_and_an_import_takes_shop_yaml_s_name(
    store: SqlStore, shop_id: str, tmp_path: Path
) -> None:
    await store.create_shop(shop_id, "新茶店", {"threshold": 0.5})
    renamed = await store.rename_shop(shop_id, "茶舍")
    assert (renamed.name, renamed.settings) == ("茶舍", {"threshold": 0.5})
    assert await store.shop(shop_id) == renamed
    await import_knowledge(store, shop_id, folder(tmp_path / "a", "name: 山野茶舍\n"))
    assert (await store.shop(shop_id)).name == "山野茶舍"  # type: ignore[union-attr]
    await store.rename_shop(shop_id, "茶舍")
    await import_knowledge(store, shop_id, folder(tmp_path / "b", "name: 山野茶舍\ndescription: 茶\n"))
    assert (await store.shop(shop_id)).name == "山野茶舍"  # type: ignore[union-attr]


async def test_the_rename_is_logged_where_the_service_logs_info(
    store: SqlStore, shop_id: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A user test: with INFO logging on (the service's), the rename's log line raised KeyError
    (`name` is a LogRecord attribute) and the upload answered 500."""
    await store.create_shop(shop_id, "新茶店")
    with caplog.at_level(logging.INFO, logger="assistant"):
        await import_knowledge(store, shop_id, folder(tmp_path / "a", "name: 山野茶舍\n"))
    assert (await store.shop(shop_id)).name == "山野茶舍"  # type: ignore[union-attr]
    assert any(getattr(r, "shop_name", None) == "山野茶舍" for r in caplog.records), caplog.records
