"""`huashu report weekly` on a real store file: the week's records in, Markdown or HTML out."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.storage import open_store
from assistant.storage.records import AnswerRecord, MessageRecord, Record, SuggestionRecord
from tests.cli.test_store_commands import small_shop, url_of

CapSys = pytest.CaptureFixture[str]
DAY = dt.date(2026, 11, 20)


def at(day: dt.date, second: int) -> str:
    return f"{day.isoformat()}T09:00:{second:02d}.000+00:00"


def exchange(day: dt.date, conversation: str, question: str, reply: str, ok: bool, n: int) -> list[Record]:
    when = at(day, n)
    return [
        MessageRecord("api", "tea", conversation, f"q{n}", "customer", question, when, when),
        AnswerRecord("api", "tea", conversation, f"q{n}", ok, 0.9 if ok else 0.1, at=when),
        *([SuggestionRecord("api", "tea", conversation, f"q{n}", 1, "faq-a", 0.9, "faq", "v1", when)] if ok else []),
        MessageRecord("api", "tea", conversation, f"r{n}", "agent", reply, at(day, n + 1), at(day, n + 1), "agent"),
    ]


def seed(url: str) -> None:
    records: list[Record] = []
    records += exchange(DAY, "c1", "包邮吗", "亲，全场包邮哦", True, 0)
    records += exchange(DAY, "c2", "包不包邮", "亲，全场包邮的，偏远地区除外哦", True, 2)
    records += exchange(DAY, "c3", "能开增值税专用发票吗", "可以的亲，请提供公司抬头和税号", False, 4)
    records += exchange(DAY, "c4", "可以开专票吗", "可以的亲，请提供公司抬头和税号", False, 6)
    records += exchange(DAY - dt.timedelta(days=30), "c0", "你好", "亲，全场包邮哦", True, 8)  # outside the week

    async def write() -> None:
        store = open_store(url)
        await store.open()
        try:
            await store.write(records)
        finally:
            await store.close()

    asyncio.run(write())


def test_weekly_report_as_markdown_and_html(tmp_path: Path, capsys: CapSys) -> None:
    db = ["--database-url", url_of(tmp_path)]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db]) == 0
    seed(url_of(tmp_path))
    capsys.readouterr()
    cache = ["--cache", str(tmp_path / "cache.sqlite")]
    assert main(["report", "weekly", "--shop", "tea", "--until", DAY.isoformat(), *cache, *db]) == 0
    out = capsys.readouterr().out
    assert "# 话术 weekly refresh: tea, 2026-11-14 to 2026-11-20" in out
    assert "customer messages suggested for: 4, answerable: 2 (50%)" in out
    assert "used as is 1, edited 1, not used 0" in out  # the reply of 30 days ago is not counted
    assert "| faq-a | 亲，全场包邮哦 | 1 | 1 | 2 |" in out
    assert "## New knowledge gaps (1)" in out and "可以的亲，请提供公司抬头和税号" in out
    page = tmp_path / "out" / "week.html"
    args = ["report", "weekly", "--shop", "tea", "--until", DAY.isoformat(), "--format", "html", "--out", str(page)]
    assert main([*args, *cache, *db]) == 0
    assert f"written to {page}" in capsys.readouterr().out
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "<td>faq-a</td>" in text and "<script" not in text


def test_weekly_report_bad_input_names_the_flag(tmp_path: Path, capsys: CapSys) -> None:
    db = ["--database-url", url_of(tmp_path)]
    assert main(["report", "weekly", "--shop", "nope", *db]) == 2
    assert "no shop 'nope' in the store" in capsys.readouterr().err
    assert main(["report", "weekly", "--shop", "tea", "--until", "20.11.2026", *db]) == 2
    assert "--until must be a day as YYYY-MM-DD" in capsys.readouterr().err
    assert main(["report", "weekly", "--shop", "tea", "--days", "0", *db]) == 2
    assert "--days must be from 1 to 365" in capsys.readouterr().err
