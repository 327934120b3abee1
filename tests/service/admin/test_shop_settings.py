"""`PATCH /v1/admin/shops/{shop}`: a shop's settings changed after its creation (a user test: the
demo shop and a shop made with the CLI could never get a Chatwoot mapping), by the operator only,
each value checked as the service reads it, and served without a restart."""

from __future__ import annotations

import json
from typing import Any

from assistant.service import keys
from assistant.service.settings import Secret

from ..helpers import suggest_body
from ..platforms.chatwoot_payloads import chatwoot_headers, message_event
from .conftest import Admin, AdminFactory
from .test_shops_knowledge import GOOD_FAQ

OPERATOR = "operator-test-token"
# vague messages: the top suggestion's score is neither near 0 nor near 1
BORDERLINE = ("那个怎么弄", "能便宜点吗", "颜色有差别吗", "这个好用吗", "还有别的吗")
SECRET = "chatwoot-test-secret"  # the process's Chatwoot webhook secret (tests/service/conftest.py)


async def patch(admin: Admin, settings: dict[str, Any], shop: str = "demo", token: str = OPERATOR) -> Any:
    return await admin.client.patch(f"/v1/admin/shops/{shop}", json={"settings": settings}, headers=admin.auth(token))


async def deliver(admin: Admin, message_id: int, account: int, inbox: int, secret: str = SECRET) -> tuple[int, Any]:
    event = message_event(message_id, "快递几天能到啊", account={"id": account, "name": "外包"}, inbox_id=inbox)
    body = json.dumps(event).encode()
    response = await admin.client.post("/v1/webhooks/chatwoot", data=body, headers=chatwoot_headers(secret, body))
    return response.status, await response.json()


async def test_the_operator_maps_the_demo_shop_to_a_chatwoot_account_without_a_restart(
    make_admin: AdminFactory,
) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    status, before = await deliver(admin, 501, account=7, inbox=6)  # nobody claims account 7: the default shop
    assert status == 200 and before["accepted"] is True
    response = await patch(admin, {"chatwoot_account": 7, "chatwoot_inboxes": [5], "chatwoot_webhook_secret": "tea"})
    assert response.status == 200, await response.text()
    shown = (await response.json())["shop"]
    assert shown["shop"] == "demo"
    assert shown["settings"] == {"chatwoot_account": 7, "chatwoot_inboxes": [5], "chatwoot_webhook_secret": "***"}
    assert (await admin.client.app[keys.STORE].shop("demo")).settings["chatwoot_webhook_secret"] == "tea"
    # account 7 is claimed now: its inbox 5 goes to demo (signed with demo's own secret), inbox 6 to no shop
    status, mapped = await deliver(admin, 502, account=7, inbox=5, secret="tea")
    assert (status, mapped["accepted"], mapped["reason"]) == (200, True, "suggesting")
    status, unclaimed = await deliver(admin, 503, account=7, inbox=6)
    assert (status, unclaimed["accepted"], unclaimed["reason"]) == (200, False, "no shop for this account and inbox")
    status, _ = await deliver(admin, 504, account=7, inbox=5)  # the process's secret no longer opens demo
    assert status == 403
    # null removes a key; the rest is kept (merged)
    removed = await patch(admin, {"chatwoot_inboxes": None, "chatwoot_webhook_secret": None})
    assert (await removed.json())["shop"]["settings"] == {"chatwoot_account": 7}
    status, whole = await deliver(admin, 505, account=7, inbox=6)
    assert (status, whole["accepted"]) == (200, True)
    shown_again = await admin.client.get("/v1/admin/shops/demo", headers=admin.auth(admin.admin))
    assert (await shown_again.json())["shop"]["settings"] == {"chatwoot_account": 7}


async def test_a_threshold_change_decides_answerable_without_a_restart(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))

    async def ask(text: str, n: int) -> dict[str, Any]:
        body = suggest_body(text, conversation_id=f"t-{n}", message_id=f"m-{n}")
        response = await admin.client.post("/v1/suggest", json=body, headers=admin.auth())
        assert response.status == 200, await response.text()
        result: dict[str, Any] = await response.json()
        return result

    tops = {}
    for n, text in enumerate(BORDERLINE):
        suggestions = (await ask(text, n))["suggestions"]
        tops[text] = suggestions[0]["score"] if suggestions else 0.0
    text, top = next(((t, s) for t, s in tops.items() if 0.1 < s < 0.9), ("", 0.0))
    assert text, tops  # one of them is borderline
    assert (await patch(admin, {"threshold": round(top + 0.05, 3)})).status == 200
    assert (await ask(text, 100))["answerable"] is False
    assert (await patch(admin, {"threshold": round(top - 0.05, 3)})).status == 200
    assert (await ask(text, 101))["answerable"] is True


async def test_who_may_change_settings_and_what_is_refused(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    for token in (admin.admin, admin.other_admin, admin.agent):  # a tenant never maps a Chatwoot account
        refused = await patch(admin, {"chatwoot_account": 7}, token=token)
        assert refused.status == 403, token
    assert (await admin.client.patch("/v1/admin/shops/demo", json={"settings": {}})).status == 401
    unknown = await patch(admin, {"threshold": 0.5}, shop="nope")
    assert unknown.status == 404 and (await unknown.json())["errors"][0]["field"] == "shop"
    bad_values: list[tuple[str, Any]] = [
        ("threshold", 1.5),
        ("threshold", "0.5"),
        ("threshold", True),
        ("chatwoot_account", "tea"),
        ("chatwoot_account", 0),
        ("chatwoot_inboxes", [1, "x"]),
        ("chatwoot_inboxes", 3),
        ("chatwoot_webhook_secret", 12),
        ("chatwoot_notes", "maybe"),
        ("auto_approve_agents", 0),
    ]
    for key, value in bad_values:
        response = await patch(admin, {key: value})
        errors = (await response.json())["errors"]
        assert (response.status, errors[0]["field"]) == (422, f"settings.{key}"), (key, value)
    unknown_field = await admin.client.patch(
        "/v1/admin/shops/demo", json={"settings": {}, "name": "x"}, headers=admin.auth(OPERATOR)
    )
    assert unknown_field.status in (400, 422)
    assert (await admin.client.app[keys.STORE].shop("demo")).settings == {}  # nothing was changed
    ok = await patch(admin, {"chatwoot_account": "7", "chatwoot_inboxes": ["5", 6], "threshold": 1})
    assert ok.status == 200, await ok.text()


async def test_a_misspelt_or_service_kept_key_is_refused_and_the_service_state_is_not_shown(
    make_admin: AdminFactory,
) -> None:
    """A user test: `treshold` answered 200 and was stored while the threshold stayed; the shop's
    answer listed the service's own bookkeeping (candidate decisions, cue marks) as settings."""
    admin = await make_admin(admin_token=Secret(OPERATOR))
    typo = await patch(admin, {"treshold": 0.9})
    body = await typo.json()
    assert typo.status == 422 and body["errors"][0]["field"] == "settings.treshold"
    assert "did you mean 'threshold'" in body["errors"][0]["message"]
    for kept in ("cue_thresholds", "cue_marks_seen", "candidate_decisions"):
        refused = await patch(admin, {kept: {}})
        assert refused.status == 422 and "kept by the service" in (await refused.json())["errors"][0]["message"]
    store = admin.client.app[keys.STORE]
    assert (await store.shop("demo")).settings == {}
    await store.update_shop_settings("demo", {"candidate_decisions": {"c1": "rejected"}, "stray": 1})
    removed = await patch(admin, {"stray": None, "threshold": 0.6})  # a stray key stored before may go
    assert removed.status == 200, await removed.text()
    assert (await removed.json())["shop"]["settings"] == {"threshold": 0.6}
    assert (await store.shop("demo")).settings["candidate_decisions"] == {"c1": "rejected"}


async def test_the_route_is_in_the_openapi_document(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    document = await (await admin.client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/admin/shops/{shop}"]["patch"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/SettingsBody")
    assert "SettingsBody" in document["components"]["schemas"]


async def test_another_replica_follows_a_threshold_change_in_its_poll(make_admin: AdminFactory) -> None:
    """A shop loaded from the store (not handed in): the change made elsewhere (another replica's
    PATCH, written to the store) is followed by the poll that follows the store's snapshots."""
    admin = await make_admin(admin_token=Secret(OPERATOR))
    files = {"faq/custom.yaml": GOOD_FAQ}
    created = await admin.client.post(
        "/v1/admin/shops", json={"shop": "gifts", "files": files}, headers=admin.auth(OPERATOR)
    )
    assert created.status == 201, await created.text()
    await admin.client.app[keys.REBUILDER].finished((await created.json())["job"]["id"])
    registry = admin.client.app[keys.INDEX]
    assert (await registry.get("gifts")).threshold != 0.33
    await admin.client.app[keys.STORE].update_shop_settings("gifts", {"threshold": 0.33})  # elsewhere
    assert (await registry.get("gifts")).threshold != 0.33
    await registry.refresh()
    assert (await registry.get("gifts")).threshold == 0.33


async def test_a_chatwoot_inbox_or_account_another_shop_claims_is_refused(make_admin: AdminFactory) -> None:
    """Two shops claiming one inbox would have its deliveries go to whichever the store lists
    first; some inboxes of an account another shop claims whole is a valid layout (they go to it)."""
    admin = await make_admin(admin_token=Secret(OPERATOR))
    assert (await patch(admin, {"chatwoot_account": 7, "chatwoot_inboxes": [5, 6]}, shop="other")).status == 200
    taken = await patch(admin, {"chatwoot_account": "7", "chatwoot_inboxes": [6, 9]})
    body = await taken.json()
    assert taken.status == 409 and body["errors"][0]["field"] == "settings.chatwoot_inboxes"
    assert "'other'" in body["error"] and "inbox 6 of Chatwoot account 7" in body["error"]
    assert (await admin.client.app[keys.STORE].shop("demo")).settings == {}  # nothing was changed
    assert (await patch(admin, {"chatwoot_account": 7, "chatwoot_inboxes": [9]})).status == 200
    assert (await patch(admin, {"chatwoot_inboxes": None})).status == 200  # demo: all of account 7
    whole = await patch(admin, {"chatwoot_inboxes": None}, shop="other")  # other too: both whole
    assert whole.status == 409 and (await whole.json())["errors"][0]["field"] == "settings.chatwoot_account"
    created = await admin.client.post(
        "/v1/admin/shops",
        json={"shop": "tea", "settings": {"chatwoot_account": 7}},
        headers=admin.auth(OPERATOR),
    )
    assert created.status == 409 and await admin.client.app[keys.STORE].shop("tea") is None
    no_account = await admin.client.post(
        "/v1/admin/shops", json={"shop": "tea", "settings": {"chatwoot_inboxes": [9]}}, headers=admin.auth(OPERATOR)
    )  # inboxes of no account: never a delivery
    assert no_account.status == 422 and (await no_account.json())["errors"][0]["field"] == "settings.chatwoot_inboxes"
