"""The per-minute limiter: no window ever holds more than its requests or tokens, and waiters keep their order."""

from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_azure_multimodal.ratelimit import RateLimiter


class FakeTime:
    """A clock that sleeping moves forward: minutes pass instantly."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def max_in_any_window(events: list[tuple[float, int]], window: float) -> tuple[int, int]:
    """The most requests and the most tokens any window of ``window`` seconds holds."""
    most_requests = most_tokens = 0
    for start, _ in events:
        inside = [tokens for at, tokens in events if start <= at < start + window]
        most_requests, most_tokens = max(most_requests, len(inside)), max(most_tokens, sum(inside))
    return most_requests, most_tokens


async def grant_all(limiter: RateLimiter, time: FakeTime, sizes: list[int], workers: int) -> list[tuple[float, int]]:
    granted: list[tuple[float, int]] = []
    queue = list(sizes)

    async def worker() -> None:
        while queue:
            tokens = queue.pop(0)
            await limiter.acquire(tokens)
            granted.append((time.now, tokens))

    await asyncio.gather(*(worker() for _ in range(workers)))
    return granted


def test_rpm_60_never_lets_a_minute_hold_more_than_60() -> None:
    time = FakeTime()
    limiter = RateLimiter(rpm=60, clock=time.clock, sleep=time.sleep)
    granted = asyncio.run(grant_all(limiter, time, [0] * 200, workers=16))
    assert len(granted) == 200
    assert max_in_any_window(granted, 60.0)[0] == 60  # full use of the quota, never more
    assert 180 <= time.now < 181  # 200 requests at 60 a minute: the last waits three minutes, not longer


def test_tpm_is_respected_with_uneven_requests() -> None:
    time = FakeTime()
    limiter = RateLimiter(rpm=1000, tpm=10_000, clock=time.clock, sleep=time.sleep)
    sizes = [random.Random(7).randint(100, 4_000) for _ in range(60)]
    granted = asyncio.run(grant_all(limiter, time, sizes, workers=8))
    assert sorted(t for _, t in granted) == sorted(sizes)
    assert max_in_any_window(granted, 60.0)[1] <= 10_000


@settings(max_examples=60, deadline=None)
@given(
    rpm=st.integers(1, 20) | st.none(),
    tpm=st.integers(500, 5_000) | st.none(),
    sizes=st.lists(st.integers(0, 500), min_size=1, max_size=40),
    workers=st.integers(1, 6),
)
def test_no_window_ever_exceeds_either_limit(rpm: int | None, tpm: int | None, sizes: list[int], workers: int) -> None:
    time = FakeTime()
    limiter = RateLimiter(rpm=rpm, tpm=tpm, window_s=10.0, clock=time.clock, sleep=time.sleep)
    granted = asyncio.run(grant_all(limiter, time, sizes, workers))
    assert len(granted) == len(sizes)
    requests, tokens = max_in_any_window(granted, 10.0)
    assert rpm is None or requests <= rpm
    assert tpm is None or tokens <= tpm


def test_waiters_are_served_in_arrival_order() -> None:
    time = FakeTime()
    limiter = RateLimiter(rpm=1, window_s=1.0, clock=time.clock, sleep=time.sleep)
    order: list[int] = []

    async def main() -> None:
        async def one(i: int) -> None:
            await limiter.acquire()
            order.append(i)

        await asyncio.gather(*(one(i) for i in range(5)))

    asyncio.run(main())
    assert order == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rpm": 0}, "rpm must be a whole number"),
        ({"tpm": -5}, "tpm must be"),
        ({"rpm": 1.5}, "rpm must be"),
        ({"window_s": 0}, "window_s must be positive"),
    ],
)
def test_bad_limits_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RateLimiter(**kwargs)


def test_a_request_that_can_never_fit_is_refused_not_waited_for() -> None:
    limiter = RateLimiter(tpm=1_000)
    with pytest.raises(ValueError, match="can never fit a limit of 1,000 tokens"):
        asyncio.run(limiter.acquire(tokens=1_001))
    with pytest.raises(ValueError, match="tokens must be 0 or more"):
        asyncio.run(limiter.acquire(tokens=-1))


def most_arrivals_possible(spans: list[tuple[float, float]], window: float) -> int:
    """The most requests any window could hold at the service, if each arrived at any moment of its (sent, answered)
    span: a window [t, t + window) can hold every request whose span meets it."""
    starts = [t for span in spans for t in span]
    return max(sum(1 for sent, answered in spans if sent < t + window and answered >= t) for t in starts)


@settings(max_examples=60, deadline=None)
@given(
    rpm=st.integers(1, 12),
    latencies=st.lists(st.floats(0.0, 25.0), min_size=1, max_size=40),
    workers=st.integers(1, 8),
)
def test_slots_keep_the_limit_wherever_in_flight_requests_arrive(
    rpm: int, latencies: list[float], workers: int
) -> None:
    time = FakeTime()
    limiter = RateLimiter(rpm=rpm, window_s=10.0, clock=time.clock, sleep=time.sleep)
    spans: list[tuple[float, float]] = []
    queue = list(latencies)

    async def worker() -> None:
        while queue:
            latency = queue.pop(0)
            async with limiter.slot():
                sent = time.now
                await time.sleep(latency)
            spans.append((sent, time.now))

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(workers)))

    asyncio.run(main())
    assert len(spans) == len(latencies)
    assert most_arrivals_possible(spans, 10.0) <= rpm


def test_a_slot_left_by_an_error_still_counts() -> None:
    time = FakeTime()
    limiter = RateLimiter(rpm=1, window_s=10.0, clock=time.clock, sleep=time.sleep)

    async def main() -> float:
        with pytest.raises(RuntimeError):
            async with limiter.slot():
                raise RuntimeError("the connection dropped")
        await limiter.acquire()
        return time.now

    assert asyncio.run(main()) >= 10.0
