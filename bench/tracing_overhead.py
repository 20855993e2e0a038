"""What tracing costs a model call: untraced, traced with no SDK provider (the API's no-ops), and traced into an
in-memory SDK exporter, side by side in one run.

The calls go through a ``MockWire`` (no sockets), so what is timed is this package's own work per call, where a
tracing cost would show most. The three scenarios are interleaved round-robin per repetition; medians and ratios to
the untraced baseline are reported.

    python bench/tracing_overhead.py            # = --calls 2000 --repeats 7
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.testing import MockWire, WireCall, completion, stream_events

ENDPOINT = "https://r.openai.azure.com/openai/v1"


def answer(call: WireCall) -> object:
    return stream_events("Hel", "lo", " there") if call.kind == "stream" else completion("Hello there")


def models() -> dict[str, ChatAzureMultimodal]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])

    def model(**kwargs: object) -> ChatAzureMultimodal:
        return ChatAzureMultimodal(endpoint=ENDPOINT, model="gpt-4o", wire=MockWire(answer), temperature=0, **kwargs)

    return {
        "untraced (tracing=False)": model(tracing=False),
        "traced, no SDK provider (no-op)": model(),
        "traced into the SDK (in memory)": model(tracer_provider=tracer_provider, meter_provider=meter_provider),
    }


def per_call(run: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        run()
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    scenarios = models()
    kinds: dict[str, Callable[[ChatAzureMultimodal], object]] = {
        "invoke": lambda m: m.invoke("Hi"),
        "stream": lambda m: list(m.stream("Hi")),
    }
    for kind, call in kinds.items():
        for model in scenarios.values():  # warm-up: imports, first tracer/instrument creation
            per_call(lambda model=model, call=call: call(model), 50)
        results: dict[str, list[float]] = {name: [] for name in scenarios}
        for _ in range(args.repeats):
            for name, model in scenarios.items():
                results[name].append(per_call(lambda model=model, call=call: call(model), args.calls))
        baseline = statistics.median(results["untraced (tracing=False)"])
        print(f"\n{kind}: µs per call, {args.repeats} repeats of {args.calls} calls")
        print(f"{'scenario':36} {'median':>8} {'min-max':>15} {'ratio':>6}")
        for name, values in results.items():
            median = statistics.median(values)
            spread = f"{min(values):.0f}-{max(values):.0f}"
            print(f"{name:36} {median:8.1f} {spread:>15} {median / baseline:6.3f}")


if __name__ == "__main__":
    main()
