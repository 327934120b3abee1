"""The candidate-review routes in the OpenAPI document (merged by `service/openapi.py`)."""

from __future__ import annotations

from typing import Any

from assistant.service.admin.analytics_openapi import _AUTH, _SHOP, _query
from assistant.service.admin.candidates import (
    ApproveBody,
    ApprovedResponse,
    AutoApproveBody,
    CandidatesResponse,
    DecideBody,
    RejectedResponse,
    RuleBody,
    RuleResponse,
)
from assistant.service.openapi_parts import errors, json_of

CANDIDATE_STRUCTS = (
    CandidatesResponse,
    ApproveBody,
    DecideBody,
    AutoApproveBody,
    ApprovedResponse,
    RejectedResponse,
    RuleBody,
    RuleResponse,
)

_CANDIDATE = {"name": "candidate", "in": "path", "required": True, "schema": {"type": "string"}}
_STATUS = {
    "name": "status",
    "in": "query",
    "required": False,
    "description": "which candidates to list",
    "schema": {"enum": ["pending", "approved", "rejected", "all"], "default": "pending"},
}
_BODY_ERRORS = errors(400, 413, 415, 422, 503)

CANDIDATE_PATHS: dict[str, dict[str, Any]] = {
    "/v1/admin/shops/{shop}/candidates": {
        "get": {
            "summary": "Candidate replies: what agents sent where nothing answered, or heavy edits of a "
            "suggestion, merged by reply with the customers' wordings, the agents and where they came from",
            "parameters": [
                _SHOP,
                _query("days", "the window, today included", 30, 365),
                _query("limit", "at most this many candidates", 50, 500),
                _STATUS,
            ],
            "responses": {"200": json_of("CandidatesResponse", "the candidates"), **_AUTH, **errors(422, 503)},
        }
    },
    "/v1/admin/shops/{shop}/candidates/{candidate}/approve": {
        "post": {
            "summary": "Approve a candidate, as sent or edited by the body: a FAQ entry in "
            "faq/approved_replies.yaml, validated with the shop's knowledge; starts the shop's rebuild "
            "(`job`), which serves the entry once done. For a heavy edit, `replaces` (an id of its "
            "`edited_entries`) instead replaces that entry's answer, keeping its id, wordings, tags and file "
            "(404 when the entry is gone, 422 when the candidate did not rewrite it)",
            "parameters": [_SHOP, _CANDIDATE],
            "requestBody": {"required": False, **json_of("ApproveBody", "what to change before publishing")},
            "responses": {
                "201": json_of("ApprovedResponse", "the entry written and the rebuild job"),
                **_AUTH,
                **errors(404, 409),
                **_BODY_ERRORS,
            },
        }
    },
    "/v1/admin/shops/{shop}/candidates/{candidate}/reject": {
        "post": {
            "summary": "Reject a candidate: it is never proposed again",
            "parameters": [_SHOP, _CANDIDATE],
            "requestBody": {"required": False, **json_of("DecideBody", "the window it was listed from")},
            "responses": {
                "200": json_of("RejectedResponse", "the candidate rejected"),
                **_AUTH,
                **errors(404, 409),
                **_BODY_ERRORS,
            },
        }
    },
    "/v1/admin/shops/{shop}/candidates/auto-approve": {
        "post": {
            "summary": "The optional rule, once: approve, as sent, every pending candidate sent by N "
            "different agents; starts the shop's rebuild (`job`) when any was approved",
            "parameters": [_SHOP],
            "requestBody": {"required": True, **json_of("AutoApproveBody", "the rule's N")},
            "responses": {"200": json_of("ApprovedResponse", "the entries written"), **_AUTH, **_BODY_ERRORS},
        }
    },
    "/v1/admin/shops/{shop}/candidates/rule": {
        "get": {
            "summary": "The N-agents rule applied on its own after each agent's reply (the shop setting "
            "auto_approve_agents; null: off, the default)",
            "parameters": [_SHOP],
            "responses": {"200": json_of("RuleResponse", "the rule"), **_AUTH, **errors(404)},
        },
        "put": {
            "summary": "Turn the rule on (agents: N) or off (agents: null); each approval it makes starts "
            "the shop's rebuild",
            "parameters": [_SHOP],
            "requestBody": {"required": True, **json_of("RuleBody", "the rule's N, or null")},
            "responses": {"200": json_of("RuleResponse", "the rule now"), **_AUTH, **errors(404), **_BODY_ERRORS},
        },
    },
}
