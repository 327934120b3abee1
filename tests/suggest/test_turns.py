"""Embedding turns and builder slots among a process's builds: the smallest build first, and a
turn or slot never lost."""

from __future__ import annotations

import asyncio

import pytest

from assistant.storage.protocols import JobRecord, JobState
from assistant.suggest.turns import EmbeddingTurns, SmallestFirstSlots, jobs_ahead, waits_for

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


async def test_free_builder_slots_go_to_the_smallest_waiting_build() -> None:
    slots = SmallestFirstSlots(2)
    await slots.acquire(BIG)
    await slots.acquire(OTHER)  # both slots taken
    big_next = asyncio.create_task(slots.acquire((3000, "t4", "bigger")))
    await asyncio.sleep(0)
    small = asyncio.create_task(slots.acquire(SMALL))  # asks later, but has fewer rows
    await asyncio.sleep(0)
    assert not big_next.done() and not small.done()
    slots.release(BIG)
    await asyncio.wait_for(small, timeout=1)
    assert not big_next.done() and slots.holders == 2
    slots.release(OTHER)
    await asyncio.wait_for(big_next, timeout=1)


async def test_a_cancelled_slot_waiter_hands_its_slot_on() -> None:
    """A waiter given the slot, then cancelled before it ran (a shutdown, a deletion): the slot
    goes on to the next waiter instead of staying held by nobody."""
    slots = SmallestFirstSlots(1)
    await slots.acquire(BIG)
    cancelled = asyncio.create_task(slots.acquire(SMALL))
    waiting = asyncio.create_task(slots.acquire(OTHER))
    await asyncio.sleep(0)
    slots.release(BIG)  # the smallest waiter is given the slot ...
    cancelled.cancel()  # ... and cancelled before it took it
    await asyncio.wait_for(waiting, timeout=1)
    assert cancelled.cancelled() and slots.holders == 1 and slots.waiting == 0
    slots.release(OTHER)
    await asyncio.wait_for(slots.acquire(BIG), timeout=1)  # free, not held by nobody
    slots.release(BIG)
    assert slots.holders == 0


async def test_a_withdrawn_slot_waiter_fails_and_leaves_the_slots_as_they_were() -> None:
    slots = SmallestFirstSlots(1)
    await slots.acquire(BIG)
    deleted = asyncio.create_task(slots.acquire(SMALL))
    waiting = asyncio.create_task(slots.acquire(OTHER))
    await asyncio.sleep(0)
    slots.withdraw({SMALL[2]}, RuntimeError("the shop was deleted"))
    with pytest.raises(RuntimeError, match="deleted"):
        await asyncio.wait_for(deleted, timeout=1)
    assert slots.waiting == 1 and slots.holders == 1
    slots.release(BIG)
    await asyncio.wait_for(waiting, timeout=1)
    slots.release(OTHER)
    assert slots.holders == 0 and slots.waiting == 0


def _job(id_: str, shop: str, state: JobState, rows: int = 0, read: bool = False) -> JobRecord:
    revision = "r" if read or state == "running" else ""
    return JobRecord(id_, shop, "rebuild", state, created_at=id_, owner="me", rows=rows, knowledge_revision=revision)


def test_a_build_waiting_for_a_slot_waits_behind_the_running_builds_and_smaller_waiters() -> None:
    running = [_job("t1", "big", "running", 2000), _job("t2", "mid", "running", 300)]
    small = _job("t3", "small", "queued", 12, read=True)  # its rows read: waits for a builder slot
    other = _job("t4", "other", "queued", 40, read=True)
    after_small = _job("t5", "small", "queued")  # its shop's job before it first
    unfinished = [*running, small, other, after_small]
    assert [waits_for(j) for j in (small, after_small, running[0])] == ["builder_slot", "shop_order", "embedding_turn"]
    assert [j.id for j in jobs_ahead(small, unfinished)] == ["t1", "t2"]
    assert [j.id for j in jobs_ahead(other, unfinished)] == ["t1", "t2", "t3"]
    assert [j.id for j in jobs_ahead(after_small, unfinished)] == ["t3"]
    assert [j.id for j in jobs_ahead(running[0], unfinished)] == ["t2"]  # a waiter takes no embedding turn
