"""The OpenAPI 3.1 description of every route, schemas generated from the msgspec structs."""

from __future__ import annotations

from typing import Any

import msgspec

from assistant.service.admin.analytics_openapi import ANALYTICS_PATHS, ANALYTICS_STRUCTS
from assistant.service.admin.candidates_openapi import CANDIDATE_PATHS, CANDIDATE_STRUCTS
from assistant.service.admin.index_openapi import INDEX_PATHS, INDEX_STRUCTS
from assistant.service.admin.shops_openapi import SHOPS_PATHS, SHOPS_STRUCTS
from assistant.service.admin.tokens_openapi import TOKENS_PATHS, TOKENS_STRUCTS
from assistant.service.openapi_parts import errors, json_of
from assistant.service.panel.openapi import PANEL_PATHS, PANEL_STRUCTS
from assistant.service.platforms.chatwoot.webhook import ChatwootEvent
from assistant.service.schemas import (
    ErrorResponse,
    Health,
    SuggestBody,
    SuggestResponse,
    WebhookAccepted,
    document_aliases,
)


class BrokenShop(msgspec.Struct):
    """A shop whose active snapshot does not load on this replica (`/readyz`'s `shops`)."""

    active: str  # the active snapshot that does not load
    served: str | None  # the older kept snapshot served instead; null: nothing (its requests answer 503)
    problem: str  # why it does not load (checksum mismatch, a missing file, ...)
    job: str | None  # the rebuild job replacing it
    job_state: str | None
    reason: str  # what happened and what comes next, as the shop's 503s say it


class Ready(msgspec.Struct):
    """`/readyz`: the default shop is served. `status` is `ready`, or `degraded` (still 200) while
    some shop's active snapshot does not load (`shops`, `degraded.shops`) or Redis is down
    (`degraded.redis`)."""

    ok: bool
    status: str
    index_version: str
    shops_loaded: int
    stale: dict[str, list[str]]  # loaded shops whose knowledge changed since their snapshot: the files
    shops: dict[str, BrokenShop]
    degraded: dict[str, Any] | None = None


_STRUCTS = (
    SuggestBody,
    SuggestResponse,
    ErrorResponse,
    WebhookAccepted,
    Health,
    Ready,
    ChatwootEvent,
    *PANEL_STRUCTS,
    *ANALYTICS_STRUCTS,
    *CANDIDATE_STRUCTS,
    *SHOPS_STRUCTS,
    *INDEX_STRUCTS,
    *TOKENS_STRUCTS,
)


_SIGNED = [
    {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
    for name in ("X-Huashu-Timestamp", "X-Huashu-Signature")
]
_CHATWOOT_HEADERS = [
    {"name": name, "in": "header", "required": required, "schema": {"type": "string"}}
    for name, required in (
        ("X-Chatwoot-Timestamp", False),
        ("X-Chatwoot-Signature", False),
        ("X-Chatwoot-Delivery", False),
    )
] + [{"name": "token", "in": "query", "required": False, "schema": {"type": "string"}}]

_SUGGEST_ERRORS = errors(400, 404, 405, 413, 415, 422, 429, 503, 504)

PATHS: dict[str, dict[str, Any]] = {
    "/v1/suggest": {
        "post": {
            "summary": "Ranked reply suggestions and emotion cues for one customer message",
            "requestBody": {"required": True, **json_of("SuggestBody", "the message")},
            "responses": {"200": json_of("SuggestResponse", "suggestions"), **_SUGGEST_ERRORS},
        }
    },
    "/v1/webhooks/generic": {
        "post": {
            "summary": "The /v1/suggest body, signed with HMAC-SHA256 over `timestamp.body`",
            "parameters": _SIGNED,
            "requestBody": {"required": True, **json_of("SuggestBody", "the message")},
            "responses": {
                "200": json_of("SuggestResponse", "suggestions"),
                **_SUGGEST_ERRORS,
                **errors(401, 409),
            },
        }
    },
    "/v1/webhooks/chatwoot": {
        "post": {
            "summary": "Chatwoot events (signed, or ?token= for versions that do not sign); answered at once",
            "parameters": _CHATWOOT_HEADERS,
            "requestBody": {"required": True, **json_of("ChatwootEvent", "Chatwoot's event")},
            "responses": {
                "200": json_of("WebhookAccepted", "received"),
                **errors(400, 401, 403, 404, 405, 413, 415, 422),
            },
        }
    },
    "/healthz": {
        "get": {
            "summary": "Liveness",
            "responses": {"200": json_of("Health", "alive"), **errors(405)},
        }
    },
    "/readyz": {
        "get": {
            "summary": "Readiness: the default shop is served (200 `degraded`: another shop's snapshot does not load)",
            "responses": {"200": json_of("Ready", "ready, or degraded"), **errors(405, 503)},
        }
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics",
            "responses": {
                "200": {"description": "text exposition", "content": {"text/plain": {}}},
                **errors(405),
            },
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {
                "200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}},
                **errors(405),
            },
        }
    },
}


def openapi_document(version: str) -> dict[str, Any]:
    """The whole document; `create_app` stores it and `/openapi.json` serves it."""
    _, components = msgspec.json.schema_components(_STRUCTS, ref_template="#/components/schemas/{name}")
    document_aliases(components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Huashu suggestion service",
            "version": version,
            "description": "Reply suggestions and emotion cues for e-commerce customer service.",
        },
        "paths": {
            **PATHS,
            **PANEL_PATHS,
            **ANALYTICS_PATHS,
            **CANDIDATE_PATHS,
            **SHOPS_PATHS,
            **INDEX_PATHS,
            **TOKENS_PATHS,
        },
        "components": {"schemas": components},
    }
