"""A shop's own secret for the generic webhook (a user test: an outsourcer runs several shops in
one service, and with one service-wide secret the integrator of one shop could post messages into
another shop's conversations). Set by the operator (`webhook_secret`, and
`webhook_secret_previous` while it is rotated); it alone signs for its shop; a shop without one
keeps `HUASHU_WEBHOOK_SECRET`; a refused signature says nothing of the shop."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.service import keys
from assistant.service.logging import configure_logging
from assistant.service.platforms import signing
from assistant.service.settings import Secret

from ..conftest import WEBHOOK_SECRET
from ..helpers import dumps, signed_headers, suggest_body
from .conftest import Admin, AdminFactory

OPERATOR = "operator-test-token"
DEMO_SECRET = "demo-own-webhook-secret-51d0"  # shop B of the user test
OTHER_SECRET = "other-own-webhook-secret-8f3c"  # shop A: its integrator must not post into demo
ROUTE = "/v1/webhooks/generic"


async def patch(admin: Admin, settings: dict[str, Any], shop: str = "demo") -> Any:
    response = await admin.client.patch(
        f"/v1/admin/shops/{shop}", json={"settings": settings}, headers=admin.auth(OPERATOR)
    )
    assert response.status == 200, await response.text()
    return await response.json()


class Poster:
    """Signed deliveries to the generic webhook, each with a new message id."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.sent = 0

    async def __call__(self, secret: str, shop: str | None = "demo", body: bytes | None = None) -> tuple[int, Any]:
        self.sent += 1
        if body is None:
            sent = suggest_body("快递几天能到", conversation_id="ws-1", message_id=f"ws-m{self.sent}")
            if shop is None:
                del sent["shop"]
            else:
                sent["shop"] = shop
            body = dumps(sent)
        response = await self.admin.client.post(ROUTE, data=body, headers=signed_headers(secret, body))
        return response.status, await response.json()


def refused_for_the_signature(answer: tuple[int, Any]) -> bool:
    status, payload = answer
    return status == 401 and [e["field"] for e in payload["errors"]] == ["X-Huashu-Signature"]


async def test_a_shops_own_secret_signs_for_it_and_for_no_other_shop(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    post = Poster(admin)
    await patch(admin, {"webhook_secret": OTHER_SECRET}, shop="other")
    await patch(admin, {"webhook_secret": DEMO_SECRET})
    assert refused_for_the_signature(await post(OTHER_SECRET))  # shop A's secret, shop B's message
    assert refused_for_the_signature(await post(OTHER_SECRET, shop=None))  # no shop: the default (demo)
    status, answer = await post(DEMO_SECRET)
    assert status == 200 and answer["suggestions"], answer
    status, answer = await post(DEMO_SECRET, shop=None)
    assert status == 200, answer
    assert refused_for_the_signature(await post(DEMO_SECRET, shop="other"))
    status, answer = await post(OTHER_SECRET, shop="other")  # past the signature: other has no snapshot
    assert status == 503 and answer["errors"][0]["field"] == "index", answer
    recorded = await admin.client.app[keys.STORE].messages("demo", "ws-1")
    assert [m.message_id for m in recorded] == ["ws-m3", "ws-m4"]  # nothing of the refused ones


async def test_the_service_wide_secret_signs_only_for_shops_without_their_own(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    post = Poster(admin)
    assert (await post(WEBHOOK_SECRET))[0] == 200
    await patch(admin, {"webhook_secret": OTHER_SECRET}, shop="other")
    assert (await post(WEBHOOK_SECRET))[0] == 200  # demo has none of its own
    assert refused_for_the_signature(await post(WEBHOOK_SECRET, shop="other"))
    await patch(admin, {"webhook_secret": DEMO_SECRET})
    assert refused_for_the_signature(await post(WEBHOOK_SECRET))
    assert refused_for_the_signature(await post(WEBHOOK_SECRET, shop=None))
    await patch(admin, {"webhook_secret": None})  # removed: the service-wide one again
    assert (await post(WEBHOOK_SECRET))[0] == 200
    assert refused_for_the_signature(await post(DEMO_SECRET))
    # a shop that is not in the store has no secret of its own
    status, answer = await post(WEBHOOK_SECRET, shop="no-such-shop")
    assert status != 401, answer


async def test_rotation_two_secrets_sign_until_the_previous_one_is_removed(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    post = Poster(admin)
    old, new = "rotated-out-secret-0001", "rotated-in-secret-0002"
    await patch(admin, {"webhook_secret": old})
    assert (await post(old))[0] == 200
    shown = await patch(admin, {"webhook_secret": new, "webhook_secret_previous": old})
    assert shown["shop"]["settings"] == {"webhook_secret": "***", "webhook_secret_previous": "***"}
    assert (await post(old))[0] == 200 and (await post(new))[0] == 200  # both, while integrators switch
    assert refused_for_the_signature(await post(WEBHOOK_SECRET))
    await patch(admin, {"webhook_secret_previous": None})
    assert refused_for_the_signature(await post(old))
    assert (await post(new))[0] == 200


async def test_what_a_webhook_secret_may_be(make_admin: AdminFactory) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    store = admin.client.app[keys.STORE]
    for settings, field in (
        ({"webhook_secret": ""}, "settings.webhook_secret"),  # blank would fall back to no secret
        ({"webhook_secret": "   "}, "settings.webhook_secret"),
        ({"webhook_secret": 12345}, "settings.webhook_secret"),
        ({"webhook_secret": ["a", "b"]}, "settings.webhook_secret"),
        ({"webhook_secret_previous": "only-the-old-one"}, "settings.webhook_secret_previous"),
        ({"webhook_secert": "typo"}, "settings.webhook_secert"),
    ):
        response = await admin.client.patch(
            "/v1/admin/shops/demo", json={"settings": settings}, headers=admin.auth(OPERATOR)
        )
        payload = await response.json()
        assert (response.status, payload["errors"][0]["field"]) == (422, field), (settings, payload)
        assert (await store.shop("demo")).settings == {}, settings  # nothing was changed
    await patch(admin, {"webhook_secret": "a", "webhook_secret_previous": "b"})
    orphan = await admin.client.patch(  # removing the current one would leave the previous alone
        "/v1/admin/shops/demo", json={"settings": {"webhook_secret": None}}, headers=admin.auth(OPERATOR)
    )
    assert orphan.status == 422, await orphan.text()
    assert (await orphan.json())["errors"][0]["field"] == "settings.webhook_secret_previous"
    created = await admin.client.post(
        "/v1/admin/shops",
        json={"shop": "tea", "settings": {"webhook_secret_previous": "x"}},
        headers=admin.auth(OPERATOR),
    )
    assert created.status == 422 and await store.shop("tea") is None
    made = await admin.client.post(
        "/v1/admin/shops",
        json={"shop": "tea", "settings": {"webhook_secret": "tea-secret"}},
        headers=admin.auth(OPERATOR),
    )
    assert made.status == 201, await made.text()
    assert (await made.json())["shop"]["settings"] == {"webhook_secret": "***"}


async def test_a_refused_signature_says_nothing_of_the_shop(make_admin: AdminFactory) -> None:
    """The same answer whether the shop exists, has its own secret or not: only the request id differs."""
    for service_wide in (WEBHOOK_SECRET, ""):
        admin = await make_admin(admin_token=Secret(OPERATOR), webhook_secret=Secret(service_wide))
        post = Poster(admin)
        await patch(admin, {"webhook_secret": DEMO_SECRET})
        answers = []
        for shop in ("demo", "other", "no-such-shop", None):
            for secret in ("a-guess", OTHER_SECRET):
                status, payload = await post(secret, shop=shop)
                payload.pop("request_id")
                answers.append((status, payload))
        assert all(a == answers[0] for a in answers), answers
        assert refused_for_the_signature(answers[0])
        assert answers[0][1]["errors"][0]["message"].startswith("does not match the body"), answers[0]
    alone = await make_admin(admin_token=Secret(OPERATOR), webhook_secret=Secret(""))
    status, payload = await Poster(alone)("a-guess")  # no secret anywhere: the operator is told so
    assert status == 401 and "no webhook secret is configured" in payload["errors"][0]["message"]


def test_every_candidate_secret_is_compared_as_many_times_whatever_the_shop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Similar timing for a shop with two secrets, one, or none of its own: as many HMACs each time."""
    calls: list[str] = []
    compare = signing.signature_matches

    def counted(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
        calls.append(secret)
        return compare(secret, timestamp, body, signature)

    monkeypatch.setattr(signing, "signature_matches", counted)
    body, stamp = b"{}", "1731312168"
    good = signing.sign("b", stamp, body)
    counts = []
    for secrets, matched in ((("a", "b"), True), (("b",), True), (("a",), False), ((), False)):
        calls.clear()
        assert signing.matches_any(secrets, stamp, body, good) is matched, secrets
        counts.append(len(calls))
    assert counts == [2, 2, 2, 2]


async def test_a_body_is_checked_before_its_fields_and_its_errors_are_kept(make_admin: AdminFactory) -> None:
    """A malformed body signed with its shop's secret keeps its 400/422; a bad signature comes first."""
    admin = await make_admin(admin_token=Secret(OPERATOR))
    post = Poster(admin)
    await patch(admin, {"webhook_secret": DEMO_SECRET})
    broken = b'{"shop": "demo", '
    status, payload = await post(DEMO_SECRET, body=broken)
    assert (status, payload["errors"][0]["field"]) == (400, "body"), payload
    assert refused_for_the_signature(await post("a-guess", body=broken))
    no_text = dumps({"shop": "demo", "conversation_id": "c", "message": {"id": "1"}})
    status, payload = await post(DEMO_SECRET, body=no_text)
    assert (status, payload["errors"][0]["field"]) == (422, "message.text"), payload
    assert refused_for_the_signature(await post(WEBHOOK_SECRET, body=no_text))  # demo has its own
    not_a_shop = dumps({**suggest_body(), "shop": 7})
    status, payload = await post(DEMO_SECRET, body=not_a_shop)
    assert (status, payload["errors"][0]["field"]) == (422, "shop"), payload


@pytest.fixture
def service_logging(restore_logging: None) -> None:
    """The service's own logging (`huashu serve`: JSON lines on stderr, the SQL drivers held at
    INFO, as in production) for one test, the test run's put back after it."""
    configure_logging("DEBUG", True)


async def test_webhook_secrets_are_never_shown_nor_logged(
    make_admin: AdminFactory, capsys: pytest.CaptureFixture[str], service_logging: None
) -> None:
    admin = await make_admin(admin_token=Secret(OPERATOR))
    post = Poster(admin)
    secrets = ("shown-nowhere-current-7d1e", "shown-nowhere-previous-3a9b")
    await patch(admin, {"webhook_secret": secrets[0], "webhook_secret_previous": secrets[1]})
    for token in (OPERATOR, admin.admin):
        shown = await admin.client.get("/v1/admin/shops/demo", headers=admin.auth(token))
        text = await shown.text()
        assert shown.status == 200 and not any(s in text for s in secrets), text
        settings = (await shown.json())["shop"]["settings"]
        assert settings == {"webhook_secret": "***", "webhook_secret_previous": "***"}
    assert (await post(secrets[0]))[0] == 200
    assert (await post(secrets[1]))[0] == 200
    assert refused_for_the_signature(await post("a-guess"))
    assert refused_for_the_signature(await post(secrets[0], shop="other"))
    err = capsys.readouterr().err
    assert "shop settings changed" in err and "generic delivery" in err  # DEBUG lines were written
    assert not any(s in err for s in secrets)
