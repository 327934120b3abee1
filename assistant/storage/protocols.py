"""The store's contract: plain records and the protocols every backend implements.

The store is the source of truth once a shop is imported; the files of `knowledge/` are only the
import/export format. Everything is scoped by shop: no method returns another shop's rows.
Every backend passes the same contract tests (tests/storage/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["admin", "agent"]
JobState = Literal["queued", "running", "done", "failed"]


class StoreError(Exception):
    """A store operation that cannot be done as asked; the message says why."""


class ShopExists(StoreError):
    """`create_shop` for a shop id that is taken."""


class UnknownShop(StoreError):
    """An operation on a shop that does not exist."""


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


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A token's identity (the store keeps only the hash of its secret)."""

    id: str
    shop: str
    role: Role
    created_at: str = ""


class ShopStore(Protocol):
    async def create_shop(self, shop: str, name: str, settings: dict[str, Any] | None = None) -> ShopRecord: ...

    async def shop(self, shop: str) -> ShopRecord | None: ...

    async def shops(self) -> list[ShopRecord]: ...

    async def update_shop_settings(self, shop: str, settings: dict[str, Any]) -> ShopRecord: ...


class KnowledgeStore(Protocol):
    async def knowledge_rows(self, shop: str) -> list[KnowledgeRow]: ...

    async def replace_knowledge(self, shop: str, rows: list[KnowledgeRow]) -> str:
        """Replace all of a shop's rows in one transaction; returns the new knowledge revision."""
        ...

    async def put_row(self, shop: str, row: KnowledgeRow) -> str:
        """Insert or replace the row with `row.entry_id`; returns the new knowledge revision."""
        ...

    async def delete_row(self, shop: str, entry_id: str) -> str | None:
        """Delete a row; the new revision, or None when there was no such row."""
        ...

    async def knowledge_revision(self, shop: str) -> str:
        """Changes whenever the shop's knowledge changes (a content hash)."""
        ...


class SnapshotStore(Protocol):
    async def add_snapshot(self, record: SnapshotRecord) -> None: ...

    async def snapshots(self, shop: str) -> list[SnapshotRecord]: ...

    async def active_snapshot(self, shop: str) -> SnapshotRecord | None: ...

    async def activate(self, shop: str, version: str) -> SnapshotRecord:
        """Make `version` the active snapshot (the one every replica serves)."""
        ...

    async def pin(self, shop: str, version: str, pinned: bool = True) -> SnapshotRecord: ...

    async def remove_snapshot(self, shop: str, version: str) -> None:
        """Forget a snapshot (never the active or a pinned one: `StoreError`)."""
        ...


class JobStore(Protocol):
    async def create_job(self, shop: str, kind: str) -> JobRecord: ...

    async def update_job(self, job_id: str, **changes: Any) -> JobRecord: ...

    async def job(self, job_id: str) -> JobRecord | None: ...


class TokenStore(Protocol):
    async def create_token(self, shop: str, role: Role) -> tuple[TokenRecord, str]:
        """A new token: its record and the secret, shown once (only its hash is kept)."""
        ...

    async def verify_token(self, secret: str) -> TokenRecord | None: ...

    async def has_tokens(self) -> bool: ...
