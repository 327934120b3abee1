"""A webhook's repeat delivery told from the record store.

The memory of deliveries (`SeenSet` in this process, or Redis) tells a repeat while it lives; a
single process without Redis forgets it on a restart, and a platform retrying a delivery it
thinks was lost would then have the message handled twice (a user test: 200 instead of 409).
A message already recorded within the same window is a repeat too: one primary-key lookup.
"""

from __future__ import annotations

import logging
import time

from aiohttp import web

from assistant.service import keys
from assistant.service.conversations import DeliveryKey
from assistant.storage.protocols import StoreError
from assistant.storage.records import epoch

log = logging.getLogger("assistant.service.platforms")

REPEAT_WINDOW_S = 86400.0  # as long as the memory of deliveries keeps one


async def recorded_lately(
    app: web.Application, platform: str, shop: str, conversation_id: str, message_id: str
) -> bool:
    """Whether this message was recorded less than `REPEAT_WINDOW_S` ago (a store that cannot
    tell is logged and the delivery handled: losing a message is worse than a repeat)."""
    try:
        recorded = await app[keys.STORE].recorded_message(platform, shop, conversation_id, message_id)
    except StoreError as exc:
        log.warning("repeat delivery not checked in the store", extra={"shop": shop, "problem": str(exc)})
        return False
    return recorded is not None and time.time() - epoch(recorded.received_at) < REPEAT_WINDOW_S


async def claim_new(
    app: web.Application, seen: tuple[DeliveryKey, ...], platform: str, shop: str, conversation_id: str, message_id: str
) -> bool:
    """Claim the delivery's keys `seen` (the memory of deliveries) unless it is a repeat there or
    in the store; a repeat told by the store is settled in the memory, so the next is told there."""
    deliveries = app[keys.DELIVERIES]
    if not await deliveries.claim(*seen):
        return False
    if await recorded_lately(app, platform, shop, conversation_id, message_id):
        await deliveries.settle(*seen)  # handled before this process started
        return False
    return True
