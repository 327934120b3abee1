"""`ShopRegistry`: each shop's loaded `Suggester`, loaded on first use, evicted least recently
used under a memory budget, swapped when the shop's active snapshot changes.

The store says which snapshot of a shop is active (several replicas agree on it); the files are
`index/<shop>/snapshots/<version>/`. The model is not here: every shop's suggester ranks with
query vectors the process's one model thread encodes. A swap replaces the registry's reference
only: a request that already holds the old suggester finishes on it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assistant.learning.reranking import ShopLearning
from assistant.retrieval.calibration import DEFAULT_THRESHOLD
from assistant.retrieval.snapshot import SnapshotError, SnapshotMismatch
from assistant.storage.protocols import (
    JobRecord,
    ShopRecord,
    SnapshotRecord,
    StoreError,
    UnknownShop,
    UnknownSnapshot,
)
from assistant.suggest.pipeline import Suggester
from assistant.suggest.snapshots import snapshot_bytes, snapshot_path

log = logging.getLogger("assistant.suggest.registry")

Loader = Callable[[Path, float], Suggester]
"""Load and verify a snapshot directory with a shop's threshold (blocking; run off the loop)."""

Healer = Callable[[str], Awaitable[JobRecord | None]]
"""Queue the rebuild that replaces a shop's active snapshot that does not load (the rebuild job an
admin's rebuild creates, claimed through the store: one of several replicas builds it); the job
that serves the shop next (a queued or running one, or the failed one an admin must look at), or
None."""

RETRY_BROKEN_S = 30.0
"""A shop with nothing to serve does not try its broken snapshots again for this long: requests
waiting for it are answered at once instead of each burst verifying the active and every kept
snapshot again (reading each whole for its checksums) and asking the healer, beside the rebuild on
a small box. Long, as a snapshot never changes once built: what makes the shop servable again is a
new active version (the rebuild's, an admin's activation or rollback), loaded on the next request
since it is not the version that failed; only a hand repair of the same files (or a disk that was
briefly unreadable) waits this long, and 30 s is short next to that repair."""


class RegistryStore(Protocol):
    """What the registry reads of the store."""

    async def shop(self, shop: str) -> ShopRecord | None: ...

    async def active_snapshot(self, shop: str) -> SnapshotRecord | None: ...

    async def activate(self, shop: str, version: str) -> SnapshotRecord: ...

    async def snapshots(self, shop: str) -> list[SnapshotRecord]: ...


class ShopNotReady(Exception):
    """The shop exists but has nothing to serve yet (no active snapshot, or it cannot be read)."""

    def __init__(self, shop: str, reason: str, mismatch: SnapshotMismatch | None = None) -> None:
        super().__init__(f"shop {shop!r}: {reason}")
        self.shop = shop
        self.reason = reason
        self.mismatch = mismatch  # a sound snapshot made for another setup (model...), not a damaged one


def shop_threshold(record: ShopRecord) -> float:
    """The shop's confidence threshold (its settings' `threshold`, else the default)."""
    value = record.settings.get("threshold", DEFAULT_THRESHOLD)
    return float(value) if isinstance(value, int | float) and 0.0 <= value <= 1.0 else DEFAULT_THRESHOLD


@dataclass(slots=True)
class LoadedShop:
    suggester: Suggester
    version: str
    bytes: int
    kept: bool = False  # handed in by the caller: never evicted, never reloaded
    broken: str | None = None  # the active snapshot that did not load (this one serves instead)


@dataclass(frozen=True, slots=True)
class SnapshotFailure:
    """A shop whose active snapshot does not load here: what it serves instead, and its rebuild."""

    shop: str
    version: str  # the active snapshot that does not load
    problem: str  # why (the loader's words: checksum mismatch, missing file, ...)
    served: str | None  # the kept snapshot served instead; None: nothing loads
    job: JobRecord | None  # the rebuild that replaces it (as it was when queued or found)
    at: float  # time.monotonic() of the attempt
    # made for another setup (sound, not damaged): what differs and what to do, e.g. "was built
    # with model 'X', this service runs 'Y': set HUASHU_MODEL to match or ...". Not rebuilt by
    # itself (job None): replicas on different models would rebuild each other's snapshots for ever
    setup: str | None = None


def setup_words(shop: str, mismatch: SnapshotMismatch) -> str:
    """What differs between a snapshot and this service, and what an admin does about it."""
    rebuild = f"rebuild on purpose with huashu admin rebuild {shop}"
    found, expected = mismatch.found, mismatch.expected
    if mismatch.field == "model":
        return f"was built with model {found!r}, this service runs {expected!r}: set HUASHU_MODEL to match or {rebuild}"
    if mismatch.field == "dimension":
        return (
            f"was built with {found}-dimension vectors, this service's model makes {expected}: "
            f"set HUASHU_MODEL to match or {rebuild}"
        )
    return (
        f"was written in snapshot format {found!r}, this service reads format {expected!r}: "
        f"run the huashu version that wrote it or {rebuild}"
    )


def broken_reason(failure: SnapshotFailure, job: JobRecord | None) -> str:
    """What happened to the shop and what comes next, with `job` as it is now (the failure's job
    read again; None: none): the words `/readyz` and the 503s give after `shop 'SHOP': `."""
    rebuild = f"huashu admin rebuild {failure.shop}"
    if failure.setup is not None:
        unchanged = "(a snapshot made for another setup is not damaged: it is not rebuilt by itself)"
        if failure.served is not None:
            return (
                f"serving the older kept snapshot {failure.served}: its active snapshot {failure.version} "
                f"{failure.setup} {unchanged}"
            )
        return (
            f"its active snapshot {failure.version} cannot be loaded and no older kept snapshot loads: "
            f"it {failure.setup} {unchanged}"
        )
    broken = f"its active snapshot {failure.version} cannot be loaded ({failure.problem})"
    if failure.served is not None:
        said = f"serving the older kept snapshot {failure.served}: {broken}"
    else:
        said = f"{broken} and no older kept snapshot loads"
    if job is not None and job.state in ("queued", "running"):
        step = (
            f"a rebuild was queued (job {job.id}, {job.state} {job.progress:.0%}: huashu admin jobs show {job.id}); "
            "the shop is served from the new snapshot once it is done"
        )
    elif job is not None and job.state == "failed":
        step = f"its last build failed (job {job.id}: {job.error}): fix the knowledge, then run {rebuild}"
    else:
        step = f"run {rebuild}"
    return f"{said}; {step}"


def _job_id(failure: SnapshotFailure) -> str | None:
    return failure.job.id if failure.job is not None else None


class ShopRegistry:
    """Shop → loaded suggester. Coroutine-safe; one load at a time per shop."""

    def __init__(self, store: RegistryStore, index_dir: Path, loader: Loader, budget_bytes: int) -> None:
        self._store = store
        self._index_dir = index_dir
        self._loader = loader
        self._budget = budget_bytes
        self._loaded: OrderedDict[str, LoadedShop] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self.loads = 0
        self.evictions = 0
        self.problems: dict[str, str] = {}  # why a shop cannot be served (set by the start-up)
        self.failures: dict[str, SnapshotFailure] = {}  # the shops whose active snapshot does not load
        self._healer: Healer | None = None
        self._learning: dict[str, ShopLearning | None] = {}  # what each shop learned (refreshed from the store)
        self._swap_listeners: list[Callable[[str], Awaitable[None]]] = []

    def on_swap(self, listener: Callable[[str], Awaitable[None]]) -> None:
        """Await `listener(shop)` each time a shop starts serving another snapshot (its first
        load since the start, an activation here or one followed from the store), before `get`,
        `activate` or `refresh` return."""
        self._swap_listeners.append(listener)

    def heal_with(self, healer: Healer) -> None:
        """Call `healer(shop)` when a shop's active snapshot does not load (the rebuilder)."""
        self._healer = healer

    async def _swapped(self, shop: str) -> None:
        # the swap has happened: a listener's failure is logged, never the activation's (an
        # admin's activate or a rebuild would report a failure although the snapshot is live)
        for listener in self._swap_listeners:
            try:
                await listener(shop)
            except Exception:
                log.exception("snapshot swap listener failed", extra={"shop": shop})

    def set_learning(self, shop: str, learning: ShopLearning | None) -> None:
        """Serve `shop` with what it learned (or nothing): its loaded suggester now, and every
        snapshot swapped in later. Requests in flight finish on the suggester they hold."""
        self._learning[shop] = learning
        entry = self._loaded.get(shop)
        if entry is not None:
            entry.suggester = entry.suggester.with_learning(learning)

    def keep(self, shop: str, suggester: Suggester) -> None:
        """Serve `shop` with a suggester the caller owns (tests, an embedding program)."""
        self._loaded[shop] = LoadedShop(suggester, suggester.index_version, 0, kept=True)

    def entry_ids(self, shop: str) -> frozenset[str]:
        """The entry ids of the snapshot `shop` is served from now (empty when it is not loaded)."""
        entry = self._loaded.get(shop)
        if entry is None:
            return frozenset()
        return frozenset(e.id for e in entry.suggester.ranker.snapshot.entries)

    def loaded(self) -> dict[str, str]:
        """The shops in memory now, least recently used first, with their versions."""
        return {shop: entry.version for shop, entry in self._loaded.items()}

    def kept(self) -> frozenset[str]:
        """The shops handed in by the caller (served as given, never built or reloaded)."""
        return frozenset(shop for shop, entry in self._loaded.items() if entry.kept)

    def from_store(self) -> list[str]:
        """The loaded shops that came from the store (not handed in)."""
        return [shop for shop, entry in self._loaded.items() if not entry.kept]

    @property
    def loaded_bytes(self) -> int:
        return sum(entry.bytes for entry in self._loaded.values())

    @property
    def budget_bytes(self) -> int:
        return self._budget

    def _lock(self, shop: str) -> asyncio.Lock:
        return self._locks.setdefault(shop, asyncio.Lock())

    async def get(self, shop: str) -> Suggester:
        """The shop's suggester, loading its active snapshot on first use.

        `UnknownShop` for a shop the store does not know; `ShopNotReady` when it has no
        usable active snapshot."""
        entry = self._loaded.get(shop)
        if entry is None:
            first = False
            async with self._lock(shop):
                entry = self._loaded.get(shop)
                if entry is None:
                    record = await self._require(shop)
                    active = await self._store.active_snapshot(shop)
                    if active is None:
                        raise ShopNotReady(shop, self.problems.get(shop, "no snapshot has been built yet"))
                    entry = await self._load_active(record, active.version)
                    self._install(shop, entry)
                    first = shop not in self._learning
            # its first snapshot since the start: learned before it answers (a user test: the
            # quick replies came only with the learning loop's next pass)
            if first:
                await self._swapped(shop)
        self._loaded.move_to_end(shop)
        return entry.suggester

    async def activate(self, shop: str, version: str) -> SnapshotRecord:
        """Make `version` the shop's active snapshot, here and in the store (rollback is the
        same call with an older version). The snapshot is loaded and verified first, so a
        broken one never becomes active; requests in flight finish on the old one."""
        async with self._lock(shop):
            record = await self._require(shop)
            if version not in {s.version for s in await self._store.snapshots(shop)}:
                raise UnknownSnapshot(f"shop {shop!r} has no snapshot {version!r}")
            entry = await self._load(record, version)
            active = await self._store.activate(shop, version)
            self._install(shop, entry)
        log.info("snapshot activated", extra={"shop": shop, "version": version})
        await self._swapped(shop)
        return active

    def apply_settings(self, record: ShopRecord) -> bool:
        """Serve the loaded `record.shop` with its settings' threshold now (an admin changed them),
        without reloading its snapshot; every snapshot loaded later reads them from the store.
        Requests in flight finish on the suggester they hold. True when the threshold changed."""
        entry = self._loaded.get(record.shop)
        threshold = shop_threshold(record)
        if entry is None or entry.suggester.threshold == threshold:
            return False
        entry.suggester = entry.suggester.with_threshold(threshold)
        log.info("shop threshold changed", extra={"shop": record.shop, "threshold": threshold})
        return True

    async def refresh(self) -> list[str]:
        """Follow activations, settings changes and deletions made elsewhere (another replica, the
        CLI): every loaded shop whose active snapshot in the store differs is reloaded, one whose
        threshold differs is served with it, and one the store no longer has is dropped; the shops
        swapped."""
        swapped = []
        for shop, entry in list(self._loaded.items()):
            if entry.kept:
                continue
            record = await self._store.shop(shop)
            if record is None:  # deleted by another replica: stop serving it here too
                self.drop(shop)
                continue
            self.apply_settings(record)
            active = await self._store.active_snapshot(shop)
            if active is None:
                continue
            if active.version == entry.version:
                if entry.broken is not None:  # the snapshot served instead is active again (a rollback)
                    self._recovered(shop, entry)
                continue
            if active.version == entry.broken:  # served from an older one until its rebuild is active
                await self._heal_again(shop)
                continue
            async with self._lock(shop):
                current = self._loaded.get(shop)
                if current is None or current.version == active.version:
                    continue
                record = await self._require(shop)
                try:
                    self._install(shop, await self._load(record, active.version))
                except ShopNotReady as exc:  # keep serving what we have; say why; rebuild it
                    current.broken = active.version
                    failure = await self._failed(shop, active.version, exc, current.version)
                    log.error(
                        "snapshot not swapped",
                        extra={"shop": shop, "problem": str(exc), "served": current.version, "job": _job_id(failure)},
                    )
                    continue
                swapped.append(shop)
        for shop in swapped:
            await self._swapped(shop)
        return swapped

    def forget(self, shop: str) -> None:
        """Drop a shop from memory (it is loaded again on next use)."""
        self._loaded.pop(shop, None)
        self.failures.pop(shop, None)

    def drop(self, shop: str) -> bool:
        """Forget everything of a deleted shop: its suggester (a request already holding it
        finishes on it; the next one finds no shop), what it learned and why it could not be
        served. True when it was loaded."""
        self._learning.pop(shop, None)
        self.problems.pop(shop, None)
        self.failures.pop(shop, None)
        self._locks.pop(shop, None)
        loaded = self._loaded.pop(shop, None) is not None
        if loaded:
            log.info("shop dropped", extra={"shop": shop})
        return loaded

    async def _require(self, shop: str) -> ShopRecord:
        record = await self._store.shop(shop)
        if record is None:
            raise UnknownShop(f"no shop {shop!r}")
        return record

    async def _load(self, record: ShopRecord, version: str) -> LoadedShop:
        path = snapshot_path(self._index_dir, record.shop, version)
        try:
            suggester = await asyncio.to_thread(self._loader, path, shop_threshold(record))
        except SnapshotError as exc:
            mismatch = exc if isinstance(exc, SnapshotMismatch) else None
            raise ShopNotReady(record.shop, str(exc), mismatch) from exc
        self.loads += 1
        return LoadedShop(suggester, version, snapshot_bytes(path))

    async def _load_active(self, record: ShopRecord, version: str) -> LoadedShop:
        """The shop's active snapshot `version`; when it does not load, the newest kept snapshot
        that does (a warning names both), and a rebuild of the shop's knowledge is queued
        (`heal_with`) unless the snapshot was only made for another setup (`SnapshotMismatch`).
        `ShopNotReady` saying what happened and what comes next when none loads."""
        shop = record.shop
        known = self.failures.get(shop)
        if (
            known is not None
            and known.version == version
            and known.served is None
            and time.monotonic() - known.at < RETRY_BROKEN_S
        ):
            raise ShopNotReady(shop, broken_reason(known, known.job))
        try:
            return await self._load(record, version)
        except ShopNotReady as exc:
            problem = exc
        fallback = None
        for kept in await self._store.snapshots(shop):  # newest first
            if kept.version == version:
                continue
            try:
                fallback = await self._load(record, kept.version)
            except ShopNotReady as other:
                log.warning(
                    "kept snapshot does not load either",
                    extra={"shop": shop, "version": kept.version, "problem": other.reason},
                )
                continue
            fallback.broken = version
            break
        failure = await self._failed(shop, version, problem, fallback.version if fallback else None)
        extra = {"shop": shop, "broken": version, "problem": problem.reason, "job": _job_id(failure)}
        if fallback is None:
            log.error("active snapshot does not load and no kept snapshot does", extra=extra)
            raise ShopNotReady(shop, broken_reason(failure, failure.job))
        log.warning("active snapshot does not load: serving an older one", extra={**extra, "served": fallback.version})
        return fallback

    async def _failed(self, shop: str, version: str, problem: ShopNotReady, served: str | None) -> SnapshotFailure:
        """Record that `shop`'s active snapshot `version` does not load, and have it rebuilt (the
        healer hands back the shop's queued or running job when there is one, so a shop has one
        rebuild however many requests find it broken; of several replicas, the store's claim lets
        one build it). Not one made for another setup (a model, dimension or format mismatch): a
        configuration problem, said so; a rebuild here would be one the other setup cannot load."""
        if problem.mismatch is not None:
            failure = SnapshotFailure(
                shop, version, problem.reason, served, None, time.monotonic(), setup_words(shop, problem.mismatch)
            )
            self.failures[shop] = failure
            return failure
        known = self.failures.get(shop)
        job = await self._heal(shop) or (known.job if known is not None and known.version == version else None)
        failure = SnapshotFailure(shop, version, problem.reason, served, job, time.monotonic())
        self.failures[shop] = failure
        return failure

    def _recovered(self, shop: str, entry: LoadedShop) -> None:
        """The snapshot `entry` serves instead of a broken one is the active one again (an admin's
        rollback, here or on another replica): nothing is wrong with the shop any more."""
        log.info("snapshot served instead is active again", extra={"shop": shop, "version": entry.version})
        entry.broken = None
        self.failures.pop(shop, None)
        self.problems.pop(shop, None)

    async def _heal(self, shop: str) -> JobRecord | None:
        if self._healer is None:
            return None
        try:
            return await self._healer(shop)
        except (StoreError, UnknownShop) as exc:
            log.error("rebuild of a broken snapshot not queued", extra={"shop": shop, "problem": str(exc)})
            return None

    async def _heal_again(self, shop: str) -> None:
        """A shop served from an older snapshot whose rebuild stopped (its replica was killed, a
        shutdown): queue another (the healer decides; a build failed on the knowledge is left, and
        a snapshot made for another setup is never rebuilt by itself)."""
        failure = self.failures.get(shop)
        if failure is None or failure.setup is not None or (failure.job is not None and failure.job.state == "failed"):
            return
        job = await self._heal(shop)
        if job is not None and job != failure.job:
            self.failures[shop] = SnapshotFailure(
                shop, failure.version, failure.problem, failure.served, job, failure.at, failure.setup
            )

    def _install(self, shop: str, entry: LoadedShop) -> None:
        if entry.broken is None:  # its active snapshot: nothing wrong with the shop any more
            self.failures.pop(shop, None)
            self.problems.pop(shop, None)
        if shop in self._learning:
            entry.suggester = entry.suggester.with_learning(self._learning[shop])
        self._loaded[shop] = entry
        self._loaded.move_to_end(shop)
        while self.loaded_bytes > self._budget:
            victim = next((s for s, e in self._loaded.items() if not e.kept and s != shop), None)
            if victim is None:
                break
            del self._loaded[victim]
            self.evictions += 1
            log.info("shop evicted", extra={"shop": victim})
