"""A shop's statistics from its records: acceptance without clicks, coverage, cues, agents, latency."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.learning.acceptance import Outcome
from assistant.learning.analytics import reply_outcomes, shop_stats
from assistant.storage.records import (
    AnswerRecord,
    FeedbackRecord,
    MessageRecord,
    OutcomeRecord,
    ShopHistory,
    SuggestionRecord,
)

ENTRIES = {
    "faq-eta": "亲，付款后48小时内从杭州仓发出，一般3天左右到哦",
    "faq-color": "亲，这款有奶白色和雾蓝色两种颜色哦",
    "faq-size": "亲，1.8米的床建议选200x230的被套哦",
}
DAY1, DAY2 = "2026-11-20", "2026-11-21"


def at(day: str, second: int) -> str:
    return f"{day}T10:00:{second:02d}.000+00:00"


def customer(conversation: str, mid: str, text: str, when: str) -> MessageRecord:
    return MessageRecord("api", "demo", conversation, mid, "customer", text, when, when)


def agent(conversation: str, mid: str, text: str, when: str, name: str = "小王") -> MessageRecord:
    return MessageRecord("api", "demo", conversation, mid, "agent", text, when, when, "agent", name, name)


def shown(conversation: str, mid: str, when: str, *entries: str) -> list[SuggestionRecord]:
    return [
        SuggestionRecord("api", "demo", conversation, mid, rank, entry, 0.9 - rank / 10, "faq", "v1", when)
        for rank, entry in enumerate(entries, start=1)
    ]


def answered(
    conversation: str,
    mid: str,
    when: str,
    ok: bool,
    ms: float,
    cues: tuple[tuple[str, str], ...] = (),
    escalation: tuple[str, ...] = (),
) -> AnswerRecord:
    return AnswerRecord("api", "demo", conversation, mid, ok, 0.8 if ok else 0.1, cues, escalation, ms, "v1", when)


def history() -> ShopHistory:
    messages = [
        customer("c1", "m1", "几天能到", at(DAY1, 0)),
        agent("c1", "m2", ENTRIES["faq-eta"], at(DAY1, 5)),  # used as is
        customer("c1", "m3", "有什么颜色", at(DAY1, 10)),
        agent("c1", "m4", "亲，这款有奶白色、雾蓝色和浅灰色三种哦", at(DAY1, 15), name="小李"),  # edited
        customer("c2", "m1", "你们老板是谁", at(DAY2, 0)),
        agent("c2", "m2", "亲，这个不方便透露哦", at(DAY2, 5)),  # not used
        agent("c2", "m3", "还有别的问题吗", at(DAY2, 6)),  # same shown, not used either
        agent("c3", "m1", "您好", at(DAY2, 7)),  # nothing shown before it: not counted
        MessageRecord("api", "demo", "c2", "m4", "bot", "自动回复", at(DAY2, 8), at(DAY2, 8), "bot"),
    ]
    suggestions = [
        *shown("c1", "m1", at(DAY1, 1), "faq-eta", "faq-color"),
        *shown("c1", "m3", at(DAY1, 11), "faq-color", "faq-size", "faq-removed"),
        *shown("c2", "m1", at(DAY2, 1), "faq-size"),
    ]
    answers = [
        answered("c1", "m1", at(DAY1, 1), True, 20.0),
        answered("c1", "m3", at(DAY1, 11), True, 40.0, cues=(("anxiety", "medium"),)),
        answered("c2", "m1", at(DAY2, 1), False, 100.0, cues=(("anger", "high"), ("anxiety", "high")),
                 escalation=("anger_high",)),
    ]  # fmt: skip
    feedback = [
        FeedbackRecord("f1", "demo", "c1", "m1", "use", "v1", agent="小王", at=at(DAY1, 4)),
        FeedbackRecord("f2", "demo", "c2", "m1", "dismiss", "v1", agent="小赵", at=at(DAY2, 4)),
    ]
    return ShopHistory(messages, suggestions, feedback, answers)


def test_each_agent_reply_is_matched_to_what_was_shown_for_the_latest_customer_message() -> None:
    outcomes = reply_outcomes(history(), ENTRIES)
    assert [(o.conversation_id, o.message_id, o.outcome, o.entry_id) for o in outcomes] == [
        ("c1", "m2", Outcome.USED, "faq-eta"),
        ("c1", "m4", Outcome.EDITED, "faq-color"),
        ("c2", "m2", Outcome.NOT_USED, None),
        ("c2", "m3", Outcome.NOT_USED, None),
    ]
    assert outcomes[0].similarity == 1.0 and 0.5 <= outcomes[1].similarity < 0.95
    assert [o.agent for o in outcomes] == ["小王", "小李", "小王", "小王"]


def test_the_stats_of_a_window_count_per_day_and_fill_empty_days() -> None:
    stats = shop_stats("demo", history(), ENTRIES, dt.date(2026, 11, 19), dt.date(2026, 11, 21))
    assert stats.days == ["2026-11-19", DAY1, DAY2]
    a = stats.acceptance
    assert (a.replies, a.used, a.edited, a.not_used, a.used_share) == (4, 1, 1, 2, 0.5)
    assert a.mean_edit is not None and 0.05 < a.mean_edit <= 0.5
    assert [(d.day, d.used, d.edited, d.not_used) for d in a.by_day] == [
        ("2026-11-19", 0, 0, 0), (DAY1, 1, 1, 0), (DAY2, 0, 0, 2),
    ]  # fmt: skip
    c = stats.coverage
    assert (c.messages, c.answerable, c.share) == (3, 2, 0.6667)
    assert [(d.day, d.messages, d.answerable) for d in c.by_day][1:] == [(DAY1, 2, 2), (DAY2, 1, 0)]
    e = stats.emotion
    assert (e.messages, e.with_cue, e.escalations) == (3, 2, 1)
    assert [(x.cue, x.medium, x.high) for x in e.cues] == [("anxiety", 1, 1), ("anger", 0, 1)]
    assert [(r.reason, r.count) for r in e.escalation_reasons] == [("anger_high", 1)]
    agents = {x.agent: x for x in stats.agents}
    # the replies counted for acceptance: not c3's greeting, with nothing shown before it
    assert (agents["小王"].replies, agents["小王"].used, agents["小王"].not_used) == (3, 1, 2)
    assert sum(x.replies for x in stats.agents) == a.replies
    assert (agents["小李"].replies, agents["小李"].edited) == (1, 1)
    assert agents["小王"].panel_actions == {"use": 1} and agents["小赵"].panel_actions == {"dismiss": 1}
    assert stats.agents[0].agent == "小王"
    lat = stats.latency
    assert (lat.count, lat.max_ms, lat.p50_ms) == (3, 100.0, 40.0)
    assert lat.p95_ms == pytest.approx(94.0)
    assert [(d.day, d.count) for d in lat.by_day] == [("2026-11-19", 0), (DAY1, 2), (DAY2, 1)]
    assert stats.feedback == {"dismiss": 1, "use": 1}


def test_an_answer_recorded_for_an_agents_or_a_bots_message_is_no_coverage() -> None:
    """Nothing is suggested for an agent's message: an answer record of one (`answerable` false,
    as a user test saw the API say) counts neither as a message covered nor as one unanswerable."""
    records = history()
    stray = [answered("c2", "m2", at(DAY2, 5), False, 5.0), answered("c2", "m4", at(DAY2, 8), False, 5.0)]
    polluted = ShopHistory(records.messages, records.suggestions, records.feedback, [*records.answers, *stray])
    c = shop_stats("demo", polluted, ENTRIES, dt.date(2026, 11, 20), dt.date(2026, 11, 21)).coverage
    assert (c.messages, c.answerable, c.share) == (3, 2, 0.6667)
    assert [(d.day, d.messages, d.answerable) for d in c.by_day] == [(DAY1, 2, 2), (DAY2, 1, 0)]


def test_an_empty_history_has_no_shares_and_no_percentiles() -> None:
    stats = shop_stats("demo", ShopHistory(), ENTRIES, dt.date(2026, 11, 21), dt.date(2026, 11, 21))
    assert stats.acceptance.used_share is None and stats.coverage.share is None
    assert stats.latency.p95_ms is None and stats.agents == [] and stats.emotion.cues == []
    assert [d.replies for d in stats.acceptance.by_day] == [0]


def test_an_agent_without_a_name_is_named_in_chinese_by_their_id_or_as_unnamed() -> None:
    """A generic webhook's reply with only `agent_id`, one with neither, and a panel action that
    names no agent: never "(unknown)" or a bare id, the same name for replies and actions."""
    messages = [
        customer("c1", "m1", "几天能到", at(DAY1, 0)),
        MessageRecord("api", "demo", "c1", "m2", "agent", "亲，3天", at(DAY1, 5), at(DAY1, 5), "agent", "1024"),
        MessageRecord("api", "demo", "c1", "m3", "agent", "还有吗", at(DAY1, 6), at(DAY1, 6), "agent"),
        MessageRecord(
            "api", "demo", "c1", "m4", "agent", "好的", at(DAY1, 7), at(DAY1, 7), "agent",
            "5f0c3a9e-77d1-4c2b-9a51-0d6f0e2b1c44",
        ),
    ]  # fmt: skip
    feedback = [
        FeedbackRecord("f1", "demo", "c1", "m1", "use", "v1", agent="客服 1024", at=at(DAY1, 4)),
        FeedbackRecord("f2", "demo", "c1", "m1", "dismiss", "v1", at=at(DAY1, 4)),
    ]
    history = ShopHistory(messages, shown("c1", "m1", at(DAY1, 1), "faq-eta"), feedback)
    stats = shop_stats("demo", history, ENTRIES, dt.date(2026, 11, 20), dt.date(2026, 11, 20))
    agents = {a.agent: (a.replies, a.panel_actions) for a in stats.agents}
    assert agents == {
        "客服 1024": (1, {"use": 1}),
        "客服 5f0c3a9e": (1, {}),
        "未署名客服": (1, {"dismiss": 1}),
    }
    assert [o.agent for o in reply_outcomes(history, ENTRIES)] == ["客服 1024", "未署名客服", "客服 5f0c3a9e"]


def test_a_reply_that_arrived_before_the_customer_message_is_matched_by_time() -> None:
    """Out-of-order delivery (issue: acceptance by arrival order): the agent's reply (its own
    time 10:00:25) was received before the customer message it answers (10:00:00), so it was
    recorded first and nothing was shown when it arrived; read by time, it used the suggestion."""
    messages = [
        MessageRecord("api", "demo", "c1", "a1", "agent", ENTRIES["faq-eta"], at(DAY1, 25), at(DAY1, 30),
                      "agent", "小王", "小王"),
        MessageRecord("api", "demo", "c1", "m1", "customer", "几天能到", at(DAY1, 0), at(DAY1, 31)),
    ]  # fmt: skip
    history = ShopHistory(messages, shown("c1", "m1", at(DAY1, 32), "faq-eta", "faq-color"))
    outcomes = reply_outcomes(history, ENTRIES)
    assert [(o.message_id, o.outcome, o.entry_id) for o in outcomes] == [("a1", Outcome.USED, "faq-eta")]
    assert [s.entry_id for s in outcomes[0].shown] == ["faq-eta", "faq-color"]
    stats = shop_stats("demo", history, ENTRIES, dt.date(2026, 11, 20), dt.date(2026, 11, 20))
    assert (stats.acceptance.replies, stats.acceptance.used) == (1, 1)
    assert [(x.agent, x.replies, x.used) for x in stats.agents] == [("小王", 1, 1)]


def test_an_outcome_stored_against_an_earlier_message_is_matched_again_to_the_one_it_answers() -> None:
    """The race with suggesting: the reply arrived while the suggestions for m3 were computed,
    so the outcome stored then matched m1's (not used); by time it answers m3 and used its top
    suggestion. An outcome stored against the message it answers is read as stored."""
    messages = [
        customer("c1", "m1", "几天能到", at(DAY1, 0)),
        agent("c1", "a1", ENTRIES["faq-eta"], at(DAY1, 5)),
        customer("c1", "m3", "有什么颜色", at(DAY1, 10)),
        agent("c1", "a2", ENTRIES["faq-color"], at(DAY1, 11)),
    ]
    suggestions = [
        *shown("c1", "m1", at(DAY1, 1), "faq-eta"),
        *shown("c1", "m3", at(DAY1, 12), "faq-color", "faq-size"),  # recorded after the reply
    ]
    stored = [
        # as stored (0.97 kept: what was read is the stored outcome, not a match made again)
        OutcomeRecord("api", "demo", "c1", "a1", "m1", "used", "faq-eta", 0.97, "小王", (), at(DAY1, 5)),
        OutcomeRecord("api", "demo", "c1", "a2", "m1", "not_used", "", 0.2, "小王", (), at(DAY1, 11)),
    ]
    history = ShopHistory(messages, suggestions, outcomes=stored)
    outcomes = reply_outcomes(history, ENTRIES)
    assert [(o.message_id, o.outcome, o.entry_id, o.similarity) for o in outcomes] == [
        ("a1", Outcome.USED, "faq-eta", 0.97),
        ("a2", Outcome.USED, "faq-color", 1.0),
    ]
    assert [s.message_id for s in outcomes[1].shown] == ["m3", "m3"]


def test_a_reply_is_not_counted_until_the_suggestions_it_answers_are_recorded() -> None:
    """Before m3's suggestions are recorded the reply is not counted (nothing shown for the
    message it answers), neither in acceptance nor in the agents table: both count the same."""
    messages = [
        customer("c1", "m1", "几天能到", at(DAY1, 0)),
        customer("c1", "m3", "有什么颜色", at(DAY1, 10)),
        agent("c1", "a2", ENTRIES["faq-color"], at(DAY1, 11)),
    ]
    stored = [OutcomeRecord("api", "demo", "c1", "a2", "m1", "not_used", "", 0.2, "小王", (), at(DAY1, 11))]
    history = ShopHistory(messages, shown("c1", "m1", at(DAY1, 1), "faq-eta"), outcomes=stored)
    assert reply_outcomes(history, ENTRIES) == []
    stats = shop_stats("demo", history, ENTRIES, dt.date(2026, 11, 20), dt.date(2026, 11, 20))
    assert stats.acceptance.replies == 0
    assert [(x.agent, x.replies, x.used, x.edited, x.not_used) for x in stats.agents] == [("小王", 0, 0, 0, 0)]


def test_a_customer_message_s_suggestion_is_counted_taken_once() -> None:
    """Two replies to one customer message that both use a suggestion: the first is counted, the
    repeat is not; a reply that uses none is still counted (each one)."""
    messages = [
        customer("c1", "m1", "几天能到", at(DAY1, 0)),
        agent("c1", "a1", "稍等哦", at(DAY1, 3)),
        agent("c1", "a2", ENTRIES["faq-eta"], at(DAY1, 5)),
        agent("c1", "a3", ENTRIES["faq-eta"], at(DAY1, 6), name="小李"),
        agent("c1", "a4", ENTRIES["faq-color"], at(DAY1, 7)),
        customer("c1", "m2", "有什么颜色", at(DAY1, 10)),
        agent("c1", "a5", ENTRIES["faq-color"], at(DAY1, 15)),
    ]
    suggestions = [
        *shown("c1", "m1", at(DAY1, 1), "faq-eta", "faq-color"),
        *shown("c1", "m2", at(DAY1, 11), "faq-color"),
    ]
    history = ShopHistory(messages, suggestions)
    outcomes = reply_outcomes(history, ENTRIES)
    assert [(o.message_id, o.outcome) for o in outcomes] == [
        ("a1", Outcome.NOT_USED),
        ("a2", Outcome.USED),
        ("a5", Outcome.USED),
    ]
    stats = shop_stats("demo", history, ENTRIES, dt.date(2026, 11, 20), dt.date(2026, 11, 20))
    assert (stats.acceptance.replies, stats.acceptance.used, stats.acceptance.not_used) == (3, 2, 1)
    assert {x.agent: (x.replies, x.used) for x in stats.agents} == {"小王": (3, 2), "小李": (0, 0)}


def test_days_are_the_shops_days_not_utc_days() -> None:
    """A reply sent at 01:30 in Shanghai (17:30 UTC the evening before) counts on the shop's day:
    a shop's Monday morning is not Sunday in its charts."""
    late = "2026-11-20T17:30:00.000+00:00"  # 2026-11-21 01:30 in Shanghai
    history = ShopHistory(
        [customer("c1", "m1", "什么时候发货", late), agent("c1", "r1", ENTRIES["faq-eta"], late)],
        shown("c1", "m1", late, "faq-eta"),
        [],
        [answered("c1", "m1", late, True, 30.0)],
    )
    stats = shop_stats("demo", history, ENTRIES, dt.date(2026, 11, 20), dt.date(2026, 11, 21))
    assert [(d.day, d.used) for d in stats.acceptance.by_day] == [(DAY1, 0), (DAY2, 1)]
    assert [(d.day, d.messages) for d in stats.coverage.by_day] == [(DAY1, 0), (DAY2, 1)]
    assert [(d.day, d.count) for d in stats.latency.by_day] == [(DAY1, 0), (DAY2, 1)]
