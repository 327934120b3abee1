"""Which shop a Chatwoot delivery belongs to, and which credentials open it. Pure functions.

An outsourcer runs many shops as inboxes of one Chatwoot account, so a shop claims an account
and, optionally, some of its inboxes (`ShopRecord.settings`: `chatwoot_account`,
`chatwoot_inboxes`; empty = every inbox of the account). A delivery goes to the shop that
claims its (account, inbox); else to the shop that claims the whole account; else, when no
shop claims the account at all, to the default shop, configured by the process settings
(`HUASHU_CHATWOOT_*`). An account some shop claims never falls through to the default shop.

Chatwoot sends one account webhook (one secret) for all the inboxes of an account, so a shop
without its own secret, token, API URL or API token uses the process settings' ones.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.service.platforms.signing import check_timestamp, deny, signature_matches
from assistant.service.settings import Settings
from assistant.storage.protocols import ShopRecord

ANY_ACCOUNT = ""
SIGNATURE_HEADER = "X-Chatwoot-Signature"
TIMESTAMP_HEADER = "X-Chatwoot-Timestamp"
TOKEN_PARAM = "token"


@dataclass(frozen=True, slots=True)
class ChatwootShop:
    """One shop's Chatwoot settings, resolved."""

    shop: str
    account: str  # ANY_ACCOUNT: the default shop, for every account no shop claims
    inboxes: frozenset[str]
    webhook_secret: str
    url_token: str
    api_url: str
    api_token: str
    notes: bool
    notes_pending: bool

    @property
    def notes_enabled(self) -> bool:
        return self.notes and bool(self.api_url and self.api_token)

    def notes_for(self, status: str | None) -> bool:
        """Post a note in a conversation of this status? (`pending`: a bot still handles it.)"""
        return self.notes_enabled and (status != "pending" or self.notes_pending)

    def opened_by_token(self, token: str) -> bool:
        """The URL token opens a shop only when it has no secret (then the signature is required)."""
        if self.webhook_secret or not self.url_token or not token:
            return False
        return hmac.compare_digest(self.url_token.encode(), token.encode())


def _text(settings: Mapping[str, Any], key: str, default: str) -> str:
    value = settings.get(key)
    return str(value).strip() if value not in (None, "") else default


def _flag(settings: Mapping[str, Any], key: str, default: bool) -> bool:
    value = settings.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        return value.strip().lower() in ("1", "true", "yes", "on")
    return default


def _inboxes(value: Any) -> frozenset[str]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(str(v).strip() for v in value if str(v).strip())
    if isinstance(value, (str, int)) and str(value).strip():
        return frozenset(s.strip() for s in str(value).split(",") if s.strip())
    return frozenset()


def chatwoot_shops(shops: Sequence[ShopRecord], settings: Settings) -> list[ChatwootShop]:
    """Every shop that takes Chatwoot deliveries, the default shop (process settings) last."""
    default = ChatwootShop(
        shop=settings.default_shop,
        account=ANY_ACCOUNT,
        inboxes=frozenset(),
        webhook_secret=str(settings.chatwoot_webhook_secret),
        url_token=str(settings.chatwoot_url_token),
        api_url=settings.chatwoot_url,
        api_token=str(settings.chatwoot_api_token),
        notes=settings.chatwoot_notes,
        notes_pending=settings.chatwoot_notes_pending,
    )
    out = []
    for record in shops:
        s = record.settings
        account = _text(s, "chatwoot_account", "")
        if not account:
            continue
        out.append(
            ChatwootShop(
                shop=record.shop,
                account=account,
                inboxes=_inboxes(s.get("chatwoot_inboxes")),
                webhook_secret=_text(s, "chatwoot_webhook_secret", default.webhook_secret),
                url_token=_text(s, "chatwoot_url_token", default.url_token),
                api_url=_text(s, "chatwoot_api_url", default.api_url),
                api_token=_text(s, "chatwoot_api_token", default.api_token),
                notes=_flag(s, "chatwoot_notes", default.notes),
                notes_pending=_flag(s, "chatwoot_notes_pending", default.notes_pending),
            )
        )
    out.append(default)
    return out


def claim_conflict(shops: Sequence[ChatwootShop], claim: ChatwootShop) -> tuple[str, str] | None:
    """(the other shop, what both claim) when `claim` claims an inbox another shop of `shops`
    claims, or the whole of an account another shop claims whole; None when it claims nothing
    taken. A shop claiming some inboxes of an account another claims whole is no conflict: its
    inboxes go to it, the rest to the other (`route`)."""
    for other in shops:
        if other.shop == claim.shop or other.account == ANY_ACCOUNT or other.account != claim.account:
            continue
        if not claim.inboxes and not other.inboxes:
            return other.shop, f"every inbox of Chatwoot account {claim.account}"
        both = claim.inboxes & other.inboxes
        if both:
            return other.shop, f"inbox {', '.join(sorted(both))} of Chatwoot account {claim.account}"
    return None


def route(shops: Sequence[ChatwootShop], account: int | str, inbox: int | str | None) -> ChatwootShop | None:
    """The shop of (account, inbox): the inbox's shop, else the account's, else the default
    shop when no shop claims the account; None when the account is claimed but not this inbox."""
    account_id, inbox_id = str(account), "" if inbox is None else str(inbox)
    claiming = [s for s in shops if s.account == account_id]
    for shop in claiming:
        if inbox_id and inbox_id in shop.inboxes:
            return shop
    for shop in claiming:
        if not shop.inboxes:
            return shop
    if claiming:
        return None
    return next((s for s in shops if s.account == ANY_ACCOUNT), None)


def opened_shops(
    shops: Sequence[ChatwootShop],
    body: bytes,
    *,
    signature: str | None,
    timestamp: str | None,
    token: str | None,
    tolerance_s: int,
) -> list[ChatwootShop]:
    """The shops this delivery's credentials open, checked on the raw body before any parsing:
    a signature (Chatwoot 4.11.2+ account webhooks, 4.13.0+ API-inbox and agent-bot webhooks)
    opens the shops with that secret; a URL token (older versions) opens the shops with that
    token and no secret. `Unauthorized` naming the header or parameter when none opens."""
    opened: list[ChatwootShop] = []
    if signature:
        stamp = check_timestamp(timestamp, timestamp_header=TIMESTAMP_HEADER, tolerance_s=tolerance_s)
        secrets = {s.webhook_secret for s in shops if s.webhook_secret}
        good = {secret for secret in secrets if signature_matches(secret, stamp, body, signature)}
        opened += [s for s in shops if s.webhook_secret in good]
    if token:
        opened += [s for s in shops if s.opened_by_token(token)]
    if opened:
        return opened
    if not any(s.webhook_secret or s.url_token for s in shops):
        raise deny(SIGNATURE_HEADER, "no webhook secret or URL token is configured on the server")
    if signature:
        raise deny(SIGNATURE_HEADER, "does not match the body")
    if token:
        if any(s.webhook_secret and hmac.compare_digest(s.url_token.encode(), token.encode()) for s in shops):
            raise deny(SIGNATURE_HEADER, "missing: this shop has a webhook secret, so deliveries must be signed")
        raise deny(TOKEN_PARAM, "does not match any shop's URL token")
    if any(s.webhook_secret for s in shops):  # as `verify` does: the timestamp is named first
        check_timestamp(timestamp, timestamp_header=TIMESTAMP_HEADER, tolerance_s=tolerance_s)
    raise deny(SIGNATURE_HEADER, "missing (Chatwoot versions that do not sign use the URL's ?token=)")
