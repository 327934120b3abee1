"""A shop's analytics from its records: acceptance, coverage, cues, escalations, agents, latency.

Pure functions over a `ShopHistory` (what the store returns for a window of time) and the text
of the shop's entries; the admin API serves them and the admin page draws them.

* Acceptance is measured without clicks: every human agent's reply is matched to the
  suggestions shown for the customer's latest message before it in the conversation's time
  order (`message_order`: the messages' own times, not the order they arrived in)
  (`acceptance.match_reply`): *used* as is, *edited* (how much: 1 − character similarity), or
  *not used*. The service stores that outcome when the reply arrives (`reply_outcomes`); a
  reply stored without one, or whose stored outcome was matched to another customer message
  (it arrived before the message it answers or before its suggestions were stored), is matched
  here. A reply with nothing shown before it is not counted, and a customer message's
  suggestion is counted taken once (a repeat that uses one again is not counted).
* Per agent, the replies are the ones acceptance counts: the agents' replies add up to it.
* Coverage is the share of suggested-for customer messages that were answerable
  (`customer_answers`: an agent's or a bot's message is suggested nothing, so it is never counted
  as unanswerable, even where a record says otherwise).
* Cues are the ones the panel showed (medium and high); an escalation is a message for which
  the service raised one.
* Per agent: the replies counted, what they did with the suggestions, the panel's explicit actions.
* Latency: the service's time to suggest, percentiles overall and per day.
* Reply use (`reply_use`): per entry of the shop, how often it was shown, sent as is, sent
  with edits and picked in the panel (use, edit or send pressed on it: explicit evidence even
  when the text the agent sent was not matched to it): the most used, the never used
  (candidates to retire, only on evidence: shown at least `MIN_REPLIED` times for messages
  whose agent's real reply is known, and that reply never it; never one the panel picked; never
  a learned quick reply) and the often edited (candidates to reword), as the weekly report lists
  them. A learned quick reply is one row per text (`reply_rows`), from the window's records.

Days are the shop's calendar days (`YYYY-MM-DD` in Asia/Shanghai: `knowledge.calendar.day_of`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Annotated

import msgspec
import numpy as np

from assistant.knowledge.calendar import day_of
from assistant.learning.acceptance import AcceptanceRules, Outcome
from assistant.learning.agents import UNNAMED_AGENT, agent_label
from assistant.learning.reply_outcomes import outcome as outcome_enum
from assistant.learning.reply_outcomes import outcome_of
from assistant.learning.reranking import QUICK_PREFIX, QUICK_REPLY_TAG
from assistant.retrieval.calibration import DEFAULT_THRESHOLD
from assistant.storage.records import (
    AnswerRecord,
    MessageRecord,
    OutcomeRecord,
    ShopHistory,
    SuggestionRecord,
    epoch,
)

UNKNOWN_AGENT = UNNAMED_AGENT  # a reply or panel action that names no agent
PICKS = frozenset({"use", "edit", "send"})  # the panel's actions that take a suggestion


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    """One agent reply and what it did with the suggestions shown before it."""

    conversation_id: str
    message_id: str
    at: str
    agent: str
    outcome: Outcome
    entry_id: str | None
    similarity: float
    # What was shown for the customer message the reply answered (its records in the window):
    # the evidence that an entry was shown and the agent replied something else.
    shown: tuple[SuggestionRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class DayAcceptance:
    day: str
    used: int = 0
    edited: int = 0
    not_used: int = 0

    @property
    def replies(self) -> int:
        return self.used + self.edited + self.not_used


@dataclass(frozen=True, slots=True)
class AcceptanceStats:
    replies: int
    used: int
    edited: int
    not_used: int
    used_share: float | None  # used or edited, over replies
    mean_edit: float | None  # mean 1 − similarity of the edited replies
    by_day: list[DayAcceptance]


@dataclass(frozen=True, slots=True)
class DayCoverage:
    day: str
    messages: int
    answerable: int


@dataclass(frozen=True, slots=True)
class CoverageStats:
    messages: int
    answerable: int
    share: float | None
    by_day: list[DayCoverage]


@dataclass(frozen=True, slots=True)
class CueCount:
    cue: str
    medium: int
    high: int


@dataclass(frozen=True, slots=True)
class ReasonCount:
    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class EmotionStats:
    messages: int
    with_cue: int
    cues: list[CueCount]
    escalations: int
    escalation_reasons: list[ReasonCount]


@dataclass(frozen=True, slots=True)
class AgentUse:
    agent: str
    replies: int  # counted for acceptance (used + edited + not used): they add up to its replies
    used: int
    edited: int
    not_used: int
    panel_actions: dict[str, int]


@dataclass(frozen=True, slots=True)
class DayLatency:
    day: str
    count: int
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True, slots=True)
class LatencyStats:
    count: int
    mean_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    by_day: list[DayLatency]


@dataclass(frozen=True, slots=True)
class ReplyLine:
    """One entry of the shop and what the agents did with it in the window."""

    entry_id: str
    text: str
    shown: int
    used: int
    edited: int
    mean_similarity: float | None = None  # of the edited sends
    latest_edit: str | None = None  # the text an agent last sent instead
    picked: int = 0  # panel actions on it: use, edit or send pressed (`FeedbackRecord.entry_id`)
    replied: Annotated[
        int,
        msgspec.Meta(
            description="how often it was the first answer shown for a customer message whose agent's real "
            "reply is recorded: the evidence a reply to retire needs (`never_used`)"
        ),
    ] = 0

    @property
    def sent(self) -> int:
        return self.used + self.edited


MIN_REPLIED = 5
"""The evidence a reply to retire needs: the first answer shown at least this often for customer
messages whose agent's real reply is recorded, and that reply was never it (nor was it picked in
the panel). Shown second or third it is no evidence: the agent took the first (a user test saw
快递到哪了, a third-place filler for 快递几天能到, advised to retire after 6 such showings). A shop
that records no agent replies (only `/v1/suggest`, no webhook or feedback of the replies sent)
has no such evidence, and then nothing is advised to retire: a user test saw
the right top answers (shown 11 times, 0 replies recorded) listed as "建议下架" after minutes."""


@dataclass(frozen=True, slots=True)
class ReplyUseRules:
    top: int = 10  # lines per list
    min_shown: int = 3  # shown this often and never sent: a reply agents pass over
    min_replied: int = MIN_REPLIED  # ...with the agent's real reply known this often (the evidence)
    # Shown *as an answer*: at this score or above (quick replies: always). A greeting or an
    # acknowledgement shown at 0.00 to junk (asdfghjkl, 😀😀😀) was not passed over, yet topped the
    # list to retire (a user test). The default threshold, not each shop's own.
    sure: float = DEFAULT_THRESHOLD
    min_edits: int = 2  # edited this often (and more often than sent as is): reword it


@dataclass(frozen=True, slots=True)
class ReplyUse:
    """What the agents did with the shop's entries: each list at most `ReplyUseRules.top` long."""

    most_used: list[ReplyLine]
    never_used: Annotated[
        list[ReplyLine],
        msgspec.Meta(
            description="replies to retire, on evidence only: the first answer shown at least `min_replied` times "
            "for customer messages whose agent's real reply is recorded, that reply never this one, and never "
            "picked in the panel (most shown first); empty while `known_replies` is 0. Knowledge entries only: a "
            "learned quick reply (id quick-...) is never listed. An entry never shown is not listed (it is counted in "
            "`never_shown`)"
        ),
    ]
    never_shown: Annotated[
        int,
        msgspec.Meta(
            description="how many entries of the shop's knowledge (approved replies included) were not shown at "
            "all in the window (none is advised to retire); learned quick replies are not counted"
        ),
    ]
    often_edited: list[ReplyLine]
    too_new: int = 0  # entries added or changed inside the window, unused: never proposed for retiring
    known_replies: Annotated[
        int,
        msgspec.Meta(
            description="agent replies recorded in the window after suggestions were shown (the evidence "
            "`never_used` needs); 0: the shop records no agent replies, so nothing is advised to retire"
        ),
    ] = 0
    min_replied: Annotated[
        int,
        msgspec.Meta(
            description="how often a reply must be the first answer shown with the agent's real reply known to be "
            "listed in `never_used`"
        ),
    ] = MIN_REPLIED


@dataclass(frozen=True, slots=True)
class ShopStats:
    """Everything `GET /v1/admin/shops/{shop}/stats` answers."""

    shop: str
    since: str
    until: str
    days: list[str]
    acceptance: AcceptanceStats
    coverage: CoverageStats
    emotion: EmotionStats
    agents: list[AgentUse]
    latency: LatencyStats
    feedback: dict[str, int]  # the panel's explicit actions: use, edit, send, dismiss, cue_wrong
    replies: ReplyUse


def days_between(since: dt.date, until: dt.date) -> list[str]:
    """Every day from `since` to `until`, both included."""
    return [(since + dt.timedelta(days=n)).isoformat() for n in range((until - since).days + 1)]


def agent_of(message: MessageRecord) -> str:
    """The agent of a reply as people read it (`agent_label`)."""
    return agent_label(message.agent_name, message.agent_id)


def by_conversation(messages: Iterable[MessageRecord]) -> dict[str, list[MessageRecord]]:
    """Messages grouped per conversation (platform and id), each in the order they were received."""
    grouped: dict[str, list[MessageRecord]] = defaultdict(list)
    for message in messages:
        grouped[f"{message.platform}\x00{message.conversation_id}"].append(message)
    return grouped


def _seconds(at: str) -> float:
    try:
        return epoch(at)
    except ValueError:
        return 0.0


def message_order(message: MessageRecord) -> tuple[float, int, float, str]:
    """Where a message stands in its conversation: its own time (`sent_at`, the platform's; the
    time it was received when the platform gave none), a customer message before an agent's
    reply of the same time, then the time received. Never the order of arrival alone: platforms
    do not promise to deliver in order (Chatwoot does not), and an agent's reply may arrive while
    the suggestions for the customer message before it are still being computed."""
    received = _seconds(message.received_at)
    sent = _seconds(message.sent_at) if message.sent_at else received
    return (sent, 0 if message.role == "customer" else 1, received, message.message_id)


def settled_outcomes(
    history: ShopHistory, entry_texts: Mapping[str, str], rules: AcceptanceRules | None = None
) -> list[OutcomeRecord]:
    """The outcome of every human agent reply of `history`, settled: matched to the suggestions
    shown for the customer message it answered, the conversation's latest customer message
    before the reply *in time order* (`message_order`), whatever order they arrived in.

    The outcome stored when the reply arrived is kept when it was matched to that same customer
    message; otherwise (a reply recorded before outcomes were stored, one that arrived before
    the customer message or before its suggestions were stored, so nothing or an earlier
    message's suggestions were matched then) the reply is matched here to the suggestions now
    recorded for it (the text shown, or the entry's text when the record has none; unknown
    entries are left out), as `reply_outcomes.outcome_of` matches on arrival. A reply with
    nothing shown for the customer message before it has no outcome. A stored outcome whose
    reply is not in the window is kept as stored. Oldest first (`message_order`). What the
    analytics count (`reply_outcomes`) and the learning loop learns from (`learn_shop`)."""
    return _settled(history, entry_texts, rules, _shown_by_message(history))


def _settled(
    history: ShopHistory,
    entry_texts: Mapping[str, str],
    rules: AcceptanceRules | None,
    shown: Mapping[tuple[str, str, str], list[SuggestionRecord]],
) -> list[OutcomeRecord]:
    stored = {(o.platform, o.conversation_id, o.message_id): o for o in history.outcomes}
    found: list[tuple[tuple[float, int, float, str], OutcomeRecord]] = []
    read: set[tuple[str, str, str]] = set()
    for messages in by_conversation(history.messages).values():
        customer: MessageRecord | None = None  # the latest customer message so far
        for message in sorted(messages, key=message_order):
            if message.role == "customer":
                customer = message
                continue
            if message.role != "agent":
                continue
            key = (message.platform, message.conversation_id, message.message_id)
            read.add(key)
            before = stored.get(key)
            if before is not None and (customer is None or customer.message_id == before.customer_message_id):
                # matched on arrival to the customer message it answers (or one before this window)
                found.append((message_order(message), before))
                continue
            if customer is None:
                continue
            records = shown.get((customer.platform, customer.conversation_id, customer.message_id), [])
            known = [
                replace(s, text=s.text or entry_texts[s.entry_id])
                for s in records
                if s.text or s.entry_id in entry_texts
            ]
            matched = outcome_of(message, customer.message_id, known, rules)
            if matched is not None:
                found.append((message_order(message), matched))
    for key, o in stored.items():
        if key not in read:  # the reply's message is not in the window: its stored outcome as is
            found.append(((_seconds(o.at), 1, _seconds(o.at), o.message_id), o))
    return [record for _, record in sorted(found, key=lambda t: t[0])]


def _shown_by_message(history: ShopHistory) -> dict[tuple[str, str, str], list[SuggestionRecord]]:
    shown: dict[tuple[str, str, str], list[SuggestionRecord]] = defaultdict(list)
    for s in history.suggestions:
        shown[(s.platform, s.conversation_id, s.message_id)].append(s)
    for records in shown.values():
        records.sort(key=lambda s: s.rank)
    return shown


def reply_outcomes(
    history: ShopHistory, entry_texts: Mapping[str, str], rules: AcceptanceRules | None = None
) -> list[ReplyOutcome]:
    """The human agent replies of `history` counted for acceptance and what each did with the
    suggestions shown for the customer message it answered (`settled_outcomes`). A customer
    message's suggestion is counted taken once: after a reply that used or edited one, a later
    reply to the same customer message that uses or edits one again is a repeat and is not
    counted (a reply that uses none is counted, each one)."""
    shown = _shown_by_message(history)
    agents = {(m.platform, m.conversation_id, m.message_id): agent_of(m) for m in history.messages}
    taken: set[tuple[str, str, str]] = set()
    outcomes: list[ReplyOutcome] = []
    for o in _settled(history, entry_texts, rules, shown):
        answered = (o.platform, o.conversation_id, o.customer_message_id)
        if outcome_enum(o) is not Outcome.NOT_USED:
            if answered in taken:
                continue  # the customer message's suggestion was already counted taken
            taken.add(answered)
        agent = agents.get((o.platform, o.conversation_id, o.message_id)) or agent_label(o.agent)
        counted = ReplyOutcome(
            o.conversation_id, o.message_id, o.at, agent, outcome_enum(o), o.entry_id or None, o.similarity,
            tuple(shown.get(answered, ())),
        )  # fmt: skip
        outcomes.append(counted)
    return sorted(outcomes, key=lambda o: (o.at, o.message_id))


def acceptance_stats(outcomes: list[ReplyOutcome], days: list[str]) -> AcceptanceStats:
    per_day: dict[str, Counter[Outcome]] = {day: Counter() for day in days}
    for o in outcomes:
        per_day.setdefault(day_of(o.at), Counter())[o.outcome] += 1
    total: Counter[Outcome] = Counter(o.outcome for o in outcomes)
    edits = [1.0 - o.similarity for o in outcomes if o.outcome is Outcome.EDITED]
    by_day = [
        DayAcceptance(day, c[Outcome.USED], c[Outcome.EDITED], c[Outcome.NOT_USED])
        for day, c in sorted(per_day.items())
    ]
    used, edited = total[Outcome.USED], total[Outcome.EDITED]
    return AcceptanceStats(
        len(outcomes), used, edited, total[Outcome.NOT_USED],
        _share(used + edited, len(outcomes)), round(float(np.mean(edits)), 4) if edits else None, by_day,
    )  # fmt: skip


def customer_answers(history: ShopHistory) -> list[AnswerRecord]:
    """What the service answered for customer messages: the answers of `history` but those of a
    message recorded as an agent's or a bot's (the service answers none; an answer record of one,
    such as a row written by an older version, says nothing of what the knowledge covers)."""
    others = {(m.platform, m.conversation_id, m.message_id) for m in history.messages if m.role != "customer"}
    return [a for a in history.answers if (a.platform, a.conversation_id, a.message_id) not in others]


def coverage_stats(history: ShopHistory, days: list[str]) -> CoverageStats:
    answers = customer_answers(history)
    per_day: dict[str, list[int]] = {day: [0, 0] for day in days}
    for a in answers:
        counts = per_day.setdefault(day_of(a.at), [0, 0])
        counts[0] += 1
        counts[1] += int(a.answerable)
    answerable = sum(int(a.answerable) for a in answers)
    by_day = [DayCoverage(day, n, ok) for day, (n, ok) in sorted(per_day.items())]
    return CoverageStats(len(answers), answerable, _share(answerable, len(answers)), by_day)


def emotion_stats(history: ShopHistory) -> EmotionStats:
    levels: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: Counter[str] = Counter()
    for a in history.answers:
        for cue, level in a.cues:
            levels[cue][level] += 1
        reasons.update(a.escalation)
    cues = [CueCount(cue, c["medium"], c["high"]) for cue, c in levels.items()]
    cues.sort(key=lambda c: (-(c.medium + c.high), c.cue))
    return EmotionStats(
        len(history.answers),
        sum(1 for a in history.answers if a.cues),
        cues,
        sum(1 for a in history.answers if a.escalation),
        [ReasonCount(reason, n) for reason, n in sorted(reasons.items(), key=lambda t: (-t[1], t[0]))],
    )


def agent_use(history: ShopHistory, outcomes: list[ReplyOutcome]) -> list[AgentUse]:
    """Per agent: the replies counted for acceptance (`outcomes`, so the agents' replies add up to
    the acceptance's), what they did with the suggestions, and the panel's actions. An agent
    whose replies had nothing shown before them is listed with 0 replies."""
    results: dict[str, Counter[Outcome]] = defaultdict(Counter)
    for o in outcomes:
        results[o.agent][o.outcome] += 1
    actions: dict[str, Counter[str]] = defaultdict(Counter)
    for f in history.feedback:
        actions[f.agent or UNKNOWN_AGENT][f.action] += 1
    agents = {agent_of(m) for m in history.messages if m.role == "agent"} | set(results) | set(actions)
    rows = [
        AgentUse(
            agent,
            results[agent].total(),
            results[agent][Outcome.USED],
            results[agent][Outcome.EDITED],
            results[agent][Outcome.NOT_USED],
            dict(sorted(actions[agent].items())),
        )
        for agent in agents
    ]
    return sorted(rows, key=lambda a: (-a.replies, -sum(a.panel_actions.values()), a.agent))


def latency_stats(history: ShopHistory, days: list[str]) -> LatencyStats:
    times = np.asarray([a.total_ms for a in history.answers], dtype=np.float64)
    per_day: dict[str, list[float]] = {day: [] for day in days}
    for a in history.answers:
        per_day.setdefault(day_of(a.at), []).append(a.total_ms)
    by_day = [
        DayLatency(day, len(ms), _percentile(ms, 50) or 0.0, _percentile(ms, 95) or 0.0)
        for day, ms in sorted(per_day.items())
    ]
    if not len(times):
        return LatencyStats(0, None, None, None, None, None, by_day)
    return LatencyStats(
        len(times), round(float(times.mean()), 2), _percentile(times, 50), _percentile(times, 95),
        _percentile(times, 99), round(float(times.max()), 2), by_day,
    )  # fmt: skip


def shop_stats(
    shop: str,
    history: ShopHistory,
    entry_texts: Mapping[str, str],
    since: dt.date,
    until: dt.date,
    fresh: Collection[str] = frozenset(),
) -> ShopStats:
    """The whole statistics of `history` (the shop's records from `since` to `until`, days
    included); `fresh`: the entries added or changed inside the window (`reply_use`)."""
    days = days_between(since, until)
    outcomes = reply_outcomes(history, entry_texts)
    return ShopStats(
        shop,
        since.isoformat(),
        until.isoformat(),
        days,
        acceptance_stats(outcomes, days),
        coverage_stats(history, days),
        emotion_stats(history),
        agent_use(history, outcomes),
        latency_stats(history, days),
        dict(sorted(Counter(f.action for f in history.feedback).items())),
        reply_use(history, entry_texts, outcomes, fresh=fresh),
    )


@dataclass(frozen=True, slots=True)
class ReplyRows:
    """The rows of the reply lists: one per knowledge entry, one per quick reply *text*."""

    texts: dict[str, str]  # row id -> its text
    row_of: dict[str, str]  # every id shown, sent or picked -> its row id
    entries: frozenset[str]  # the rows that are knowledge entries (the others: learned quick replies)


def is_quick_reply(entry_id: str) -> bool:
    """A learned quick reply (`reranking.quick_suggestion`), not an entry of the shop's knowledge."""
    return entry_id.startswith(QUICK_PREFIX)


def reply_rows(history: ShopHistory, entry_texts: Mapping[str, str]) -> ReplyRows:
    """The rows the reply lists count on, from the same inputs for the admin API and the weekly
    report: every knowledge entry of `entry_texts`, and every quick reply either `entry_texts`
    names or the window's records showed (with the text shown). A quick reply is learned per
    slot, so one text learned in two slots has two ids (`quick-<hash of slot and text>`): they are
    one row, counted together, named by the least id; a quick reply whose text is an entry's reply
    counts on the entry's row. The quick replies shown in the window come from its records, so
    what the service has learned since (or not yet) changes no list."""
    entries = {e: t for e, t in entry_texts.items() if not is_quick_reply(e)}
    quick = {e: t for e, t in entry_texts.items() if is_quick_reply(e)}
    for s in history.suggestions:
        if (is_quick_reply(s.entry_id) or QUICK_REPLY_TAG in s.tags) and s.text:
            quick.setdefault(s.entry_id, s.text)
    texts: dict[str, str] = dict(entries)
    row_of = {e: e for e in entries}
    by_text: dict[str, str] = {}
    for e in sorted(entries):
        by_text.setdefault(_text_key(entries[e]), e)
    for q in sorted(quick):
        if q in entries:  # a knowledge entry tagged as a quick reply: its own row
            continue
        row = by_text.setdefault(_text_key(quick[q]), q)
        row_of[q] = row
        texts.setdefault(row, quick[q])
    return ReplyRows(texts, row_of, frozenset(entries))


def _text_key(text: str) -> str:
    return " ".join(text.split())


def reply_use(
    history: ShopHistory,
    entry_texts: Mapping[str, str],
    outcomes: Iterable[ReplyOutcome],
    rules: ReplyUseRules | None = None,
    fresh: Collection[str] = frozenset(),
) -> ReplyUse:
    """Per row (`reply_rows`: each entry of `entry_texts`, each quick reply text), how often
    `history` showed it, its agents sent it as is or edited (`outcomes`: `reply_outcomes` of the
    same history) and picked it in the panel (its feedback: use, edit, send): the most used, those
    sent first (most sent first), then those only picked (most picked first); to retire, the
    knowledge entries shown at least `min_shown` times and the first answer shown at least
    `min_replied` times for a customer message whose agent's real reply is known (`replied`: the
    evidence), and neither sent nor picked, most shown first; the rows edited at least `min_edits`
    times and more often than sent as is, the least kept first. Without evidence nothing is
    advised to retire: not an entry only shown (no agent reply recorded, `known_replies` 0), nor
    one never shown (counted in `never_shown`). A panel pick is evidence the reply is used even
    when the agent's reply was not matched to it, so a picked entry is never a candidate to
    retire, nor is one of `fresh` (added or changed inside the window: an entry approved yesterday
    had no week to be used; their count is `too_new`). A learned quick reply is never advised to
    retire nor counted in `never_shown`: it is no entry the admin can retire (the learning drops
    a reply agents stop sending; rejecting its candidate reply withholds it at once), and the
    learned set changes by itself."""
    rules = rules or ReplyUseRules()
    outcomes = list(outcomes)
    rows = reply_rows(history, entry_texts)

    def row(entry_id: str) -> str:
        return rows.row_of.get(entry_id, entry_id)

    def as_answer(s: SuggestionRecord) -> bool:
        # a quick reply's score is its share of the slot's replies, not a match: every showing counts
        return s.score >= rules.sure or QUICK_REPLY_TAG in s.tags

    shown: Counter[str] = Counter(row(s.entry_id) for s in history.suggestions if as_answer(s))
    # the first answer shown (`o.shown` is best first), the agent's reply known: the evidence
    firsts = (next((s for s in o.shown if as_answer(s)), None) for o in outcomes)
    replied: Counter[str] = Counter(row(s.entry_id) for s in firsts if s is not None)
    picked: Counter[str] = Counter(row(f.entry_id) for f in history.feedback if f.action in PICKS and f.entry_id)
    used: Counter[str] = Counter()
    edited: Counter[str] = Counter()
    similarities: dict[str, list[float]] = defaultdict(list)
    latest: dict[str, str] = {}
    texts = {(m.conversation_id, m.message_id): m.text for m in history.messages}
    for o in outcomes:
        if o.entry_id is None:
            continue
        key = row(o.entry_id)
        if o.outcome is Outcome.USED:
            used[key] += 1
        elif o.outcome is Outcome.EDITED:
            edited[key] += 1
            similarities[key].append(o.similarity)
            latest[key] = texts.get((o.conversation_id, o.message_id), "")

    def line(entry_id: str) -> ReplyLine:
        sims = similarities.get(entry_id)
        mean = round(sum(sims) / len(sims), 4) if sims else None
        return ReplyLine(
            entry_id, rows.texts[entry_id], shown[entry_id], used[entry_id], edited[entry_id],
            mean, latest.get(entry_id), picked[entry_id], replied[entry_id],
        )  # fmt: skip

    lines = [line(e) for e in rows.texts]
    most_used = sorted(
        (r for r in lines if r.sent or r.picked), key=lambda r: (-r.sent, -r.picked, -r.used, r.entry_id)
    )
    never_used = sorted(
        (
            r
            for r in lines
            if r.entry_id in rows.entries
            and not r.sent
            and not r.picked
            and r.shown >= rules.min_shown
            and r.replied >= rules.min_replied
            and r.entry_id not in fresh
        ),
        key=lambda r: (-r.shown, r.entry_id),
    )
    unseen = [e for e in rows.entries if not shown[e] and not picked[e] and e not in fresh]
    too_new = sum(1 for r in lines if r.entry_id in fresh and not r.sent and not r.picked)
    often_edited = sorted(
        (r for r in lines if r.edited >= rules.min_edits and r.edited > r.used),
        key=lambda r: (-r.edited, r.mean_similarity or 0.0, r.entry_id),
    )
    return ReplyUse(
        most_used[: rules.top], never_used[: rules.top], len(unseen), often_edited[: rules.top], too_new,
        len(outcomes), rules.min_replied,
    )  # fmt: skip


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _percentile(values: Iterable[float] | np.ndarray, q: float) -> float | None:
    array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=np.float64)
    return round(float(np.percentile(array, q)), 2) if len(array) else None
