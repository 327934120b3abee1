"""The outcome of an agent's real reply, stored when it arrives: acceptance without clicks.

`outcome_of` matches the reply to the suggestions shown for the customer's latest message
before it (`acceptance.match_reply`: used / edited / not used) and keeps, for each suggestion
shown, its rank, score and character similarity with the reply: the analytics count the
outcome, the learning loop reads the used and the passed over (priors) and whether a suggestion
of a given score matched (match rates). `stored_outcomes` turns the stored records back into
the analytics' `ReplyOutcome`s.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.learning.acceptance import AcceptanceRules, Outcome, Shown, match_reply
from assistant.learning.similarity import char_f1
from assistant.storage.records import MessageRecord, OutcomeRecord, SuggestionRecord


def outcome_of(
    reply: MessageRecord,
    customer_message_id: str,
    shown: Sequence[SuggestionRecord],
    rules: AcceptanceRules | None = None,
) -> OutcomeRecord | None:
    """The outcome of the human agent's `reply` given the suggestions `shown` for the customer
    message `customer_message_id` (best first); None when the reply is not a human agent's or
    nothing with a text was shown (a reply with nothing shown before it is not counted)."""
    if reply.role != "agent":
        return None
    ranked = sorted((s for s in shown if s.text), key=lambda s: s.rank)
    if not ranked:
        return None
    matched = match_reply(reply.text, [Shown(s.entry_id, s.text) for s in ranked], rules)
    return OutcomeRecord(
        reply.platform,
        reply.shop,
        reply.conversation_id,
        reply.message_id,
        customer_message_id,
        str(matched.outcome),
        matched.entry_id or "",
        matched.similarity,
        reply.agent_name or reply.agent_id,
        tuple(
            {
                "entry_id": s.entry_id,
                "rank": s.rank,
                "score": round(s.score, 4),
                "similarity": round(char_f1(s.text, reply.text), 4),
            }
            for s in ranked
        ),
        reply.received_at,
    )


def outcome(record: OutcomeRecord) -> Outcome:
    """The stored outcome as the enum (an unknown value reads as not used)."""
    try:
        return Outcome(record.outcome)
    except ValueError:
        return Outcome.NOT_USED
