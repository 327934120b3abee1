"""The shop's days (Asia/Shanghai) for windows and per-day counts."""

from __future__ import annotations

import datetime as dt

from assistant.knowledge.calendar import day_of, day_start, last_days


def test_a_shop_day_starts_at_midnight_in_shanghai_written_as_the_store_writes_times() -> None:
    assert day_start(dt.date(2026, 12, 12)) == "2026-12-11T16:00:00.000+00:00"


def test_a_stored_time_falls_on_the_shops_day() -> None:
    assert day_of("2026-12-11T15:59:59.999+00:00") == "2026-12-11"
    assert day_of("2026-12-11T16:00:00.000+00:00") == "2026-12-12"
    assert day_of("2026-12-11T16:30:00") == "2026-12-12"  # no zone: UTC, as the store writes
    assert day_of("2026-12-12T01:00:00+08:00") == "2026-12-12"
    assert day_of("not a time") == "not a time"


def test_the_last_days_end_on_the_shops_today() -> None:
    evening_utc = dt.datetime(2026, 12, 6, 20, 0, tzinfo=dt.UTC)  # already 7 December in Shanghai
    assert last_days(7, evening_utc) == (dt.date(2026, 12, 1), dt.date(2026, 12, 7))
    assert last_days(1, evening_utc) == (dt.date(2026, 12, 7), dt.date(2026, 12, 7))
