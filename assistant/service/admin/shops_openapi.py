"""The shop and knowledge routes of the admin API in the OpenAPI document (merged by
`service/openapi.py`)."""

from __future__ import annotations

from typing import Any

from assistant.service.admin.knowledge import (
    Deleted,
    EntriesResponse,
    EntryBody,
    EntryResponse,
    UploadBody,
    Uploaded,
    UploadRefused,
)
from assistant.service.admin.shops import CreatedShop, CreateShopBody, DeletedShop, SettingsBody, ShopResponse
from assistant.service.openapi_parts import errors, json_of, schema_ref

SHOPS_STRUCTS = (
    CreateShopBody,
    CreatedShop,
    SettingsBody,
    DeletedShop,
    ShopResponse,
    UploadBody,
    Uploaded,
    UploadRefused,
    EntryBody,
    EntryResponse,
    EntriesResponse,
    Deleted,
)


def _path(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


_SHOP = _path("shop", "the shop id")
_REBUILD = {
    "name": "rebuild",
    "in": "query",
    "required": False,
    "description": "start the shop's rebuild, so the change is served once its `job` is done (default); "
    "`false` leaves the snapshot stale, for a batch of edits followed by one rebuild",
    "schema": {"type": "string", "enum": ["true", "false"], "default": "true"},
}
_ID = _path("id", "the entry's id")
_AUTH = errors(401, 403, 404, 405)
_BODY_ERRORS = errors(400, 413, 415, 422)
_UPLOAD_FILES = {
    "type": "object",
    "description": "each part is one knowledge file; its name (else its file name) is the knowledge path",
    "additionalProperties": {"type": "string", "format": "binary"},
}

SHOPS_PATHS: dict[str, dict[str, Any]] = {
    "/v1/admin/shops": {
        "post": {
            "summary": "Create a shop, optionally with its knowledge files (all validated first); answers its "
            "first admin token once. Only the operator's token (HUASHU_ADMIN_TOKEN) may create shops. Its name "
            "is the shop.yaml's `name`, else `name`, else its id; a `name` that differs from the shop.yaml's is a "
            "422 naming `name` and `files.shop.yaml`, and nothing is created",
            "parameters": [_REBUILD],
            "requestBody": {"required": True, **json_of("CreateShopBody", "the new shop")},
            "responses": {
                "201": json_of("CreatedShop", "the shop and its admin token"),
                **errors(401, 403, 405, 409),
                **_BODY_ERRORS,
            },
        }
    },
    "/v1/admin/shops/{shop}": {
        "get": {
            "summary": "The shop, its settings (secrets hidden), its knowledge and active snapshot (stale or not)",
            "parameters": [_SHOP],
            "responses": {"200": json_of("ShopResponse", "the shop"), **_AUTH},
        },
        "patch": {
            "summary": "Change the shop's settings: merged into the stored ones, a key set to null is removed; "
            "each value is checked as the service reads it (422 naming `settings.<key>`). Served without a "
            "restart. Only the operator's token (HUASHU_ADMIN_TOKEN) may: a shop's admin token could point "
            "another tenant's Chatwoot account at its shop",
            "parameters": [_SHOP],
            "requestBody": {"required": True, **json_of("SettingsBody", "the settings to change")},
            "responses": {"200": json_of("ShopResponse", "the shop as it is now"), **_AUTH, **_BODY_ERRORS},
        },
        "delete": {
            "summary": "Delete the shop and everything of it, in one store transaction: its knowledge, snapshot "
            "records, jobs, tokens and its history (messages, suggestions, feedback, answers, reply outcomes); "
            "then its snapshot and cache folder under the index. Its builds running here are cancelled, and it "
            "stops answering at once (other replicas at their next index poll). Only the operator's token "
            "(HUASHU_ADMIN_TOKEN); `confirm` must repeat the shop id (else 422 naming `confirm`); the default "
            "shop the service serves (HUASHU_DEFAULT_SHOP) is kept: 409 naming `shop`",
            "parameters": [
                _SHOP,
                {
                    "name": "confirm",
                    "in": "query",
                    "required": True,
                    "description": "the shop id again, so a slip of a script cannot delete a shop",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {"200": json_of("DeletedShop", "deleted"), **_AUTH, **errors(409, 422)},
        },
    },
    "/v1/admin/shops/{shop}/knowledge": {
        "post": {
            "summary": "Upload knowledge files: they replace the files of the same names (`replace=all`: the "
            "whole knowledge); any problem answers 422 with every `file:line: what` and changes nothing. An "
            "upload that would remove entries (those of a replaced file, or with `replace=all` of any file, that "
            "the uploaded files do not have: an entry added through the entry routes lives in the file it was "
            "given) answers 409 naming them (`would_remove`) and changes nothing, unless `remove_missing=true`. "
            "A file that holds no entries (empty, comments only, `[]`) is a 422 naming it, unless it is a file "
            "the shop holds and `remove_missing=true` says to empty it. A repeated id is told at the uploaded "
            "file's line; a stored entry it repeats by its file and place (the store keeps rows, not the text); "
            "starts the rebuild that serves them (`job`)",
            "parameters": [
                _SHOP,
                _REBUILD,
                {
                    "name": "replace",
                    "in": "query",
                    "required": False,
                    "description": "`files`: the uploaded files replace those of the same names, the others are "
                    "kept; `all`: the upload is the whole knowledge",
                    "schema": {"type": "string", "enum": ["files", "all"], "default": "files"},
                },
                {
                    "name": "remove_missing",
                    "in": "query",
                    "required": False,
                    "description": "`true` confirms removing the entries the upload drops (listed in `removed`), "
                    "an uploaded empty file those of the shop's file of that name; `false` (default): an upload "
                    "that would remove any is a 409 naming them (an empty file a 422 naming it), nothing changed",
                    "schema": {"type": "string", "enum": ["true", "false"], "default": "false"},
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {"schema": _UPLOAD_FILES},
                    "application/json": {"schema": schema_ref("UploadBody")},
                },
            },
            "responses": {
                "200": json_of("Uploaded", "stored"),
                "409": json_of(
                    "UploadRefused",
                    "the upload would remove entries and `remove_missing=true` was not given: nothing was changed",
                ),
                **_AUTH,
                **_BODY_ERRORS,
            },
        }
    },
    "/v1/admin/shops/{shop}/knowledge/entries": {
        "get": {
            "summary": "The shop's knowledge rows that have an id, in file order",
            "parameters": [
                _SHOP,
                {
                    "name": "file",
                    "in": "query",
                    "required": False,
                    "description": "only this file's entries (404 naming `file` if the shop has no such file)",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {"200": json_of("EntriesResponse", "the entries"), **_AUTH},
        },
        "post": {
            "summary": "Add one entry at the end of a knowledge file (validated with the rest; a problem "
            "with one of its fields names `entry.<field>`); starts the rebuild that serves it (`job`)",
            "parameters": [_SHOP, _REBUILD],
            "requestBody": {"required": True, **json_of("EntryBody", "the entry and its file")},
            "responses": {"201": json_of("EntryResponse", "stored"), **_AUTH, **_BODY_ERRORS, **errors(409)},
        },
    },
    "/v1/admin/shops/{shop}/knowledge/entries/{id}": {
        "get": {
            "summary": "One entry",
            "parameters": [_SHOP, _ID],
            "responses": {"200": json_of("EntryResponse", "the entry"), **_AUTH},
        },
        "put": {
            "summary": "Replace one entry in place (with `file`: move it to the end of that file); starts "
            "the rebuild that serves it (`job`)",
            "parameters": [_SHOP, _ID, _REBUILD],
            "requestBody": {"required": True, **json_of("EntryBody", "the entry")},
            "responses": {"200": json_of("EntryResponse", "stored"), **_AUTH, **_BODY_ERRORS},
        },
        "delete": {
            "summary": "Delete one entry; starts the rebuild that stops serving it (`job`)",
            "parameters": [_SHOP, _ID, _REBUILD],
            "responses": {"200": json_of("Deleted", "deleted"), **_AUTH, **errors(422)},
        },
    },
}
