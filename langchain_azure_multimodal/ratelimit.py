"""A limiter for a deployment's quota: requests per minute *and* tokens per minute, spread evenly over the minute.

Azure deployments are throttled on both (the seeds: 200,000 tokens and 1,000 requests per minute). LangChain's
``InMemoryRateLimiter`` is a token bucket on requests per second only: it knows nothing of tokens, and a bucket lets
bursts through that a strict per-minute quota refuses. This limiter keeps a log of the last minute's requests, so no
window of ``window_s`` seconds ever holds more than ``rpm`` requests or ``tpm`` tokens, and waiters are served in
the order they arrived.

The service counts a request when it *arrives*, which the client cannot see: a request sent first may arrive after
one sent later. So a request sent through :meth:`RateLimiter.slot` counts from when it is let through until
``window_s`` after its answer came back; it arrived somewhere in between, so any window of arrivals at the service
holds only requests that were counted together here, and the limit holds where it is enforced. The SDK's own
retries of a request (after a 429 or a 503) happen inside its slot and are not counted again.

The window log alone is not enough: Azure measures the rate over short windows (typically 1 or 10 seconds) and
answers 429 once one holds more than its share of the minute's quota (``rpm / 60`` a second), so a limiter that lets
the whole minute's budget through in its first second is refused. On top of the log, requests and tokens are
therefore spread evenly, at ``rpm`` and ``tpm`` per ``window_s`` (virtual scheduling, as in GCRA): at most
``burst_s`` seconds' share may go at once, and a request larger than that share goes alone once the pace has caught
up, then holds back the next ones for its share. The log stays the hard guarantee; the pace keeps short windows even.

Example:
    >>> import asyncio
    >>> async def main() -> float:
    ...     now = 0.0  # a fake clock (the default is time.monotonic and asyncio.sleep)
    ...     async def sleep(seconds: float) -> None:
    ...         nonlocal now
    ...         now += seconds
    ...     limiter = RateLimiter(rpm=120, tpm=36_000, clock=lambda: now, sleep=sleep)  # 2 a second, spread evenly
    ...     async with limiter.slot(tokens=300):
    ...         pass  # send the request here
    ...     await limiter.acquire(tokens=300)  # a request that counts from now on: it waits for its share
    ...     return now
    >>> asyncio.run(main())  # seconds the second request waited
    0.5
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

_MIN_WAIT_S = 0.001
# A clock's float sums can land a hair short of a due time; waiting _MIN_WAIT_S more for that would push every later
# request back when the pace is the limit, so the pace lets a request go this early.
_EARLY_S = 1e-9


class RateLimiter:
    """Waits so that no ``window_s`` window holds more than ``rpm`` requests or ``tpm`` tokens (``None`` = no limit),
    and spreads them evenly over the window: one request every ``window_s / rpm`` seconds, and tokens at
    ``tpm / window_s`` a second.

    ``burst_s`` is how far ahead of that even pace the limiter may run: at most ``burst_s`` seconds' share of the
    requests (at least one) and of the tokens may go at once, and a request larger than that goes alone. The default,
    ``None``, never runs ahead (each request waits for its own share), which keeps every 1 s and 10 s window within
    its share of the quota (see bench/README.md, "Pacing"); ``1.0`` lets ``rpm / 60`` requests go together;
    ``math.inf`` turns the pacing off and leaves the window log alone. ``clock`` and ``sleep`` are there for tests
    (a fake clock makes minutes instant).
    """

    def __init__(
        self,
        *,
        rpm: int | None = None,
        tpm: int | None = None,
        window_s: float = 60.0,
        burst_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        for name, value in (("rpm", rpm), ("tpm", tpm)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a whole number of at least 1, or None for no limit; got {value!r}")
        if window_s <= 0:
            raise ValueError(f"window_s must be positive, got {window_s}")
        if burst_s is not None and not burst_s > 0:  # also refuses NaN, which would admit everything
            raise ValueError(f"burst_s must be positive, or None (math.inf turns pacing off), got {burst_s}")
        self.rpm, self.tpm, self.window_s, self.burst_s = rpm, tpm, window_s, burst_s
        self._clock, self._sleep = clock, sleep
        self._ended: deque[tuple[float, int]] = deque()  # (when it stopped being in flight, tokens), oldest first
        self._ended_tokens = 0
        self._in_flight: dict[int, int] = {}  # slot number -> tokens
        self._numbers = itertools.count()
        self._turn = asyncio.Lock()  # one waiter at a time: first come, first served
        self._slot_ended = asyncio.Event()
        self._due = [-math.inf, -math.inf]  # theoretical arrival time of the next request, by requests and by tokens

    def _paces(self, tokens: int) -> list[tuple[int, float]]:
        """(dimension, seconds of the even pace this request uses) for each limited dimension."""
        paces = []
        if self.rpm is not None:
            paces.append((0, self.window_s / self.rpm))
        if self.tpm is not None:
            paces.append((1, self.window_s * tokens / self.tpm))
        return paces

    def _pace_wait(self, paces: list[tuple[int, float]], now: float) -> float:
        """Seconds until the even pace lets the request go (0 or less: it may go now)."""
        # Running ahead by up to burst_s is allowed; a request whose own share is larger could never fit that, so it
        # goes once the pace has caught up and the ones after it wait for its share.
        burst = self.burst_s
        return max((self._due[dim] - (0.0 if burst is None else max(0.0, burst - cost)) - now for dim, cost in paces),
                   default=0.0)  # fmt: skip

    def _forget_old(self, now: float) -> None:
        while self._ended and self._ended[0][0] <= now - self.window_s:
            _, tokens = self._ended.popleft()
            self._ended_tokens -= tokens

    def _fits(self, tokens: int) -> bool:
        requests = len(self._ended) + len(self._in_flight)
        used = self._ended_tokens + sum(self._in_flight.values())
        return (self.rpm is None or requests < self.rpm) and (self.tpm is None or used + tokens <= self.tpm)

    def _wait_for(self, tokens: int, now: float) -> float | None:
        """Seconds until a request of ``tokens`` fits (it does not fit now); ``None`` if a slot in flight must end
        first."""
        wait = 0.0
        if self.rpm is not None:
            over = len(self._ended) + len(self._in_flight) - self.rpm + 1  # how many must leave the window
            if over > len(self._ended):
                return None
            if over > 0:
                wait = self._ended[over - 1][0] + self.window_s - now
        if self.tpm is not None:
            excess = self._ended_tokens + sum(self._in_flight.values()) + tokens - self.tpm
            for ended_at, ended_tokens in self._ended:  # oldest first: when enough of them have left the window
                if excess <= 0:
                    break
                excess -= ended_tokens
                wait = max(wait, ended_at + self.window_s - now)
            if excess > 0:
                return None
        return max(_MIN_WAIT_S, wait)  # never a busy loop, even when float rounding puts an expiry a hair ahead

    async def _admit(self, tokens: int) -> int:
        if tokens < 0:
            raise ValueError(f"tokens must be 0 or more, got {tokens}")
        if self.tpm is not None and tokens > self.tpm:
            raise ValueError(
                f"one request of {tokens:,} tokens can never fit a limit of {self.tpm:,} tokens per "
                f"{self.window_s:g} s; raise tpm or make the request smaller (split the audio, lower the image detail)"
            )
        number = next(self._numbers)
        if self.rpm is None and self.tpm is None:  # nothing to wait for, and so nothing to keep
            self._in_flight[number] = tokens
            return number
        async with self._turn:
            while True:
                now = self._clock()
                self._forget_old(now)
                paces = self._paces(tokens)
                pace_wait = self._pace_wait(paces, now)
                fits = self._fits(tokens)
                if fits and pace_wait <= _EARLY_S:
                    for dim, cost in paces:
                        self._due[dim] = max(self._due[dim], now) + cost
                    self._in_flight[number] = tokens
                    return number
                # Whoever holds the turn waits for both the window and the pace, so nobody behind it can pass.
                wait = 0.0 if fits else self._wait_for(tokens, now)
                if wait is None:
                    self._slot_ended.clear()
                    await self._slot_ended.wait()
                else:
                    await self._sleep(max(_MIN_WAIT_S, wait, pace_wait))

    def _end(self, number: int) -> None:
        tokens = self._in_flight.pop(number)
        if self.rpm is None and self.tpm is None:  # an unlimited limiter keeps no log: a long run would fill it
            return
        self._ended.append((self._clock(), tokens))
        self._ended_tokens += tokens
        self._slot_ended.set()

    @asynccontextmanager
    async def slot(self, tokens: int = 0) -> AsyncIterator[None]:
        """Wait until a request of ``tokens`` tokens fits, and count it until ``window_s`` after the block ends.

        Send the request inside the block: it counts while it is in flight, and for a whole window after its answer,
        so that the limit holds at the service whatever the network does. A block left by an error counts too: the
        request may have reached the service.
        """
        number = await self._admit(tokens)
        try:
            yield
        finally:
            self._end(number)

    async def acquire(self, tokens: int = 0) -> None:
        """Wait until one request of ``tokens`` tokens fits in the window, and count it from now.

        For a request that is sent at once and may take a while, :meth:`slot` is the safer form.
        """
        self._end(await self._admit(tokens))
