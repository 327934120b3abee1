"""What an upload would remove: the stored entries whose id the merged rows no longer have."""

from __future__ import annotations

from assistant.knowledge.uploads import removed_entries
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
