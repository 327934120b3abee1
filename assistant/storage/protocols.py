"""The store's contract: plain records and the protocols every backend implements.

The store is the source of truth once a shop is imported; the files of `knowledge/` are only the
import/export format. Everything is scoped by shop: no method returns another shop's rows.
Every backend passes the same contract tests (tests/storage/).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from assistant.storage.records import (
    AnswerRecord,
    FeedbackRecord,
    KnownMessage,
    MessageRecord,
    OutcomeRecord,
    Record,
    ShopHistory,
    SuggestionRecord,
)

Role = Literal["admin", "agent"]
JobState = Literal["queued", "running", "done", "failed"]


class StoreError(Exception):
    """A store operation that cannot be done as asked; the message says why."""


class ShopExists(StoreError):
    """`create_shop` for a shop id that is taken."""


class UnknownShop(StoreError):
    """An operation on a shop that does not exist."""


class UnknownSnapshot(StoreError):
    """An operation on a snapshot version the shop does not have."""


class UnknownJob(StoreError):
    """An update of a job that does not exist."""


SHOP_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
"""A shop id: lowercase ascii letters, digits, `-` and `_`, at most 63 characters."""


@dataclass(frozen=True, slots=True)
class ShopRecord:
    """One shop (tenant). `settings` holds its own settings (threshold, Chatwoot mapping, ...)."""

    shop: str
    name: str
    settings: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""


@dataclass(frozen=True, slots=True)
class KnowledgeRow:
    """One row of a knowledge source, as in the files: `file` is the path relative to the
    knowledge folder (`faq/pre_sale.yaml`), `position` its order in that file, `data` the row's
    mapping exactly as the file format has it (validated by `assistant.knowledge.loader`)."""

    file: str
    position: int
    entry_id: str
    data: dict[str, Any]


def revision_of(rows: Sequence[KnowledgeRow]) -> str:
    """The knowledge revision of a set of rows: a hash of their content and order, so the same
    knowledge always has the same revision (a revert makes an old snapshot current again)."""
    ordered = sorted(rows, key=lambda r: (r.file, r.position))
    payload = json.dumps(
        [[r.file, r.position, r.entry_id, r.data] for r in ordered], ensure_ascii=False, sort_keys=True, default=str
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    """A built snapshot of one shop. The active one is what every replica serves."""

    shop: str
    version: str
    built_at: str
    counts: dict[str, int]
    knowledge_revision: str
    active: bool = False
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A background job (a rebuild) with its progress, visible to every replica."""

    id: str
    shop: str
    kind: str
    state: JobState
    progress: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    version: str | None = None
    error: str | None = None
    created_at: str = ""
    updated_at: str = ""
    owner: str = ""  # the process running it (`host:pid:nonce`)
    heartbeat_at: str = ""  # when its owner last said it is alive (ISO 8601 UTC)
    knowledge_revision: str = ""  # the knowledge it read when it started building ('' before)
    rows: int = 0  # how many knowledge rows it read then (0 before): a smaller build embeds first
    resumed_as: str = ""  # cut short (a shutdown, a killed process): the shop's next job, which serves its change


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A token's identity (the store keeps only the hash of its secret)."""

    id: str
    shop: str
    role: Role
    created_at: str = ""
    name: str = ""  # a label its creator gave it (who or what holds it), never secret


class ShopStore(Protocol):
    async def create_shop(self, shop: str, name: str, settings: dict[str, Any] | None = None) -> ShopRecord: ...

    async def shop(self, shop: str) -> ShopRecord | None: ...

    async def shops(self) -> list[ShopRecord]: ...

    async def update_shop_settings(self, shop: str, settings: dict[str, Any]) -> ShopRecord: ...

    async def rename_shop(self, shop: str, name: str) -> ShopRecord:
        """Give the shop the display name `name` (`UnknownShop`; an empty name is a `StoreError`)."""
        ...

    async def delete_shop(self, shop: str) -> dict[str, int]:
        """Delete the shop and everything the store holds of it, in one transaction: its knowledge
        rows, snapshot records, jobs and tokens, and its conversation records (messages,
        suggestions, feedback, answers, reply outcomes); the rows deleted per table (`UnknownShop`).
        Its snapshot directories are the caller's to remove."""
        ...


class KnowledgeStore(Protocol):
    async def knowledge_rows(self, shop: str) -> list[KnowledgeRow]: ...

    async def replace_knowledge(self, shop: str, rows: list[KnowledgeRow]) -> str:
        """Replace all of a shop's rows in one transaction; returns the new knowledge revision."""
        ...

    async def put_row(self, shop: str, row: KnowledgeRow) -> str:
        """Insert or replace the row with `row.entry_id`; returns the new knowledge revision.

        The row goes to `row.file` at `row.position`; a negative position appends it to the end
        of that file. A position taken by another entry is a `StoreError`."""
        ...

    async def delete_row(self, shop: str, entry_id: str) -> str | None:
        """Delete a row; the new revision, or None when there was no such row."""
        ...

    async def knowledge_revision(self, shop: str) -> str:
        """Changes whenever the shop's knowledge changes (a content hash)."""
        ...

    async def entries_changed_since(self, shop: str, since: str) -> frozenset[str]:
        """The ids of the entries added or changed at or after `since` (ISO 8601, UTC): an upload
        that leaves a row as it was does not change it, and a shop's first knowledge (a whole
        upload into a shop that had no entry yet) counts as never changed."""
        ...


class SnapshotStore(Protocol):
    async def add_snapshot(self, record: SnapshotRecord) -> None: ...

    async def snapshots(self, shop: str) -> list[SnapshotRecord]: ...

    async def active_snapshot(self, shop: str) -> SnapshotRecord | None: ...

    async def unbuilt_shops(self) -> list[str]:
        """The shops that have knowledge but no active snapshot (one query, for a poll)."""
        ...

    async def activate(self, shop: str, version: str) -> SnapshotRecord:
        """Make `version` the active snapshot (the one every replica serves)."""
        ...

    async def pin(self, shop: str, version: str, pinned: bool = True) -> SnapshotRecord: ...

    async def remove_snapshot(self, shop: str, version: str) -> None:
        """Forget a snapshot (never the active or a pinned one: `StoreError`)."""
        ...


class JobStore(Protocol):
    async def create_job(self, shop: str, kind: str, owner: str = "") -> JobRecord:
        """A queued job of `owner` (the process that will run it), its heartbeat now."""
        ...

    async def claim_job(self, shop: str, kind: str, owner: str, after: str | None) -> JobRecord | None:
        """A queued job of `owner`, created only if the shop's newest job is still `after` (its id
        when the caller looked; None: the shop had none), else None: another process (a replica
        deciding the same) created one meanwhile. The check and the insert are one transaction
        under the shop's lock, so of several replicas claiming the same work one gets it."""
        ...

    async def update_job(self, job_id: str, **changes: Any) -> JobRecord:
        """Change `state`, `progress`, `counts`, `version`, `error`, `knowledge_revision`, `rows` or
        `resumed_as` (`UnknownJob`, `StoreError`)."""
        ...

    async def job(self, job_id: str) -> JobRecord | None: ...

    async def jobs(self, shop: str, limit: int = 50) -> list[JobRecord]:
        """A shop's jobs, newest first."""
        ...

    async def unfinished_jobs(self, owner: str) -> list[JobRecord]:
        """The queued and running jobs of `owner` (one process), oldest first."""
        ...

    async def beat_jobs(self, owner: str) -> int:
        """Renew the heartbeat of `owner`'s queued and running jobs; how many there are."""
        ...

    async def fail_abandoned_jobs(self, lease_s: float, error: str) -> list[JobRecord]:
        """Fail with `error` every queued or running job whose owner has not beaten for more
        than `lease_s` seconds; the jobs this call failed (not those another caller did)."""
        ...


class TokenStore(Protocol):
    async def create_token(self, shop: str, role: Role, name: str = "") -> tuple[TokenRecord, str]:
        """A new token, labelled `name`: its record and the secret, shown once (only its hash is kept)."""
        ...

    async def verify_token(self, secret: str) -> TokenRecord | None: ...

    async def has_tokens(self) -> bool: ...

    async def tokens(self, shop: str) -> list[TokenRecord]:
        """A shop's tokens (never their secrets), oldest first."""
        ...

    async def revoke_token(self, shop: str, token_id: str) -> bool:
        """Forget one of the shop's tokens; False when the shop has no such token."""
        ...


class RecordStore(Protocol):
    """The conversation records: what `Recorder` writes, what the learning loop reads."""

    async def write(self, records: Sequence[Record], deadline: float | None = None) -> None:
        """Write in one transaction, retrying a busy database until `deadline` (`time.monotonic()`).
        A message already recorded is kept as it was; a suggestion re-shown at the same rank
        replaces the old one; a feedback id already recorded is kept; a cue_wrong mark of a cue of a
        message already marked wrong is not stored again."""
        ...

    async def messages(self, shop: str, conversation_id: str) -> list[MessageRecord]: ...

    async def recent_messages(self, shop: str, conversation_id: str, limit: int) -> list[MessageRecord]:
        """The conversation's last `limit` messages (by the time they were received), oldest first."""
        ...

    async def recorded_message(
        self, platform: str, shop: str, conversation_id: str, message_id: str
    ) -> MessageRecord | None:
        """This message of this platform as recorded, or None: a webhook's repeat delivery after a
        restart is told by when it was received (when no shared memory of deliveries outlived the
        process), an id used again for another text by its text."""
        ...

    async def known_message(self, shop: str, conversation_id: str, message_id: str) -> KnownMessage | None:
        """Message `message_id` as the shop's records know it, in one query: in `conversation_id`
        with the entry ids of the suggestions shown for it (on any platform), else in another of
        the shop's conversations (with nothing shown), else None (feedback is checked against it)."""
        ...

    async def suggestions(self, shop: str, conversation_id: str) -> list[SuggestionRecord]: ...

    async def feedback(self, shop: str, conversation_id: str | None = None) -> list[FeedbackRecord]:
        """A shop's feedback, oldest first (one conversation's, or all)."""
        ...

    async def history(self, shop: str, since: str, until: str | None = None) -> ShopHistory:
        """The shop's messages, suggestions, feedback, answers and reply outcomes from `since` up
        to `until` (ISO 8601 UTC; `until` None: up to now), each oldest first (the analytics and
        the learning loop read this; a cue_wrong mark repeated for the same cue of a message is in
        it once, at its first)."""
        ...

    async def shown_before_reply(
        self, shop: str, platform: str, conversation_id: str
    ) -> tuple[str, list[SuggestionRecord]]:
        """The conversation's latest customer message id ("" when none) and the suggestions shown
        for it, best first (an agent's reply arriving now is matched against them)."""
        ...

    async def shown_for(
        self, shop: str, platform: str, conversation_id: str, message_id: str
    ) -> tuple[AnswerRecord | None, list[SuggestionRecord]]:
        """What was answered for one customer message (None when nothing was suggested for it)
        and the suggestions shown for it, best first (the panel shows them again after a restart)."""
        ...

    async def outcomes(self, shop: str, conversation_id: str) -> list[OutcomeRecord]:
        """One conversation's stored reply outcomes, oldest first."""
        ...

    async def evidence_marker(self, shop: str) -> str:
        """Changes whenever the shop gains learning evidence (an agent reply, feedback, an outcome)."""
        ...

    async def purge(self, before: str) -> dict[str, int]:
        """Delete the records older than `before` (ISO 8601 UTC); the count per table."""
        ...


class Store(ShopStore, KnowledgeStore, SnapshotStore, JobStore, TokenStore, RecordStore, Protocol):
    """Everything `open_store(url)` returns."""

    async def open(self) -> None:
        """Connect and bring the schema up to date (migrations)."""
        ...

    async def close(self) -> None: ...
