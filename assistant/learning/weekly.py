"""The week's 话术 refresh of one shop, from its records: what to add, keep, retire and reword.

A pure function over a `ShopHistory` (the shop's records of the week), the text of the shop's
entries and the gaps found among the week's unanswered messages (`gaps.find_gaps`, which needs
the message vectors, so the caller clusters):

* **new gaps**: what customers asked that nothing answered, most asked first; a gap whose id was
  already listed before (`known_gaps`) is marked as such, not new;
* **most used replies**: entries the agents sent as shown or edited (acceptance matched without
  clicks: `analytics.reply_outcomes`), with how often each was shown;
* **never used**: entries shown at least `min_shown` times this week and never sent, then the
  entries not even shown (candidates to retire);
* **often edited**: entries sent with edits at least `min_edits` times and more often edited
  than sent as is, with the mean similarity kept and the agents' latest edit (candidates to
  reword).

The admin API and `huashu report weekly` call `weekly_report`; `weekly_render` writes it as
Markdown or HTML.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.learning.acceptance import Outcome
from assistant.learning.analytics import reply_outcomes
from assistant.learning.gaps import Gap
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
class ReplyLine:
    """One entry of the shop and what the agents did with it this week."""

    entry_id: str
    text: str
    shown: int
    used: int
    edited: int
    mean_similarity: float | None = None  # of the edited sends
    latest_edit: str | None = None  # the text an agent last sent instead

    @property
    def sent(self) -> int:
        return self.used + self.edited


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
    never_used: list[ReplyLine]  # shown and never sent first, then never shown
    never_shown: int  # how many entries were not shown at all (the list holds at most `top`)
    often_edited: list[ReplyLine]


@dataclass(frozen=True, slots=True)
class WeeklyRules:
    top: int = 10
    min_shown: int = 3  # shown this often and never sent: a reply agents pass over
    min_edits: int = 2  # edited this often (and more often than sent as is): reword it


def weekly_report(
    shop: str,
    history: ShopHistory,
    entry_texts: Mapping[str, str],
    gaps: Sequence[Gap],
    since: dt.date,
    until: dt.date,
    known_gaps: frozenset[str] = frozenset(),
    rules: WeeklyRules | None = None,
) -> WeeklyReport:
    """The refresh for `history` (the shop's records from `since` to `until`, days included)."""
    rules = rules or WeeklyRules()
    outcomes = reply_outcomes(history, entry_texts)
    shown: Counter[str] = Counter(s.entry_id for s in history.suggestions)
    used: Counter[str] = Counter()
    edited: Counter[str] = Counter()
    similarities: dict[str, list[float]] = defaultdict(list)
    latest: dict[str, str] = {}
    texts = {(m.conversation_id, m.message_id): m.text for m in history.messages}
    for o in outcomes:
        if o.entry_id is None:
            continue
        if o.outcome is Outcome.USED:
            used[o.entry_id] += 1
        elif o.outcome is Outcome.EDITED:
            edited[o.entry_id] += 1
            similarities[o.entry_id].append(o.similarity)
            latest[o.entry_id] = texts.get((o.conversation_id, o.message_id), "")

    def line(entry_id: str) -> ReplyLine:
        sims = similarities.get(entry_id)
        mean = round(sum(sims) / len(sims), 4) if sims else None
        return ReplyLine(
            entry_id, entry_texts.get(entry_id, ""), shown[entry_id], used[entry_id], edited[entry_id],
            mean, latest.get(entry_id),
        )  # fmt: skip

    lines = [line(e) for e in entry_texts]
    most_used = sorted((r for r in lines if r.sent), key=lambda r: (-r.sent, -r.used, r.entry_id))
    passed_over = sorted(
        (r for r in lines if not r.sent and r.shown >= rules.min_shown), key=lambda r: (-r.shown, r.entry_id)
    )
    unseen = sorted(r for r in entry_texts if not shown[r])
    never_used = passed_over + [line(e) for e in unseen]
    often_edited = sorted(
        (r for r in lines if r.edited >= rules.min_edits and r.edited > r.used),
        key=lambda r: (-r.edited, r.mean_similarity or 0.0, r.entry_id),
    )
    gap_lines = [
        GapLine(gap_id(g), g.count, g.examples, g.suggested_reply, iso(g.last_seen), gap_id(g) not in known_gaps)
        for g in gaps
    ]
    gap_lines.sort(key=lambda g: (not g.new, -g.count))
    outcome_counts = Counter(o.outcome for o in outcomes)
    totals = WeeklyTotals(
        customer_messages=len(history.answers),
        answerable=sum(1 for a in history.answers if a.answerable),
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
        most_used[: rules.top],
        never_used[: rules.top],
        len(unseen),
        often_edited[: rules.top],
    )
