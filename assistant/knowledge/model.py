"""What the knowledge base is made of, once loaded: one `KnowledgeEntry` per answerable thing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class SourceKind(StrEnum):
    """Where an entry came from; shown to the agent next to each suggestion."""

    FAQ = "faq"
    PRODUCT = "product"
    POLICY = "policy"
    PROMOTION = "promotion"
    PAST_REPLY = "past_reply"


class Stage(StrEnum):
    """The phase of the conversation an entry serves."""

    PRE_SALE = "pre_sale"
    IN_SALE = "in_sale"
    AFTER_SALE = "after_sale"


@dataclass(frozen=True, slots=True)
class KnowledgeEntry:
    """One reply the agent may send, with every customer wording known to ask for it.

    `questions[0]` is the standard question; the rest are the variants customers really type.
    `origin` is `file:line` of the entry in the knowledge sources. `starts` and `ends` are the
    first and last days (the shop's) it may be suggested: a promotion's; None for what does not
    start or expire (`calendar.py`).
    """

    id: str
    kind: SourceKind
    questions: tuple[str, ...]
    reply: str
    tags: frozenset[str] = field(default_factory=frozenset)
    stage: Stage | None = None
    category: str = ""
    origin: str = ""
    context: tuple[str, ...] = ()
    starts: dt.date | None = None
    ends: dt.date | None = None
