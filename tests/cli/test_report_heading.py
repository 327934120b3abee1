"""`huashu report weekly`: the gap heading says how many are listed of how many, and times are the
shop's (北京时间), as the admin page shows them."""

from __future__ import annotations

from pathlib import Path

from assistant.cli import main
from assistant.storage.records import Record
from tests.cli.test_report import DAY, CapSys, exchange
from tests.cli.test_store_commands import small_shop, url_of, write_records


def test_the_gap_heading_says_listed_of_found_and_times_are_beijing_time(tmp_path: Path, capsys: CapSys) -> None:
    """A user test read 新的知识缺口（10） as the total beside the API's open_gaps 34, and
    最近一次 2026-12-07 01:37 UTC beside the page's 09:37."""
    db = ["--database-url", url_of(tmp_path)]
    assert main(["shop", "create", "tea", "--knowledge", str(small_shop(tmp_path / "tea")), *db]) == 0
    records: list[Record] = []
    records += exchange(DAY, "c1", "能开增值税专用发票吗", "可以的亲，请提供公司抬头和税号", False, 0)
    records += exchange(DAY, "c2", "可以开专票吗", "可以的亲，请提供公司抬头和税号", False, 2)
    records += exchange(DAY, "c3", "能寄到香港吗", "亲，暂时只发大陆哦", False, 4)
    records += exchange(DAY, "c4", "可以发货到香港吗", "亲，暂时只发大陆哦", False, 6)
    write_records(url_of(tmp_path), records)
    cache = ["--cache", str(tmp_path / "cache.sqlite")]
    capsys.readouterr()
    args = ["report", "weekly", "--shop", "tea", "--until", DAY.isoformat(), *cache, *db]
    assert main([*args, "--top", "1"]) == 0
    out = capsys.readouterr().out
    assert "## 新的知识缺口（前 1 个，共 2 个）" in out, out
    # the messages came at 09:00 UTC: 17:00 in Beijing, labelled so
    assert "最近一次（北京时间）" in out and "| 2026-11-20 17:00 |" in out and "UTC" not in out, out
    assert main(args) == 0
    assert "## 新的知识缺口（2）" in capsys.readouterr().out  # all listed: the count alone
    assert main([*args, "--top", "1", "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert "<h2>新的知识缺口（前 1 个，共 2 个）</h2>" in page and "<td>2026-11-20 17:00</td>" in page
