"""One error contract: exceptions carry their status, one function builds the body, one
middleware renders every failure (ours, aiohttp's, and unexpected ones) the same way.

    {"ok": false, "status": 422, "error": "...", "errors": [{"field": "...", "message": "..."}],
     "request_id": "..."}

The middleware logs the traceback of an unexpected exception and never returns it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientPayloadError, web

from assistant.service.logging import request_id

log = logging.getLogger("assistant.service")


@dataclass(frozen=True, slots=True)
class FieldError:
    """What is wrong with one field (`message.text`, a header name, or `body`)."""

    field: str
    message: str


class ServiceError(Exception):
    """A failure with an HTTP status and the fields it concerns."""

    status = 500
    default_message = "internal error"

    def __init__(
        self,
        message: str | None = None,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.errors = tuple(errors)
        self.headers = dict(headers or {})

    @classmethod
    def on(cls, field: str, message: str) -> ServiceError:
        """The error for one field; its message is also the summary."""
        return cls(message, [FieldError(field, message)])


class BadRequest(ServiceError):
    status = 400
    default_message = "bad request"


class Unauthorized(ServiceError):
    status = 401
    default_message = "unauthorized"


class Forbidden(ServiceError):
    status = 403
    default_message = "forbidden"


class NotFound(ServiceError):
    status = 404
    default_message = "not found"


class MethodNotAllowed(ServiceError):
    status = 405
    default_message = "method not allowed"


class Conflict(ServiceError):
    status = 409
    default_message = "conflict"


class PayloadTooLarge(ServiceError):
    status = 413
    default_message = "payload too large"


class UnsupportedMediaType(ServiceError):
    status = 415
    default_message = "unsupported media type"


class RequestTimeout(ServiceError):
    status = 408
    default_message = "the request body did not arrive in time"


class ClientClosed(ServiceError):
    """The client hung up before its request was read: nobody reads this answer, it is counted."""

    status = 499
    default_message = "client closed the request"


class Unprocessable(ServiceError):
    status = 422
    default_message = "invalid request"


class TooManyRequests(ServiceError):
    status = 429
    default_message = "too many requests"


class BadGateway(ServiceError):
    status = 502
    default_message = "an upstream service refused the request"


class ServiceUnavailable(ServiceError):
    status = 503
    default_message = "service unavailable"


class Timeout(ServiceError):
    status = 504
    default_message = "timed out"


def error_body(status: int, message: str, errors: Sequence[FieldError] = ()) -> dict[str, Any]:
    """The one JSON error envelope."""
    return {
        "ok": False,
        "status": status,
        "error": message,
        "errors": [{"field": e.field, "message": e.message} for e in errors],
        "request_id": request_id(),
    }


def error_response(error: ServiceError) -> web.Response:
    response = web.json_response(
        error_body(error.status, error.message, error.errors),
        status=error.status,
        headers=error.headers,
    )
    if error.status in (RequestTimeout.status, ClientClosed.status):
        response.force_close()  # a half-sent body: this connection is not reused
    return response


def _from_http_exception(exc: web.HTTPException) -> ServiceError:
    """aiohttp's own 404/405/413... in our envelope."""
    status = exc.status
    if status == 404:
        return NotFound("no such route", [FieldError("path", "no such route")])
    if status == 405:
        allowed = sorted(getattr(exc, "allowed_methods", ()) or ())
        error = MethodNotAllowed(
            "method not allowed" + (f"; allowed: {', '.join(allowed)}" if allowed else ""),
            [FieldError("method", "not allowed on this route")],
            {"Allow": ", ".join(allowed)} if allowed else None,
        )
        return error
    if status == 413:
        return PayloadTooLarge.on("body", "request body too large")
    generic = ServiceError(exc.reason or "error")
    generic.status = status
    return generic


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Render every failure as the envelope; never leak a traceback."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except ServiceError as exc:
        return error_response(exc)
    except (ConnectionResetError, ClientPayloadError):  # the client hung up mid-body
        return error_response(ClientClosed.on("body", "the client closed the connection before sending its body"))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(_from_http_exception(exc))
    except Exception:
        log.exception("unhandled error", extra={"path": request.path})
        return error_response(ServiceError.on("server", "internal error"))
