"""Stale snapshots: a shop's knowledge changed after its active snapshot was built.

The store's knowledge revision (a content hash) says whether; the per-file revisions in the
snapshot's manifest against the rows' say which sources. A revert makes the old snapshot
current again (same content, same revision).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assistant.storage.protocols import JobRecord, KnowledgeRow, SnapshotRecord
from assistant.suggest.registry import ShopRegistry
from assistant.suggest.snapshots import built_sources, changed_sources, snapshot_path, source_revisions


class StalenessStore(Protocol):
    async def knowledge_revision(self, shop: str) -> str: ...

    async def knowledge_rows(self, shop: str) -> list[KnowledgeRow]: ...

    async def active_snapshot(self, shop: str) -> SnapshotRecord | None: ...

    async def jobs(self, shop: str, limit: int = 50) -> list[JobRecord]: ...


@dataclass(frozen=True, slots=True)
class Staleness:
    stale: bool
    sources: tuple[str, ...] = ()  # the knowledge files changed since the build


async def staleness(store: StalenessStore, index_dir: Path, snapshot: SnapshotRecord, revision: str) -> Staleness:
    """Whether `snapshot` is behind the shop's knowledge `revision`, and which files changed."""
    if snapshot.knowledge_revision == revision:
        return Staleness(False)
    rows = await store.knowledge_rows(snapshot.shop)
    built = await asyncio.to_thread(built_sources, snapshot_path(index_dir, snapshot.shop, snapshot.version))
    return Staleness(True, tuple(changed_sources(built, source_revisions(rows))))


async def stale_shops(store: StalenessStore, registry: ShopRegistry, index_dir: Path) -> dict[str, list[str]]:
    """The loaded shops whose active snapshot is stale → the sources changed since it was built."""
    out = {}
    for shop in registry.from_store():
        active = await store.active_snapshot(shop)
        if active is None:
            continue
        found = await staleness(store, index_dir, active, await store.knowledge_revision(shop))
        if found.stale:
            out[shop] = list(found.sources)
    return out


async def latest_job(store: StalenessStore, shop: str) -> JobRecord | None:
    jobs = await store.jobs(shop, limit=1)
    return jobs[0] if jobs else None
