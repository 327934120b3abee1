"""The index routes (rebuild, jobs, snapshots) in the OpenAPI document (merged by `service/openapi.py`)."""

from __future__ import annotations

from typing import Any

from assistant.service.admin.index import INDEX_STRUCTS
from assistant.service.openapi_parts import errors, json_of


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


_AUTH = errors(401, 403, 404, 405)


def _snapshot_action(summary: str, *query: dict[str, Any]) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [_path("shop"), _path("version"), *query],
            "responses": {"200": json_of("SnapshotResponse", "the snapshot now"), **_AUTH, **errors(409)},
        }
    }


_RESTORE_KNOWLEDGE = {
    "name": "restore_knowledge",
    "in": "query",
    "required": False,
    "description": "`true`: the shop's knowledge also becomes the rows the snapshot was built from (a rollback "
    "that the next build keeps; 409 naming `restore_knowledge` for a snapshot built before copies were kept, "
    "nothing changed); `false` (default): only what is served changes",
    "schema": {"type": "string", "enum": ["true", "false"], "default": "false"},
}


INDEX_PATHS: dict[str, dict[str, Any]] = {
    "/v1/admin/shops/{shop}/rebuild": {
        "post": {
            "summary": "Rebuild the shop's snapshot from its knowledge in the store, in the background "
            "(only new or changed texts are embedded); the new snapshot becomes active when done. A job "
            "of the shop still queued on this replica is answered instead of a second one (it reads the "
            "knowledge when it starts). A shop's jobs run in order; other shops' builds run beside it, "
            "embedding one batch at a time, the smallest build first",
            "parameters": [_path("shop")],
            "responses": {"202": json_of("JobResponse", "the job, queued"), **_AUTH},
        }
    },
    "/v1/admin/jobs/{id}": {
        "get": {
            "summary": "A job: state (queued / running / done / failed), progress 0–1, counts, version, error, "
            "and what it waits behind (`waiting_behind`: a queued job, its shop's job before it, or once it has read "
            "its knowledge, the running builds until a builder process is free; a running one, smaller builds "
            "of other shops that embed first; another shop's job is counted, never named). A job cut short (a "
            "shutdown, a killed process: `cut_short`) stays failed, and names the job that took over its work once "
            "the service builds the shop again (`resumed_as`: poll that one; the `huashu admin` commands that wait "
            "follow it by themselves)",
            "parameters": [_path("id")],
            "responses": {"200": json_of("JobResponse", "the job"), **_AUTH},
        }
    },
    "/v1/admin/shops/{shop}/snapshots": {
        "get": {
            "summary": "The shop's kept snapshots, newest first: active, pinned, stale (and which sources)",
            "parameters": [_path("shop")],
            "responses": {"200": json_of("SnapshotsResponse", "the snapshots"), **_AUTH},
        }
    },
    "/v1/admin/shops/{shop}/snapshots/{version}/activate": _snapshot_action(
        "Serve this kept snapshot (rollback): verified and loaded, then swapped in; requests in flight "
        "finish on the old one; with `restore_knowledge=true` its knowledge is put back too",
        _RESTORE_KNOWLEDGE,
    ),
    "/v1/admin/shops/{shop}/snapshots/{version}/pin": _snapshot_action("Pin the snapshot: never pruned"),
    "/v1/admin/shops/{shop}/snapshots/{version}/unpin": _snapshot_action("Unpin the snapshot"),
}

__all__ = ["INDEX_PATHS", "INDEX_STRUCTS"]
