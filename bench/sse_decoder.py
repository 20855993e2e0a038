"""The SSE decoder on one large event arriving in small pieces: today's decoder beside the previous algorithm (which
copied its pending bytes on every chunk), in one run.

    python bench/sse_decoder.py            # events of 1, 4 and 16 MB in 4 KiB pieces, 3 repeats
"""

from __future__ import annotations

import statistics
import time

from langchain_azure_multimodal._azure.sse import SSEDecoder


class PreviousDecoder:
    """The algorithm before issue 16, kept here as the baseline: ``pending + chunk`` on every feed."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        lines = (self._pending + chunk).splitlines(keepends=True)
        self._pending = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
        return lines


def seconds(decoder: object, pieces: list[bytes]) -> float:
    started = time.perf_counter()
    for piece in pieces:
        decoder.feed(piece)  # type: ignore[attr-defined]
    return time.perf_counter() - started


def main() -> None:
    print(f"{'event':>8} {'previous s':>11} {'today s':>9} {'speed-up':>9}")
    for megabytes in (1, 4, 16):
        event = b"data: " + b"x" * (megabytes * 1_000_000) + b"\n\n"
        pieces = [event[i : i + 4096] for i in range(0, len(event), 4096)]
        previous = statistics.median(seconds(PreviousDecoder(), pieces) for _ in range(3))
        today = statistics.median(seconds(SSEDecoder(), pieces) for _ in range(3))
        print(f"{megabytes:>6} MB {previous:11.3f} {today:9.4f} {previous / today:8.0f}x")


if __name__ == "__main__":
    main()
