"""The per-minute limiter: no window ever holds more than its requests or tokens, they are spread evenly over the
window, and waiters keep their order."""

from __future__ import annotations

import asyncio
import itertools
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_azure_multimodal.ratelimit import RateLimiter


class FakeTime:
    """A clock that sleeping moves forward: minutes pass instantly."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps = 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1
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
    # The window log alone (no pacing), so that it is the log, not the pace, that stops the bursts.
    limiter = RateLimiter(rpm=60, burst_s=math.inf, clock=time.clock, sleep=time.sleep)
    granted = asyncio.run(grant_all(limiter, time, [0] * 200, workers=16))
    assert len(granted) == 200
    assert max_in_any_window(granted, 60.0)[0] == 60  # full use of the quota, never more
    assert 180 <= time.now < 181  # 200 requests at 60 a minute: the last waits three minutes, not longer


def test_rpm_60_is_spread_at_one_request_a_second() -> None:
    time = FakeTime()
    limiter = RateLimiter(rpm=60, clock=time.clock, sleep=time.sleep)
    granted = asyncio.run(grant_all(limiter, time, [0] * 120, workers=16))
    times = [at for at, _ in granted]
    assert len(times) == 120
    assert all(later - earlier >= 1.0 - 1e-9 for earlier, later in itertools.pairwise(times))
    assert max_in_any_window(granted, 1.0)[0] == 1  # the burst: one second's share, here one request
    assert max_in_any_window(granted, 10.0)[0] == 10  # what a 10 s window at the service allows: rpm / 6
    assert max_in_any_window(granted, 60.0)[0] == 60  # and the minute's quota is still used in full, never more
    assert 119 <= time.now < 120
    assert time.sleeps <= len(times)  # one sleep per wait, never a poll


@pytest.mark.parametrize(("rpm", "burst_s", "at_once"), [(300, 0.5, 2), (300, 1.0, 5), (300, 2.0, 10), (30, 1.0, 1)])
def test_at_most_burst_s_of_requests_go_at_once(rpm: int, burst_s: float, at_once: int) -> None:
    time = FakeTime()
    limiter = RateLimiter(rpm=rpm, burst_s=burst_s, clock=time.clock, sleep=time.sleep)
    granted = asyncio.run(grant_all(limiter, time, [0] * 40, workers=32))
    times = [at for at, _ in granted]
    assert times.count(0.0) == at_once
    # After the burst, the k-th request goes at the even pace, burst_s (less its own interval) early.
    interval = 60.0 / rpm
    assert times == pytest.approx([max(0.0, k * interval - max(0.0, burst_s - interval)) for k in range(40)])
    assert max_in_any_window(granted, 1.0)[0] <= at_once + max(1, rpm // 60)  # the burst, plus one second's share


def test_by_default_no_request_runs_ahead_of_the_even_pace() -> None:
    time = FakeTime()
    limiter = RateLimiter(rpm=300, clock=time.clock, sleep=time.sleep)  # one request every 0.2 s
    granted = asyncio.run(grant_all(limiter, time, [0] * 100, workers=32))
    assert [at for at, _ in granted] == pytest.approx([k * 0.2 for k in range(100)])
    assert max_in_any_window(granted, 1.0)[0] <= 5 + 1  # a second's share (+1 where a window holds both ends)
    assert max_in_any_window(granted, 10.0)[0] <= 50 + 1


def test_tokens_are_spread_at_tpm_per_minute() -> None:
    time = FakeTime()
    limiter = RateLimiter(tpm=6_000, clock=time.clock, sleep=time.sleep)  # 100 tokens a second
    granted = asyncio.run(grant_all(limiter, time, [500] * 30, workers=8))
    times = [at for at, _ in granted]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert times[0] == 0.0
    assert all(abs(gap - 5.0) < 1e-6 for gap in gaps)  # 0.2 requests a second, evenly
    assert max_in_any_window(granted, 10.0)[1] <= 1_000  # 10 s worth of tokens, not the minute's 6,000 at once


def test_a_request_larger_than_a_seconds_tokens_goes_and_the_next_waits_for_its_share() -> None:
    time = FakeTime()
    limiter = RateLimiter(
        tpm=6_000, burst_s=1.0, clock=time.clock, sleep=time.sleep
    )  # 100 tokens a second, 100 at once
    granted = asyncio.run(grant_all(limiter, time, [1_000, 100, 10], workers=3))
    # 1,000 tokens are 10 s of the pace: it goes at once, then the next waits those 10 s; 10 tokens fit the burst.
    assert granted == [(0.0, 1_000), (10.0, 100), (pytest.approx(10.1), 10)]


def test_a_request_waiting_for_the_pace_does_not_pass_one_waiting_for_the_window() -> None:
    time = FakeTime()
    limiter = RateLimiter(
        tpm=1_000, window_s=10.0, burst_s=1.0, clock=time.clock, sleep=time.sleep
    )  # 100 tokens a second
    admitted: list[tuple[str, float]] = []

    async def hold(name: str, tokens: int, seconds: float) -> None:
        async with limiter.slot(tokens):
            admitted.append((name, time.now))
            await time.sleep(seconds)

    async def main() -> None:
        # "big" must wait for the window (900 + 200 > 1,000 until 10 s after "held" ends, at 15 s); "small" would fit
        # the window at 5 s and the pace at 8.5 s, but it came later, so it goes after "big", at its pace.
        await asyncio.gather(hold("held", 900, 5.0), hold("big", 200, 0.0), hold("small", 50, 0.0))

    asyncio.run(main())
    assert admitted == [("held", 0.0), ("big", 15.0), ("small", 16.5)]


def test_without_limits_nothing_waits_whatever_burst_s() -> None:
    time = FakeTime()
    limiter = RateLimiter(burst_s=0.001, clock=time.clock, sleep=time.sleep)
    granted = asyncio.run(grant_all(limiter, time, [10_000] * 500, workers=32))
    assert len(granted) == 500
    assert time.sleeps == 0 and time.now == 0.0


def test_tpm_is_respected_with_uneven_requests() -> None:
    time = FakeTime()
    limiter = RateLimiter(rpm=1000, tpm=10_000, clock=time.clock, sleep=time.sleep)
    sizes = [random.Random(7).randint(100, 4_000) for _ in range(60)]
    granted = asyncio.run(grant_all(limiter, time, sizes, workers=8))
    assert sorted(t for _, t in granted) == sorted(sizes)
    assert max_in_any_window(granted, 60.0)[1] <= 10_000


BURSTS = st.sampled_from([0.05, 0.5, 1.0, 2.5, 30.0, math.inf])


@settings(max_examples=60, deadline=None)
@given(
    rpm=st.integers(1, 20) | st.none(),
    tpm=st.integers(500, 5_000) | st.none(),
    sizes=st.lists(st.integers(0, 500), min_size=1, max_size=40),
    workers=st.integers(1, 6),
    burst_s=BURSTS,
)
def test_no_window_ever_exceeds_either_limit(
    rpm: int | None, tpm: int | None, sizes: list[int], workers: int, burst_s: float
) -> None:
    time = FakeTime()
    limiter = RateLimiter(rpm=rpm, tpm=tpm, window_s=10.0, burst_s=burst_s, clock=time.clock, sleep=time.sleep)
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
        ({"burst_s": 0}, "burst_s must be positive"),
        ({"burst_s": -1.0}, "burst_s must be positive"),
        ({"burst_s": math.nan}, "burst_s must be positive"),
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
    burst_s=BURSTS,
)
def test_slots_keep_the_limit_wherever_in_flight_requests_arrive(
    rpm: int, latencies: list[float], workers: int, burst_s: float
) -> None:
    time = FakeTime()
    limiter = RateLimiter(rpm=rpm, window_s=10.0, burst_s=burst_s, clock=time.clock, sleep=time.sleep)
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


@settings(max_examples=80, deadline=None)
@given(
    rpm=st.integers(1, 60) | st.none(),
    tpm=st.integers(500, 5_000) | st.none(),
    burst_s=st.sampled_from([0.05, 0.5, 1.0, 2.5]),
    requests=st.lists(st.tuples(st.integers(0, 500), st.floats(0.0, 3.0)), min_size=1, max_size=40),
    workers=st.integers(1, 8),
)
def test_admissions_keep_the_even_pace_and_their_order(
    rpm: int | None, tpm: int | None, burst_s: float, requests: list[tuple[int, float]], workers: int
) -> None:
    window_s = 10.0
    time = FakeTime()
    limiter = RateLimiter(rpm=rpm, tpm=tpm, window_s=window_s, burst_s=burst_s, clock=time.clock, sleep=time.sleep)
    admitted: list[tuple[int, float, int]] = []  # (arrival number, when admitted, tokens)
    queue = list(enumerate(requests))

    async def worker() -> None:
        while queue:
            number, (tokens, latency) = queue.pop(0)
            async with limiter.slot(tokens):
                admitted.append((number, time.now, tokens))
                await time.sleep(latency)

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(workers)))

    asyncio.run(main())
    assert [number for number, _, _ in admitted] == list(range(len(requests)))  # first come, first served
    # What the even pace promises for any run of admissions that fits in a window of w seconds: the requests after
    # the first came at most one interval apart beyond the burst, and the tokens before the last at most w + burst_s
    # seconds' worth (the last may be a large request that went alone).
    for w in (0.0, 1.0, window_s / 6):
        for first, (_, start, _) in enumerate(admitted):
            run = [tokens for _, at, tokens in admitted[first:] if at - start <= w]
            if rpm is not None:
                interval = window_s / rpm
                assert len(run) <= 1 + (w + max(0.0, burst_s - interval)) / interval + 1e-6
            if tpm is not None:
                assert sum(run[:-1]) <= (w + burst_s) * tpm / window_s + 1e-6


def test_an_unlimited_limiter_keeps_nothing_per_request() -> None:
    # ingest makes one even with no --rpm/--tpm; a long run must not keep a minute of requests for nothing.
    import tracemalloc

    limiter = RateLimiter()

    async def many() -> None:
        for _ in range(50_000):
            async with limiter.slot(tokens=10):
                pass

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        asyncio.run(many())
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 500_000  # a log of them would hold about 4 MB
