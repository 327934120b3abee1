"""A shop's tokens through the admin API, so nobody needs a shell on the server to hand an agent
a token (`huashu token create` works on the store directly).

    POST   /v1/admin/shops/{shop}/tokens        {"role": "agent"|"admin", "name": "..."}: 201 with
                                                the secret, shown once
    GET    /v1/admin/shops/{shop}/tokens        the shop's tokens, never their secrets
    DELETE /v1/admin/shops/{shop}/tokens/{id}   revoke one (never the caller's own token: 409)

A shop's admin token manages its own shop's tokens, admin ones included (a shop's admin is its
owner's delegate: it may already do everything an admin token allows); the operator's token
manages every shop's. The store keeps only the hash of a secret (`TokenStore.create_token`).
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

import msgspec
from aiohttp import web

from assistant.service import keys
from assistant.service.admin.shops import existing_shop
from assistant.service.api import json_bytes, read_json
from assistant.service.auth import authenticate
from assistant.service.errors import Conflict, NotFound
from assistant.service.schemas import decode
from assistant.storage.protocols import TokenRecord, UnknownShop
from assistant.storage.sql_store import TOKEN_PREFIX

log = logging.getLogger("assistant.service.admin.tokens")


class TokenBody(msgspec.Struct, forbid_unknown_fields=True):
    """Body of `POST /v1/admin/shops/{shop}/tokens`."""

    role: Annotated[
        Literal["agent", "admin"],
        msgspec.Meta(description="`agent`: the panel, /v1/suggest and /v1/feedback; `admin`: also the admin API"),
    ]
    name: Annotated[
        str, msgspec.Meta(max_length=100, description="a label: who or what holds it (shown when listing)")
    ] = ""


class TokenOut(msgspec.Struct):
    id: Annotated[str, msgspec.Meta(description="the token's id: revoke it by this")]
    prefix: Annotated[str, msgspec.Meta(description="how its secret starts (`huashu_<id>_`), to tell which it is")]
    role: str
    name: str
    created_at: str
    yours: Annotated[bool, msgspec.Meta(description="the token this request was made with (it cannot revoke itself)")]


class TokensResponse(msgspec.Struct):
    ok: bool
    shop: str
    tokens: list[TokenOut]


class CreatedToken(msgspec.Struct):
    ok: bool
    token: TokenOut
    secret: Annotated[str, msgspec.Meta(description="the token itself, shown only this once (only its hash is kept)")]


class RevokedToken(msgspec.Struct):
    ok: bool
    shop: str
    revoked: Annotated[str, msgspec.Meta(description="the id of the token revoked: it is refused from now on")]


def _out(record: TokenRecord, caller: str | None) -> TokenOut:
    return TokenOut(
        record.id, f"{TOKEN_PREFIX}{record.id}_", record.role, record.name, record.created_at, record.id == caller
    )


async def create_token(request: web.Request) -> web.Response:
    """A new token of the shop (201); its secret is in this answer only."""
    shop = request.match_info["shop"]
    principal = await authenticate(request, role="admin", shop=shop)
    body = decode(await read_json(request), TokenBody)
    await existing_shop(request, shop)
    try:
        record, secret = await request.config_dict[keys.TOKENS].create_token(shop, body.role, body.name.strip())
    except UnknownShop:
        raise NotFound.on("shop", f"no shop {shop!r}") from None
    log.info("token created", extra={"shop": shop, "token": record.id, "role": record.role, "by": principal.token_id})
    return json_bytes(CreatedToken(True, _out(record, principal.token_id), secret), status=201)


async def list_tokens(request: web.Request) -> web.Response:
    """The shop's tokens, oldest first, without their secrets."""
    shop = request.match_info["shop"]
    principal = await authenticate(request, role="admin", shop=shop)
    await existing_shop(request, shop)
    found = await request.config_dict[keys.TOKENS].tokens(shop)
    return json_bytes(TokensResponse(True, shop, [_out(r, principal.token_id) for r in found]))


async def revoke_token(request: web.Request) -> web.Response:
    """Revoke one of the shop's tokens: 404 naming `id` when the shop has none of that id, 409
    naming `id` for the caller's own token (it would lock its caller out mid-session)."""
    shop, token_id = request.match_info["shop"], request.match_info["id"]
    principal = await authenticate(request, role="admin", shop=shop)
    await existing_shop(request, shop)
    if token_id == principal.token_id:
        raise Conflict.on("id", "this is the token making the request: a token cannot revoke itself (use another)")
    if not await request.config_dict[keys.TOKENS].revoke_token(shop, token_id):
        raise NotFound.on("id", f"shop {shop!r} has no token {token_id!r}")
    log.info("token revoked", extra={"shop": shop, "token": token_id, "by": principal.token_id})
    return json_bytes(RevokedToken(True, shop, token_id))


def add_routes(admin: web.Application) -> None:
    admin.router.add_post("/shops/{shop}/tokens", create_token)
    admin.router.add_get("/shops/{shop}/tokens", list_tokens, allow_head=False)
    admin.router.add_delete("/shops/{shop}/tokens/{id}", revoke_token)
