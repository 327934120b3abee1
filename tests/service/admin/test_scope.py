"""Shop scope on every admin route, driven by the router: each route under /v1/admin must have a
case below (a new route without one fails `test_every_admin_route_has_a_scope_case`), and each
case is tried with no token (401), shop demo's agent token (403), shop other's admin token (403)
and demo's admin token (2xx). A refused write changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient

from assistant.service import keys
from assistant.service.settings import Secret
from assistant.storage.protocols import SnapshotRecord
from assistant.storage.records import AnswerRecord, MessageRecord

from .conftest import Admin, AdminFactory
from .test_analytics import job_done

OPERATOR = "operator-scope-token"
ADMIN_PREFIX = "/v1/admin"
FAQ = "faq/scope.yaml"
ENTRY = {
    "id": "faq-scope-gift",
    "stage": "pre_sale",
    "category": "包装",
    "question": "可以礼品包装吗？",
    "variants": ["能包装成礼物吗"],
    "answer": "亲，可以的～下单备注礼品包装即可。",
    "tags": ["other"],
}
GAP_QUESTIONS = ("你们支持数字人民币付款吗", "可以用数字人民币支付吗？", "数字人民币能付款不")

Prepare = Callable[[Admin], Awaitable[dict[str, str]]]  # the path's parameters once set up


async def _none(admin: Admin) -> dict[str, str]:
    return {}


async def _entry(admin: Admin) -> dict[str, str]:
    """An entry of shop demo the route may read, replace or delete."""
    created = await admin.client.post(
        f"{ADMIN_PREFIX}/shops/demo/knowledge/entries", json={"file": FAQ, "entry": ENTRY}, headers=admin.auth()
    )
    assert created.status in (201, 409), await created.text()
    return {"id": str(ENTRY["id"])}


# A gap of its own: other cases approve a candidate about 数字人民币 (rebuilt inline), so the served
# snapshot answers GAP_QUESTIONS by then, and a gap the snapshot answers is no longer listed.
PET_FOOD = ("你们店里卖猫粮吗", "你们店有猫粮卖吗", "店里有没有猫粮")


async def _gap(admin: Admin) -> dict[str, str]:
    """An open knowledge gap of shop demo: customers asked it, nothing answered it."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    store = admin.client.app[keys.STORE]
    for n, text in enumerate(PET_FOOD):
        await store.write(
            [
                MessageRecord("api", "demo", f"gap-{n}", "m1", "customer", text, now, now),
                AnswerRecord("api", "demo", f"gap-{n}", "m1", False, 0.1),
            ]
        )
    listed = await admin.client.get(f"{ADMIN_PREFIX}/shops/demo/gaps", headers=admin.auth())
    gaps = (await listed.json())["gaps"]
    assert gaps, "no gap found in the recorded messages"
    return {"gap": gaps[0]["id"]}


async def _candidate(admin: Admin, reply: str, questions: tuple[str, ...] = GAP_QUESTIONS) -> dict[str, str]:
    """A pending candidate reply of shop demo: agents answered what nothing answered."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    store = admin.client.app[keys.STORE]
    tag = str(abs(hash(reply)))
    for n, text in enumerate(questions):
        conversation = f"cand-{tag}-{n}"
        await store.write(
            [
                MessageRecord("api", "demo", conversation, "m1", "customer", text, now, now),
                AnswerRecord("api", "demo", conversation, "m1", False, 0.1),
                MessageRecord("api", "demo", conversation, "m2", "agent", reply, now, now, "agent", f"a{n}", f"a{n}"),
            ]
        )
    listed = await admin.client.get(f"{ADMIN_PREFIX}/shops/demo/candidates", headers=admin.auth())
    found = [c["id"] for c in (await listed.json())["candidates"] if c["reply"] == reply]
    assert found, f"no candidate for {reply!r}"
    return {"candidate": found[0]}


async def _to_approve(admin: Admin) -> dict[str, str]:
    return await _candidate(admin, "亲，暂时还不支持数字人民币哦，可以用支付宝付款～")


async def _to_reject(admin: Admin) -> dict[str, str]:
    # other questions than the approved one's: its entry answers those (no candidate is left)
    return await _candidate(admin, "不支持的亲", ("能用比特币付款吗", "可以用比特币买吗", "比特币能付款不"))


async def _token(admin: Admin) -> dict[str, str]:
    """An agent token of shop demo the route may revoke."""
    record, _ = await admin.tokens.create_token("demo", "agent")
    return {"id": record.id}


async def _job(admin: Admin) -> dict[str, str]:
    """A rebuild job of shop demo (recorded; nothing runs it)."""
    job = await admin.client.app[keys.STORE].create_job("demo", "rebuild")
    return {"id": job.id}


async def _snapshot(admin: Admin) -> dict[str, str]:
    """A snapshot record of shop demo (no files: activating it is refused with 409)."""
    store = admin.client.app[keys.STORE]
    if not any(s.version == "scope-v1" for s in await store.snapshots("demo")):
        revision = await store.knowledge_revision("demo")
        await store.add_snapshot(SnapshotRecord("demo", "scope-v1", "2026-01-01T00:00:00+00:00", {}, revision))
    return {"version": "scope-v1"}


@dataclass(frozen=True)
class Case:
    """How to call one route as shop demo's admin, and what it answers then."""

    prepare: Prepare = _none
    json: dict[str, Any] | None = None
    ok: int = 200
    shop_scoped: bool = True  # False: the route names no shop (another shop's admin is welcome)


UPLOAD = {"files": {FAQ: "- " + "\n  ".join(f"{k}: {v}" for k, v in ENTRY.items()) + "\n"}}
CASES: dict[tuple[str, str], Case] = {
    ("GET", "/v1/admin/me"): Case(shop_scoped=False),
    ("GET", "/v1/admin/shops/{shop}"): Case(),
    ("GET", "/v1/admin/shops/{shop}/stats"): Case(),
    ("GET", "/v1/admin/shops/{shop}/gaps"): Case(),
    ("POST", "/v1/admin/shops/{shop}/gaps/{gap}/close"): Case(
        _gap, json={"answer": "亲，暂时还不支持数字人民币付款哦"}, ok=201
    ),
    ("POST", "/v1/admin/shops/{shop}/knowledge"): Case(json=UPLOAD),
    ("GET", "/v1/admin/shops/{shop}/knowledge/entries"): Case(),
    ("POST", "/v1/admin/shops/{shop}/knowledge/entries"): Case(
        json={"file": FAQ, "entry": {**ENTRY, "id": "faq-scope-new"}}, ok=201
    ),
    ("GET", "/v1/admin/shops/{shop}/knowledge/entries/{id}"): Case(_entry),
    ("PUT", "/v1/admin/shops/{shop}/knowledge/entries/{id}"): Case(
        _entry, json={"entry": {**ENTRY, "answer": "亲，可以免费礼品包装哦。"}}
    ),
    ("DELETE", "/v1/admin/shops/{shop}/knowledge/entries/{id}"): Case(_entry),
    ("GET", "/v1/admin/shops/{shop}/candidates"): Case(),
    ("POST", "/v1/admin/shops/{shop}/candidates/auto-approve"): Case(json={"agents": 2}),
    ("GET", "/v1/admin/shops/{shop}/candidates/rule"): Case(),
    ("PUT", "/v1/admin/shops/{shop}/candidates/rule"): Case(json={"agents": 2}),
    ("POST", "/v1/admin/shops/{shop}/candidates/{candidate}/approve"): Case(_to_approve, json={}, ok=201),
    ("POST", "/v1/admin/shops/{shop}/candidates/{candidate}/reject"): Case(_to_reject, json={}),
    ("POST", "/v1/admin/shops/{shop}/rebuild"): Case(ok=202),
    ("GET", "/v1/admin/jobs/{id}"): Case(_job),
    ("GET", "/v1/admin/shops/{shop}/snapshots"): Case(),
    ("POST", "/v1/admin/shops/{shop}/tokens"): Case(json={"role": "agent", "name": "scope"}, ok=201),
    ("GET", "/v1/admin/shops/{shop}/tokens"): Case(),
    ("DELETE", "/v1/admin/shops/{shop}/tokens/{id}"): Case(_token),
    ("POST", "/v1/admin/shops/{shop}/snapshots/{version}/activate"): Case(_snapshot, ok=409),
    ("POST", "/v1/admin/shops/{shop}/snapshots/{version}/pin"): Case(_snapshot),
    ("POST", "/v1/admin/shops/{shop}/snapshots/{version}/unpin"): Case(_snapshot),
}
# Creating, changing and deleting shops is the operator's alone: every shop token is refused
# (tested below, in test_shop_settings.py and in test_shop_deletion.py).
OPERATOR_ONLY = {("POST", "/v1/admin/shops"), ("PATCH", "/v1/admin/shops/{shop}"), ("DELETE", "/v1/admin/shops/{shop}")}


def admin_routes(client: TestClient[Any, Any]) -> list[tuple[str, str]]:
    """Every (method, path template) the router serves under /v1/admin."""
    found = set()
    for route in client.app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if path.startswith(ADMIN_PREFIX) and route.method != "HEAD":
            found.add((route.method, path))
    return sorted(found)


async def _state(admin: Admin) -> tuple[str, int]:
    """What a refused write must not change: demo's knowledge and its number of records."""
    store = admin.client.app[keys.STORE]
    history = await store.history("demo", "2000-01-01T00:00:00Z")
    return await store.knowledge_revision("demo"), len(history.messages) + len(history.answers)


async def test_every_admin_route_has_a_scope_case(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    missing = [r for r in admin_routes(admin.client) if r not in CASES and r not in OPERATOR_ONLY]
    assert not missing, f"admin routes without a scope case in {__name__}.CASES: {missing}"


async def test_every_admin_route_refuses_every_other_caller(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    tried = 0
    for method, template in admin_routes(admin.client):
        if (method, template) in OPERATOR_ONLY:
            continue
        case = CASES[(method, template)]
        params = {"shop": "demo", **await case.prepare(admin)}
        path = template.format(**params)
        before = await _state(admin)
        callers: list[tuple[str, str | None, int]] = [
            ("no token", None, 401),
            ("demo's agent token", admin.agent, 403),
        ]
        if case.shop_scoped:
            callers.append(("other's admin token", admin.other_admin, 403))
        for who, token, status in callers:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = await admin.client.request(method, path, json=case.json, headers=headers)
            body = await response.json()
            assert response.status == status, (method, path, who, body)
            assert body["ok"] is False and body["errors"], (method, path, who, body)
        assert await _state(admin) == before, (method, path, "a refused call changed the shop")
        response = await admin.client.request(method, path, json=case.json, headers=admin.auth())
        assert response.status == case.ok, (method, path, await response.text())
        started = (await response.json()).get("job")
        if method != "GET" and isinstance(started, dict) and started.get("id"):  # a change rebuilds: let it end
            await job_done(admin, started["id"])  # before the next case makes its records (a snapshot)
        tried += 1
    assert tried >= len(CASES)


async def test_only_the_operator_creates_shops(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    body = {"shop": "scoped"}
    for token, status in ((None, 401), (admin.agent, 403), (admin.admin, 403), (admin.other_admin, 403)):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await admin.client.post(f"{ADMIN_PREFIX}/shops", json=body, headers=headers)
        assert response.status == status, (token, await response.text())
    assert await admin.client.app[keys.STORE].shop("scoped") is None
    created = await admin.client.post(f"{ADMIN_PREFIX}/shops", json=body, headers=admin.auth(OPERATOR))
    assert created.status == 201, await created.text()


async def test_the_operator_token_is_admin_of_every_shop(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    for shop in ("demo", "other"):
        response = await admin.client.get(f"{ADMIN_PREFIX}/shops/{shop}", headers=admin.auth(OPERATOR))
        assert response.status == 200 and (await response.json())["shop"]["shop"] == shop
    wrong = await admin.client.get(f"{ADMIN_PREFIX}/shops/demo", headers=admin.auth(OPERATOR + "x"))
    assert wrong.status == 401


async def test_the_operator_token_sees_every_shops_jobs(make_admin: AdminFactory) -> None:
    """A job names its shop only in the store, not in the path: the operator still sees it."""
    admin = await make_admin(admin_token=Secret(OPERATOR))
    store = admin.client.app[keys.STORE]
    for shop in ("demo", "other"):
        job = await store.create_job(shop, "rebuild")
        response = await admin.client.get(f"{ADMIN_PREFIX}/jobs/{job.id}", headers=admin.auth(OPERATOR))
        assert response.status == 200, (shop, await response.text())
        assert (await response.json())["job"]["shop"] == shop
    job = await store.create_job("other", "rebuild")
    refused = await admin.client.get(f"{ADMIN_PREFIX}/jobs/{job.id}", headers=admin.auth())
    assert refused.status == 403 and (await refused.json())["errors"][0]["field"] == "shop"


async def test_me_lists_every_shop_for_the_operator_and_only_its_own_for_a_shop_token(
    make_admin: AdminFactory,
) -> None:
    """The admin page's shop picker: the operator may act on every shop the store knows and every
    shop this process serves; a shop's admin token on its own shop alone."""
    admin = await make_admin(admin_token=Secret(OPERATOR))
    registry = admin.client.app[keys.INDEX]
    registry.keep("served-only", await registry.get("demo"))  # served here, not in the store
    demo = await admin.client.app[keys.STORE].shop("demo")
    assert demo is not None and demo.name == "暖居生活旗舰店"
    response = await admin.client.get(f"{ADMIN_PREFIX}/me", headers=admin.auth(OPERATOR))
    assert response.status == 200, await response.text()
    me = await response.json()
    assert (me["shop"], me["role"], me["operator"]) == ("demo", "admin", True)
    assert me["shops"] == [
        {"shop": "demo", "name": "暖居生活旗舰店"},
        {"shop": "other", "name": "别家"},
        {"shop": "served-only", "name": "served-only"},
    ]
    for token, shop, name in ((admin.admin, "demo", "暖居生活旗舰店"), (admin.other_admin, "other", "别家")):
        response = await admin.client.get(f"{ADMIN_PREFIX}/me", headers=admin.auth(token))
        assert response.status == 200, await response.text()
        me = await response.json()
        assert (me["shop"], me["operator"], me["shops"]) == (shop, False, [{"shop": shop, "name": name}])
