"""Which entries may be suggested on a given day: a promotion past its `ends` may not.

Days are the shop's: shop.yaml's `timezone` is Asia/Shanghai (knowledge/README.md), so a 双12
promotion that `ends: 2026-12-12` is suggested until midnight in China, not in UTC (eight hours
later on a server that keeps UTC).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from assistant.knowledge.model import KnowledgeEntry

SHOP_ZONE = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], dt.datetime]
"""Now, timezone-aware. The service's is the wall clock; tests and previews pin one."""


def wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def pinned(day: dt.date) -> Clock:
    """A clock that stays at noon of `day` in the shop's zone (`huashu suggest --today`, tests)."""
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=SHOP_ZONE)
    return lambda: noon


def shop_day(now: dt.datetime) -> dt.date:
    """The shop's date at `now`."""
    return now.astimezone(SHOP_ZONE).date()


def ended(entry: KnowledgeEntry, day: dt.date) -> bool:
    """Past its last day: not to be suggested on `day`."""
    return entry.ends is not None and entry.ends < day


def ended_ids(entries: Iterable[KnowledgeEntry], day: dt.date) -> frozenset[str]:
    return frozenset(e.id for e in entries if ended(e, day))


def expiry_warning(data: dict[str, object], now: dt.datetime) -> str | None:
    """What an admin is told on storing a row whose `ends` (a date or its ISO text) has passed."""
    raw = data.get("ends")
    try:
        ends = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw)) if raw is not None else None
    except ValueError:
        return None  # the loader names a malformed date
    today = shop_day(now)
    if ends is None or ends >= today:
        return None
    return f"ends {ends.isoformat()} is before today ({today.isoformat()}, {SHOP_ZONE.key}): stored, never suggested"
