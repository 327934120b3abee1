"""Which secrets sign a generic webhook delivery: its shop's own, else the service-wide one.

An outsourcer runs several shops in one service, each with its own integrator. A shop's own
`webhook_secret` (and `webhook_secret_previous` while it is rotated: both sign) signs its
deliveries and no other shop's, and the service-wide `HUASHU_WEBHOOK_SECRET` no longer signs for
that shop; a shop without one keeps the service-wide secret. The shop is the body's `shop`
(absent: the default shop), read before anything else of the body is checked. Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from assistant.storage.protocols import SHOP_ID, ShopRecord

SETTING = "webhook_secret"
PREVIOUS = "webhook_secret_previous"
SETTINGS = (SETTING, PREVIOUS)


class _NamedShop(msgspec.Struct):
    shop: Any = None


def named_shop(raw: bytes, default_shop: str) -> str | None:
    """The shop a body names (`shop`; absent, null or empty: `default_shop`), read with the parser
    that reads the whole body later; None when the body is no JSON object or its `shop` is no
    text: such a body is refused once its signature is checked (400 or 422)."""
    try:
        shop = msgspec.json.decode(raw, type=_NamedShop).shop
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None
    if shop is None or shop == "":
        return default_shop
    return shop if isinstance(shop, str) else None


def can_be_stored(shop: str) -> bool:
    """Whether `shop` may name a shop of the store (only those have settings to look up)."""
    return SHOP_ID.match(shop) is not None


def own_secrets(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """A shop's own webhook secrets: the current one, then the previous one."""
    return tuple(value for key in SETTINGS if isinstance(value := settings.get(key), str) and value)


def secrets_for(record: ShopRecord | None, service_wide: str) -> tuple[str, ...]:
    """The secrets that sign for a shop: its own, else the service-wide one (none when unset)."""
    own = own_secrets(record.settings) if record is not None else ()
    return own or ((service_wide,) if service_wide else ())


def every_secret(records: Iterable[ShopRecord], service_wide: str) -> tuple[str, ...]:
    """Every webhook secret of the service: the service-wide one and every shop's own."""
    found = [service_wide] if service_wide else []
    for record in records:
        found += own_secrets(record.settings)
    return tuple(dict.fromkeys(found))


def secret_problem(value: Any) -> str | None:
    """Why `value` cannot be a shop's webhook secret (a blank one would sign nothing)."""
    if isinstance(value, str) and value.strip():
        return None
    return "text, not blank (null removes it)"


def pairing_problem(settings: Mapping[str, Any]) -> tuple[str, str] | None:
    """(`settings.webhook_secret_previous`, why) when a shop's whole settings keep a previous
    secret without a current one: rotation keeps the old secret beside a new one, never alone."""
    if settings.get(PREVIOUS) is not None and settings.get(SETTING) is None:
        return f"settings.{PREVIOUS}", f"kept only beside {SETTING} (rotation); remove it too, or set {SETTING}"
    return None
