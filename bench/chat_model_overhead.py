"""What ``ChatAzureMultimodal`` costs on top of the raw ``azure-ai-inference`` SDK, against the emulator.

Usage::

    python bench/chat_model_overhead.py                  # defaults: 1,000 invokes, 300 streams, 500 concurrent, x5
    python bench/chat_model_overhead.py --calls 200 --streams 50 --concurrency 100 --repeats 3 --import-runs 5
    /tmp/peer-venv/bin/python bench/chat_model_overhead.py   # adds langchain-azure-ai rows (see bench/README.md)

Scenarios, all in one run, each with its baseline:

- ``invoke``: sequential ``invoke("Hello")`` vs the raw sync client's ``complete(messages=[UserMessage("Hello")])``,
  with a "LangChain floor" (a trivial ``BaseChatModel`` whose ``_generate`` calls the raw client with pre-built
  messages), our model on the bare root and on ``/openai/v1``, and the peer if importable.
- ``stream``: time to the first non-empty text, ``stream("Hello")`` vs the raw ``complete(..., stream=True)``. Every
  stream is read to its end, so connections are reused as they would be.
- ``concurrency``: ``--concurrency`` ``ainvoke`` gathered at once vs the same number of ``complete`` calls on one
  shared ``azure.ai.inference.aio.ChatCompletionsClient``; plus the floor on a shared client (ours keeps one async
  client per event loop, so it shares one too).
- ``import``: in fresh processes, the time of the import statement inside the process, and the process's wall time
  minus that of ``python -c pass`` (the child leaves with ``os._exit``, so interpreter teardown is in neither).

The emulator runs in its own process (``python -m langchain_azure_multimodal.emulator.cli --port 0``), so its CPU
is not in the client's GIL; the two still share the machine's cores. Contenders take turns in blocks of
:data:`BLOCK` calls (the order rotates every round), so drift hits them alike; medians across repetitions are
reported, and ratios are the median of the per-repetition ratios (paired). Traffic goes to 127.0.0.1 only; the whole
run is bounded by ``--time-limit`` and the emulator is always stopped.

Diagnostics instead of the benchmark: ``--breakdown`` (client CPU of each layer with a canned transport, no network)
and ``--profile invoke|stream|ainvoke`` (cProfile of raw, floor and ours against the emulator, own time grouped by
package, then our model's top functions).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import platform
import re
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

from _servers import launch, stop  # beside this script, which python puts first on sys.path
from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference.aio import ChatCompletionsClient as AsyncChatCompletionsClient
from azure.ai.inference.models import ChatRequestMessage, StreamingChatCompletions, UserMessage
from azure.core.credentials import AzureKeyCredential
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from langchain_azure_multimodal import ChatAzureMultimodal

API_KEY = "bench-key"
MODEL = "phi-4-multimodal-instruct"
PROMPT = "Hello"
START_TIMEOUT_S = 30.0
BATCH_TIMEOUT_S = 120.0
IMPORT_TIMEOUT_S = 60.0
WARMUP_CALLS = 50
WARMUP_STREAMS = 20
BLOCK = 10  # operations per contender per turn in the invoke and stream scenarios
_URL = re.compile(r"(http://127\.0\.0\.1:\d+)")
PEER_MODULE = "langchain_azure_ai.chat_models.inference"
IMPORT_WHAT_IF = "what-if: lc chat_models imported first"
IMPORT_BASE_ROW = "langchain_core + azure.ai.inference"
IMPORT_BASELINE = "langchain_core.language_models.chat_models, langchain_core.messages, azure.ai.inference"
IMPORT_OURS = "langchain_azure_multimodal; from langchain_azure_multimodal import ChatAzureMultimodal"

# The aims of the issue: (scenario, contender) -> (comparison, threshold).
AIMS: dict[tuple[str, str], tuple[str, float]] = {
    ("invoke", "ours (bare root)"): ("ratio<=", 1.10),
    ("stream", "ours (bare root)"): ("diff<=", 0.5),
    ("concurrency", "ours (bare root)"): ("ratio>=", 0.95),
    ("import", "langchain_azure_multimodal"): ("ratio<=", 1.10),
    ("import (wall - pass)", "langchain_azure_multimodal"): ("ratio<=", 1.10),
}


# ------------------------------------------------------------------------------------------------ the emulator


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str


_children: list[subprocess.Popen[str]] = []


def start_emulator() -> Server:
    """Start the emulator CLI on a free port (its first stdout line carries the URL)."""
    env = {**os.environ, "AZURE_INFERENCE_CREDENTIAL": API_KEY, "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "langchain_azure_multimodal.emulator.cli", "--port", "0", "--model", MODEL]
    process, url = launch("emulator", argv, env)
    _children.append(process)
    return Server(process, url)


def stop_process(process: subprocess.Popen[str]) -> None:
    stop(process)


def stop_children() -> None:
    for process in _children:
        stop_process(process)


def start_watchdog(seconds: float) -> None:
    """The run must stop by itself: past ``seconds``, stop the emulator and leave at once."""

    def expire() -> None:
        print(f"\ntime limit of {seconds:g} s reached: stopping", file=sys.stderr, flush=True)
        stop_children()
        os._exit(3)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally that stops the emulator


# -------------------------------------------------------------------------------------------------- contenders

PREBUILT: list[ChatRequestMessage] = [UserMessage(PROMPT)]


class LangChainFloor(BaseChatModel):
    """The least a LangChain chat model over the SDK can do: LangChain's own ``invoke``/``stream``/``ainvoke``
    machinery (input coercion, callbacks, run ids), then the raw client with pre-built messages, and a bare
    ``AIMessage`` of the text. No conversion in either direction, no usage or metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    client: Any = None
    aclient: Any = None

    @property
    def _llm_type(self) -> str:
        return "bench-langchain-floor"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        completion = self.client.complete(messages=PREBUILT, model=MODEL)
        return ChatResult(
            generations=[ChatGeneration(message=AIMessage(content=completion.choices[0].message.content))]
        )

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        completion = await self.aclient.complete(messages=PREBUILT, model=MODEL)
        return ChatResult(
            generations=[ChatGeneration(message=AIMessage(content=completion.choices[0].message.content))]
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self.client.complete(messages=PREBUILT, model=MODEL, stream=True) as updates:
            for update in updates:
                if update.choices:
                    text = update.choices[0].delta.content or ""
                    yield ChatGenerationChunk(message=AIMessageChunk(content=text))


def load_peer() -> Any | None:
    """``AzureAIChatCompletionsModel`` from ``langchain-azure-ai`` if this interpreter has it, else None."""
    try:
        module = importlib.import_module(PEER_MODULE)
    except ImportError:
        return None
    return module.AzureAIChatCompletionsModel


def version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


# ----------------------------------------------------------------------------------------------- measurements


@dataclass
class Sample:
    """One repetition of one contender in one scenario."""

    scenario: str
    contender: str
    repetition: int
    value: float  # invoke: ms/call; stream: median TTFT ms; concurrency: calls/s; import: ms above `python -c pass`
    cpu_us: float | None = None  # client CPU per call/stream
    extra: dict[str, float] = field(default_factory=dict)


def _rotated(items: list[Any], repetition: int) -> list[Any]:
    shift = repetition % len(items)
    return items[shift:] + items[:shift]


@dataclass
class Tally:
    """What one contender did in one repetition: a tuple of nanosecond values per operation, wall and CPU time."""

    values: list[tuple[int, ...]] = field(default_factory=list)
    elapsed_ns: int = 0
    cpu_s: float = 0.0


def interleaved(
    contenders: list[tuple[str, Callable[[], tuple[int, ...]]]], count: int, repetition: int
) -> dict[str, Tally]:
    """``count`` operations per contender, in blocks of :data:`BLOCK`, the contenders taking turns block by block
    (the order rotates every round), so that drift and other load on the machine hit all of them alike."""
    tallies = {name: Tally() for name, _ in contenders}
    clock = time.perf_counter_ns
    done = 0
    turn = repetition
    while done < count:
        size = min(BLOCK, count - done)
        for name, operation in _rotated(contenders, turn):
            tally = tallies[name]
            cpu = time.process_time()
            start = clock()
            for _ in range(size):
                tally.values.append(operation())
            tally.elapsed_ns += clock() - start
            tally.cpu_s += time.process_time() - cpu
        done += size
        turn += 1
    return tallies


def _quantile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] / 1e6


def timed(call: Callable[[], object]) -> Callable[[], tuple[int, ...]]:
    clock = time.perf_counter_ns

    def operation() -> tuple[int, ...]:
        began = clock()
        call()
        return (clock() - began,)

    return operation


def raw_stream(client: ChatCompletionsClient) -> Callable[[], tuple[int, ...]]:
    def run() -> tuple[int, ...]:
        clock = time.perf_counter_ns
        start = clock()
        first = 0
        stream = client.complete(messages=PREBUILT, model=MODEL, stream=True)
        assert isinstance(stream, StreamingChatCompletions)
        with stream as updates:
            for update in updates:
                if not first and update.choices and update.choices[0].delta.content:
                    first = clock() - start
        if not first:
            raise RuntimeError("raw stream carried no text")
        return first, clock() - start

    return run


def chat_stream(llm: BaseChatModel) -> Callable[[], tuple[int, ...]]:
    def run() -> tuple[int, ...]:
        clock = time.perf_counter_ns
        start = clock()
        first = 0
        for chunk in llm.stream(PROMPT):  # read to the end: the connection goes back to the pool
            if not first and chunk.text:
                first = clock() - start
        if not first:
            raise RuntimeError(f"{type(llm).__name__} stream carried no text")
        return first, clock() - start

    return run


# Concurrency: each contender is built inside the repetition's own event loop (aiohttp sessions are bound to it),
# warmed up, timed, and closed there.
ConcurrentSetup = Callable[[], Awaitable[tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]]]


async def _gather(call: Callable[[], Awaitable[object]], count: int) -> tuple[int, dict[str, int]]:
    results = await asyncio.wait_for(
        asyncio.gather(*(call() for _ in range(count)), return_exceptions=True), BATCH_TIMEOUT_S
    )
    errors: dict[str, int] = {}
    for result in results:
        if isinstance(result, BaseException):
            errors[type(result).__name__] = errors.get(type(result).__name__, 0) + 1
    return count - sum(errors.values()), errors


async def measure_concurrent(setup: ConcurrentSetup, count: int, warmup: int) -> tuple[float, float, dict[str, float]]:
    call, close = await setup()
    try:
        await _gather(call, warmup)
        cpu = time.process_time()
        start = time.perf_counter_ns()
        ok, errors = await _gather(call, count)
        elapsed = (time.perf_counter_ns() - start) / 1e9
        cpu = time.process_time() - cpu
    finally:
        await close()
    if errors:
        print(f"      errors: {errors}", flush=True)
    return ok / elapsed, cpu / count * 1e6, {"errors": float(count - ok), "batch_s": elapsed}


def measure_import(statements: str) -> tuple[float, float]:
    """Run ``statements`` in a fresh interpreter: (wall ms of the whole process, ms the statements took inside it).
    The child leaves with ``os._exit`` once it has reported, so interpreter teardown (garbage collection of
    everything imported: long, and very noisy here) is in neither figure."""
    code = (
        "import time; _t = time.perf_counter()\n"
        f"{statements}\n"
        "import os, sys; sys.stdout.write(repr(time.perf_counter() - _t)); sys.stdout.flush(); os._exit(0)"
    )
    start = time.perf_counter_ns()
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, timeout=IMPORT_TIMEOUT_S, env=_import_env(), capture_output=True
    )
    wall = (time.perf_counter_ns() - start) / 1e6
    return wall, float(done.stdout) * 1000


def _import_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPROFILEIMPORTTIME", "PYTHONDONTWRITEBYTECODE")}


def import_profile(code: str) -> dict[str, int]:
    """Self time in µs of every module ``code`` imports (``python -X importtime``)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        check=True,
        timeout=IMPORT_TIMEOUT_S,
        env=_import_env(),
        capture_output=True,
        text=True,
    )
    modules: dict[str, int] = {}
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            modules[parts[2].strip()] = int(parts[0])
    return modules


# ------------------------------------------------------------------------------------------------------ report


@dataclass
class Row:
    scenario: str
    contender: str
    baseline: str | None
    unit: str
    median: float
    low: float
    high: float
    cpu_us: float | None
    versus: float | None  # ratio (or difference, for stream) to the baseline, median of per-repetition values
    versus_kind: str  # "ratio" or "diff"
    aim: str
    met: bool | None


def summarize(samples: list[Sample], scenario: str, contender: str, baseline: str | None, unit: str) -> Row | None:
    mine = {s.repetition: s for s in samples if s.scenario == scenario and s.contender == contender}
    if not mine:
        return None
    values = [s.value for s in mine.values()]
    cpus = [s.cpu_us for s in mine.values() if s.cpu_us is not None]
    versus: float | None = None
    kind = "diff" if scenario == "stream" else "ratio"
    if baseline is not None and not scenario.startswith("import"):
        base = {s.repetition: s for s in samples if s.scenario == scenario and s.contender == baseline}
        pairs = [(mine[r].value, base[r].value) for r in mine if r in base and base[r].value]
        if pairs:
            versus = statistics.median(a - b if kind == "diff" else a / b for a, b in pairs)
    elif baseline is not None:  # import: net medians of independent fresh processes
        base_values = [s.value for s in samples if s.scenario == scenario and s.contender == baseline]
        if base_values and statistics.median(base_values) > 0:
            versus = statistics.median(values) / statistics.median(base_values)
    aim, met = "", None
    if (scenario, contender) in AIMS and versus is not None:
        comparison, threshold = AIMS[(scenario, contender)]
        if comparison == "ratio<=":
            aim, met = f"<= {threshold:.2f}x", versus <= threshold
        elif comparison == "ratio>=":
            aim, met = f">= {threshold:.2f}x", versus >= threshold
        else:
            aim, met = f"<= +{threshold:g} ms", versus <= threshold
    return Row(
        scenario=scenario,
        contender=contender,
        baseline=baseline,
        unit=unit,
        median=statistics.median(values),
        low=min(values),
        high=max(values),
        cpu_us=statistics.median(cpus) if cpus else None,
        versus=versus,
        versus_kind=kind,
        aim=aim,
        met=met,
    )


def _fmt(value: float, unit: str) -> str:
    if unit == "calls/s":
        return f"{value:,.0f}"
    return f"{value:.3f}" if value < 10 else f"{value:,.1f}"


def print_table(rows: list[Row]) -> None:
    head = ("scenario", "contender", "median", "min-max", "client CPU µs", "vs baseline", "aim", "met")
    cells = []
    for r in rows:
        if r.versus is None:
            versus = "baseline" if r.baseline is None else "n/a"
        elif r.versus_kind == "diff":
            versus = f"{r.versus:+.3f} ms"
        else:
            versus = f"{r.versus:.3f}x"
        cells.append(
            (
                r.scenario,
                r.contender,
                f"{_fmt(r.median, r.unit)} {r.unit}",
                f"{_fmt(r.low, r.unit)}-{_fmt(r.high, r.unit)}",
                "" if r.cpu_us is None else f"{r.cpu_us:,.0f}",
                versus,
                r.aim,
                "" if r.met is None else ("yes" if r.met else "NO"),
            )
        )
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for c in cells:
        print(
            "| "
            + " | ".join(x.ljust(w) if i < 2 else x.rjust(w) for i, (x, w) in enumerate(zip(c, widths, strict=True)))
            + " |"
        )


# -------------------------------------------------------------------------------------------------------- main


def run_invoke(args: argparse.Namespace, root: str, peer: Any | None, samples: list[Sample]) -> None:
    print(f"\n== invoke: {args.calls} sequential calls per contender per repetition", flush=True)
    raw = ChatCompletionsClient(root, AzureKeyCredential(API_KEY))
    floor = LangChainFloor(client=raw)
    ours = ChatAzureMultimodal(endpoint=root, api_key=API_KEY, model=MODEL)
    ours_v1 = ChatAzureMultimodal(endpoint=f"{root}/openai/v1", api_key=API_KEY, model=MODEL)
    contenders: list[tuple[str, Callable[[], tuple[int, ...]]]] = [
        ("raw SDK", timed(lambda: raw.complete(messages=PREBUILT, model=MODEL))),
        ("LangChain floor", timed(lambda: floor.invoke(PROMPT))),
        ("ours (bare root)", timed(lambda: ours.invoke(PROMPT))),
        ("ours (/openai/v1)", timed(lambda: ours_v1.invoke(PROMPT))),
    ]
    if peer is not None:
        peer_llm = peer(endpoint=root, credential=API_KEY, model=MODEL)
        contenders.append(("peer: langchain-azure-ai", timed(lambda: peer_llm.invoke(PROMPT))))
    try:
        for _, operation in contenders:  # warm-up: connections, imports, caches
            for _ in range(WARMUP_CALLS):
                operation()
        for repetition in range(1, args.repeats + 1):
            tallies = interleaved(contenders, args.calls, repetition)
            for name, _ in contenders:
                tally = tallies[name]
                latencies = [value[0] for value in tally.values]
                ms = tally.elapsed_ns / len(latencies) / 1e6
                cpu = tally.cpu_s / len(latencies) * 1e6
                extra = {"p50_ms": _quantile(latencies, 0.5), "p99_ms": _quantile(latencies, 0.99)}
                samples.append(Sample("invoke", name, repetition, ms, cpu, extra))
                print(
                    f"  rep {repetition}/{args.repeats}  {name:<26} {ms:7.3f} ms/call  p50 {extra['p50_ms']:6.3f} ms"
                    f"  CPU {cpu:5.0f} µs/call",
                    flush=True,
                )
    finally:
        raw.close()


def run_stream(args: argparse.Namespace, root: str, peer: Any | None, samples: list[Sample]) -> None:
    print(f"\n== stream: time to first text, {args.streams} streams per contender per repetition", flush=True)
    raw = ChatCompletionsClient(root, AzureKeyCredential(API_KEY))
    floor = LangChainFloor(client=raw)
    ours = ChatAzureMultimodal(endpoint=root, api_key=API_KEY, model=MODEL)
    # By default we ask for usage at the end of a stream; on the bare root that goes as an extra parameter, and the
    # emulator's answer then mentions it (21 text chunks instead of 15). This row streams exactly what raw streams.
    ours_no_usage = ChatAzureMultimodal(endpoint=root, api_key=API_KEY, model=MODEL, stream_usage=False)
    contenders: list[tuple[str, Callable[[], tuple[int, ...]]]] = [
        ("raw SDK", raw_stream(raw)),
        ("LangChain floor", chat_stream(floor)),
        ("ours (bare root)", chat_stream(ours)),
        ("ours (stream_usage=False)", chat_stream(ours_no_usage)),
    ]
    if peer is not None:
        peer_llm = peer(endpoint=root, credential=API_KEY, model=MODEL)
        contenders.append(("peer: langchain-azure-ai", chat_stream(peer_llm)))
    try:
        for _, run in contenders:
            for _ in range(WARMUP_STREAMS):
                run()
        for repetition in range(1, args.repeats + 1):
            tallies = interleaved(contenders, args.streams, repetition)
            for name, _ in contenders:
                tally = tallies[name]
                firsts = [value[0] for value in tally.values]
                totals = [value[1] for value in tally.values]
                ttft = statistics.median(firsts) / 1e6
                whole = statistics.median(totals) / 1e6
                cpu = tally.cpu_s / len(firsts) * 1e6
                samples.append(Sample("stream", name, repetition, ttft, cpu, {"p90_ttft_ms": _quantile(firsts, 0.9)}))
                samples.append(Sample("whole stream", name, repetition, whole, cpu))
                print(
                    f"  rep {repetition}/{args.repeats}  {name:<26} TTFT {ttft:6.3f} ms  whole stream {whole:6.3f} ms"
                    f"  CPU {cpu:5.0f} µs/stream",
                    flush=True,
                )
    finally:
        raw.close()


def concurrency_setups(root: str, peer: Any | None) -> list[tuple[str, ConcurrentSetup]]:
    async def raw() -> tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]:
        client = AsyncChatCompletionsClient(root, AzureKeyCredential(API_KEY))
        return (lambda: client.complete(messages=PREBUILT, model=MODEL)), client.close

    async def nothing() -> None:
        return None

    async def raw_per_call() -> tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]:
        async def call() -> object:  # what ChatAzureMultimodal does per call, without LangChain and our conversion
            async with AsyncChatCompletionsClient(root, AzureKeyCredential(API_KEY)) as client:
                return await client.complete(messages=PREBUILT, model=MODEL)

        return call, nothing

    async def floor() -> tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]:
        client = AsyncChatCompletionsClient(root, AzureKeyCredential(API_KEY))
        llm = LangChainFloor(aclient=client)
        return (lambda: llm.ainvoke(PROMPT)), client.close

    async def ours() -> tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]:
        llm = ChatAzureMultimodal(endpoint=root, api_key=API_KEY, model=MODEL)
        return (lambda: llm.ainvoke(PROMPT)), nothing

    setups: list[tuple[str, ConcurrentSetup]] = [
        ("raw aio SDK (shared client)", raw),
        ("raw aio SDK (client per call)", raw_per_call),
        ("LangChain floor", floor),
        ("ours (bare root)", ours),
    ]
    if peer is not None:

        async def peer_setup() -> tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]:
            llm = peer(endpoint=root, credential=API_KEY, model=MODEL)
            return (lambda: llm.ainvoke(PROMPT)), llm.aclose

        setups.append(("peer: langchain-azure-ai", peer_setup))
    return setups


def run_concurrency(args: argparse.Namespace, root: str, peer: Any | None, samples: list[Sample]) -> None:
    print(f"\n== concurrency: {args.concurrency} calls gathered at once, per contender per repetition", flush=True)
    warmup = min(args.concurrency, 100)
    setups = concurrency_setups(root, peer)
    for _, setup in setups:  # an untimed pass first: first-call costs of every contender in a fresh loop
        asyncio.run(measure_concurrent(setup, warmup, warmup))
    for repetition in range(1, args.repeats + 1):
        for name, setup in _rotated(setups, repetition):
            rate, cpu, extra = asyncio.run(measure_concurrent(setup, args.concurrency, warmup))
            samples.append(Sample("concurrency", name, repetition, rate, cpu, extra))
            print(
                f"  rep {repetition}/{args.repeats}  {name:<30} {rate:7,.0f} calls/s  batch {extra['batch_s']:.3f} s"
                f"  CPU {cpu:5.0f} µs/call",
                flush=True,
            )


def run_imports(args: argparse.Namespace, peer: Any | None, samples: list[Sample]) -> list[str]:
    print(
        f"\n== import: {args.import_runs} fresh processes each; the time of the import statement inside the process, "
        "and the process's wall time minus that of `python -c pass`",
        flush=True,
    )
    codes = [
        ("python -c pass", "pass"),
        (IMPORT_BASE_ROW, f"import {IMPORT_BASELINE}"),
        # The package is lazy (bench/startup.py): the chat model loads when the name is first read.
        ("langchain_azure_multimodal", f"import {IMPORT_OURS}"),
        # The same modules, but langchain_core's chat_models imported before our chat_models imports
        # langchain_core.callbacks (its first langchain_core import, in isort order): see bench/README.md.
        (IMPORT_WHAT_IF, f"import langchain_core.language_models.chat_models; import {IMPORT_OURS}"),
    ]
    if peer is not None:
        codes.append(("peer: langchain-azure-ai", f"import {PEER_MODULE}"))
    for _, code in codes:  # warm-up: byte-code caches and the page cache
        measure_import(code)
    walls: dict[str, list[float]] = {name: [] for name, _ in codes}
    inside: dict[str, list[float]] = {name: [] for name, _ in codes}
    for run in range(1, args.import_runs + 1):
        for name, code in _rotated(codes, run):
            wall, statement = measure_import(code)
            walls[name].append(wall)
            inside[name].append(statement)
    floor = statistics.median(walls["python -c pass"])
    for name, _ in codes[1:]:
        for run, (wall, statement) in enumerate(zip(walls[name], inside[name], strict=True), 1):
            samples.append(Sample("import", name, run, statement))
            samples.append(Sample("import (wall - pass)", name, run, wall - floor))
    print(f"  python -c pass: median wall {floor:.1f} ms", flush=True)
    # Which modules our import adds on top of the baseline, and what they cost (one -X importtime run each).
    base = import_profile(f"import {IMPORT_BASELINE}")
    ours = import_profile(f"import {IMPORT_OURS}")
    extra = {name: us for name, us in ours.items() if name not in base}
    top = sorted(extra.items(), key=lambda item: -item[1])[:10]
    lines = [
        f"modules imported by langchain_azure_multimodal but not by the baseline: {len(extra)}, "
        f"self time {sum(extra.values()) / 1000:.1f} ms (one -X importtime run; baseline total "
        f"{sum(base.values()) / 1000:.1f} ms, ours {sum(ours.values()) / 1000:.1f} ms)",
        "  largest: " + ", ".join(f"{name} {us / 1000:.1f} ms" for name, us in top),
    ]
    for line in lines:
        print(line, flush=True)
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000, help="sequential invokes per repetition (%(default)s)")
    parser.add_argument("--repeats", type=int, default=5, help="repetitions of every scenario (%(default)s)")
    parser.add_argument("--streams", type=int, default=300, help="streams per repetition (%(default)s)")
    parser.add_argument("--concurrency", type=int, default=500, help="ainvoke calls gathered at once (%(default)s)")
    parser.add_argument("--import-runs", type=int, default=30, help="fresh processes per import (%(default)s)")
    parser.add_argument(
        "--scenarios",
        default="invoke,stream,concurrency,import",
        help="comma-separated subset of invoke,stream,concurrency,import (default: all)",
    )
    parser.add_argument("--time-limit", type=float, default=900.0, help="stop everything after this many seconds")
    parser.add_argument("--json", metavar="PATH", help="write the raw per-repetition results here")
    parser.add_argument(
        "--profile",
        choices=("invoke", "stream", "ainvoke"),
        help="instead of the benchmark: cProfile --calls of our model's invoke/stream/ainvoke against the emulator",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="instead of the benchmark: client CPU of each layer with a canned transport (no network)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(scenarios) - {"invoke", "stream", "concurrency", "import"}
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if min(args.calls, args.repeats, args.streams, args.concurrency, args.import_runs) < 1:
        raise SystemExit("--calls, --repeats, --streams, --concurrency and --import-runs must be positive")
    for name in ("LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING", "LANGCHAIN_TRACING"):  # nothing leaves the machine
        os.environ.pop(name, None)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # the peer's class is marked deprecated
    signal.signal(signal.SIGTERM, _on_sigterm)
    start_watchdog(args.time_limit)

    command = shlex.join([sys.executable, *sys.argv]) if argv is None else shlex.join(argv)
    peer = load_peer()
    print(f"command: {command}")
    print(
        f"python {platform.python_version()} ({platform.python_implementation()}), os.cpu_count()={os.cpu_count()}, "
        f"{platform.platform()}"
    )
    packages = (
        "langchain-azure-multimodal",
        "langchain-core",
        "azure-ai-inference",
        "azure-core",
        "aiohttp",
        "requests",
        "pydantic",
        "langchain-azure-ai",
    )
    versions = {name: version(name) for name in packages}
    print(", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"peer ({PEER_MODULE}): {'importable' if peer is not None else 'not importable: no peer rows'}", flush=True)

    if args.breakdown:
        run_breakdown(args.repeats)
        return 0
    if args.profile:
        try:
            run_profile(args, start_emulator().url)
        finally:
            stop_children()
        return 0

    samples: list[Sample] = []
    import_notes: list[str] = []
    began = time.perf_counter()
    server: Server | None = None
    try:
        if {"invoke", "stream", "concurrency"} & set(scenarios):
            server = start_emulator()
            print(f"emulator at {server.url} (pid {server.process.pid})", flush=True)
            if "invoke" in scenarios:
                run_invoke(args, server.url, peer, samples)
            if "stream" in scenarios:
                run_stream(args, server.url, peer, samples)
            if "concurrency" in scenarios:
                run_concurrency(args, server.url, peer, samples)
            stop_process(server.process)
        if "import" in scenarios:
            import_notes = run_imports(args, peer, samples)
    finally:
        stop_children()

    layout = [
        ("invoke", "raw SDK", None, "ms/call"),
        ("invoke", "LangChain floor", "raw SDK", "ms/call"),
        ("invoke", "ours (bare root)", "raw SDK", "ms/call"),
        ("invoke", "ours (/openai/v1)", "raw SDK", "ms/call"),
        ("invoke", "peer: langchain-azure-ai", "raw SDK", "ms/call"),
        ("stream", "raw SDK", None, "ms TTFT"),
        ("stream", "LangChain floor", "raw SDK", "ms TTFT"),
        ("stream", "ours (bare root)", "raw SDK", "ms TTFT"),
        ("stream", "ours (stream_usage=False)", "raw SDK", "ms TTFT"),
        ("stream", "peer: langchain-azure-ai", "raw SDK", "ms TTFT"),
        ("whole stream", "raw SDK", None, "ms"),
        ("whole stream", "LangChain floor", "raw SDK", "ms"),
        ("whole stream", "ours (bare root)", "raw SDK", "ms"),
        ("whole stream", "ours (stream_usage=False)", "raw SDK", "ms"),
        ("whole stream", "peer: langchain-azure-ai", "raw SDK", "ms"),
        ("concurrency", "raw aio SDK (shared client)", None, "calls/s"),
        ("concurrency", "raw aio SDK (client per call)", "raw aio SDK (shared client)", "calls/s"),
        ("concurrency", "LangChain floor", "raw aio SDK (shared client)", "calls/s"),
        ("concurrency", "ours (bare root)", "raw aio SDK (shared client)", "calls/s"),
        ("concurrency", "peer: langchain-azure-ai", "raw aio SDK (shared client)", "calls/s"),
        *(
            (scenario, name, None if name == IMPORT_BASE_ROW else IMPORT_BASE_ROW, "ms")
            for scenario in ("import", "import (wall - pass)")
            for name in (IMPORT_BASE_ROW, "langchain_azure_multimodal", IMPORT_WHAT_IF, "peer: langchain-azure-ai")
        ),
    ]
    rows = [row for spec in layout if (row := summarize(samples, *spec)) is not None]
    print(f"\nresults ({time.perf_counter() - began:.0f} s in all)\n")
    print_table(rows)
    print()
    derived = derived_lines(samples)
    for line in derived:
        print(line)
    for line in import_notes:
        print(line)
    errors = sum(s.extra.get("errors", 0) for s in samples)
    if errors:
        print(f"errors in the concurrency scenario: {errors:.0f} calls failed")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "command": command,
                    "python": platform.python_version(),
                    "cpu_count": os.cpu_count(),
                    "versions": versions,
                    "args": vars(args),
                    "samples": [asdict(s) for s in samples],
                    "rows": [asdict(r) for r in rows],
                    "derived": derived,
                    "import_notes": import_notes,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"raw results written to {args.json}")
    return 1 if errors else 0


def derived_lines(samples: list[Sample]) -> list[str]:
    """Per-call costs split into LangChain's machinery, the client per call and our own work (paired per
    repetition, medians)."""

    def paired(scenario: str, a: str, b: str, cpu: bool = False) -> float | None:
        def pick(name: str) -> dict[int, float]:
            return {
                s.repetition: (s.cpu_us if cpu else s.value * 1000) or 0.0
                for s in samples
                if s.scenario == scenario and s.contender == name
            }

        x, y = pick(a), pick(b)
        diffs = [x[r] - y[r] for r in x if r in y]
        return statistics.median(diffs) if diffs else None

    lines = []
    # The whole-stream split uses stream_usage=False: only then does our stream carry the same events as the floor's.
    for scenario, unit, mine in (
        ("invoke", "µs/call", "ours (bare root)"),
        ("stream", "µs TTFT", "ours (bare root)"),
        ("whole stream", "µs/stream", "ours (stream_usage=False)"),
    ):
        floor = paired(scenario, "LangChain floor", "raw SDK")
        ours = paired(scenario, mine, "LangChain floor")
        if floor is not None and ours is not None:
            lines.append(
                f"{scenario}: LangChain's machinery (floor - raw) {floor:+.0f} {unit}; {mine} on top of the floor "
                f"{ours:+.0f} {unit}"
            )
    shared = "raw aio SDK (shared client)"
    parts = [
        ("a client per call (raw per call - raw shared)", "raw aio SDK (client per call)", shared),
        ("LangChain's async machinery (floor - raw shared)", "LangChain floor", shared),
        (
            "our conversion (ours - floor; one client per event loop, as the floor's shared one)",
            "ours (bare root)",
            "LangChain floor",
        ),
    ]
    found = [(label, paired("concurrency", a, b, cpu=True)) for label, a, b in parts]
    if all(value is not None for _, value in found):
        lines.append(
            "concurrency, client CPU per call: "
            + "; ".join(f"{label} {value:+.0f} µs" for label, value in found if value is not None)
        )
    return lines


# ------------------------------------------------------------------------------------------------- diagnostics


_AREAS = (  # (label, path fragment) for the own-time summary; the first match wins
    ("langchain_azure_multimodal", "langchain_azure_multimodal"),
    ("bench script (floor/loops)", "chat_model_overhead"),
    ("langchain_core", "langchain_core"),
    ("azure.ai.inference", "azure/ai/inference"),
    ("azure.core", "azure/core"),
    ("aiohttp/yarl/multidict", "/aiohttp/"),
    ("aiohttp/yarl/multidict", "/yarl/"),
    ("aiohttp/yarl/multidict", "/multidict/"),
    ("requests/urllib3/http.client", "/requests/"),
    ("requests/urllib3/http.client", "/urllib3/"),
    ("requests/urllib3/http.client", "/http/client.py"),
    ("asyncio", "asyncio/"),
    ("pydantic", "pydantic"),
    ("json", "json/"),
)


def _area(filename: str, function: str) -> str:
    for label, fragment in _AREAS:
        if fragment in filename:
            return label
    if filename == "~":
        if "socket" in function or "select" in function or "epoll" in function:
            return "socket I/O (C)"
        return "other C builtins"
    return "other (stdlib, ...)"


def run_profile(args: argparse.Namespace, root: str) -> None:
    """cProfile of the raw SDK, the floor and our model against the emulator (``--calls`` invokes or streams, or
    ainvoke batches of ``--concurrency``): own time per call grouped by package, then our model's top functions.
    Streams are profiled with ``stream_usage=False``, so all three read the same 16 events."""
    import cProfile
    import pstats

    raw = ChatCompletionsClient(root, AzureKeyCredential(API_KEY))
    floor = LangChainFloor(client=raw)
    ours = ChatAzureMultimodal(endpoint=root, api_key=API_KEY, model=MODEL)
    # The same stream as raw's (see run_stream): without usage, the emulator's answer has the same 16 events.
    ours_no_usage = ChatAzureMultimodal(endpoint=root, api_key=API_KEY, model=MODEL, stream_usage=False)
    raw_streaming = raw_stream(raw)

    def batches(make: Callable[[], Callable[[], Awaitable[object]]]) -> Callable[[], None]:
        def run() -> None:
            async def go() -> None:
                call = make()
                left = args.calls
                while left > 0:
                    size = min(left, args.concurrency)
                    await asyncio.gather(*(call() for _ in range(size)))
                    left -= size

            asyncio.run(go())

        return run

    def raw_async() -> Callable[[], Awaitable[object]]:
        client = AsyncChatCompletionsClient(root, AzureKeyCredential(API_KEY))  # closed with its loop's end
        return lambda: client.complete(messages=PREBUILT, model=MODEL)

    def floor_async() -> Callable[[], Awaitable[object]]:
        llm = LangChainFloor(aclient=AsyncChatCompletionsClient(root, AzureKeyCredential(API_KEY)))
        return lambda: llm.ainvoke(PROMPT)

    operations: dict[str, dict[str, Callable[[], object]]] = {
        "invoke": {
            "raw SDK": lambda: raw.complete(messages=PREBUILT, model=MODEL),
            "LangChain floor": lambda: floor.invoke(PROMPT),
            "ours": lambda: ours.invoke(PROMPT),
        },
        "stream": {
            "raw SDK": raw_streaming,
            "LangChain floor": lambda: list(floor.stream(PROMPT)),
            "ours": lambda: list(ours_no_usage.stream(PROMPT)),
        },
        "ainvoke": {
            "raw SDK": batches(raw_async),
            "LangChain floor": batches(floor_async),
            "ours": batches(lambda: lambda: ours.ainvoke(PROMPT)),
        },
    }
    chosen = operations[args.profile]
    repeat = 1 if args.profile == "ainvoke" else args.calls
    areas: dict[str, dict[str, float]] = {}
    ours_stats: pstats.Stats | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK's aio client, never closed here, may warn at loop end
        for name, operation in chosen.items():
            for _ in range(min(repeat, WARMUP_CALLS)):
                operation()
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(repeat):
                operation()
            profiler.disable()
            stats = pstats.Stats(profiler)
            totals: dict[str, float] = {}
            for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
                area = _area(filename, function)
                totals[area] = totals.get(area, 0.0) + row[2] / args.calls * 1e6
            areas[name] = totals
            if name == "ours":
                ours_stats = stats
    raw.close()
    labels = sorted({label for totals in areas.values() for label in totals}, key=lambda k: -areas["ours"].get(k, 0))
    print(f"\ncProfile, own time per {args.profile} in µs grouped by package ({args.calls} calls; the profiler")
    print("inflates every figure, so compare the columns, not the absolute values)\n")
    print(f"  {'package':<30}" + "".join(f"{name:>17}" for name in chosen))
    for label in [*labels, "total"]:
        cells = [sum(t.values()) if label == "total" else t.get(label, 0.0) for t in areas.values()]
        print(f"  {label:<30}" + "".join(f"{cell:17,.0f}" for cell in cells))
    if ours_stats is not None:
        print(f"\nour model: top functions by cumulative time ({args.calls} calls)\n")
        ours_stats.stream = sys.stdout  # type: ignore[attr-defined]
        ours_stats.sort_stats("cumulative").print_stats(40)
        ours_stats.sort_stats("tottime").print_stats(25)


def run_breakdown(repeats: int) -> None:
    """Client CPU of each layer with no network at all: every client gets a transport whose ``requests`` session
    answers at once with the emulator-shaped body. The figures are per call (per event for the stream parts)."""
    import io
    import timeit

    import requests
    from azure.ai.inference.models import ChatCompletions, StreamingChatCompletionsUpdate
    from azure.core.pipeline.transport import RequestsTransport
    from langchain_core.messages import HumanMessage
    from requests.structures import CaseInsensitiveDict

    from langchain_azure_multimodal._responses import StreamState, to_ai_message, to_ai_message_chunk

    text = f'[emulator:{MODEL}] Received no images and no audio. System prompt: no. Last user text: "Hello"'
    common = {"id": "chatcmpl-0123456789abcdef01234567", "created": 1700000000, "model": MODEL}
    answer = {
        **common,
        "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 2, "completion_tokens": 28, "total_tokens": 30},
    }
    event = {**common, "object": "chat.completion", "choices": [{"index": 0, "delta": {"content": "Received "}}]}
    body = json.dumps(answer).encode()
    event_text = json.dumps(event)

    class Canned(requests.Session):
        def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
            response = requests.Response()
            response.status_code, response.reason, response.url = 200, "OK", str(url)
            response._content = body
            response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
            response.raw = io.BytesIO(body)
            return response

    def transport() -> RequestsTransport:
        return RequestsTransport(session=Canned(), session_owner=False)

    url = "http://127.0.0.1:9"  # never connected to: the session above answers
    raw = ChatCompletionsClient(url, AzureKeyCredential(API_KEY), transport=transport())
    floor = LangChainFloor(client=raw)
    ours = ChatAzureMultimodal(endpoint=url, api_key=API_KEY, model=MODEL, client_kwargs={"transport": transport()})
    messages: list[BaseMessage] = [HumanMessage(PROMPT)]
    wire_body, headers = ours._request(messages, None, stream=False)
    wire = ours._chat_wire()
    completion = raw.complete(messages=PREBUILT, model=MODEL)

    parts: list[tuple[str, Callable[[], object]]] = [
        ("invoke: raw SDK complete(messages=...)", lambda: raw.complete(messages=PREBUILT, model=MODEL)),
        ("invoke: LangChain floor", lambda: floor.invoke(PROMPT)),
        ("invoke: ours", lambda: ours.invoke(PROMPT)),
        ("  ours: _request (LangChain messages -> body)", lambda: ours._request(messages, None, stream=False)),
        ("  ours: ChatWire.complete(body) (send_request + json.loads)", lambda: wire.complete(wire_body, headers)),
        ("  ours: to_ai_message(plain dict)", lambda: to_ai_message(answer)),
        ("  LangChain: _get_invocation_params (ours)", lambda: ours._get_invocation_params()),
        ("  LangChain: _get_invocation_params (floor)", lambda: floor._get_invocation_params()),
        ("  SDK: ChatCompletions(json) (inside complete)", lambda: ChatCompletions(json.loads(body))),
        ("  SDK: completion.as_dict()", lambda: completion.as_dict()),
        (
            "stream event: StreamingChatCompletionsUpdate(dict) (the SDK's)",
            lambda: StreamingChatCompletionsUpdate(event),
        ),
        ("stream event: json.loads (ours)", lambda: json.loads(event_text)),
        ("stream event: to_ai_message_chunk(plain dict)", lambda: to_ai_message_chunk(event, StreamState())),
    ]

    async def fresh_client() -> None:
        async with AsyncChatCompletionsClient(url, AzureKeyCredential(API_KEY)):
            pass

    async def fresh_clients(count: int) -> None:
        for _ in range(count):
            await fresh_client()

    results: dict[str, list[float]] = {name: [] for name, _ in parts}
    results["ainvoke: a fresh aio client, opened and closed"] = []
    for _name, operation in parts:
        for _ in range(100):
            operation()
    for _ in range(repeats):
        for name, operation in parts:
            results[name].append(min(timeit.repeat(operation, number=300, repeat=3)) / 300 * 1e6)
        start = time.process_time()
        asyncio.run(fresh_clients(300))
        results["ainvoke: a fresh aio client, opened and closed"].append((time.process_time() - start) / 300 * 1e6)
    print("\nclient CPU per operation with no network (median of the best of 3 x 300, over repetitions)\n")
    for name, values in results.items():
        print(f"  {name:<52} {statistics.median(values):7.1f} µs")


if __name__ == "__main__":
    raise SystemExit(main())
