"""Shops from (account, inbox), and which credentials open which shop: pure functions."""

from __future__ import annotations

import time
from typing import Any

import pytest

from assistant.service.errors import Unauthorized
from assistant.service.platforms.chatwoot.routing import ChatwootShop, chatwoot_shops, opened_shops, route
from assistant.service.platforms.signing import sign
from assistant.storage.protocols import ShopRecord

from ..conftest import make_settings


def shop(name: str, **settings: Any) -> ShopRecord:
    return ShopRecord(name, name, settings)


OUTSOURCER = [
    shop("tea", chatwoot_account="1", chatwoot_inboxes=["1", "4"]),
    shop("cups", chatwoot_account="1", chatwoot_inboxes=["2"]),
    shop("rest-of-1", chatwoot_account="1"),
    shop("solo", chatwoot_account="2", chatwoot_inboxes=[9], chatwoot_webhook_secret="solo-secret"),
    shop("no-chatwoot"),
]


def names(entries: list[ChatwootShop]) -> list[str]:
    return [e.shop for e in entries]


@pytest.mark.parametrize(
    ("account", "inbox", "expected"),
    [
        (1, 1, "tea"),
        (1, 4, "tea"),
        ("1", "2", "cups"),
        (1, 3, "rest-of-1"),  # the account alone is the fallback
        (1, None, "rest-of-1"),
        (2, 9, "solo"),
        (2, 8, None),  # the account is claimed, this inbox is not: never the default shop
        (3, 1, "demo"),  # an account nobody claims: the default shop (process settings)
    ],
)
def test_route(account: Any, inbox: Any, expected: str | None) -> None:
    found = route(chatwoot_shops(OUTSOURCER, make_settings()), account, inbox)
    assert (found.shop if found else None) == expected


def test_a_shop_without_its_own_settings_uses_the_process_ones() -> None:
    settings = make_settings(chatwoot_url="https://chat.example.com", chatwoot_api_token="t", chatwoot_notes=False)
    entries = {e.shop: e for e in chatwoot_shops(OUTSOURCER, settings)}
    assert "no-chatwoot" not in entries
    assert (entries["tea"].webhook_secret, entries["tea"].api_url) == (
        "chatwoot-test-secret",
        "https://chat.example.com",
    )
    assert entries["solo"].webhook_secret == "solo-secret"
    assert entries["tea"].notes is False and entries["tea"].notes_enabled is False
    assert entries["demo"].account == "" and entries["demo"].notes_pending is False


def signed(secret: str, body: bytes) -> dict[str, Any]:
    stamp = str(int(time.time()))
    return {"signature": sign(secret, stamp, body), "timestamp": stamp}


def test_a_signature_opens_the_shops_with_that_secret() -> None:
    entries = chatwoot_shops(OUTSOURCER, make_settings())
    body = b'{"event":"message_created"}'
    assert names(opened_shops(entries, body, token=None, tolerance_s=300, **signed("solo-secret", body))) == ["solo"]
    opened = opened_shops(entries, body, token=None, tolerance_s=300, **signed("chatwoot-test-secret", body))
    assert names(opened) == ["tea", "cups", "rest-of-1", "demo"]
    with pytest.raises(Unauthorized) as refused:
        opened_shops(entries, body + b" ", token=None, tolerance_s=300, **signed("solo-secret", body))
    assert refused.value.errors[0].field == "X-Chatwoot-Signature"
    stale = {"signature": sign("solo-secret", "1000", body), "timestamp": "1000"}
    with pytest.raises(Unauthorized) as refused:
        opened_shops(entries, body, token=None, tolerance_s=300, **stale)
    assert refused.value.errors[0].field == "X-Chatwoot-Timestamp"


def test_a_url_token_opens_only_shops_without_a_secret() -> None:
    """Chatwoot before 4.11.2 signs nothing: the token in the URL is the credential."""
    records = [*OUTSOURCER, shop("old", chatwoot_account="5", chatwoot_url_token="old-token")]
    body = b"{}"
    unsigned = make_settings(chatwoot_webhook_secret="", chatwoot_url_token="default-token")
    entries = chatwoot_shops(records, unsigned)
    opened = opened_shops(entries, body, signature=None, timestamp=None, token="old-token", tolerance_s=300)
    assert names(opened) == ["old"]
    opened = opened_shops(entries, body, signature=None, timestamp=None, token="default-token", tolerance_s=300)
    assert "demo" in names(opened) and "solo" not in names(opened)  # solo has a secret of its own
    with pytest.raises(Unauthorized) as refused:
        opened_shops(entries, body, signature=None, timestamp=None, token="wrong", tolerance_s=300)
    assert refused.value.errors[0].field == "token"
    with pytest.raises(Unauthorized) as refused:  # some shop has a secret: named as `verify` does
        opened_shops(entries, body, signature=None, timestamp=None, token=None, tolerance_s=300)
    assert refused.value.errors[0].field == "X-Chatwoot-Timestamp"
    no_secrets = chatwoot_shops(records[-1:], unsigned)
    with pytest.raises(Unauthorized) as refused:
        opened_shops(no_secrets, body, signature=None, timestamp=None, token=None, tolerance_s=300)
    assert refused.value.errors[0].field == "X-Chatwoot-Signature"
    assert "?token=" in refused.value.errors[0].message

    # with a secret, the same token no longer opens the default shop: the signature is required
    entries = chatwoot_shops([], make_settings(chatwoot_url_token="default-token"))
    with pytest.raises(Unauthorized) as refused:
        opened_shops(entries, body, signature=None, timestamp=None, token="default-token", tolerance_s=300)
    assert "must be signed" in refused.value.errors[0].message


def test_nothing_configured_says_so() -> None:
    entries = chatwoot_shops([], make_settings(chatwoot_webhook_secret=""))
    with pytest.raises(Unauthorized) as refused:
        opened_shops(entries, b"{}", signature=None, timestamp=None, token="x", tolerance_s=300)
    assert "no webhook secret or URL token" in refused.value.errors[0].message
