"""The conversation records in the store: messages, suggestions shown, agents' feedback, and
what the service answered (answerable, cues, escalation, time taken).

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
from assistant.storage.records import (
    AnswerRecord,
    FeedbackRecord,
    KnownMessage,
    MessageRecord,
    OutcomeRecord,
    Record,
    ShopHistory,
    SuggestionRecord,
    once_per_cue,
)

_MESSAGE_COLUMNS = (
    "platform, shop, conversation_id, message_id, role, text, sent_at, received_at, sender_kind, agent_id, agent_name"
)
_SUGGESTION_COLUMNS = (
    "platform, shop, conversation_id, message_id, rank, entry_id, score, source, index_version, shown_at, text, "
    "matched, tags"
)
_FEEDBACK_COLUMNS = (
    "id, shop, conversation_id, message_id, action, index_version, agent, entry_id, rank, score, text, cue, "
    "elapsed_ms, shown, at"
)

_ANSWER_COLUMNS = (
    "platform, shop, conversation_id, message_id, answerable, top_score, cues, escalation, total_ms, index_version, "
    "at, cue_details"
)
_OUTCOME_COLUMNS = (
    "platform, shop, conversation_id, message_id, customer_message_id, outcome, entry_id, similarity, agent, shown, at"
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
    "index_version=excluded.index_version, shown_at=excluded.shown_at, text=excluded.text, "
    "matched=excluded.matched, tags=excluded.tags"
)
_INSERT_FEEDBACK = (
    f"INSERT INTO feedback ({_FEEDBACK_COLUMNS}) VALUES ({_placeholders(_FEEDBACK_COLUMNS)}) ON CONFLICT DO NOTHING"
)

_INSERT_ANSWERS = (
    f"INSERT INTO answers ({_ANSWER_COLUMNS}) VALUES ({_placeholders(_ANSWER_COLUMNS)}) "
    "ON CONFLICT (platform, shop, conversation_id, message_id) DO UPDATE SET "
    "answerable=excluded.answerable, top_score=excluded.top_score, cues=excluded.cues, "
    "escalation=excluded.escalation, total_ms=excluded.total_ms, index_version=excluded.index_version, "
    "at=excluded.at, cue_details=excluded.cue_details"
)

# The first outcome of a reply stays: the panel's send and the platform's echo of the same
# message compute the same one, and a late echo must not re-match it against a newer message.
_INSERT_OUTCOMES = (
    f"INSERT INTO reply_outcomes ({_OUTCOME_COLUMNS}) VALUES ({_placeholders(_OUTCOME_COLUMNS)}) ON CONFLICT DO NOTHING"
)


# The message in the conversation named, with what was shown for it; then, only as a hint for
# the caller's error, one other conversation of the shop holding that message id (messages_by_id).
_KNOWN_MESSAGE = (
    "SELECT m.conversation_id, s.entry_id FROM messages m LEFT JOIN suggestions s "
    "ON s.platform=m.platform AND s.shop=m.shop AND s.conversation_id=m.conversation_id AND s.message_id=m.message_id "
    "WHERE m.shop=? AND m.conversation_id=? AND m.message_id=? "
    "UNION ALL SELECT * FROM (SELECT conversation_id, CAST(NULL AS TEXT) AS entry_id FROM messages "
    "WHERE shop=? AND message_id=? AND conversation_id<>? LIMIT 1) AS elsewhere"
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


def _suggestion_row(record: SuggestionRecord) -> tuple[Any, ...]:
    return (
        *astuple(record)[:6], float(record.score), *astuple(record)[7:-1],
        json.dumps(list(record.tags), ensure_ascii=False),
    )  # fmt: skip


def _suggestion(row: Row) -> SuggestionRecord:
    (platform, shop, conversation, message, rank, entry, score, source, version, shown_at, text, matched, tags) = row
    return SuggestionRecord(
        platform, shop, conversation, message, int(rank), entry, float(score), source, version, shown_at, text,
        matched, tuple(str(t) for t in json.loads(tags)),
    )  # fmt: skip


def _answer_row(record: AnswerRecord) -> tuple[Any, ...]:
    return (
        record.platform, record.shop, record.conversation_id, record.message_id, int(record.answerable),
        float(record.top_score), json.dumps([list(c) for c in record.cues], ensure_ascii=False),
        json.dumps(list(record.escalation), ensure_ascii=False), float(record.total_ms), record.index_version,
        record.at or _now(), json.dumps(list(record.cue_details), ensure_ascii=False, default=str),
    )  # fmt: skip


def _answer(row: Row) -> AnswerRecord:
    (platform, shop, conversation, message, answerable, top, cues, escalation, total_ms, version, at, details) = row
    return AnswerRecord(
        platform, shop, conversation, message, bool(answerable), float(top),
        tuple((str(name), str(level)) for name, level in json.loads(cues)), tuple(json.loads(escalation)),
        float(total_ms), version, at, tuple(json.loads(details)),
    )  # fmt: skip


def _outcome_row(record: OutcomeRecord) -> tuple[Any, ...]:
    return (
        record.platform, record.shop, record.conversation_id, record.message_id, record.customer_message_id,
        record.outcome, record.entry_id, float(record.similarity), record.agent,
        json.dumps(list(record.shown), ensure_ascii=False, default=str), record.at or _now(),
    )  # fmt: skip


def _outcome(row: Row) -> OutcomeRecord:
    (platform, shop, conversation, message, customer, outcome, entry, similarity, agent, shown, at) = row
    return OutcomeRecord(
        platform, shop, conversation, message, customer, outcome, entry, float(similarity), agent,
        tuple(json.loads(shown)), at,
    )  # fmt: skip


class RecordTables:
    """Messages, suggestions, feedback, answers and reply outcomes over one `Database` (a part
    of `SqlStore`)."""

    def __init__(self, database: Database) -> None:
        self._records_db = database

    async def write(self, records: Sequence[Record], deadline: float | None = None) -> None:
        messages = [astuple(r) for r in records if isinstance(r, MessageRecord)]
        suggestions = [_suggestion_row(r) for r in records if isinstance(r, SuggestionRecord)]
        # a cue of a message is marked wrong once: a repeat, from this replica or another at the
        # same instant, meets the unique index of migration 0009 and is not stored
        feedback = [_feedback_row(r) for r in records if isinstance(r, FeedbackRecord)]
        answers = [_answer_row(r) for r in records if isinstance(r, AnswerRecord)]
        outcomes = [_outcome_row(r) for r in records if isinstance(r, OutcomeRecord)]

        async def work(tx: Transaction) -> None:
            if messages:
                await tx.executemany(_INSERT_MESSAGES, messages)
            if suggestions:
                await tx.executemany(_INSERT_SUGGESTIONS, suggestions)
            if feedback:
                await tx.executemany(_INSERT_FEEDBACK, feedback)
            if answers:
                await tx.executemany(_INSERT_ANSWERS, answers)
            if outcomes:
                await tx.executemany(_INSERT_OUTCOMES, outcomes)

        if messages or suggestions or feedback or answers or outcomes:
            await retry_busy(self._records_db, work, deadline)

    async def messages(self, shop: str, conversation_id: str) -> list[MessageRecord]:
        rows = await self._records_db.fetch(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE shop=? AND conversation_id=? "
            "ORDER BY received_at, sent_at, message_id",
            (shop, conversation_id),
        )
        return [MessageRecord(*row) for row in rows]

    async def recent_messages(self, shop: str, conversation_id: str, limit: int) -> list[MessageRecord]:
        """The conversation's last `limit` messages, oldest first."""
        rows = await self._records_db.fetch(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE shop=? AND conversation_id=? "
            "ORDER BY received_at DESC, sent_at DESC, message_id DESC LIMIT ?",
            (shop, conversation_id, max(0, limit)),
        )
        return [MessageRecord(*row) for row in reversed(rows)]

    async def recorded_message(
        self, platform: str, shop: str, conversation_id: str, message_id: str
    ) -> MessageRecord | None:
        rows = await self._records_db.fetch(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages "
            "WHERE platform=? AND shop=? AND conversation_id=? AND message_id=?",
            (platform, shop, conversation_id, message_id),
        )
        return MessageRecord(*rows[0]) if rows else None

    async def known_message(self, shop: str, conversation_id: str, message_id: str) -> KnownMessage | None:
        rows = await self._records_db.fetch(
            _KNOWN_MESSAGE, (shop, conversation_id, message_id, shop, message_id, conversation_id)
        )
        here = [entry for conversation, entry in rows if conversation == conversation_id]
        if here:
            return KnownMessage(conversation_id, frozenset(str(e) for e in here if e is not None))
        return KnownMessage(str(rows[0][0])) if rows else None

    async def suggestions(self, shop: str, conversation_id: str) -> list[SuggestionRecord]:
        rows = await self._records_db.fetch(
            f"SELECT {_SUGGESTION_COLUMNS} FROM suggestions WHERE shop=? AND conversation_id=? "
            "ORDER BY shown_at, message_id, rank",
            (shop, conversation_id),
        )
        return [_suggestion(row) for row in rows]

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

    async def history(self, shop: str, since: str, until: str | None = None) -> ShopHistory:
        """The shop's records from `since` up to (not including) `until` (ISO 8601 UTC), oldest first."""
        until = until or "9999"
        db = self._records_db
        messages = await db.fetch(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE shop=? AND received_at >= ? AND received_at < ? "
            "ORDER BY received_at, sent_at, message_id",
            (shop, since, until),
        )
        suggestions = await db.fetch(
            f"SELECT {_SUGGESTION_COLUMNS} FROM suggestions WHERE shop=? AND shown_at >= ? AND shown_at < ? "
            "ORDER BY shown_at, message_id, rank",
            (shop, since, until),
        )
        feedback = await db.fetch(
            f"SELECT {_FEEDBACK_COLUMNS} FROM feedback WHERE shop=? AND at >= ? AND at < ? ORDER BY at, id",
            (shop, since, until),
        )
        answers = await db.fetch(
            f"SELECT {_ANSWER_COLUMNS} FROM answers WHERE shop=? AND at >= ? AND at < ? ORDER BY at, message_id",
            (shop, since, until),
        )
        outcomes = await db.fetch(
            f"SELECT {_OUTCOME_COLUMNS} FROM reply_outcomes WHERE shop=? AND at >= ? AND at < ? "
            "ORDER BY at, message_id",
            (shop, since, until),
        )
        return ShopHistory(
            [MessageRecord(*row) for row in messages],
            [_suggestion(row) for row in suggestions],
            once_per_cue(_feedback(row) for row in feedback),
            [_answer(row) for row in answers],
            [_outcome(row) for row in outcomes],
        )

    async def shown_before_reply(
        self, shop: str, platform: str, conversation_id: str
    ) -> tuple[str, list[SuggestionRecord]]:
        """The conversation's latest customer message (its id, "" when none) and the suggestions
        shown for it, best first: what an agent's reply arriving now is matched against."""
        db = self._records_db
        latest = await db.fetch(
            "SELECT message_id FROM messages WHERE shop=? AND platform=? AND conversation_id=? AND role='customer' "
            "ORDER BY received_at DESC, sent_at DESC, message_id DESC LIMIT 1",
            (shop, platform, conversation_id),
        )
        if not latest:
            return "", []
        message_id = str(latest[0][0])
        rows = await db.fetch(
            f"SELECT {_SUGGESTION_COLUMNS} FROM suggestions WHERE shop=? AND platform=? AND conversation_id=? "
            "AND message_id=? ORDER BY rank",
            (shop, platform, conversation_id, message_id),
        )
        return message_id, [_suggestion(row) for row in rows]

    async def shown_for(
        self, shop: str, platform: str, conversation_id: str, message_id: str
    ) -> tuple[AnswerRecord | None, list[SuggestionRecord]]:
        """What the service answered for one customer message (None when it did not suggest for
        it) and the suggestions shown, best first: what the panel showed for it."""
        key = (shop, platform, conversation_id, message_id)
        where = "WHERE shop=? AND platform=? AND conversation_id=? AND message_id=?"
        answers = await self._records_db.fetch(f"SELECT {_ANSWER_COLUMNS} FROM answers {where}", key)
        if not answers:
            return None, []
        rows = await self._records_db.fetch(f"SELECT {_SUGGESTION_COLUMNS} FROM suggestions {where} ORDER BY rank", key)
        return _answer(answers[0]), [_suggestion(row) for row in rows]

    async def outcomes(self, shop: str, conversation_id: str) -> list[OutcomeRecord]:
        """One conversation's stored reply outcomes, oldest first."""
        rows = await self._records_db.fetch(
            f"SELECT {_OUTCOME_COLUMNS} FROM reply_outcomes WHERE shop=? AND conversation_id=? ORDER BY at, message_id",
            (shop, conversation_id),
        )
        return [_outcome(row) for row in rows]

    async def evidence_marker(self, shop: str) -> str:
        """A cheap mark of the shop's learning evidence (agents' replies, feedback, reply
        outcomes): it changes whenever one is added, so a replica relearns only then."""
        rows = await self._records_db.fetch(
            "SELECT (SELECT COUNT(*) FROM messages WHERE shop=? AND role='agent'), "
            "(SELECT MAX(received_at) FROM messages WHERE shop=? AND role='agent'), "
            "(SELECT COUNT(*) FROM feedback WHERE shop=?), (SELECT MAX(at) FROM feedback WHERE shop=?), "
            "(SELECT COUNT(*) FROM reply_outcomes WHERE shop=?), (SELECT MAX(at) FROM reply_outcomes WHERE shop=?)",
            (shop,) * 6,
        )
        return "|".join("" if value is None else str(value) for value in rows[0])

    async def purge(self, before: str) -> dict[str, int]:
        async def work(tx: Transaction) -> dict[str, int]:
            return {
                "messages": await tx.execute("DELETE FROM messages WHERE received_at < ?", (before,)),
                "suggestions": await tx.execute("DELETE FROM suggestions WHERE shown_at < ?", (before,)),
                "feedback": await tx.execute("DELETE FROM feedback WHERE at < ?", (before,)),
                "answers": await tx.execute("DELETE FROM answers WHERE at < ?", (before,)),
                "reply_outcomes": await tx.execute("DELETE FROM reply_outcomes WHERE at < ?", (before,)),
            }

        return await retry_busy(self._records_db, work)


def retention_cutoff(days: int, now: dt.datetime | None = None) -> str:
    """The time before which records are purged when they are kept for `days` days."""
    moment = now or dt.datetime.now(dt.UTC)
    return (moment - dt.timedelta(days=days)).isoformat(timespec="milliseconds")
