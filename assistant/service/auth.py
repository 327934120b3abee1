"""Who is calling: a shop's admin or agent token, or nobody (the embedded default's open mode).

A token arrives as `Authorization: Bearer <token>`, as the `huashu_token` cookie (the panel), or
as a `token` query parameter (the Chatwoot Dashboard App iframe cannot send headers). The store
keeps only token hashes (`TokenStore.verify_token`). With `open_access` on, no token in the store
and no operator token set, requests from this machine (loopback) need no token, so a fresh clone's
first curl works; a caller on another host always needs one, so binding `0.0.0.0` exposes nothing.
The operator's token (`HUASHU_ADMIN_TOKEN`, a setting, not in the store) is admin of every shop
and the only caller that may create shops through the API; setting it ends open access.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from aiohttp import web

from assistant.service import keys
from assistant.service.errors import FieldError, Forbidden, Unauthorized
from assistant.storage.protocols import Role

COOKIE = "huashu_token"
OPERATOR = "operator"  # the token id of the operator's token


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: which shop it acts for, in which role; `token_id` None in open mode."""

    shop: str
    role: Role
    token_id: str | None = None
    operator: bool = False  # the operator's `HUASHU_ADMIN_TOKEN`: admin of every shop, creates shops

    def acts_for(self, shop: str) -> bool:
        """Whether it may act for (and see) `shop`: its own shop; any shop in open mode and for
        the operator."""
        return self.token_id is None or self.operator or self.shop == shop

    def require_shop(self, shop: str) -> None:
        """403 naming `shop` when a shop's token acts for another shop (open mode and the
        operator act for any shop)."""
        if not self.acts_for(shop):
            raise Forbidden.on("shop", f"this token is not for shop {shop!r}")


def token_from(request: web.Request) -> str | None:
    """The token the request carries (header, then cookie, then query), or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE) or request.query.get("token") or None


def is_loopback(remote: str | None) -> bool:
    """A caller on this machine: open access never serves another host (bind 0.0.0.0 safely)."""
    try:
        return remote is not None and ipaddress.ip_address(remote.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


# RFC 6750's challenge: without `error` no token came, with error="invalid_token" a wrong one
# did (the panel says which in Chinese: its link lacks the token, or the token is revoked), with
# error="invalid_request" an Authorization header not of the form `Bearer <token>` (a bare token:
# "a token is required" would send its caller looking for a token it did send).
BEARER = 'Bearer realm="huashu"'


def _unauthorized(message: str, challenge: str) -> Unauthorized:
    return Unauthorized(message, [FieldError("Authorization", message)], {"WWW-Authenticate": challenge})


async def authenticate(request: web.Request, *, role: Role, shop: str | None = None) -> Principal:
    """The caller, allowed `role` (an admin may act as an agent) for `shop` when one is named.

    401 without a valid token (open access applies to agent routes only, and to loopback callers
    only: admin routes always need an admin token), 403 for another shop's token or an agent
    token on an admin route. A shop's token acts only for its shop: every write it makes (a
    message, a turn of a conversation, feedback) lands in that shop.
    """
    state = request.config_dict  # the root app's state, also from a sub-app (admin, panel)
    settings = state[keys.SETTINGS]
    tokens = state.get(keys.TOKENS)
    secret = token_from(request)
    operator = str(settings.admin_token)
    # A stored token is what the store says it is, even when it is also the operator's setting: a
    # shop's admin token exported as HUASHU_ADMIN_TOKEN for the CLI, then inherited by `huashu
    # serve`, would otherwise act for every shop (a user test).
    record = await tokens.verify_token(secret) if tokens is not None and secret is not None else None
    if record is None and secret is not None and operator and hmac.compare_digest(secret.encode(), operator.encode()):
        return Principal(shop or settings.default_shop, "admin", OPERATOR, operator=True)
    if secret is None:
        open_mode = (
            settings.open_access
            and not operator
            and is_loopback(request.remote)
            and (tokens is None or not await tokens.has_tokens())
        )
        if open_mode and role == "agent":
            return Principal(shop or settings.default_shop, "admin")
        if request.headers.get("Authorization", "").strip():  # sent, but not as `Bearer <token>`
            raise _unauthorized(
                "the Authorization header must be `Bearer <token>` (the scheme `Bearer`, a space, then the token)",
                challenge=f'{BEARER}, error="invalid_request"',
            )
        raise _unauthorized("a token is required: Authorization: Bearer <token>", challenge=BEARER)
    if record is None:
        raise _unauthorized("unknown or revoked token", challenge=f'{BEARER}, error="invalid_token"')
    if role == "admin" and record.role != "admin":
        raise Forbidden.on("Authorization", "this route needs an admin token")
    principal = Principal(record.shop, record.role, record.id)
    if shop is not None:
        principal.require_shop(shop)
    return principal
