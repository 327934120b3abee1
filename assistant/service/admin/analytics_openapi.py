"""The analytics routes and the admin page in the OpenAPI document (merged by `service/openapi.py`)."""

from __future__ import annotations

from typing import Any

from assistant.service.admin.analytics import ClosedGap, CloseGapBody, GapsResponse, Me, StatsResponse
from assistant.service.openapi_parts import errors, json_of

ANALYTICS_STRUCTS = (StatsResponse, GapsResponse, CloseGapBody, ClosedGap, Me)


def _query(name: str, description: str, default: int, most: int) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": 1, "maximum": most, "default": default}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_SHOP = {"name": "shop", "in": "path", "required": True, "schema": {"type": "string"}}
_GAP = {"name": "gap", "in": "path", "required": True, "schema": {"type": "string"}}
_AUTH = errors(401, 403, 405)


def _asset(summary: str, kind: str) -> dict[str, Any]:
    return {"get": {"summary": summary, "responses": {"200": {"description": summary, "content": {kind: {}}}}}}


ANALYTICS_PATHS: dict[str, dict[str, Any]] = {
    "/v1/admin/me": {
        "get": {
            "summary": "The shop and role of the caller's admin token, and the shops it may act on "
            "(the operator: every shop; a shop's token: its own)",
            "responses": {"200": json_of("Me", "the token's shop and the shops it may act on"), **_AUTH},
        }
    },
    "/v1/admin/shops/{shop}/stats": {
        "get": {
            "summary": "Acceptance over time (used / edited / not used), coverage, cues and escalations, "
            "per-agent use and suggest latency over the last `days` days",
            "parameters": [_SHOP, _query("days", "the window, today included", 14, 365)],
            "responses": {"200": json_of("StatsResponse", "the statistics"), **_AUTH, **errors(422, 503)},
        }
    },
    "/v1/admin/shops/{shop}/gaps": {
        "get": {
            "summary": "Knowledge gaps: unanswerable messages clustered by meaning and merged where agents "
            "sent one substantive reply, the most asked first, with examples, the agents' actual replies and "
            "when last seen; apart from them (`asked_once`), the latest messages asked once, in no gap",
            "parameters": [
                _SHOP,
                _query("days", "the window, today included", 30, 365),
                _query("limit", "at most this many gaps", 20, 200),
            ],
            "responses": {"200": json_of("GapsResponse", "the open gaps"), **_AUTH, **errors(422, 503)},
        }
    },
    "/v1/admin/shops/{shop}/gaps/{gap}/close": {
        "post": {
            "summary": "Close a gap in one step: a FAQ entry (faq/gaps.yaml) pre-filled with the gap's "
            "wordings and the agents' most common reply; starts the shop's rebuild (`job`: poll "
            "GET /v1/admin/jobs/{id}), which serves the entry once done",
            "parameters": [_SHOP, _GAP],
            "requestBody": {"required": False, **json_of("CloseGapBody", "what to change of the pre-filled entry")},
            "responses": {
                "201": json_of("ClosedGap", "the entry written and the rebuild job"),
                **_AUTH,
                **errors(400, 404, 409, 413, 415, 422, 503),
            },
        }
    },
    "/admin": _asset("The admin page: token login, acceptance, coverage, gaps, cues, agents, latency", "text/html"),
    "/admin/admin.js": _asset("The admin page's script (no build step, no dependency)", "text/javascript"),
    "/admin/charts.js": _asset("The admin page's SVG charts", "text/javascript"),
    "/admin/admin.css": _asset("The admin page's style sheet", "text/css"),
    "/admin/labels.js": _asset("Chinese names of cues and escalation reasons (as the panel)", "text/javascript"),
}
