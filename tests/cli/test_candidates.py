"""`huashu candidates list|approve|reject` on a real store file: what agents wrote becomes knowledge."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.knowledge.files import check_rows
from assistant.learning.shop_candidates import candidate_id
from assistant.storage import open_store
from assistant.storage.records import AnswerRecord, MessageRecord, Record, SuggestionRecord
from tests.cli.test_store_commands import small_shop, url_of, write_records

CapSys = pytest.CaptureFixture[str]
INVOICE = "可以的亲，请提供公司抬头和税号，我们三天内开好"
REWORDED = "亲，全场包邮哦，新疆西藏除外"


def exchange(conversation: str, question: str, reply: str, ok: bool, agent: str, n: int) -> list[Record]:
    day = dt.datetime.now(dt.UTC).date().isoformat()
    q, r = f"{day}T00:00:{n:02d}.000+00:00", f"{day}T00:00:{n + 1:02d}.000+00:00"
    return [
        MessageRecord("api", "tea", conversation, f"q{n}", "customer", question, q, q),
        AnswerRecord("api", "tea", conversation, f"q{n}", ok, 0.9 if ok else 0.1, at=q),
        *([SuggestionRecord("api", "tea", conversation, f"q{n}", 1, "faq-a", 0.9, "faq", "v1", q)] if ok else []),
        MessageRecord("api", "tea", conversation, f"r{n}", "agent", reply, r, r, "agent", agent, agent),
    ]


def seed(url: str) -> None:
    records = [
        *exchange("c1", "能开增值税专用发票吗", INVOICE, False, "小王", 0),
        *exchange("c2", "可以开专票吗", INVOICE, False, "小李", 2),
        *exchange("c3", "包邮吗", REWORDED, True, "小王", 4),  # a heavy edit of faq-a
        *exchange("c4", "包不包邮", "亲，全场包邮哦", True, "小王", 6),  # used as is: no candidate
        *exchange("c5", "这个是什么牌子", "您好，我们是自有品牌暖居", False, "小赵", 8),
    ]
    write_records(url, records)


def listed(db: list[str], capsys: CapSys, status: str = "pending") -> dict[str, dict[str, object]]:
    capsys.readouterr()
    assert main(["candidates", "list", "--shop", "tea", "--status", status, "--json", *db]) == 0
    return {c["reply"]: c for c in json.loads(capsys.readouterr().out)}


def test_review_candidates_from_what_agents_sent(tmp_path: Path, capsys: CapSys) -> None:
    db = ["--database-url", url_of(tmp_path)]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db]) == 0
    seed(url_of(tmp_path))
    found = listed(db, capsys)
    assert set(found) == {INVOICE, REWORDED, "您好，我们是自有品牌暖居"}
    invoice = found[INVOICE]
    assert invoice["reason"] == "unanswerable" and invoice["agents"] == ["小李", "小王"] and invoice["count"] == 2
    assert invoice["wordings"] == ["能开增值税专用发票吗", "可以开专票吗"]
    assert found[REWORDED]["reason"] == "heavy_edit" and found[REWORDED]["edited_entries"] == ["faq-a"]

    # the rule: sent by 2 different agents approves the invoice reply only
    assert main(["candidates", "approve", "--shop", "tea", "--auto", "2", *db]) == 0
    out = capsys.readouterr().out
    assert f"approved {candidate_id(INVOICE)} as faq-cand-{candidate_id(INVOICE)} in faq/approved_replies.yaml" in out
    assert "serves it after the shop's rebuild: huashu admin rebuild tea" in out

    # edit, then approve; reject the third
    edited = "亲，全场包邮；新疆、西藏需补运费20元哦"
    args = ["candidates", "approve", candidate_id(REWORDED), "--shop", "tea", "--reply", edited]
    assert main([*args, "--question", "包邮吗？偏远地区呢", *db]) == 0
    assert main(["candidates", "reject", candidate_id("您好，我们是自有品牌暖居"), "--shop", "tea", *db]) == 0
    assert listed(db, capsys) == {}
    assert set(listed(db, capsys, "all")) == {INVOICE, REWORDED, "您好，我们是自有品牌暖居"}
    assert listed(db, capsys, "rejected").keys() == {"您好，我们是自有品牌暖居"}

    async def rows() -> dict[str, str]:
        store = open_store(url_of(tmp_path))
        await store.open()
        try:
            kb = check_rows(await store.knowledge_rows("tea"))
        finally:
            await store.close()
        return {e.id: e.reply for e in kb.entries}

    entries = asyncio.run(rows())
    assert entries[f"faq-cand-{candidate_id(INVOICE)}"] == INVOICE
    assert entries[f"faq-cand-{candidate_id(REWORDED)}"] == edited

    # decided once: a second decision is refused, naming why
    assert main(["candidates", "reject", candidate_id(INVOICE), "--shop", "tea", *db]) == 2
    assert "was approved already" in capsys.readouterr().err


def test_bad_input_is_one_line(tmp_path: Path, capsys: CapSys) -> None:
    db = ["--database-url", url_of(tmp_path)]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db]) == 0
    capsys.readouterr()
    assert main(["candidates", "approve", "nope", "--shop", "tea", *db]) == 2
    assert "no candidate 'nope' in the last 30 days of shop 'tea'" in capsys.readouterr().err
    assert main(["candidates", "approve", "--shop", "tea", *db]) == 2
    assert "give a candidate id or --auto N" in capsys.readouterr().err
    assert main(["candidates", "list", "--shop", "none", *db]) == 2
    assert "no shop 'none'" in capsys.readouterr().err
    assert main(["candidates", "list", "--shop", "tea", "--days", "0", *db]) == 2
    assert "--days must be from 1 to 365" in capsys.readouterr().err


def test_the_rule_setting(tmp_path: Path, capsys: CapSys) -> None:
    db = ["--database-url", url_of(tmp_path)]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db]) == 0
    capsys.readouterr()
    assert main(["candidates", "rule", "--shop", "tea", *db]) == 0
    assert capsys.readouterr().out == "shop tea: the N-agents rule is off\n"
    assert main(["candidates", "rule", "--shop", "tea", "--agents", "3", *db]) == 0
    assert "every pending reply sent by 3 different agents" in capsys.readouterr().out

    async def setting() -> object:
        store = open_store(url_of(tmp_path))
        await store.open()
        try:
            record = await store.shop("tea")
        finally:
            await store.close()
        assert record is not None
        return record.settings.get("auto_approve_agents")

    assert asyncio.run(setting()) == 3
    assert main(["candidates", "rule", "--shop", "tea", "--off", *db]) == 0
    assert asyncio.run(setting()) is None
    assert main(["candidates", "rule", "--shop", "tea", "--agents", "0", *db]) == 2
    assert "--agents must be 1 or more" in capsys.readouterr().err
    assert main(["candidates", "rule", "--shop", "none", *db]) == 2
    assert "no shop 'none'" in capsys.readouterr().err
