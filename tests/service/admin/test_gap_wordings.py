"""Every wording of a gap reaches the admin: a user test saw a gap of 6 messages list 5 examples,
and the FAQ written from it (写成 FAQ…) lost the sixth (能开增值税专票吗), never shown to tick."""

from __future__ import annotations

import pytest

from assistant.service import keys
from assistant.service.admin import analytics

from .conftest import Admin, AdminFactory
from .test_analytics import GAP_REPLY, agent_says, say

INVOICE_REPLY = GAP_REPLY
# six wordings of one question the demo shop does not answer (its invoice FAQ answers the user
# test's 专票 questions), each answered with the same substantive reply: one gap of six
INVOICE_WORDINGS = (
    "你们支持数字人民币付款吗", "可以用数字人民币支付吗？", "数字人民币能付款不", "能用数字人民币吗",
    "收不收数字人民币", "数字人民币可以付吗",
)  # fmt: skip


async def invoice_gap(admin: Admin) -> dict[str, object]:
    for n, question in enumerate(INVOICE_WORDINGS):
        assert (await say(admin, f"inv{n}", "m1", question))["answerable"] is False
        await agent_says(admin, f"inv{n}", "m2", INVOICE_REPLY, "小王")
    listed = await admin.client.get("/v1/admin/shops/demo/gaps?days=7", headers=admin.auth())
    assert listed.status == 200, await listed.text()
    (gap,) = [g for g in (await listed.json())["gaps"] if g["count"] == len(INVOICE_WORDINGS)]
    return gap


async def test_a_gap_lists_every_distinct_wording_and_its_faq_keeps_them(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    gap = await invoice_gap(admin)
    assert len(gap["examples"]) == 5  # a few, for the lists
    assert sorted(gap["wordings"]) == sorted(INVOICE_WORDINGS) and gap["unlisted_wordings"] == 0
    closed = await admin.client.post(  # a close without a body: every wording, not the five examples
        f"/v1/admin/shops/demo/gaps/{gap['id']}/close", json={"days": 7}, headers=admin.auth()
    )
    assert closed.status == 201, await closed.text()
    entry = (await closed.json())["entry"]
    assert sorted([entry["question"], *entry["variants"]]) == sorted(INVOICE_WORDINGS)
    await admin.client.app[keys.REBUILDER].finished((await closed.json())["job"]["id"])


async def test_wordings_past_those_listed_are_counted_and_can_be_included(
    make_admin: AdminFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analytics, "WORDINGS_LISTED", 4)  # a gap with more wordings than are listed
    admin = await make_admin()
    gap = await invoice_gap(admin)
    listed = gap["wordings"]
    assert isinstance(listed, list) and len(listed) == 4 and gap["unlisted_wordings"] == 2
    body = {"days": 7, "question": listed[0], "variants": listed[1:], "unlisted_wordings": True}
    closed = await admin.client.post(f"/v1/admin/shops/demo/gaps/{gap['id']}/close", json=body, headers=admin.auth())
    assert closed.status == 201, await closed.text()
    entry = (await closed.json())["entry"]
    assert sorted([entry["question"], *entry["variants"]]) == sorted(INVOICE_WORDINGS)
    await admin.client.app[keys.REBUILDER].finished((await closed.json())["job"]["id"])


async def test_a_close_without_variants_takes_the_wordings_listed_only(
    make_admin: AdminFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a second reading: a close without `variants` took every wording of the gap, those the list
    # never showed too (a gap can hold thousands); they are added only when asked for
    monkeypatch.setattr(analytics, "WORDINGS_LISTED", 4)
    admin = await make_admin()
    gap = await invoice_gap(admin)
    listed = gap["wordings"]
    assert isinstance(listed, list) and gap["unlisted_wordings"] == 2
    closed = await admin.client.post(
        f"/v1/admin/shops/demo/gaps/{gap['id']}/close", json={"days": 7}, headers=admin.auth()
    )
    assert closed.status == 201, await closed.text()
    entry = (await closed.json())["entry"]
    assert [entry["question"], *entry["variants"]] == listed
    await admin.client.app[keys.REBUILDER].finished((await closed.json())["job"]["id"])
