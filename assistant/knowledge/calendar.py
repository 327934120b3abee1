"""Which entries may be suggested on a given day: a promotion from its `starts` to its `ends`.

Before it starts its reply (现在年货节活动中…) is not true yet, after it ends no longer; an entry
that pre-announces a promotion is an FAQ, or the promotion's `starts` is the day it is announced.

Days are the shop's: shop.yaml's `timezone` is Asia/Shanghai (knowledge/README.md), so a 双12
promotion that `ends: 2026-12-12` is suggested until midnight in China, not in UTC (eight hours
later on a server that keeps UTC). The analytics, the weekly report and the candidates' windows
count the same days (`day_start`, `day_of`, `last_days`).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable
from typing import TextIO
from zoneinfo import ZoneInfo

from assistant.knowledge.model import KnowledgeEntry

SHOP_ZONE = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], dt.datetime]
"""Now, timezone-aware. The service's is the wall clock; tests and previews pin one."""


def wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def pinned(day: dt.date) -> Clock:
    """A clock that stays at noon of `day` in the shop's zone (tests; a preview of another day)."""
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=SHOP_ZONE)
    return lambda: noon


def shop_day(now: dt.datetime) -> dt.date:
    """The shop's date at `now`."""
    return now.astimezone(SHOP_ZONE).date()


def day_start(day: dt.date) -> str:
    """The moment the shop's `day` begins, written as the store writes its times (ISO 8601 UTC,
    milliseconds): the lower bound of a window of the shop's days (16:00 UTC the evening before)."""
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=SHOP_ZONE)
    return midnight.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def day_of(at: str) -> str:
    """The shop's day (YYYY-MM-DD) of a stored time (ISO 8601; one without a zone is UTC, as the
    store writes them): a reply at 01:00 in Shanghai counts on that day, not on the UTC day before.
    A time that does not parse keeps its first ten characters."""
    try:
        moment = dt.datetime.fromisoformat(at)
    except ValueError:
        return at[:10]
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return shop_day(moment).isoformat()


def last_days(days: int, now: dt.datetime | None = None) -> tuple[dt.date, dt.date]:
    """The shop's last `days` days, today included: (first, today)."""
    today = shop_day(now or wall_clock())
    return today - dt.timedelta(days=days - 1), today


def out_of_season(entry: KnowledgeEntry, day: dt.date) -> bool:
    """Not yet started or already ended on `day`: not to be suggested that day."""
    return (entry.starts is not None and day < entry.starts) or (entry.ends is not None and entry.ends < day)


def out_of_season_ids(entries: Iterable[KnowledgeEntry], day: dt.date) -> frozenset[str]:
    return frozenset(e.id for e in entries if out_of_season(e, day))


def season_note(entry: KnowledgeEntry, day: dt.date) -> str | None:
    """Why `entry` is not suggested on `day` (`huashu knowledge check`, `huashu index build`), or None."""
    if entry.ends is not None and entry.ends < day:
        return f"{entry.id} ended {entry.ends} ({SHOP_ZONE.key}): it is never suggested"
    if entry.starts is not None and day < entry.starts:
        return f"{entry.id} starts {entry.starts} ({SHOP_ZONE.key}): it is not suggested before then"
    return None


def print_season_notes(
    entries: Iterable[KnowledgeEntry], file: TextIO | None = None, now: dt.datetime | None = None
) -> None:
    """`warning: file:line: <season_note>` for each entry not suggested today, on `file` (else
    stdout; the CLI's)."""
    today = shop_day(now or wall_clock())
    for entry in entries:
        note = season_note(entry, today)
        if note is not None:
            print(f"warning: {entry.origin}: {note}", file=file or sys.stdout)


def _day(raw: object) -> dt.date | None:
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    try:
        return dt.date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None  # the loader names a malformed date


def expiry_warning(data: dict[str, object], now: dt.datetime) -> str | None:
    """What an admin is told on storing a row (its `starts` and `ends`: dates or ISO text) that is
    not suggested today: ended, or not started yet."""
    today, starts, ends = shop_day(now), _day(data.get("starts")), _day(data.get("ends"))
    said = f"today ({today.isoformat()}, {SHOP_ZONE.key})"
    if ends is not None and ends < today:
        return f"ends {ends.isoformat()} is before {said}: stored, never suggested"
    if starts is not None and today < starts:
        return f"starts {starts.isoformat()} is after {said}: stored, suggested from that day"
    return None
