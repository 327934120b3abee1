"""The conversation records in the store: messages, suggestions shown, agents' feedback.

Written in one transaction per batch (`Recorder` gathers concurrent writers), read back per
shop and conversation, purged by age (`retention_days`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import astuple
from typing import Any

from assistant.storage.database import Database, Row, Transaction, retry_busy
from assistant.storage.records import FeedbackRecord, MessageRecord, Record, SuggestionRecord

_MESSAGE_COLUMNS = (
    "platform, shop, conversation_id, message_id, role, text, sent_at, received_at, sender_kind, agent_id, agent_name"
)
_SUGGESTION_COLUMNS = (
    "platform, shop, conversation_id, message_id, rank, entry_id, score, source, index_version, shown_at"
)
_FEEDBACK_COLUMNS = (
    "id, shop, conversation_id, message_id, action, index_version, agent, entry_id, rank, score, text, cue, "
    "elapsed_ms, shown, at"
)


def _placeholders(columns: str) -> str:
    return ",".join("?" for _ in columns.split(","))


_INSERT_MESSAGES = (
    f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES ({_placeholders(_MESSAGE_COLUMNS)}) ON CONFLICT DO NOTHING"
)
_INSERT_SUGGESTIONS = (
    f"INSERT INTO suggestions ({_SUGGESTION_COLUMNS}) VALUES ({_placeholders(_SUGGESTION_COLUMNS)}) "
    "ON CONFLICT (platform, shop, conversation_id, message_id, rank) DO UPDATE SET "
    "entry_id=excluded.entry_id, score=excluded.score, source=excluded.source, "
    "index_version=excluded.index_version, shown_at=excluded.shown_at"
)
_INSERT_FEEDBACK = (
    f"INSERT INTO feedback ({_FEEDBACK_COLUMNS}) VALUES ({_placeholders(_FEEDBACK_COLUMNS)}) ON CONFLICT DO NOTHING"
)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _feedback_row(record: FeedbackRecord) -> tuple[Any, ...]:
    values = [getattr(record, f.name) for f in dataclasses.fields(record)]
    row = dict(zip([f.name for f in dataclasses.fields(record)], values, strict=True))
    row["shown"] = json.dumps(list(record.shown), ensure_ascii=False, default=str)
    row["score"] = float(record.score)
    row["at"] = record.at or _now()
    return tuple(row[c.strip()] for c in _FEEDBACK_COLUMNS.split(","))


def _feedback(row: Row) -> FeedbackRecord:
    (id_, shop, conversation, message, action, version, agent, entry, rank, score, text, cue, elapsed, shown, at) = row
    return FeedbackRecord(
        id_, shop, conversation, message, action, version, agent, entry, int(rank), float(score), text, cue,
        None if elapsed is None else float(elapsed), tuple(json.loads(shown)), at,
    )  # fmt: skip


class RecordTables:
    """Messages, suggestions and feedback over one `Database` (a part of `SqlStore`)."""

    def __init__(self, database: Database) -> None:
        self._records_db = database

    async def write(self, records: Sequence[Record], deadline: float | None = None) -> None:
        messages = [astuple(r) for r in records if isinstance(r, MessageRecord)]
        suggestions = [
            (*astuple(r)[:6], float(r.score), *astuple(r)[7:]) for r in records if isinstance(r, SuggestionRecord)
        ]
        feedback = [_feedback_row(r) for r in records if isinstance(r, FeedbackRecord)]

        async def work(tx: Transaction) -> None:
            if messages:
                await tx.executemany(_INSERT_MESSAGES, messages)
            if suggestions:
                await tx.executemany(_INSERT_SUGGESTIONS, suggestions)
            if feedback:
                await tx.executemany(_INSERT_FEEDBACK, feedback)

        if messages or suggestions or feedback:
            await retry_busy(self._records_db, work, deadline)

    async def messages(self, shop: str, conversation_id: str) -> list[MessageRecord]:
        rows = await self._records_db.fetch(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE shop=? AND conversation_id=? "
            "ORDER BY received_at, sent_at, message_id",
            (shop, conversation_id),
        )
        return [MessageRecord(*row) for row in rows]

    async def suggestions(self, shop: str, conversation_id: str) -> list[SuggestionRecord]:
        rows = await self._records_db.fetch(
            f"SELECT {_SUGGESTION_COLUMNS} FROM suggestions WHERE shop=? AND conversation_id=? "
            "ORDER BY shown_at, message_id, rank",
            (shop, conversation_id),
        )
        return [SuggestionRecord(*row) for row in rows]

    async def feedback(self, shop: str, conversation_id: str | None = None) -> list[FeedbackRecord]:
        where, args = (
            ("shop=?", (shop,))
            if conversation_id is None
            else ("shop=? AND conversation_id=?", (shop, conversation_id))
        )
        rows = await self._records_db.fetch(
            f"SELECT {_FEEDBACK_COLUMNS} FROM feedback WHERE {where} ORDER BY at, id", args
        )
        return [_feedback(row) for row in rows]

    async def purge(self, before: str) -> dict[str, int]:
        async def work(tx: Transaction) -> dict[str, int]:
            return {
                "messages": await tx.execute("DELETE FROM messages WHERE received_at < ?", (before,)),
                "suggestions": await tx.execute("DELETE FROM suggestions WHERE shown_at < ?", (before,)),
                "feedback": await tx.execute("DELETE FROM feedback WHERE at < ?", (before,)),
            }

        return await retry_busy(self._records_db, work)


def retention_cutoff(days: int, now: dt.datetime | None = None) -> str:
    """The time before which records are purged when they are kept for `days` days."""
    moment = now or dt.datetime.now(dt.UTC)
    return (moment - dt.timedelta(days=days)).isoformat(timespec="milliseconds")
