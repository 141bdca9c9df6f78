"""Folding concurrent calls per key: while one call for a key is in flight,
whatever arrives for that key waits and goes together in the next call.

An alert storm then costs a handful of signals per incident, and a burst of
incidents of one service a handful of calls to its change log, not one each."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


class Folding(Generic[K, T, R]):
    def __init__(self, call: Callable[[K, list[T]], Awaitable[R]]):
        self._call = call
        self._waiting: dict[K, list[tuple[T, asyncio.Future[R]]]] = {}  # keys with a call in flight
        self._followers: dict[K, asyncio.Task[None]] = {}

    async def submit(self, key: K, item: T) -> R:
        """The result of the call that took `item`: at once when nothing is in
        flight for the key, else the next call, shared with all that waited."""
        waiting = self._waiting.get(key)
        if waiting is not None:
            future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
            waiting.append((item, future))
            return await future
        self._waiting[key] = []
        try:
            return await self._call(key, [item])
        finally:
            if self._waiting[key]:
                self._followers[key] = asyncio.create_task(self._follow(key))
            else:
                del self._waiting[key]

    async def _follow(self, key: K) -> None:
        """Call for whatever waited, until nothing does."""
        try:
            while waiting := self._waiting[key]:
                self._waiting[key] = []
                try:
                    result = await self._call(key, [item for item, _ in waiting])
                except Exception as err:  # every waiter hears of it
                    for _, future in waiting:
                        if not future.done():
                            future.set_exception(err)
                    continue
                for _, future in waiting:
                    if not future.done():
                        future.set_result(result)
        finally:
            del self._waiting[key]
            del self._followers[key]
