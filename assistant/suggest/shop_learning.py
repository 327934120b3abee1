"""`ShopLearner`: each loaded shop's learning, recomputed from the store when it has new evidence.

The store holds the evidence (agents' replies, reply outcomes, the panel's feedback); a cheap
marker (`RecordStore.evidence_marker`) says when it changed. A shop is relearned at most every
`every_s` seconds, from its last `days` days of records, on a worker thread (the quick-reply
cover and the priors are CPU work), and handed to the registry, which attaches it to the shop's
suggester. Every replica reads the same store, so they converge; nothing lives only here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from assistant.emotion.thresholds import valid_offsets
from assistant.emotion.types import CueName
from assistant.learning.cue_thresholds import MARKS_SETTING, cue_update
from assistant.learning.cue_thresholds import SETTING as CUE_SETTING
from assistant.learning.shop_candidates import decisions_of, withheld_from_quick
from assistant.learning.shop_learning import learn_shop
from assistant.storage.protocols import ShopRecord, StoreError
from assistant.storage.records import ShopHistory
from assistant.suggest.registry import ShopRegistry

log = logging.getLogger("assistant.suggest.learning")


class EvidenceStore(Protocol):
    async def evidence_marker(self, shop: str) -> str: ...

    async def shop(self, shop: str) -> ShopRecord | None: ...

    async def history(self, shop: str, since: str, until: str | None = None) -> ShopHistory: ...

    async def update_shop_settings(self, shop: str, settings: dict[str, Any]) -> ShopRecord: ...


class ShopLearner:
    """Keeps the registry's shops served with what they learned (see the module doc)."""

    def __init__(
        self,
        store: EvidenceStore,
        registry: ShopRegistry,
        every_s: float,
        days: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._registry = registry
        self._every_s = every_s
        self._days = days
        self._clock = clock
        self._markers: dict[str, str] = {}
        self._at: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.relearned = 0
        self._kept_settings: dict[str, dict[str, Any]] = {}  # cue settings of shops the store does not hold

    @property
    def enabled(self) -> bool:
        """False when learning is off (`every_s` 0): the service never relearns on its own; an
        explicit `refresh` still does (the tests' way to relearn when they mean to)."""
        return self._every_s > 0

    async def refresh(self, shop: str, *, force: bool = False) -> bool:
        """Relearn `shop` when its evidence changed (and, unless `force`, not within `every_s`
        of the last time); True when it was relearned. One refresh per shop at a time: one begun
        before a snapshot swap cannot finish after the swap's and put back what it read before."""
        async with self._locks.setdefault(shop, asyncio.Lock()):
            return await self._refresh(shop, force)

    async def _refresh(self, shop: str, force: bool) -> bool:
        if not force and self._clock() - self._at.get(shop, float("-inf")) < self._every_s:
            return False
        record = await self._store.shop(shop)
        decisions = decisions_of(record.settings) if record is not None else {}
        decided = withheld_from_quick(decisions, self._registry.entry_ids(shop))
        # an admin's decision on a candidate changes what is offered, as new evidence does; an
        # approval takes the reply out of the quick replies once the served snapshot holds it
        marker = f"{await self._store.evidence_marker(shop)}|{','.join(sorted(decided))}"
        if marker == self._markers.get(shop):
            return False
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=self._days)).isoformat(timespec="milliseconds")
        history = await self._store.history(shop, since)
        offsets = await self._cue_offsets(shop, history, record)
        learning = await asyncio.to_thread(learn_shop, shop, history, None, None, decided, offsets)
        self._registry.set_learning(shop, learning)
        self._markers[shop], self._at[shop] = marker, self._clock()
        self.relearned += 1
        log.info(
            "shop learning refreshed",
            extra={
                "shop": shop,
                "quick_replies": 0 if learning is None else len(learning.quick),
                "entries_with_priors": 0
                if learning is None or learning.priors is None
                else len(learning.priors.evidence),
            },
        )
        return True

    async def _cue_offsets(self, shop: str, history: ShopHistory, record: ShopRecord | None) -> dict[CueName, float]:
        """The shop's cue threshold offsets moved by the marks in `history`; kept in the shop's
        settings, so every replica starts the next update from the same place (here, for a shop
        the store does not hold: one handed in by the caller)."""
        settings = record.settings if record is not None else self._kept_settings.get(shop, {})
        current = valid_offsets(settings.get(CUE_SETTING))
        # one pass over the window's answers and marks, off the event loop
        update = await asyncio.to_thread(cue_update, history, current, settings.get(MARKS_SETTING))
        if update is None:
            return current  # these marks moved them already (here, on a replica, or before a restart)
        offsets, seen = update
        updated = {CUE_SETTING: offsets, MARKS_SETTING: seen}
        if record is not None:
            await self._store.update_shop_settings(shop, updated)
        self._kept_settings[shop] = updated
        if offsets != current:
            log.info("cue thresholds moved", extra={"shop": shop, "cue_thresholds": offsets})
        return offsets

    async def snapshot_swapped(self, shop: str) -> None:
        """The shop serves another snapshot: relearn it now (an approved reply it holds leaves the
        quick replies at once, not on the next refresh). Nothing when learning is off."""
        if not self.enabled:
            return
        try:
            await self.refresh(shop, force=True)
        except StoreError as exc:
            log.error("shop learning not refreshed", extra={"shop": shop, "problem": str(exc)})

    async def run(self) -> None:
        """Every `every_s` seconds, relearn the loaded shops that have new evidence (never when
        `every_s` is 0: learning is off)."""
        if not self.enabled:
            return
        while True:
            for shop in list(self._registry.loaded()):
                try:
                    await self.refresh(shop)
                except StoreError as exc:
                    log.error("shop learning not refreshed", extra={"shop": shop, "problem": str(exc)})
            await asyncio.sleep(self._every_s)
