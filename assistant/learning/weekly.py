"""The week's 话术 refresh of one shop, from its records: what to add, keep, retire and reword.

A pure function over a `ShopHistory` (the shop's records of the week), the text of the shop's
entries and the gaps found among the week's unanswered messages (`gaps.find_gaps`, which needs
the message vectors, so the caller clusters):

* **new gaps**: what customers asked that nothing answered, most asked first; a gap whose id was
  already listed before (`known_gaps`) is marked as such, not new;
* **asked once**: the messages nothing answered that one customer asked and no gap holds
  (`gaps.GapFindings.asked_once`), the latest first, listed apart from the gaps;
* **most used replies**: entries the agents sent as shown or edited (acceptance matched without
  clicks: `analytics.reply_outcomes`), then those only picked in the panel (use, edit or send
  pressed: its feedback), with how often each was shown and picked;
* **never used** (candidates to retire, on evidence only): entries shown at least `min_shown`
  times this week and at least `min_replied` times (`analytics.MIN_REPLIED`) for a customer
  message whose agent's real reply is recorded, never sent and never picked in the panel; none
  while the shop records no agent replies, and never an entry not even shown (only counted);
* **often edited**: entries sent with edits at least `min_edits` times and more often edited
  than sent as is, with the mean similarity kept and the agents' latest edit (candidates to
  reword).

`huashu report weekly` calls `weekly_report` and `weekly_render` writes it as Markdown or HTML;
the admin API answers the same lists of replies in its statistics (`analytics.reply_use`) and
the same gaps at `.../gaps`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from assistant.learning.acceptance import Outcome
from assistant.learning.analytics import (
    MIN_REPLIED,
    ReplyLine,
    ReplyUseRules,
    customer_answers,
    reply_outcomes,
    reply_use,
)
from assistant.learning.gaps import Gap, UnansweredMessage
from assistant.learning.shop_gaps import gap_id
from assistant.storage.records import ShopHistory, iso


@dataclass(frozen=True, slots=True)
class GapLine:
    id: str
    count: int
    examples: tuple[str, ...]
    suggested_reply: str | None
    last_seen: str
    new: bool


@dataclass(frozen=True, slots=True)
class OnceLine:
    text: str
    reply: str | None  # the agent's, None when none was recorded
    at: str


@dataclass(frozen=True, slots=True)
class WeeklyTotals:
    customer_messages: int
    answerable: int
    agent_replies: int
    used: int
    edited: int
    not_used: int


@dataclass(frozen=True, slots=True)
class WeeklyReport:
    shop: str
    since: str
    until: str
    totals: WeeklyTotals
    new_gaps: list[GapLine]
    most_used: list[ReplyLine]
    never_used: list[ReplyLine]  # shown, the agents' real replies known and never it: to retire
    never_shown: int  # how many entries were not shown at all (never listed to retire)
    often_edited: list[ReplyLine]
    too_new: int = 0  # entries added or changed this week: not judged yet
    min_replied: int = MIN_REPLIED  # the evidence a reply to retire needs (`ReplyUseRules`)
    all_gaps: int = 0  # the gaps found this week; `new_gaps` lists the first `top` of them
    asked_once: list[OnceLine] = field(default_factory=list)  # the latest first, at most `top`
    shop_name: str = ""  # the shop's name (its shop.yaml's), said in the heading with the id

    @property
    def shop_label(self) -> str:
        """The shop as its admin knows it: its name with its id, `茶叶小店（tea）` (the id alone without a name)."""
        return f"{self.shop_name}（{self.shop}）" if self.shop_name and self.shop_name != self.shop else self.shop


WeeklyRules = ReplyUseRules  # how many lines per list, and when a reply is passed over or reworded


def weekly_report(
    shop: str,
    history: ShopHistory,
    entry_texts: Mapping[str, str],
    gaps: Sequence[Gap],
    since: dt.date,
    until: dt.date,
    known_gaps: frozenset[str] = frozenset(),
    rules: WeeklyRules | None = None,
    fresh: frozenset[str] = frozenset(),
    asked_once: Sequence[UnansweredMessage] = (),
) -> WeeklyReport:
    """The refresh for `history` (the shop's records from `since` to `until`, days included);
    `fresh`: the entries added or changed in that time, never proposed for retiring; `asked_once`:
    the messages asked once in no gap, the latest first (`gaps.GapFindings.asked_once`)."""
    rules = rules or WeeklyRules()
    outcomes = reply_outcomes(history, entry_texts)
    replies = reply_use(history, entry_texts, outcomes, rules, fresh)
    gap_lines = [
        GapLine(gap_id(g), g.count, g.examples, g.suggested_reply, iso(g.last_seen), gap_id(g) not in known_gaps)
        for g in gaps
    ]
    gap_lines.sort(key=lambda g: (not g.new, -g.count))
    outcome_counts = Counter(o.outcome for o in outcomes)
    answers = customer_answers(history)
    totals = WeeklyTotals(
        customer_messages=len(answers),
        answerable=sum(1 for a in answers if a.answerable),
        agent_replies=sum(1 for m in history.messages if m.role == "agent"),
        used=outcome_counts[Outcome.USED],
        edited=outcome_counts[Outcome.EDITED],
        not_used=outcome_counts[Outcome.NOT_USED],
    )
    return WeeklyReport(
        shop,
        since.isoformat(),
        until.isoformat(),
        totals,
        gap_lines[: rules.top],
        replies.most_used,
        replies.never_used,
        replies.never_shown,
        replies.often_edited,
        replies.too_new,
        replies.min_replied,
        len(gap_lines),
        [OnceLine(m.text, m.reply, iso(m.at)) for m in asked_once[: rules.top]],
    )
