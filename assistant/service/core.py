"""The suggestion service proper: a normalised `IncomingMessage` in, ranked suggestions out.

Platform adapters (the HTTP API, the generic webhook, Chatwoot) turn their payloads into an
`IncomingMessage`; nothing here knows any platform's JSON.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from assistant.emotion.types import NO_EMOTION, Cue, EmotionReading
from assistant.learning.reply_outcomes import outcome_of
from assistant.retrieval.types import Role, Suggestion, SuggestRequest, Turn
from assistant.service.admission import Query
from assistant.service.batching import QueryEncoder
from assistant.service.conversations import Conversations
from assistant.service.errors import NotFound, ServiceUnavailable, Timeout
from assistant.service.metrics import ServiceMetrics
from assistant.service.settings import Settings
from assistant.storage.protocols import StoreError, UnknownShop
from assistant.storage.recorder import Recorder, RecordsNotStored
from assistant.storage.records import AnswerRecord, MessageRecord, OutcomeRecord, Record, SuggestionRecord
from assistant.suggest.pipeline import Suggester, SuggestOutcome
from assistant.suggest.registry import ShopNotReady, ShopRegistry

log = logging.getLogger("assistant.service")


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One message from any platform, normalised."""

    platform: str
    shop: str
    conversation_id: str
    message_id: str
    text: str
    sender: Role = "customer"
    sent_at: dt.datetime | None = None
    turns: tuple[Turn, ...] | None = None
    k: int | None = None
    sender_kind: str = ""  # as the platform says: contact / agent / bot / automation ("" unknown)
    agent_id: str = ""
    agent_name: str = ""
    repeat: bool = False  # the same message again (a caller's retry): answered again, remembered once

    @property
    def record_role(self) -> str:
        """`customer`, `agent` (a human: a label for learning) or `bot` (context only)."""
        return "bot" if self.sender_kind in ("bot", "automation") else self.sender


@dataclass(frozen=True, slots=True)
class SuggestResult:
    """What the service answers for one message."""

    message: IncomingMessage
    suggestions: tuple[Suggestion, ...]
    reading: EmotionReading
    answerable: bool | None  # None for an agent's message: nothing was suggested, nothing to judge
    index_version: str
    total_ms: float
    encode_ms: float
    rank_ms: float
    cache_hits: int
    truncated: bool = False  # the message was cut to the model's maximum sequence length

    @classmethod
    def timed(
        cls,
        message: IncomingMessage,
        outcome: SuggestOutcome,
        times: tuple[float, float, float],
        cache_hits: int,
        truncated: bool = False,
    ) -> SuggestResult:
        """The answer for `message` from `outcome`, timed by `times`: `time.perf_counter()` when
        it started, once its texts were encoded, and when it was ranked."""
        started, encoded, done = times
        return cls(
            message,
            outcome.suggestions,
            outcome.reading,
            outcome.answerable,
            outcome.index_version,
            total_ms=(done - started) * 1000,
            encode_ms=(encoded - started) * 1000,
            rank_ms=(done - encoded) * 1000,
            cache_hits=cache_hits,
            truncated=truncated,
        )


def cue_fields(cue: Cue) -> dict[str, Any]:
    """A cue as the panel draws it (and as its answer record keeps it for a panel opened later)."""
    return {
        "name": cue.name,
        "level": cue.level,
        "score": round(cue.score, 3),
        "tip": cue.tip,
        "evidence": [{"start": e.start, "end": e.end, "text": e.text} for e in cue.evidence],
    }


async def resolve_shop(registry: ShopRegistry, shop: str) -> Suggester:
    """The shop's suggester through the registry: 404 naming `shop` for a shop the store does not
    know, 503 naming `index` while it has nothing to serve yet."""
    try:
        return await registry.get(shop)
    except UnknownShop:
        raise NotFound.on("shop", f"no shop {shop!r}") from None
    except ShopNotReady as exc:
        raise ServiceUnavailable.on("index", f"index not loaded: {exc}") from None


class ResultListener(Protocol):
    """Told of every suggestion and recorded turn (the panel's live bus); must not raise."""

    async def suggested(self, result: SuggestResult, context: Sequence[Turn]) -> None: ...

    async def turn_recorded(self, message: IncomingMessage) -> None: ...


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class SuggestionService:
    """Remembers the conversation, encodes (batched, cached), ranks, reads emotion, records."""

    def __init__(
        self,
        settings: Settings,
        index: ShopRegistry,
        encoder: QueryEncoder,
        rank_executor: ThreadPoolExecutor,
        memory: Conversations,
        recorder: Recorder,
        metrics: ServiceMetrics,
        listeners: Sequence[ResultListener] = (),
    ) -> None:
        self._settings = settings
        self._index = index
        self._encoder = encoder
        self._rank_executor = rank_executor
        self._memory = memory
        self._recorder = recorder
        self._metrics = metrics
        self._listeners = tuple(listeners)

    async def record_agent_reply(self, message: IncomingMessage) -> None:
        """The agent's real reply: context for the next turn and a label for the learning loop."""
        await self.record_turn(message)

    async def record_turn(self, message: IncomingMessage) -> None:
        """A turn to remember and record without suggesting for it (an agent's or a bot's reply,
        a customer's image): context for the next turn, and a record for the learning loop (a
        human agent's reply with its outcome: what it did with the suggestions shown)."""
        if not message.repeat:
            await self._memory.add((message.shop, message.conversation_id), Turn(message.sender, message.text))
        await self.record_reply(message)
        for listener in self._listeners:
            await listener.turn_recorded(message)

    async def record_reply(self, message: IncomingMessage) -> None:
        """Record a turn, and for a human agent's reply its outcome, without remembering it as
        context (the panel's send: the platform's echo of the message brings it as a turn)."""
        record = self._message_record(message)
        await self.store_records(record, *await self._outcome(record))

    async def _outcome(self, reply: MessageRecord) -> tuple[OutcomeRecord, ...]:
        """The reply's outcome, matched to the suggestions shown for the customer's latest message.
        A store that cannot say what was shown costs the outcome, never the message: the
        analytics match such a reply when they read it."""
        if reply.role != "agent":
            return ()
        try:
            customer, shown = await self._recorder.store.shown_before_reply(
                reply.shop, reply.platform, reply.conversation_id
            )
        except StoreError as exc:
            log.warning("reply outcome not matched", extra={"shop": reply.shop, "problem": str(exc)})
            return ()
        found = outcome_of(reply, customer, shown)
        return () if found is None else (found,)

    async def store_records(self, *records: Record) -> None:
        """Write before answering: what the caller sees acknowledged is in the store."""
        try:
            await self._recorder.record(*records)
        except RecordsNotStored as exc:
            raise ServiceUnavailable.on(
                "message", "the message could not be stored (database busy); retry later"
            ) from exc

    def _message_record(self, message: IncomingMessage, received: str | None = None) -> MessageRecord:
        """The message's record; `received`: when it arrived (now unless given)."""
        received = received or _now()
        sent = message.sent_at.isoformat() if message.sent_at else received
        return MessageRecord(
            message.platform,
            message.shop,
            message.conversation_id,
            message.message_id,
            message.record_role,
            message.text,
            sent,
            received,
            message.sender_kind,
            message.agent_id,
            message.agent_name,
        )

    async def suggest(self, message: IncomingMessage) -> SuggestResult:
        """Suggestions for a customer message (an agent's message is only recorded)."""
        started = time.perf_counter()
        # Recorded as received when it arrived, not once suggested: an agent's reply arriving
        # while this is computed comes after it (analytics order a conversation by time).
        arrived = _now()
        if message.sender == "agent":  # recorded for a known shop, also before its first snapshot
            try:
                version = (await resolve_shop(self._index, message.shop)).index_version
            except ServiceUnavailable:
                version = ""
            await self.record_agent_reply(message)
            return SuggestResult(message, (), NO_EMOTION, None, version, 0.0, 0.0, 0.0, 0)
        suggester = await resolve_shop(self._index, message.shop)
        key = (message.shop, message.conversation_id)
        context = message.turns if message.turns is not None else await self._memory.turns(key)
        if message.repeat and message.turns is None and context[-1:] == (Turn("customer", message.text),):
            context = context[:-1]  # remembered when it was first answered: no context of itself
        limit = self._settings.max_context_turns
        context = context[-limit:] if limit else ()
        k = min(message.k or self._settings.suggestions, self._settings.max_suggestions)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._settings.request_timeout_s):
                request, queries = await loop.run_in_executor(
                    self._rank_executor, self._prepare, suggester, SuggestRequest(message.text, context, k)
                )
                vectors, hits = await self._encoder.encode(queries)
                encoded = time.perf_counter()
                outcome = await loop.run_in_executor(self._rank_executor, suggester.rank, request, vectors)
        except TimeoutError:
            self._metrics.timeouts.inc()
            raise Timeout.on(
                "message.text",
                f"no suggestions within {self._settings.request_timeout_s:g} s; retry later",
            ) from None
        done = time.perf_counter()
        text = request.text
        if not message.repeat:
            await self._memory.add(key, Turn("customer", message.text))
        await self._record(message, outcome, (done - started) * 1000, arrived)
        self._metrics.suggestions.labels(platform=message.platform).inc()
        result = SuggestResult.timed(message, outcome, (started, encoded, done), hits, truncated=text != message.text)
        for listener in self._listeners:
            await listener.suggested(result, context)
        return result

    def _prepare(self, suggester: Suggester, raw: SuggestRequest) -> tuple[SuggestRequest, list[Query]]:
        """The request as the model can use it, and its query texts with their costs (blocking,
        off the event loop: cutting a long text takes a few tokenizer calls). The model never
        sees more than its sequence length: the message is cut to its beginning and its end, the
        middle left out (a customer's long complaint usually ends with the question), each turn to
        its beginning, and the context texts from the front (they end with the message). A cut
        message differs from `raw.text`: that is what `truncated` reports."""
        fit, query = self._encoder.fit, self._encoder.query
        text = fit(raw.text, keep_ends=True)
        request = SuggestRequest(text, tuple(Turn(t.role, fit(t.text)) for t in raw.context), raw.k)
        first, *rest = suggester.query_texts(request)
        return request, [query(first, keep_ends=True), *(query(t, keep_end=True) for t in rest)]

    async def _record(self, message: IncomingMessage, outcome: SuggestOutcome, total_ms: float, arrived: str) -> None:
        shown = _now()
        suggestions, version, reading = outcome.suggestions, outcome.index_version, outcome.reading
        answer = AnswerRecord(
            message.platform,
            message.shop,
            message.conversation_id,
            message.message_id,
            outcome.answerable,
            max((s.score for s in suggestions), default=0.0),
            tuple((cue.name, cue.level) for cue in reading.shown()),
            reading.escalation_reasons if reading.escalate else (),
            round(total_ms, 3),
            version,
            shown,
            tuple(cue_fields(cue) for cue in reading.shown()),
        )
        await self.store_records(
            self._message_record(message, arrived),
            answer,
            *(
                SuggestionRecord(
                    message.platform,
                    message.shop,
                    message.conversation_id,
                    message.message_id,
                    rank,
                    s.entry_id,
                    s.score,
                    str(s.kind),
                    version,
                    shown,
                    s.text,
                    s.matched,
                    tuple(s.tags),
                )
                for rank, s in enumerate(suggestions, start=1)
            ),
        )
