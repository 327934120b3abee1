"""The records of what happened in conversations: messages (customer and agent), the
suggestions shown for them, what agents did with them (the panel's feedback, and the outcome of
each real reply), and what the service answered (answerable, cues, escalation, time taken).
Written by the service, read back by the learning loop and the analytics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

FeedbackAction = Literal["use", "edit", "send", "dismiss", "cue_wrong"]


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One message of a conversation: the customer's, or the agent's real reply.

    `role` is `customer`, `agent` (a human agent's reply: a label for the learning loop) or
    `bot` (an agent bot's or an automation's message: context, never a label). `sender_kind`
    says who sent it as the platform does (`contact`, `agent`, `bot`, `automation`; empty when
    unknown), `agent_id` / `agent_name` which human agent (for per-agent analytics), and a turn
    without text (an image, a file) has a placeholder text such as `[图片]`."""

    platform: str
    shop: str
    conversation_id: str
    message_id: str
    role: str
    text: str
    sent_at: str
    received_at: str
    sender_kind: str = ""
    agent_id: str = ""
    agent_name: str = ""


@dataclass(frozen=True, slots=True)
class SuggestionRecord:
    """One suggestion shown to the agent for a customer message."""

    platform: str
    shop: str
    conversation_id: str
    message_id: str
    rank: int
    entry_id: str
    score: float
    source: str
    index_version: str
    shown_at: str
    text: str = ""  # the text shown (what an agent's reply is matched against; empty in old rows)
    matched: str = ""  # the customer wording it matched (a quick reply: its slot); empty in old rows
    tags: tuple[str, ...] = ()  # e.g. `quick_reply` and its slot, as the panel showed them


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """What an agent did with what the panel showed for one customer message.

    `shown` lists what was on screen: `[{"entry_id", "rank", "score"}, ...]`; `entry_id` and
    `rank` name the suggestion acted on (empty / 0 for a cue); `text` is the (edited) text used
    or sent; `cue` names the cue marked wrong; `elapsed_ms` is the time from display to action.
    """

    id: str
    shop: str
    conversation_id: str
    message_id: str
    action: FeedbackAction
    index_version: str
    agent: str = ""
    entry_id: str = ""
    rank: int = 0
    score: float = 0.0
    text: str = ""
    cue: str = ""
    elapsed_ms: float | None = None
    shown: tuple[dict[str, object], ...] = field(default_factory=tuple)
    at: str = ""

    @property
    def cue_mark(self) -> tuple[str, str, str, str] | None:
        """What a cue_wrong mark marks (shop, conversation, message, cue): one mark per cue of a
        message; None for every other action."""
        if self.action != "cue_wrong":
            return None
        return (self.shop, self.conversation_id, self.message_id, self.cue)


def once_per_cue(feedback: Iterable[FeedbackRecord]) -> list[FeedbackRecord]:
    """`feedback` in order, a cue_wrong mark repeated for the same cue of the same message kept
    only at its first (the panel once stored a second click again: counted and learned from once)."""
    seen: set[tuple[str, str, str, str]] = set()
    kept: list[FeedbackRecord] = []
    for record in feedback:
        mark = record.cue_mark
        if mark is not None:
            if mark in seen:
                continue
            seen.add(mark)
        kept.append(record)
    return kept


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """What the service answered for one customer message, beside the suggestions it showed.

    `answerable` says whether a suggestion reached the shop's threshold (`top_score` is the best
    score), `cues` the cues shown as `(name, level)` (medium and high), `escalation` the reasons
    when the conversation was escalated (empty otherwise), `total_ms` the time to suggest.
    `cue_details` are the same cues as the panel drew them (`name`, `level`, `score`, `tip`,
    `evidence` spans), so a panel opened after a restart shows them again (empty in old rows)."""

    platform: str
    shop: str
    conversation_id: str
    message_id: str
    answerable: bool
    top_score: float
    cues: tuple[tuple[str, str], ...] = ()
    escalation: tuple[str, ...] = ()
    total_ms: float = 0.0
    index_version: str = ""
    at: str = ""
    cue_details: tuple[dict[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    """What a human agent's real reply did with the suggestions shown before it, stored when the
    reply arrives (acceptance without clicks, `learning.acceptance.match_reply`).

    `message_id` is the agent's reply, `customer_message_id` the customer message whose
    suggestions were shown (the latest before the reply); `outcome` is `used`, `edited` or
    `not_used`, `entry_id` the suggestion used or edited (empty when none), `similarity` the
    character F1 of the reply with the closest suggestion; `shown` lists every suggestion shown
    as `{"entry_id", "rank", "score", "similarity"}`."""

    platform: str
    shop: str
    conversation_id: str
    message_id: str
    customer_message_id: str
    outcome: str
    entry_id: str
    similarity: float
    agent: str = ""
    shown: tuple[dict[str, object], ...] = ()
    at: str = ""


@dataclass(frozen=True, slots=True)
class ShopHistory:
    """A shop's records over a window of time, each list oldest first (what analytics read)."""

    messages: list[MessageRecord] = field(default_factory=list)
    suggestions: list[SuggestionRecord] = field(default_factory=list)
    feedback: list[FeedbackRecord] = field(default_factory=list)
    answers: list[AnswerRecord] = field(default_factory=list)
    outcomes: list[OutcomeRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class KnownMessage:
    """A message id as a shop's records know it (what a panel's feedback is checked against):
    the conversation holding it (the one asked about when it is there, else another one), and the
    entry ids of the suggestions shown for it in the conversation asked about."""

    conversation_id: str
    shown: frozenset[str] = frozenset()


Record = MessageRecord | SuggestionRecord | FeedbackRecord | AnswerRecord | OutcomeRecord


def epoch(at: str) -> float:
    """Seconds since 1970 of a stored ISO 8601 time (naive times are UTC)."""
    moment = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")
