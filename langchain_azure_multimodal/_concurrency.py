"""One bounded-concurrency helper: run async jobs with a cap on those in flight, and yield results in input order.

The parsers' model calls, the loaders' file reads and a batch's items all need the same thing: at most ``limit``
jobs at once, results in the order the jobs came, memory bounded however many come, and nothing left running when
the caller stops early or a job fails.

Example:
    >>> import asyncio
    >>> async def square(n: int) -> int:
    ...     await asyncio.sleep(0.01 * (3 - n))  # later jobs finish first
    ...     return n * n
    >>> async def main() -> list[int]:
    ...     return [r async for r in in_order([lambda n=n: square(n) for n in range(4)], limit=2)]
    >>> asyncio.run(main())
    [0, 1, 4, 9]
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import TypeVar

__all__ = ["aiter_of", "in_order"]

T = TypeVar("T")


async def aiter_of(items: Iterable[T] | AsyncIterable[T]) -> AsyncIterator[T]:
    """``items`` as an async iterator, whether they come sync or async."""
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


async def in_order(
    jobs: Iterable[Callable[[], Awaitable[T]]] | AsyncIterable[Callable[[], Awaitable[T]]],
    *,
    limit: int,
    window: int | None = None,
) -> AsyncGenerator[T, None]:
    """Run ``jobs`` (zero-argument coroutine functions) with at most ``limit`` in flight; yield results in order.

    ``window`` jobs are started ahead (``2 * limit`` by default), so the slots stay busy while an early job is slow;
    the next job is taken from ``jobs`` only when one is yielded, which bounds memory. A job's exception is raised
    when its turn comes; then, or when the caller stops iterating (close the iterator, e.g. with
    ``contextlib.aclosing``), the jobs still running are cancelled and awaited.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    ahead = 2 * limit if window is None else window
    if ahead < limit:
        raise ValueError(f"window must be at least the limit ({limit}), not {ahead}")
    semaphore = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await job()

    source = aiter_of(jobs)
    started: deque[asyncio.Task[T]] = deque()
    try:
        exhausted = False
        while True:
            while not exhausted and len(started) < ahead:
                try:
                    job = await anext(source)
                except StopAsyncIteration:
                    exhausted = True
                else:
                    started.append(asyncio.ensure_future(run(job)))
            if not started:
                return
            yield await started.popleft()
    finally:
        for task in started:
            task.cancel()
        if started:
            await asyncio.gather(*started, return_exceptions=True)
