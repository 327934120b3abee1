"""Unknown query parameters on the API are refused, not ignored.

A typo in a query parameter changes the answer without a word: `?day=7` on the gaps would answer
for the default 30 days, `?limt=5` list 20 (a user test). Every `/v1/` route accepts the query
parameters its OpenAPI description lists, and `token` (accepted everywhere, `auth.token_from`);
any other one is a 422 naming it and, when there is one, the parameter it was probably meant to
be. Pages and their assets (`/panel`, `/admin`) are for browsers and are not checked.
"""

from __future__ import annotations

import difflib
from typing import Any

from aiohttp import web

from assistant.service import keys
from assistant.service.errors import FieldError, Unprocessable

ALWAYS = frozenset({"token"})


def documented(document: dict[str, Any], path: str, method: str) -> frozenset[str] | None:
    """The query parameters the OpenAPI `document` lists for `method` on `path`, or None when it
    does not describe that operation."""
    operation = document.get("paths", {}).get(path, {}).get(method.lower())
    if operation is None:
        return None
    return frozenset(p["name"] for p in operation.get("parameters", []) if p.get("in") == "query")


def unknown_parameters(names: list[str], known: frozenset[str]) -> list[FieldError]:
    """One error per name outside `known` (and `ALWAYS`), with the closest known name as a hint."""
    allowed = sorted(known | ALWAYS)
    errors = []
    for name in dict.fromkeys(names):
        if name in allowed:
            continue
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        hint = f" (did you mean `{close[0]}`?)" if close else f" (this route takes {_listed(known)})"
        errors.append(FieldError(name, f"unknown query parameter{hint}"))
    return errors


def _listed(known: frozenset[str]) -> str:
    return ", ".join(f"`{n}`" for n in sorted(known)) if known else "none"


@web.middleware
async def query_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """422 on a query parameter the route does not take (see the module docstring)."""
    resource = request.match_info.route.resource
    if request.query and resource is not None and resource.canonical.startswith("/v1/"):
        known = documented(request.config_dict[keys.OPENAPI], resource.canonical, request.method)
        errors = unknown_parameters(list(request.query), known) if known is not None else []
        if errors:
            raise Unprocessable("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    response: web.StreamResponse = await handler(request)
    return response
