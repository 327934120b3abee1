"""The FAQ entry a learning step publishes: an approved candidate reply, a closed knowledge gap.

Pre-filled from what customers asked (the first wording as the question, the others as its
variants) and what agents answered; every field the admin sets wins. The row is in the
`faq/*.yaml` fields, validated by the caller with the rest of the shop's knowledge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FaqDraft:
    """What the admin chose for the entry; a field left unset is pre-filled (`faq_row`)."""

    answer: str | None = None
    question: str | None = None
    variants: Sequence[str] | None = None
    stage: str | None = None  # None: the pre-filled stage (`faq_row`'s `stage`)
    category: str | None = None
    tags: Sequence[str] = ("other",)


def faq_row(
    entry_id: str,
    chosen: FaqDraft,
    answer: str,
    wordings: Sequence[str],
    category: str,
    no_answer: str,
    stage: str = "pre_sale",
) -> dict[str, Any]:
    """The FAQ row `entry_id`: `chosen` over the pre-filled `answer`, `wordings`, `category` and
    `stage`; `ValueError(no_answer)` when the answer ends up empty."""
    text = (chosen.answer if chosen.answer is not None else answer).strip()
    if not text:
        raise ValueError(no_answer)
    asked = [w.strip() for w in wordings if w.strip()]
    question = (chosen.question or (asked[0] if asked else text)).strip()
    variants = [v.strip() for v in (chosen.variants if chosen.variants is not None else asked) if v.strip()]
    variants = [v for v in dict.fromkeys(variants) if v != question] or [question]
    return {
        "id": entry_id,
        "stage": chosen.stage or stage,
        "category": chosen.category or category,
        "question": question,
        "variants": variants,
        "answer": text,
        "tags": list(chosen.tags),
    }
