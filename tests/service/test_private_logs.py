"""Customer text stays out of the logs (issue 10, item 10): at DEBUG the SQLite driver no longer
logs its statements with their parameters, and phone numbers and street addresses that reach a
log line are masked in JSON and plain lines alike."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assistant.service.logging import configure_logging, mask_personal
from assistant.storage import open_store
from assistant.storage.records import MessageRecord

SECRET_TEXT = "我家在北京市朝阳区建国路88号SOHO现代城5号楼1203室，电话13812345678"


async def test_at_debug_no_statement_nor_message_body_is_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("DEBUG", True)
    store = open_store(f"sqlite:///{tmp_path / 'records.db'}")
    await store.open()
    try:
        at = "2026-11-22T10:00:00Z"
        await store.write([MessageRecord("api", "demo", "c1", "m1", "customer", SECRET_TEXT, at, at)])
    finally:
        await store.close()
    logging.getLogger("assistant.test").debug("a debug line of the service")
    err = capsys.readouterr().err
    assert "a debug line of the service" in err  # DEBUG is on
    assert "13812345678" not in err and "建国路" not in err
    assert "INSERT" not in err.upper()


@pytest.mark.parametrize("as_json", [True, False])
def test_phone_numbers_and_addresses_are_masked_in_log_lines(
    as_json: bool, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("INFO", as_json)
    logging.getLogger("assistant.test").warning("bad field: %s", SECRET_TEXT, extra={"quoted": SECRET_TEXT})
    err = capsys.readouterr().err
    assert "13812345678" not in err and "建国路88号" not in err
    assert "138****5678" in err and "[address]" in err


def test_masking_keeps_order_numbers_and_ordinary_text() -> None:
    text = "订单号 20231201123456789，我买了3件，2号发货"
    assert mask_personal(text) == text
    assert mask_personal("座机 010-62345678") == "座机 010-****5678"
    job = "job b2a09527136349b4bc5baf583005b81e done; request 0f13812345678ab0c1"  # ids stay searchable
    assert mask_personal(job) == job
    version = "index loaded: 20261205T071746084876Z-b71006db"  # a user test: it was 20261205T0717-****…
    assert mask_personal(version) == version
    assert mask_personal("电话13812345678，tel:13812345678") == "电话138****5678，tel:138****5678"
    # a number against letters is still a number (a review): URL-encoded 手机 ends in BA
    assert mask_personal("q=%E6%9C%BA13812345678") == "q=%E6%9C%BA138****5678"
    assert mask_personal("电话是13812345678abc") == "电话是138****5678abc"
