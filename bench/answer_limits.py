"""What the answer limits cost per call: today's ``ChatWire`` (the body read a chunk at a time inside the retry
policy, each answer and stream held to a Budget, the sync socket watched) beside the way the body was read before
issue 16 (azure-core's pipeline reading it whole, no budget, no watchdog), through the same clients, against the
embedded emulator on loopback, interleaved in one run.

    python bench/answer_limits.py            # 7 rounds of 200 calls each way, sync complete and stream
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from pydantic import SecretStr

from langchain_azure_multimodal._azure.sse import json_object, read_events
from langchain_azure_multimodal._azure.wire import ChatWire
from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.endpoints import resolve_endpoint

ROUNDS, CALLS = 7, 200


def main() -> None:
    with Emulator(api_key="k", record=False) as emu:
        wire = ChatWire(resolve_endpoint(emu.endpoint_for("openai-v1")), SecretStr("k"))
        body = {"model": emu.model, "messages": [{"role": "user", "content": "Say hello in three languages."}]}
        client = wire._clients.sync()  # the same SDK client and pipeline for both ways

        def today_complete() -> None:
            wire.complete(body)

        def before_complete() -> None:  # the pre-issue-16 path: the pipeline reads the body, then it is parsed
            response = client.send_request(wire._request(body, None, stream=False))
            json_object(response.text())

        def today_stream() -> None:
            with wire.stream(body) as events:
                for _ in events:
                    pass

        def before_stream() -> None:  # no budget, no watched socket
            response = client.send_request(wire._request(body, None, stream=True), stream=True)
            for _ in read_events(response):
                pass

        for name, before, today in (
            ("complete", before_complete, today_complete),
            ("stream", before_stream, today_stream),
        ):
            report(name, before, today)
        wire.close()


def report(name: str, before: Callable[[], None], today: Callable[[], None]) -> None:
    for _ in range(20):  # warm up both
        before()
        today()
    timings: dict[str, list[float]] = {"before": [], "today": []}
    for _ in range(ROUNDS):
        for label, call in (("before", before), ("today", today)):
            started = time.perf_counter()
            for _ in range(CALLS):
                call()
            timings[label].append((time.perf_counter() - started) / CALLS * 1e6)
    was, now = statistics.median(timings["before"]), statistics.median(timings["today"])
    spread = max(timings["today"]) - min(timings["today"])
    ratio = f"{now / was:.3f}x; today's spread {spread:.0f} µs"
    print(f"{name:>8}: before {was:7.0f} µs, today {now:7.0f} µs per call ({ratio})")


if __name__ == "__main__":
    main()
