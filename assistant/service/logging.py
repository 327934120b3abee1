"""Structured JSON logs, each line carrying the id of the request it belongs to.

The request id comes from the client's `X-Request-Id` (when sane) or is made up, is echoed in
the response header and in every error envelope, and reaches log lines written anywhere
below the handler through a context variable.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

_REQUEST_ID: ContextVar[str] = ContextVar("huashu_request_id", default="")
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def request_id() -> str:
    """The id of the request being handled, or '' outside one."""
    return _REQUEST_ID.get()


def bind_request_id(header: str | None) -> str:
    """Adopt the client's id when it looks like one, else make one; returns it."""
    rid = header if header and _SANE_ID.match(header) else uuid.uuid4().hex
    _REQUEST_ID.set(rid)
    return rid


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id()
        if rid:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key != "request_id":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str, as_json: bool) -> None:
    """Called by `huashu serve` (never by `create_app`): one stderr handler on the root."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if as_json else logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # bm25s sets its own logger to DEBUG at import; hold it to the service's level.
    logging.getLogger("bm25s").setLevel(level.upper())
