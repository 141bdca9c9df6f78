"""Folding: one call per key in flight; what arrives meanwhile goes together in
the next call, whose result (or failure) every waiter hears."""

from __future__ import annotations

import asyncio

import pytest

from client.folding import Folding


class Calls:
    """A call that holds its first invocation until released, recording each batch."""

    def __init__(self, fail_batch: int | None = None):
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()
        self.fail_batch = fail_batch

    async def __call__(self, key: str, items: list[int]) -> int:
        self.batches.append(items)
        if len(self.batches) == 1:
            await self.release.wait()
        if len(self.batches) == self.fail_batch:
            raise RuntimeError("Temporal unavailable")
        return sum(items)


async def started(*submits) -> list[asyncio.Task]:
    tasks = [asyncio.create_task(s) for s in submits]
    await asyncio.sleep(0)  # each reaches its first await: the leader calls, the rest wait
    return tasks


async def test_what_arrives_during_a_call_goes_together_in_the_next():
    calls = Calls()
    folding = Folding(calls)
    leader, *waiters = await started(*(folding.submit("k", i) for i in (1, 2, 3)))
    other = await started(folding.submit("other key", 10))
    calls.release.set()
    assert await leader == 1 and [await w for w in waiters] == [5, 5] and await other[0] == 10
    assert calls.batches == [[1], [10], [2, 3]]


async def test_a_cancelled_waiter_does_not_stop_the_others():
    calls = Calls()
    folding = Folding(calls)
    leader, gone, *waiters = await started(*(folding.submit("k", i) for i in (1, 2, 3, 4)))
    gone.cancel()
    calls.release.set()
    assert await leader == 1
    assert await asyncio.wait_for(asyncio.gather(*waiters), 5) == [9, 9], "the waiters still hear"
    assert calls.batches == [[1], [2, 3, 4]]


async def test_a_failed_call_fails_its_waiters_and_the_next_ones_still_go():
    calls = Calls(fail_batch=2)
    folding = Folding(calls)
    leader, *waiters = await started(*(folding.submit("k", i) for i in (1, 2, 3)))
    calls.release.set()
    assert await leader == 1
    for waiter in waiters:
        with pytest.raises(RuntimeError, match="Temporal unavailable"):
            await waiter
    assert await folding.submit("k", 7) == 7, "the key is free again"
    assert calls.batches == [[1], [2, 3], [7]]
