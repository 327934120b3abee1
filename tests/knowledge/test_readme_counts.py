"""The README's description of the demo shop counts what `knowledge/` holds (it said 184 FAQ
entries where there were 188: a user test, 7 December 2026)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from assistant.knowledge.loader import load_knowledge
from assistant.knowledge.model import SourceKind

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_counts_the_demo_shops_knowledge() -> None:
    line = next(line for line in (ROOT / "README.md").read_text("utf-8").splitlines() if "the demo shop 暖居" in line)
    said = re.search(
        r"(\d+) FAQ entries.*?(\d+) products, (\d+) policies, (\d+) promotions, (\d+) past good replies", line
    )
    assert said, line
    base = load_knowledge(ROOT / "knowledge")
    kinds = Counter(e.kind for e in base.entries)
    counted = (
        kinds[SourceKind.FAQ],
        len([e for e in base.entries if e.kind is SourceKind.PRODUCT and "-qa-" not in e.id]),  # not its Q&A
        kinds[SourceKind.POLICY],
        kinds[SourceKind.PROMOTION],
        kinds[SourceKind.PAST_REPLY],
    )
    assert tuple(int(n) for n in said.groups()) == counted
