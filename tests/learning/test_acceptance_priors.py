"""Acceptance matching and per-shop priors: bounded, decaying, never across shops."""

from __future__ import annotations

import pytest

from assistant.learning.acceptance import Outcome, Shown, match_reply
from assistant.learning.priors import PriorRules, ReplyPriors, ShopMismatch, priors_from

SHOWN = [
    Shown("refund", "亲，退款审核通过后原路返回，储蓄卡1-3个工作日到账哦"),
    Shown("ship", "亲，今天下单的话48小时内发货哦"),
]


def test_a_reply_sent_as_is_is_used() -> None:
    got = match_reply("亲,退款审核通过后原路返回,储蓄卡1-3个工作日到账哦!", SHOWN)
    assert (got.outcome, got.entry_id, got.similarity) == (Outcome.USED, "refund", 1.0)
    assert got.shown == ("refund", "ship")


def test_an_edited_reply_says_how_much_was_kept() -> None:
    got = match_reply("亲，今天下单的话明天上午就能发货", SHOWN)
    assert got.outcome is Outcome.EDITED and got.entry_id == "ship"
    assert 0.5 <= got.similarity < 0.95


def test_an_unrelated_reply_is_not_used() -> None:
    got = match_reply("这款是纯棉的，可以机洗", SHOWN)
    assert got.outcome is Outcome.NOT_USED and got.entry_id is None
    assert match_reply("好的", []).outcome is Outcome.NOT_USED


def test_priors_are_bounded_and_decay() -> None:
    rules = PriorRules(cap=0.1, scale=2.0, half_life=100.0)
    priors = ReplyPriors("shop-a", rules=rules)
    for _ in range(50):
        priors = priors.record("shop-a", "refund", 1.0, 0.0, at=0.0)
    assert 0.099 < priors.boost("refund", now=0.0) <= 0.1  # bounded however many uses
    assert priors.boost("refund", now=0.0) > priors.boost("refund", now=1000.0) > 0.0  # fades
    priors = priors.record("shop-a", "ship", 0.0, 100.0, at=0.0)
    assert -0.1 <= priors.boost("ship", now=0.0) < -0.09
    assert priors.boost("unknown", now=0.0) == 0.0


def test_learning_credits_the_used_entry_and_debits_the_ones_passed_over() -> None:
    used = match_reply("亲，退款审核通过后原路返回，储蓄卡1-3个工作日到账哦", SHOWN)
    priors = priors_from("shop-a", [(used, 0.0)] * 3)
    assert priors.boost("refund", 0.0) > 0 > priors.boost("ship", 0.0)


def test_one_shops_evidence_never_reaches_another_shop() -> None:
    used = match_reply("亲，退款审核通过后原路返回，储蓄卡1-3个工作日到账哦", SHOWN)
    shop_a = priors_from("shop-a", [(used, 0.0)])
    with pytest.raises(ShopMismatch, match="shop-b"):
        shop_a.learn("shop-b", [(used, 0.0)])
    with pytest.raises(ShopMismatch):
        shop_a.record("shop-b", "refund", 1.0, 0.0, 0.0)
    assert ReplyPriors("shop-b").boost("refund", 0.0) == 0.0
