"""The pieces every part of the OpenAPI document is written with (`service/openapi.py` merges
the parts: the API's own, the panel's and the admin sub-apps')."""

from __future__ import annotations

from typing import Any


def schema_ref(name: str) -> dict[str, Any]:
    """A reference to a schema of the document's components (each a msgspec struct's name)."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_of(name: str, description: str) -> dict[str, Any]:
    """A response or request body: JSON of the schema `name`."""
    return {"description": description, "content": {"application/json": {"schema": schema_ref(name)}}}


def errors(*statuses: int) -> dict[str, Any]:
    """The error envelope (`ErrorResponse`) for each of `statuses`."""
    return {str(s): json_of("ErrorResponse", "the error envelope") for s in statuses}
