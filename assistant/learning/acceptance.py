"""Acceptance without clicks: match an agent's real reply to the suggestions shown before it.

When an agent's reply arrives, it is compared with every suggestion shown in that conversation
since the customer's last message: *used* when it is that suggestion (character similarity at
least `used_at`, i.e. sent as is up to spacing and marks), *edited* when it starts from one
(similarity at least `edited_at`), *not used* otherwise. The similarity kept is the character F1
of `similarity.char_f1`, so "how much was edited" reads 1 − similarity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from assistant.learning.similarity import char_f1


class Outcome(StrEnum):
    USED = "used"
    EDITED = "edited"
    NOT_USED = "not_used"


@dataclass(frozen=True, slots=True)
class Shown:
    """A suggestion that was shown to the agent: its entry and its text."""

    entry_id: str
    text: str


@dataclass(frozen=True, slots=True)
class Acceptance:
    """What the agent did with the suggestions shown: the closest one and how close it was."""

    outcome: Outcome
    entry_id: str | None
    similarity: float
    shown: tuple[str, ...]  # every entry id shown, so the ones not picked count as passed over


@dataclass(frozen=True, slots=True)
class AcceptanceRules:
    used_at: float = 0.95
    edited_at: float = 0.5


def match_reply(reply: str, shown: Sequence[Shown], rules: AcceptanceRules | None = None) -> Acceptance:
    """Match the agent's `reply` to the suggestions `shown` since the customer's last message."""
    rules = rules or AcceptanceRules()
    ids = tuple(dict.fromkeys(s.entry_id for s in shown))
    scored = [(char_f1(s.text, reply), i, s) for i, s in enumerate(shown)]
    if not scored:
        return Acceptance(Outcome.NOT_USED, None, 0.0, ids)
    similarity, _, best = max(scored, key=lambda t: (t[0], -t[1]))
    if similarity >= rules.used_at:
        return Acceptance(Outcome.USED, best.entry_id, round(similarity, 4), ids)
    if similarity >= rules.edited_at:
        return Acceptance(Outcome.EDITED, best.entry_id, round(similarity, 4), ids)
    return Acceptance(Outcome.NOT_USED, None, round(similarity, 4), ids)
