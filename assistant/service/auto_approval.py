"""The optional N-agents rule, applied on its own: a shop whose settings hold
`auto_approve_agents: N` has every pending candidate reply sent by N different agents approved
(as sent) and its rebuild started, without an admin calling the rule.

When: after an agent's reply is recorded (Chatwoot `outgoing`, the generic webhook or
/v1/suggest with `sender: agent`), not on a timer. A candidate can only start to meet the rule
when a reply is recorded, so a pass then approves it at once, and a shop whose agents are quiet
costs nothing (a timer would read the records of every shop, hundreds of them, to find nothing).
A pass reads the shop's last `RULE_DAYS` days of records, so passes are coalesced per shop: at
most one runs, replies meanwhile ask for one more, and a shop is passed at most once per
`interval_s` (`HUASHU_AUTO_APPROVE_INTERVAL_S`), which bounds the cost of a busy shop.

The setting is read from the store on every pass, so a change (`huashu candidates rule`, the
admin API) applies at once on every replica. Two replicas passing the same shop at once write
the same row (its id is the candidate's) and the same decision: harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from assistant.learning import candidate_review as review
from assistant.retrieval.types import Turn
from assistant.service.core import IncomingMessage, SuggestResult
from assistant.storage.protocols import JobRecord

log = logging.getLogger("assistant.service.auto_approval")

SETTING = "auto_approve_agents"  # the shop setting: N, or absent / null for off
RULE_DAYS = 30  # the records a pass reads, as the review routes' default window


def auto_approve_rule(settings: Mapping[str, Any]) -> int | None:
    """The shop's N, or None when the rule is off (absent, null, or not a whole number ≥ 1)."""
    value = settings.get(SETTING)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def rule_problem(value: Any) -> str | None:
    """Why `value` cannot be the setting (None when it can: a whole number ≥ 1, or null for off)."""
    if value is None or auto_approve_rule({SETTING: value}) is not None:
        return None
    return "a whole number of agents (1 or more), or null to turn the rule off"


class RebuildStarter(Protocol):
    async def request(self, shop: str) -> JobRecord: ...


class AutoApprover:
    """Runs the rule for a shop after its agents' replies (a `ResultListener` of the service)."""

    def __init__(self, store: review.ReviewStore, rebuilder: RebuildStarter, interval_s: float = 60.0) -> None:
        self._store = store
        self._rebuilder = rebuilder
        self._interval = interval_s
        self._running: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._last: dict[str, float] = {}

    async def suggested(self, result: SuggestResult, context: Sequence[Turn]) -> None:
        return None

    async def turn_recorded(self, message: IncomingMessage) -> None:
        if message.record_role == "agent":
            self.reply_recorded(message.shop)

    def reply_recorded(self, shop: str) -> None:
        """Ask for a pass over `shop` (coalesced; never blocks the caller)."""
        if shop in self._running:
            self._again.add(shop)
            return
        task = asyncio.get_running_loop().create_task(self._passes(shop), name=f"auto-approve-{shop}")
        self._running[shop] = task
        task.add_done_callback(lambda _: self._running.pop(shop, None))

    async def _passes(self, shop: str) -> None:
        while True:
            wait = self._last.get(shop, -math.inf) + self._interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._again.discard(shop)
            self._last[shop] = time.monotonic()
            try:
                await self.apply(shop)
            except Exception as exc:  # a pass that fails is logged; the next reply tries again
                log.error("auto-approval failed", extra={"shop": shop, "problem": str(exc) or type(exc).__name__})
            if shop not in self._again:
                return

    async def apply(self, shop: str) -> tuple[list[review.Approved], JobRecord | None]:
        """One pass: approve what meets the shop's rule; the approvals and the rebuild started."""
        record = await self._store.shop(shop)
        agents = auto_approve_rule(record.settings) if record is not None else None
        if agents is None:
            return [], None
        approved = await review.auto_approve(self._store, shop, agents, RULE_DAYS)
        if not approved:
            return [], None
        job = await self._rebuilder.request(shop)
        log.info(
            "candidates auto-approved",
            extra={"shop": shop, "agents": agents, "entries": [a.entry["id"] for a in approved], "job": job.id},
        )
        return approved, job

    async def idle(self) -> None:
        """Wait until no pass is running or asked for (tests, shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)

    async def close(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
