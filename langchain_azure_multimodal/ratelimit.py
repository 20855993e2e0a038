"""A limiter for a deployment's quota: requests per minute *and* tokens per minute, in any 60-second window.

Azure deployments are throttled on both (the seeds: 200,000 tokens and 1,000 requests per minute). LangChain's
``InMemoryRateLimiter`` is a token bucket on requests per second only: it knows nothing of tokens, and a bucket lets
bursts through that a strict per-minute quota refuses. This limiter keeps a log of the last minute's grants, so no
window of ``window_s`` seconds ever holds more than ``rpm`` requests or ``tpm`` tokens, and waiters are served in
the order they arrived.

Example:
    >>> import asyncio
    >>> async def main() -> int:
    ...     limiter = RateLimiter(rpm=2, tpm=1000)
    ...     await limiter.acquire(tokens=300)
    ...     await limiter.acquire(tokens=300)
    ...     return limiter.requests_in_window()
    >>> asyncio.run(main())
    2
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

_MIN_WAIT_S = 0.001


class RateLimiter:
    """Waits so that no ``window_s`` window holds more than ``rpm`` requests or ``tpm`` tokens (``None`` = no limit).

    ``clock`` and ``sleep`` are there for tests (a fake clock makes minutes instant).
    """

    def __init__(
        self,
        *,
        rpm: int | None = None,
        tpm: int | None = None,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        for name, value in (("rpm", rpm), ("tpm", tpm)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a whole number of at least 1, or None for no limit; got {value!r}")
        if window_s <= 0:
            raise ValueError(f"window_s must be positive, got {window_s}")
        self.rpm, self.tpm, self.window_s = rpm, tpm, window_s
        self._clock, self._sleep = clock, sleep
        self._grants: deque[tuple[float, int]] = deque()
        self._tokens_in_window = 0
        self._turn = asyncio.Lock()  # one waiter at a time: first come, first served

    def _forget_old(self, now: float) -> None:
        while self._grants and self._grants[0][0] <= now - self.window_s:
            _, tokens = self._grants.popleft()
            self._tokens_in_window -= tokens

    def _fits(self, tokens: int) -> bool:
        rpm_ok = self.rpm is None or len(self._grants) < self.rpm
        return rpm_ok and (self.tpm is None or self._tokens_in_window + tokens <= self.tpm)

    def _wait_for(self, tokens: int, now: float) -> float:
        """Seconds until a request of ``tokens`` fits (it does not fit now)."""
        wait = 0.0
        if self.rpm is not None and len(self._grants) >= self.rpm:
            wait = self._grants[len(self._grants) - self.rpm][0] + self.window_s - now
        if self.tpm is not None and self._tokens_in_window + tokens > self.tpm:
            excess = self._tokens_in_window + tokens - self.tpm
            for granted_at, granted in self._grants:  # oldest first: when enough of them have left the window
                excess -= granted
                if excess <= 0:
                    wait = max(wait, granted_at + self.window_s - now)
                    break
        return max(_MIN_WAIT_S, wait)  # never a busy loop, even when float rounding puts an expiry a hair ahead

    async def acquire(self, tokens: int = 0) -> None:
        """Wait until one request of ``tokens`` tokens fits in the window, and record it."""
        if tokens < 0:
            raise ValueError(f"tokens must be 0 or more, got {tokens}")
        if self.tpm is not None and tokens > self.tpm:
            raise ValueError(
                f"one request of {tokens:,} tokens can never fit a limit of {self.tpm:,} tokens per "
                f"{self.window_s:g} s; raise tpm or make the request smaller (split the audio, lower the image detail)"
            )
        async with self._turn:
            while True:
                now = self._clock()
                self._forget_old(now)
                if self._fits(tokens):
                    self._grants.append((now, tokens))
                    self._tokens_in_window += tokens
                    return
                await self._sleep(self._wait_for(tokens, now))

    def requests_in_window(self) -> int:
        """Requests granted in the current window."""
        self._forget_old(self._clock())
        return len(self._grants)

    def tokens_in_window(self) -> int:
        """Tokens granted in the current window."""
        self._forget_old(self._clock())
        return self._tokens_in_window
