"""A shop's candidates from its records: first replies only, known replies left out, decisions kept."""

from __future__ import annotations

import pytest

from assistant.learning.faq_drafts import FaqDraft
from assistant.learning.shop_candidates import (
    APPROVED_ENTRY_PREFIX,
    candidate_faq_row,
    candidate_id,
    inferred_stage,
    shop_candidates,
    withheld_from_quick,
)
from assistant.storage.records import AnswerRecord, MessageRecord, ShopHistory, SuggestionRecord

ENTRIES = {"faq-a": "亲，全场包邮哦"}


def at(n: int) -> str:
    return f"2026-11-20T10:00:{n:02d}.000+00:00"


def history() -> ShopHistory:
    def msg(cid: str, mid: str, role: str, text: str, n: int, agent: str = "") -> MessageRecord:
        return MessageRecord("api", "demo", cid, mid, role, text, at(n), at(n), role, agent, agent)

    return ShopHistory(
        messages=[
            msg("c1", "q1", "customer", "能开专票吗", 0),
            msg("c1", "r1", "agent", "可以的亲，提供税号就行", 1, "小王"),
            msg("c1", "r2", "agent", "还有别的问题吗亲", 2, "小王"),  # a second reply: not an answer
            msg("c2", "q1", "customer", "包邮吗", 3),
            msg("c2", "r1", "agent", "亲，全场包邮哦", 4, "小李"),  # the known reply: no candidate
            msg("c3", "q1", "customer", "能开专票吗？", 5),
            msg("c3", "r1", "agent", "亲，全场包邮哦", 6, "小李"),  # already in the knowledge
        ],
        suggestions=[SuggestionRecord("api", "demo", "c2", "q1", 1, "faq-a", 0.9, "faq", "v1", at(3))],
        answers=[
            AnswerRecord("api", "demo", "c1", "q1", False, 0.1, at=at(0)),
            AnswerRecord("api", "demo", "c2", "q1", True, 0.9, at=at(3)),
            AnswerRecord("api", "demo", "c3", "q1", False, 0.1, at=at(5)),
        ],
    )


def test_first_replies_to_unanswered_messages_become_candidates_unless_known() -> None:
    (found,) = shop_candidates(history(), ENTRIES)
    assert (found.reply, found.reason, found.wordings, found.agents) == (
        "可以的亲，提供税号就行", "unanswerable", ("能开专票吗",), ("小王",),
    )  # fmt: skip
    assert found.id == candidate_id("可以的亲，提供税号就行 ") and found.status == "pending"
    assert found.conversations == ("c1",) and found.last_seen == at(1)
    (decided,) = shop_candidates(history(), ENTRIES, {found.id: "rejected"})
    assert decided.status == "rejected"


def test_where_a_candidate_was_sent_agrees_with_how_often_it_counts() -> None:
    """The same reply sent where the service had an answer is no send of the candidate: its
    conversations and last time are those of the sends it counts."""
    records = history()
    later = [
        MessageRecord("api", "demo", "c4", "q1", "customer", "开发票吗", at(7), at(7), "customer"),
        MessageRecord(
            "api", "demo", "c4", "r1", "agent", "可以的亲，提供税号就行", at(8), at(8), "agent", "小赵", "小赵"
        ),
    ]
    answered = AnswerRecord("api", "demo", "c4", "q1", True, 0.9, at=at(7))
    both = ShopHistory([*records.messages, *later], records.suggestions, answers=[*records.answers, answered])
    (candidate,) = shop_candidates(both, ENTRIES)
    assert (candidate.count, candidate.agents) == (1, ("小王",))
    assert candidate.conversations == ("c1",) and candidate.last_seen == at(1)
    assert "sent 1× by 1 agent(s)" in candidate.source


def test_the_faq_row_keys_the_reply_by_the_customers_wordings() -> None:
    (found,) = shop_candidates(history(), ENTRIES)
    row = candidate_faq_row(found)
    assert row["id"] == f"faq-cand-{found.id}" and row["answer"] == found.reply
    assert (row["question"], row["variants"]) == ("能开专票吗", ["能开专票吗"])
    edited = candidate_faq_row(found, FaqDraft(answer="可以开专票", variants=["专票能开吗"], stage="pre_sale"))
    assert (edited["answer"], edited["variants"], edited["stage"]) == ("可以开专票", ["专票能开吗"], "pre_sale")
    with pytest.raises(ValueError, match="empty"):
        candidate_faq_row(found, FaqDraft(answer="  "))


def test_an_approved_reply_takes_the_stage_of_what_its_wordings_are_closest_to() -> None:
    """A user test: an approved reply to a pre-sale question was stored `in_sale` (the fixed
    default). With no stage given, it takes the stage of the first entry with a stage the service
    suggested for the messages it answered; with nothing suggested, `pre_sale`; the admin's wins."""
    records = history()
    shown = [
        SuggestionRecord("api", "demo", "c1", "q1", 1, "policy-invoice", 0.2, "policy", "v1", at(0)),  # no stage
        SuggestionRecord("api", "demo", "c1", "q1", 2, "faq-warranty", 0.1, "faq", "v1", at(0)),
    ]
    stages = {"faq-a": "in_sale", "faq-warranty": "after_sale"}
    with_shown = ShopHistory(records.messages, [*records.suggestions, *shown], answers=records.answers)
    (found,) = shop_candidates(with_shown, ENTRIES, entry_stages=stages)
    assert found.stage == "after_sale" and candidate_faq_row(found)["stage"] == "after_sale"
    assert candidate_faq_row(found, FaqDraft(stage="in_sale"))["stage"] == "in_sale"
    (unshown,) = shop_candidates(records, ENTRIES, entry_stages=stages)  # nothing was suggested for it
    assert unshown.stage == "pre_sale" and candidate_faq_row(unshown)["stage"] == "pre_sale"


def test_a_heavy_edit_takes_the_stage_of_the_entries_it_rewrote() -> None:
    stages = {"faq-refund": "after_sale", "faq-pay": "in_sale", "faq-size": "pre_sale"}
    assert inferred_stage({"faq-refund"}, ["faq-size", "faq-size"], stages) == "after_sale"
    assert inferred_stage({"quick-1"}, ["faq-pay", "faq-size", "faq-pay"], stages) == "in_sale"  # no stage: no say
    assert inferred_stage((), ["faq-pay", "faq-size"], stages) == "in_sale"  # a tie: the first seen
    assert inferred_stage((), [], stages) == "pre_sale"


def test_an_approved_reply_is_withheld_from_quick_replies_once_its_entry_is_served() -> None:
    decisions = {"a1": "approved", "r1": "rejected", "a2": "approved"}
    assert withheld_from_quick(decisions, set()) == {"r1"}
    assert withheld_from_quick(decisions, {f"{APPROVED_ENTRY_PREFIX}a1", "faq-001"}) == {"r1", "a1"}


def test_an_entry_written_for_a_much_asked_candidates_questions_answers_it() -> None:
    """A gap's entry holds at most five of the customers' wordings: a candidate asked twelve ways
    is answered once most of the entry's questions are its wordings, and a candidate with one
    stray wording in that entry is not."""

    def msg(cid: str, mid: str, role: str, text: str, n: int, agent: str = "") -> MessageRecord:
        return MessageRecord("api", "demo", cid, mid, role, text, at(n), at(n), role, agent, agent)

    asked = [f"{who}能用数字人民币{how}吗" for who in ("", "我", "请问", "你们这") for how in ("付款", "支付", "买")]
    messages, answers = [], []
    for n, question in enumerate([*asked, "能用比特币付款吗"]):
        reply = "亲，比特币不支持哦" if question.startswith("能用比特币") else "亲，暂时不支持数字人民币哦"
        messages += [
            msg(f"c{n}", "q", "customer", question, 2 * n),
            msg(f"c{n}", "r", "agent", reply, 2 * n + 1, "小王"),
        ]
        answers.append(AnswerRecord("api", "demo", f"c{n}", "q", False, 0.1, at=at(2 * n)))
    chats = ShopHistory(messages=messages, suggestions=[], answers=answers)
    assert len(shop_candidates(chats, ENTRIES)) == 2
    closed = [(*asked[:4], "能用比特币付款吗")]  # the gap's entry, the admin's own answer
    (left,) = shop_candidates(chats, ENTRIES, knowledge_questions=closed)
    assert left.reply == "亲，比特币不支持哦"


def test_agents_sharing_a_persona_name_count_as_the_different_agents_they_are() -> None:
    """A user test: agent-0/1/2, all named 小暖 (a persona shared by a shop's agents), made a
    candidate "sent 3× by 1 agent(s)", and three ids under five names "5× by 5 agent(s)": agents
    are counted by id, and the list names each one (with its id where names are shared)."""

    def chat(n: int, agent_id: str, name: str) -> list[MessageRecord]:
        return [
            MessageRecord("api", "demo", f"c{n}", "q", "customer", "能开专票吗", at(2 * n), at(2 * n), "customer"),
            MessageRecord(
                "api", "demo", f"c{n}", "r", "agent", "可以的亲，提供税号就行", at(2 * n + 1), at(2 * n + 1),
                "agent", agent_id, name,
            ),
        ]  # fmt: skip

    def unanswered(n: int) -> AnswerRecord:
        return AnswerRecord("api", "demo", f"c{n}", "q", False, 0.1, at=at(2 * n))

    def records(agents: list[tuple[str, str]]) -> ShopHistory:
        messages = [m for n, (agent_id, name) in enumerate(agents) for m in chat(n, agent_id, name)]
        return ShopHistory(messages, answers=[unanswered(n) for n in range(len(agents))])

    persona = records([(f"agent-{n}", "小暖") for n in range(3)])
    (found,) = shop_candidates(persona, ENTRIES)
    assert found.agents == ("小暖（agent-0）", "小暖（agent-1）", "小暖（agent-2）")
    assert found.meets_rule(3) and not found.meets_rule(4) and "sent 3× by 3 agent(s)" in found.source

    names = [("agent-0", "小暖"), ("agent-0", "小美"), ("agent-1", "小暖"), ("agent-2", "阿杰"), ("agent-2", "杰")]
    (found,) = shop_candidates(records(names), ENTRIES)
    assert len(found.agents) == 3 and found.meets_rule(3) and not found.meets_rule(4)
    assert "sent 5× by 3 agent(s)" in found.source

    no_ids = [("", "小暖"), ("", "小暖"), ("", "小美")]
    (found,) = shop_candidates(records(no_ids), ENTRIES)  # the platform sent no ids: told apart by name
    assert found.agents == ("小暖", "小美") and "sent 3× by 2 agent(s)" in found.source
