"""A shop's knowledge gaps from its records, and the FAQ entry that closes one.

The unanswered messages are the substantive customer messages (not 好的 / 谢谢 / a greeting:
`turns.is_stock`) for which the service found no answerable suggestion, each with the first
reply a human agent gave before the customer's next message. `learning.gaps.find_gaps`
clusters them; a gap is named by a short hash of its most central example, so the same gap
keeps its id while it grows.

Closing a gap writes a FAQ entry: the most central example as the question, the other
examples as the wordings customers really used, and the agents' most common reply as the
answer (the admin may change any of them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.learning.analytics import by_conversation
from assistant.learning.gaps import Gap, UnansweredMessage
from assistant.learning.turns import is_stock
from assistant.storage.records import ShopHistory

GAPS_FILE = "faq/gaps.yaml"  # where closed gaps are written in the shop's knowledge
GAP_CATEGORY = "知识缺口"


def epoch(at: str) -> float:
    """Seconds since 1970 of a stored ISO 8601 time (naive times are UTC)."""
    moment = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def unanswered_messages(history: ShopHistory) -> list[UnansweredMessage]:
    """The substantive customer messages of `history` nothing answered, with the agent's reply."""
    unanswered = {(a.platform, a.conversation_id, a.message_id) for a in history.answers if not a.answerable}
    found = []
    for messages in by_conversation(history.messages).values():
        for i, message in enumerate(messages):
            key = (message.platform, message.conversation_id, message.message_id)
            if message.role != "customer" or key not in unanswered or is_stock(message.text):
                continue
            reply = None
            for later in messages[i + 1 :]:
                if later.role == "customer":
                    break
                if later.role == "agent":
                    reply = later.text
                    break
            found.append(UnansweredMessage(message.text, epoch(message.received_at), reply))
    return found


def gap_id(gap: Gap) -> str:
    """A short stable name of a gap: the hash of its most central example."""
    return hashlib.sha256(gap.examples[0].encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class GapFaq:
    """What the closing FAQ entry says; every field may be set by the admin, the rest is pre-filled."""

    answer: str | None = None
    question: str | None = None
    variants: Sequence[str] | None = None
    stage: str = "pre_sale"
    category: str = GAP_CATEGORY
    tags: Sequence[str] = ("other",)


def gap_faq_row(gap: Gap, chosen: GapFaq | None = None) -> dict[str, Any]:
    """The FAQ row (`faq/*.yaml` fields) that closes `gap`; `ValueError` when there is no answer
    (no agent replied and the admin gave none)."""
    chosen = chosen or GapFaq()
    answer = (chosen.answer or gap.suggested_reply or "").strip()
    if not answer:
        raise ValueError("no agent replied to these messages: give the answer")
    question = (chosen.question or gap.examples[0]).strip()
    variants = [v.strip() for v in (chosen.variants if chosen.variants is not None else gap.examples) if v.strip()]
    variants = [v for v in dict.fromkeys(variants) if v != question] or [question]
    return {
        "id": f"faq-gap-{gap_id(gap)}",
        "stage": chosen.stage,
        "category": chosen.category,
        "question": question,
        "variants": variants,
        "answer": answer,
        "tags": list(chosen.tags),
    }
