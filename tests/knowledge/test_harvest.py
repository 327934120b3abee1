"""The chat-log harvester keeps real question → answer pairs and drops the chaff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.knowledge.harvest import (
    ChatLogError,
    HarvestRules,
    chaff_reason,
    entries_from_harvest,
    harvest,
    harvest_chats,
)
from tests.conftest import shared_data


def session(*turns: tuple[str, str]) -> str:
    return json.dumps({"session": "s", "turns": [{"role": r, "text": t} for r, t in turns]}, ensure_ascii=False)


def test_pairs_are_kept_and_chaff_dropped(tmp_path: Path) -> None:
    log = tmp_path / "chats.jsonl"
    log.write_text("\n".join([
        session(("customer", "在吗"), ("agent", "您好，有什么问题我可以帮您处理或解决呢?"),
                ("customer", "我买的被子"), ("customer", "能不能改地址啊，寄错了"),
                ("agent", "亲，还没发货的话可以在订单详情里直接修改地址，已发货请告诉我新地址我帮您联系快递"),
                ("customer", "[订单x]"), ("agent", "好的"), ("customer", "谢谢"), ("agent", "不客气，祝您生活愉快")),
    ]) + "\n", encoding="utf-8")  # fmt: skip
    rows, stats = harvest(log)
    assert [r["customer"] for r in rows] == ["我买的被子 能不能改地址啊，寄错了"]
    assert rows[0]["reply"].startswith("亲，还没发货的话")
    assert rows[0]["context"] == ["在吗", "您好，有什么问题我可以帮您处理或解决呢?"]
    assert rows[0]["id"].startswith("harvest-") and "chats.jsonl:1" in rows[0]["why"]
    assert stats.pairs == 4 and stats.kept == 1
    assert stats.dropped["customer_chaff"] == 3  # 在吗, an order number alone, 谢谢


@pytest.mark.parametrize(
    ("customer", "reply", "reason"),
    [
        ("您好在吗", "亲，在的呢，请问有什么可以帮您的吗？我们马上为您处理", "customer_chaff"),
        ("[订单x]", "亲，这个订单已经发货了，预计明天送达哦，请注意查收", "customer_chaff"),
        ("包邮?", "亲，这个订单已经发货了，预计明天送达哦，请注意查收", "customer_too_short"),
        ("12345678", "亲，这个订单已经发货了，预计明天送达哦，请注意查收", "customer_too_short"),
        ("这个被子能机洗吗", "可以的", "reply_too_short"),
        ("退款多久到账啊", "请您稍等，正在为您查询订单的物流信息哦", "reply_stock_phrase"),
        ("退款多久到账啊", "亲，退款审核通过后原路返回，储蓄卡1-3个工作日到账哦", None),
    ],
)
def test_chaff_reasons(customer: str, reply: str, reason: str | None) -> None:
    assert chaff_reason(customer, reply, HarvestRules()) == reason


def test_a_malformed_log_names_file_and_line(tmp_path: Path) -> None:
    log = tmp_path / "chats.jsonl"
    log.write_text(session(("customer", "你好")) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(ChatLogError, match=r"chats\.jsonl:2: not valid JSON"):
        harvest(log)


def test_cli_harvests_the_public_jddc_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chats = shared_data("jddc") / "sessions.jsonl"
    out = tmp_path / "candidates.jsonl"
    assert main(["knowledge", "harvest", str(chats), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert 500 < len(rows) < 6000
    assert not any(r["customer"].strip() in ("在吗", "你好", "谢谢") for r in rows)
    assert "sessions" in capsys.readouterr().out


def test_cli_reports_a_bad_log_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "chats.jsonl"
    log.write_text('{"turns": [{"role": "bot", "text": "hi"}]}\n', encoding="utf-8")
    assert main(["knowledge", "harvest", str(log), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "chats.jsonl:1: turn 1 needs role customer|agent and text" in capsys.readouterr().err


def test_short_replies_and_closings_become_quick_replies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    question = ("customer", "被子能机洗吗"), ("agent", "亲，可以机洗的，建议用洗衣袋，水温不超过30度哦")
    log = tmp_path / "chats.jsonl"
    log.write_text("\n".join([
        session(("customer", "在吗"), ("agent", "您好，请问有什么可以帮您?"), *question, ("customer", "好的"),
                ("agent", "请问还有其他可以帮到您的吗?"), ("customer", "没有了谢谢"), ("agent", "感谢您的支持，再见!")),
        session(("customer", "你好"), ("agent", "您好，请问有什么可以帮您?"), ("customer", "嗯嗯"),
                ("agent", "请问还有其他可以帮到您的吗?"), ("customer", "没了"), ("agent", "感谢您的支持，再见~")),
    ]) + "\n", encoding="utf-8")  # fmt: skip
    result = harvest_chats(log)
    assert [r["customer"] for r in result.rows] == ["被子能机洗吗"]
    assert [q.text for q in result.quick.by_slot["acknowledgement"]] == ["请问还有其他可以帮到您的吗?"]
    assert [q.text for q in result.quick.by_slot["closing"]] == ["感谢您的支持，再见!"]  # both forms, one reply
    assert [q.text for q in result.quick.by_slot["greeting"]] == ["您好，请问有什么可以帮您?"]
    out = tmp_path / "candidates.jsonl"
    assert main(["knowledge", "harvest", str(log), "--out", str(out)]) == 0
    quick = [json.loads(line) for line in (tmp_path / "quick_replies.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {"slot": "closing", "reply": "感谢您的支持，再见!", "covers": 2, "of": 2} in quick
    assert "3 quick replies" in capsys.readouterr().out


def test_entries_group_harvested_pairs_by_reply_ignoring_placeholders() -> None:
    rows = [
        {
            "id": "harvest-1",
            "customer": "几天到",
            "reply": "亲，[数字x]天左右到哦",
            "context": [],
            "why": "harvested from c:1; r",
        },
        {
            "id": "harvest-2",
            "customer": "多久能到",
            "reply": "亲，[数字x] 天左右到哦！",
            "context": [],
            "why": "harvested from c:2; r",
        },
        {
            "id": "harvest-3",
            "customer": "能机洗吗",
            "reply": "可以机洗的亲，水温别太高",
            "context": [],
            "why": "harvested from c:3; r",
        },
    ]
    first, second = entries_from_harvest(rows)
    assert (first.id, first.questions, first.origin) == ("harvest-1", ("几天到", "多久能到"), "c:1")
    assert second.questions == ("能机洗吗",)


def test_a_turn_written_with_sender_is_told_it_is_role_here(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The webhook's message says `sender`; a chat log's turn says `role` (a user test wrote `sender`
    and got only "needs role")."""
    log = tmp_path / "chats.jsonl"
    log.write_text('{"turns": [{"sender": "customer", "text": "能开发票吗"}]}\n', encoding="utf-8")
    assert main(["knowledge", "harvest", str(log), "--out", str(tmp_path / "o.jsonl")]) == 2
    said = capsys.readouterr().err
    assert "chats.jsonl:1: turn 1 needs role customer|agent and text (`sender` is spelt `role` here)" in said
