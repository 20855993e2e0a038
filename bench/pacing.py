"""Rate limiter pacing: the window log alone (the old behaviour) against the log plus even pacing, on simulated time.

Azure checks a deployment's quota over short windows (typically 1 or 10 seconds), so what matters is how many
requests the limiter lets go in any second or any 10 s, not only in any minute. Both contenders push the same
requests, with the same simulated latencies, through ``RateLimiter.slot`` from a fixed set of workers:

- **window log only**: ``RateLimiter(rpm=..., burst_s=math.inf)``, which turns the pacing off and leaves exactly the
  old admission rule;
- **paced**: ``RateLimiter(rpm=...)``, the default ``burst_s=None`` (never ahead of the even pace), and
  ``burst_s=1.0`` (a second's share may go at once).

Nothing really waits: each run has its own event loop whose clock is virtual and jumps to the next timer whenever
every task is waiting, so minutes of traffic take milliseconds and the figures are exact for the seed. Each repetition
draws new latencies (uniform between ``--latency`` bounds, from ``--seed`` + the repetition) and runs both
contenders on them, alternating which goes first.

    python bench/pacing.py          # = --requests 600 --rpm 300 --concurrency 32 --latency 0.5 2.0 --repeats 5
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import random
import selectors
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from langchain_azure_multimodal.ratelimit import RateLimiter

CONTENDERS = {
    "window log only (burst_s=inf)": math.inf,
    "paced (burst_s=None, the default)": None,
    "paced (burst_s=1)": 1.0,
}
# Requests this close to a window's far edge count as outside it: a pace of exactly the share puts them right on the
# edge, where float rounding in the clock's sums would otherwise decide.
EDGE_S = 1e-6


class _VirtualClock:
    now = 0.0


class _JumpingSelector(selectors.DefaultSelector):
    """Never blocks on a timer: where the loop would sleep until its next timer, virtual time jumps there."""

    def __init__(self, clock: _VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:  # no timer at all: only another thread could wake the loop, so really wait for it
            return super().select(None)
        events = super().select(0)
        if not events:
            self._clock.now += timeout
        return events


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._virtual = _VirtualClock()
        super().__init__(_JumpingSelector(self._virtual))

    def time(self) -> float:
        return self._virtual.now


@dataclass
class Run:
    sent: list[float]  # when each request was let through, in order
    spans: list[tuple[float, float]]  # (let through, answered): it reached the service somewhere in between
    total_s: float


def simulate(rpm: int, burst_s: float, latencies: list[float], concurrency: int) -> Run:
    loop = _VirtualTimeLoop()
    try:
        limiter = RateLimiter(rpm=rpm, burst_s=burst_s, clock=loop.time)
        queue = list(latencies)
        sent: list[float] = []
        spans: list[tuple[float, float]] = []

        async def worker() -> None:
            while queue:
                latency = queue.pop(0)
                async with limiter.slot():
                    start = loop.time()
                    sent.append(start)
                    await asyncio.sleep(latency)
                spans.append((start, loop.time()))

        async def main() -> None:
            await asyncio.gather(*(worker() for _ in range(concurrency)))

        loop.run_until_complete(main())
        return Run(sent=sent, spans=spans, total_s=loop.time())
    finally:
        loop.close()


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window - EDGE_S:
            first += 1
        most = max(most, last - first + 1)
    return most


def most_arrivals_possible(spans: list[tuple[float, float]], window: float) -> int:
    """The most requests any window could hold at the service, wherever in its span each one arrived."""
    starts = sorted({t for span in spans for t in span})
    return max(sum(1 for sent, answered in spans if sent < t + window and answered >= t) for t in starts)


def over_share(times: list[float], window: float, share: float) -> int:
    """Requests sent while the trailing ``window`` already held ``share`` requests: what a service checking that
    window would refuse (counting every request sent, refused or not)."""
    times = sorted(times)
    over, first = 0, 0
    for index, at in enumerate(times):
        while at - times[first] >= window - EDGE_S:
            first += 1
        over += index - first >= share
    return over


def measure(run: Run, rpm: int) -> dict[str, float]:
    return {
        "max in 1 s": most_in_any_window(run.sent, 1.0),
        "max in 10 s": most_in_any_window(run.sent, 10.0),
        "max in 60 s (at the service)": most_arrivals_possible(run.spans, 60.0),
        "over the 1 s share": over_share(run.sent, 1.0, rpm / 60),
        "over the 10 s share": over_share(run.sent, 10.0, rpm / 6),
        "total s": run.total_s,
    }


def _fmt(value: float) -> str:
    return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rpm", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, nargs=2, default=(0.5, 2.0), metavar=("MIN_S", "MAX_S"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    print(
        f"{args.requests} requests at rpm={args.rpm}, concurrency {args.concurrency}, latency "
        f"{args.latency[0]:g}-{args.latency[1]:g} s, {args.repeats} repetitions; CPython {platform.python_version()}"
    )
    print(f"the short-window shares: {args.rpm / 60:g} requests per 1 s, {args.rpm / 6:g} per 10 s\n")
    results: dict[str, list[dict[str, float]]] = {name: [] for name in CONTENDERS}
    for repeat in range(args.repeats):
        rng = random.Random(args.seed + repeat)
        latencies = [rng.uniform(*args.latency) for _ in range(args.requests)]
        names = list(CONTENDERS)
        for name in names if repeat % 2 == 0 else reversed(names):
            run = simulate(args.rpm, CONTENDERS[name], latencies, args.concurrency)
            assert len(run.sent) == args.requests
            results[name].append(measure(run, args.rpm))

    metrics = list(next(iter(results.values()))[0])
    rows: list[list[Any]] = []
    for name, runs in results.items():
        row = [name]
        for metric in metrics:
            values = [r[metric] for r in runs]
            spread = f" ({_fmt(min(values))}\u2013{_fmt(max(values))})" if min(values) != max(values) else ""
            row.append(_fmt(statistics.median(values)) + spread)
        rows.append(row)
    header = ["contender", *(f"median {m}" for m in metrics)]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


if __name__ == "__main__":
    main()
