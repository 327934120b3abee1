"""The plain log lines (`HUASHU_LOG_JSON=false`) carry what the JSON lines carry: the request id
and the `extra` fields of the call, as key=value after the message, masked the same way."""

from __future__ import annotations

import json
import logging
import sys

from assistant.service.logging import JsonFormatter, PlainFormatter


def _record(message: str, exc: bool = False, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": "huashu", "levelname": "INFO", "levelno": logging.INFO, "msg": message})
    record.__dict__.update(extra)
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            record.exc_info = sys.exc_info()
    return record


def test_a_plain_line_has_the_extra_fields_after_the_message() -> None:
    record = _record("request", request_id="req-1", method="POST", path="/v1/suggest", status=200, shop="demo", ms=12.5)
    line = PlainFormatter().format(record)
    assert line.endswith(" INFO request request_id=req-1 method=POST path=/v1/suggest status=200 shop=demo ms=12.5"), (
        line
    )
    assert json.loads(JsonFormatter().format(record))["path"] == "/v1/suggest"


def test_a_plain_value_with_spaces_is_quoted_and_personal_data_masked() -> None:
    line = PlainFormatter().format(
        _record("rebuild done", request_id="req-2", problem="call 13812345678 now", files=["a", "b"])
    )
    assert 'problem="call 138****5678 now"' in line, line
    assert 'files="[\\"a\\", \\"b\\"]"' in line, line


def test_a_traceback_follows_the_fields_on_its_own_lines() -> None:
    first, *rest = PlainFormatter().format(_record("failed", exc=True, request_id="req-3", shop="tea")).splitlines()
    assert first.endswith(" INFO failed request_id=req-3 shop=tea"), first
    assert rest[0] == "Traceback (most recent call last):" and rest[-1] == "ValueError: boom"
