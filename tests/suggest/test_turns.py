"""Embedding turns among a process's builds: the smallest build first, and a turn never lost."""

from __future__ import annotations

import asyncio

from assistant.suggest.turns import EmbeddingTurns

BIG, SMALL, OTHER = (2000, "t1", "big"), (12, "t2", "small"), (40, "t3", "other")


async def test_a_free_turn_goes_to_the_smallest_build_and_a_started_small_build_keeps_it() -> None:
    turns = EmbeddingTurns()
    order: list[str] = []
    with turns.build(BIG), turns.build(SMALL):
        await turns.acquire(BIG)  # the big build embeds a batch
        small = asyncio.create_task(turns.acquire(SMALL))
        await asyncio.sleep(0)
        assert not small.done()  # the batch in flight finishes first
        turns.release(BIG)
        await small
        order.append("small")
        big = asyncio.create_task(turns.acquire(BIG))
        turns.release(SMALL)  # between two of its batches: the big one does not slip in
        await asyncio.sleep(0)
        assert not big.done()
        await turns.acquire(SMALL)
        turns.release(SMALL)
    await big  # the small build is gone: the big one goes on
    order.append("big")
    assert order == ["small", "big"]


async def test_a_turn_handed_on_while_a_cancelled_waiter_has_not_cleaned_up_is_not_lost() -> None:
    """A second reading: `release` ran between a waiter's cancel and its cleanup, handed it the
    turn, `set_result` raised on the cancelled future and the turn stayed held by nobody."""
    turns = EmbeddingTurns()
    with turns.build(BIG), turns.build(SMALL), turns.build(OTHER):
        await turns.acquire(BIG)
        cancelled = asyncio.create_task(turns.acquire(SMALL))
        waiting = asyncio.create_task(turns.acquire(OTHER))
        await asyncio.sleep(0)
        cancelled.cancel()  # its future is cancelled now, its cleanup runs on its next step
        turns.release(BIG)  # must not raise, and must pass the turn on
        await asyncio.wait_for(waiting, timeout=1)
        assert cancelled.cancelled() or cancelled.done()
        turns.release(OTHER)
        await asyncio.wait_for(turns.acquire(OTHER), timeout=1)  # the turn is free, not held by nobody
        turns.release(OTHER)
