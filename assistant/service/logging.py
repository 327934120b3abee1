"""Structured JSON logs, each line carrying the id of the request it belongs to.

Customer text is personal data: no log line carries a message body (not even at DEBUG), the
database drivers never log their statements (their loggers are held at INFO or above), and
phone numbers and street addresses that reach a log line anyway (an error quoting a field) are
masked by the formatter: `138****5678`, `[address]`.

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
# Mainland mobile numbers (optionally +86), landlines with an area code.
_MOBILE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?\d{3,4}(\d{4})(?!\d)")
# A job or request id (16 hexadecimal characters or more, a letter among them, standing alone) is
# no phone number: b2a09527136349b4… was logged as b2a0952-****6349b4…, so it could not be searched
# for. Shorter runs are masked as before (a URL-encoded 手机 ends in BA right before the number).
# A snapshot version (20261205T071746084876Z-b71006db) is kept whole too: its time was masked as a
# landline (20261205T0715-****1752Z), so the version /readyz reports could not be found in the log
# (a user test).
_HEX_ID = re.compile(
    r"(?<![0-9A-Za-z])(?:(?=[0-9]*[a-fA-F])[0-9a-fA-F]{16,}|\d{8}T\d{6,12}Z(?:-[0-9a-f]{8})?)(?![0-9A-Za-z])"
)
# A street address: a place word, then a number with 号/栋/幢/单元/室/楼 and what follows it.
_ADDRESS = re.compile(
    r"[\u4e00-\u9fffA-Za-z0-9]{0,24}?(?:路|街|大道|巷|弄|胡同|村|小区|花园|公寓|大厦)"
    r"[\u4e00-\u9fffA-Za-z0-9#-]{0,24}?\d+\s*(?:号|栋|幢|单元|室|楼)[\u4e00-\u9fffA-Za-z0-9#-]*"
)
# Drivers that log every statement (with its parameters: customer text) at DEBUG.
_SQL_LOGGERS = ("aiosqlite", "asyncpg", "psycopg", "sqlite3")


def mask_personal(text: str) -> str:
    """`text` with phone numbers and street addresses masked; hex ids and snapshot versions
    (`_HEX_ID`) kept whole."""
    out, last = [], 0
    for found in _HEX_ID.finditer(text):
        out += [_mask(text[last : found.start()]), found.group()]
        last = found.end()
    return "".join([*out, _mask(text[last:])])


def _mask(text: str) -> str:
    text = _ADDRESS.sub("[address]", text)
    text = _MOBILE.sub(r"\1****\2", text)
    return _LANDLINE.sub(r"\1-****\2", text)


def _masked(value: Any) -> Any:
    return mask_personal(value) if isinstance(value, str) else value


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
            "message": mask_personal(record.getMessage()),
        }
        rid = getattr(record, "request_id", None) or request_id()
        if rid:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key != "request_id":
                entry[key] = _masked(value)
        if record.exc_info:
            entry["exception"] = mask_personal(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def _plain_value(value: Any) -> str:
    """A field's value for a plain line: bare when it is one word, else quoted like JSON."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if text and not any(ch.isspace() or ch in '="' for ch in text):
        return text
    return json.dumps(text, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """`time level message key=value...`: the same fields as the JSON lines (request id and the
    `extra` of the call), masked like them; a traceback follows on its own lines."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        fields: dict[str, Any] = {}
        rid = getattr(record, "request_id", None) or request_id()
        if rid:
            fields["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key != "request_id":
                fields[key] = value
        if fields:
            line += " " + " ".join(f"{key}={_plain_value(value)}" for key, value in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return mask_personal(line)


def configure_logging(level: str, as_json: bool) -> None:
    """Called by `huashu serve` (never by `create_app`): one stderr handler on the root."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if as_json else PlainFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # bm25s sets its own logger to DEBUG at import; hold it to the service's level.
    logging.getLogger("bm25s").setLevel(level.upper())
    quiet = max(logging.INFO, root.level)
    for name in _SQL_LOGGERS:  # never a statement with its parameters, whatever the level
        logging.getLogger(name).setLevel(quiet)
