"""The panel's routes in the OpenAPI document (merged into `assistant/service/openapi.py`)."""

from __future__ import annotations

from typing import Any

from assistant.service.openapi_parts import errors, json_of
from assistant.service.panel.feedback import FeedbackAccepted, FeedbackBody, SendAccepted, SendBody
from assistant.service.panel.routes import TryBody

PANEL_STRUCTS = (FeedbackBody, FeedbackAccepted, SendBody, SendAccepted, TryBody)


def _text(kind: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {kind: {}}}


_TOKEN = [{"name": "token", "in": "query", "required": False, "schema": {"type": "string"}}]
_LINKED = (
    "Stored only when it links to the shop's records: 403 naming `shop` when the body names another shop than "
    "the token's; 422 naming `message_id` for a message the shop did not record, `conversation_id` for one of "
    "another conversation, `entry_id` for a suggestion neither shown for that message nor an entry of the index "
    "the shop serves."
)
_SHOP = {
    "name": "shop",
    "in": "query",
    "required": False,
    "description": "the shop to try, as the body's `shop`",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}
_CONVERSATION = {"name": "conversation", "in": "query", "required": True, "schema": {"type": "string"}}


def _asset(summary: str, kind: str) -> dict[str, Any]:
    return {"get": {"summary": summary, "responses": {"200": _text(kind, summary), **errors(405)}}}


PANEL_PATHS: dict[str, dict[str, Any]] = {
    "/panel": _asset("The agent's side panel (?conversation=ID&token=...; a Chatwoot Dashboard App)", "text/html"),
    "/panel/try": {
        **_asset("The panel's try-it mode: type a customer message, see what the panel shows", "text/html"),
        "post": {
            "summary": "What the panel would show for a typed message (nothing recorded)",
            "description": "Answered from the shop named by the body's or the query's `shop` (422 when the two "
            "differ), else from the token's shop (the operator's: the default shop). A shop's token naming "
            "another shop: 403 naming `shop`; the operator naming an unknown shop: 404 naming `shop`.",
            "parameters": [_SHOP, *_TOKEN],
            "requestBody": {"required": True, **json_of("TryBody", "the message")},
            "responses": {
                "200": {"description": "the panel's event", "content": {"application/json": {}}},
                **errors(400, 401, 403, 404, 405, 413, 415, 422, 429, 503, 504),
            },
        },
    },
    "/panel/panel.js": _asset("The panel's script (no build step, no dependency)", "text/javascript"),
    "/panel/panel.css": _asset("The panel's style sheet", "text/css"),
    "/panel/labels.js": _asset("Chinese names of cues and escalation reasons (and /admin)", "text/javascript"),
    "/panel/events": {
        "get": {
            "summary": "Server-sent events of one conversation of the token's shop: hello (with the shop's "
            "readiness: ready, reason, progress), then update; readiness each time a shop not ready changes",
            "parameters": [_CONVERSATION, *_TOKEN],
            "responses": {"200": _text("text/event-stream", "the stream"), **errors(401, 403, 405, 422)},
        }
    },
    "/panel/send": {
        "post": {
            "summary": "Send the (edited) reply into the Chatwoot conversation and record it",
            "description": _LINKED + " Nothing is sent when the feedback would not be stored.",
            "parameters": _TOKEN,
            "requestBody": {"required": True, **json_of("SendBody", "the reply, what was shown, the account")},
            "responses": {
                "200": json_of("SendAccepted", "sent and recorded"),
                **errors(400, 401, 403, 405, 413, 415, 422, 502, 503),
            },
        }
    },
    "/v1/feedback": {
        "post": {
            "summary": "Record what an agent did with a suggestion or a cue (use, edit, send, dismiss, cue_wrong)",
            "description": _LINKED,
            "parameters": _TOKEN,
            "requestBody": {"required": True, **json_of("FeedbackBody", "the action and what was shown")},
            "responses": {
                "200": json_of("FeedbackAccepted", "recorded"),
                **errors(400, 401, 403, 405, 413, 415, 422, 503),
            },
        }
    },
}
