"""What an upload would remove: the stored entries whose id the merged rows no longer have."""

from __future__ import annotations

import pytest

from assistant.knowledge.loader import KnowledgeError
from assistant.knowledge.uploads import empty_uploads, merge_uploads, removed_entries
from assistant.storage.protocols import KnowledgeRow


def row(file: str, position: int, entry_id: str) -> KnowledgeRow:
    return KnowledgeRow(file, position, entry_id, {"id": entry_id} if entry_id else {"name": "店"})


def test_removed_entries_are_the_ids_gone_in_file_order_a_moved_entry_is_kept() -> None:
    current = [
        row("shop.yaml", 0, ""),
        row("faq/b.yaml", 0, "faq-b"),
        row("faq/a.yaml", 1, "faq-a2"),
        row("faq/a.yaml", 0, "faq-a1"),
        row("faq/a.yaml", 2, "faq-moved"),
    ]
    merged = [row("faq/a.yaml", 0, "faq-a1"), row("faq/c.yaml", 0, "faq-moved")]
    assert [r.entry_id for r in removed_entries(current, merged)] == ["faq-a2", "faq-b"]
    assert removed_entries(current, current) == []


FAQ = """\
- id: faq-a
  stage: pre_sale
  category: 包装
  question: 可以礼品包装吗
  variants: [能包装成礼物吗]
  answer: 可以的
  tags: [other]
"""


def test_an_empty_file_among_others_is_skipped_and_named_as_the_loader_would_read_the_folder() -> None:
    # A folder `read_rows` (and `huashu knowledge check`) loads, with a comment-only promotions.yaml
    # and an empty past_replies_2.jsonl, was refused whole ("nothing to store"), with no way past it
    uploads = {
        "faq/a.yaml": FAQ.encode(),
        "promotions.yaml": "# 暂无活动\n".encode(),
        "past_replies_2.jsonl": b"",
        "shop.yaml": "# 以后再写\n".encode(),
    }
    for replace_all in (True, False):
        rows = merge_uploads([], uploads, replace_all=replace_all)
        assert [(r.file, r.entry_id) for r in rows] == [("faq/a.yaml", "faq-a")]
    said = empty_uploads([], uploads)
    assert said == [
        f"{name}: holds no entries (an empty file, or only comments): skipped, nothing stored from it"
        for name in ("past_replies_2.jsonl", "promotions.yaml", "shop.yaml")
    ]
    assert empty_uploads([], {"faq/a.yaml": FAQ.encode()}) == []


def test_an_upload_of_nothing_but_empty_files_is_refused_naming_each() -> None:
    for replace_all in (True, False):
        with pytest.raises(KnowledgeError) as refused:
            merge_uploads([], {"faq/x.yaml": b"", "promotions.yaml": b"# x\n"}, replace_all=replace_all)
        assert refused.value.problems == [
            f"{name}: holds no entries (an empty file, or only comments): nothing to store"
            for name in ("faq/x.yaml", "promotions.yaml")
        ]


def test_emptying_a_file_the_shop_holds_still_needs_remove_missing() -> None:
    current = [row("faq/a.yaml", 0, "faq-a"), row("faq/b.yaml", 0, "faq-b")]
    uploads = {"faq/a.yaml": FAQ.encode(), "faq/b.yaml": b"# gone\n"}
    for replace_all in (True, False):
        with pytest.raises(KnowledgeError) as refused:
            merge_uploads(current, uploads, replace_all=replace_all)
        (problem,) = refused.value.problems
        assert problem.startswith("faq/b.yaml: holds no entries") and "remove_missing=true" in problem
        rows = merge_uploads(current, uploads, replace_all=replace_all, remove_missing=True)
        assert [r.entry_id for r in rows] == ["faq-a"]
    assert empty_uploads(current, uploads) == []  # not skipped: its entries are removed (`removed`)
