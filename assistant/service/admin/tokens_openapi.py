"""The token routes of the admin API in the OpenAPI document (merged by `service/openapi.py`)."""

from __future__ import annotations

from typing import Any

from assistant.service.admin.tokens import CreatedToken, RevokedToken, TokenBody, TokensResponse
from assistant.service.openapi_parts import errors, json_of

TOKENS_STRUCTS = (TokenBody, CreatedToken, TokensResponse, RevokedToken)

_SHOP = {"name": "shop", "in": "path", "required": True, "description": "the shop id", "schema": {"type": "string"}}
_ID = {"name": "id", "in": "path", "required": True, "description": "the token's id", "schema": {"type": "string"}}
_AUTH = errors(401, 403, 404, 405)
_WHO = " A shop's admin token for its own shop, or the operator's token for any shop"

TOKENS_PATHS: dict[str, dict[str, Any]] = {
    "/v1/admin/shops/{shop}/tokens": {
        "post": {
            "summary": "Create a token of the shop (`agent` or `admin`, with an optional `name`); answers its "
            "secret this once: only its hash is kept." + _WHO,
            "parameters": [_SHOP],
            "requestBody": {"required": True, **json_of("TokenBody", "its role and label")},
            "responses": {
                "201": json_of("CreatedToken", "the token and its secret, shown once"),
                **_AUTH,
                **errors(400, 413, 415, 422),
            },
        },
        "get": {
            "summary": "The shop's tokens, oldest first: id, prefix, role, name, created_at (never a secret)." + _WHO,
            "parameters": [_SHOP],
            "responses": {"200": json_of("TokensResponse", "the tokens"), **_AUTH},
        },
    },
    "/v1/admin/shops/{shop}/tokens/{id}": {
        "delete": {
            "summary": "Revoke one of the shop's tokens: refused from now on (404 naming `id` when the shop has "
            "no such token; 409 naming `id` for the token making the request: a token cannot revoke itself)." + _WHO,
            "parameters": [_SHOP, _ID],
            "responses": {"200": json_of("RevokedToken", "revoked"), **_AUTH, **errors(409)},
        }
    },
}
