"""Throughput of the emulator, side by side with a bare aiohttp server doing no work (the floor of the stack).

Usage::

    python bench/emulator_throughput.py                      # defaults: 50 clients, 5 x 5 s per scenario
    python bench/emulator_throughput.py --duration 2 --repeats 3 --json /tmp/emu.json

Every server runs in its own process (started here, stopped here), so the load generator does not share the
server's GIL; on a 2-core machine they still share the cores, which is the reality of this machine. The
scenarios are interleaved round-robin per repetition, so noise hits them all alike; medians across repetitions
are reported, with the emulator/baseline ratio. Traffic goes to 127.0.0.1 only.

``--serve-baseline PORT`` runs the baseline server itself (used internally; 0 picks a free port).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shlex
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp
from _servers import launch, stop  # beside this script, which python puts first on sys.path
from aiohttp import web

API_VERSION = "2024-05-01-preview"
API_KEY = "bench-key"
MODEL = "phi-4-multimodal-instruct"
START_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 30.0
SMALL_BODY = json.dumps({"messages": [{"role": "user", "content": "Hello"}]}).encode()
STREAM_BODY = json.dumps({"messages": [{"role": "user", "content": "Hello"}], "stream": True}).encode()
DONE = b"data: [DONE]"
_URL = re.compile(r"(http://127\.0\.0\.1:\d+)")


# --------------------------------------------------------------------------------------------- baseline server


def _baseline_payloads() -> tuple[bytes, list[bytes]]:
    """A fixed ChatCompletions JSON and SSE stream, shaped and sized like the emulator's answer to "Hello"."""
    common = {"id": "chatcmpl-0123456789abcdef01234567", "created": 1700000000, "model": MODEL}
    content = f'[emulator:{MODEL}] Received no images and no audio. System prompt: no. Last user text: "Hello"'
    completion = {
        **common,
        "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {
            "prompt_tokens": 2,
            "completion_tokens": 28,
            "total_tokens": 30,
            "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
        },
    }

    def chunk(delta: dict[str, str], finish_reason: str | None = None) -> bytes:
        body = {
            **common,
            "object": "chat.completion",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        return b"data: " + json.dumps(body).encode() + b"\n\n"

    words = content.split(" ")
    pieces = [w + " " for w in words[:-1]] + [words[-1]]
    events = [chunk({"role": "assistant", "content": ""}), *(chunk({"content": p}) for p in pieces)]
    events += [chunk({}, "stop"), DONE + b"\n\n"]
    return json.dumps(completion).encode(), events


def serve_baseline(port: int) -> int:
    """A minimal aiohttp server: no validation, no logic, pre-serialised answers. Stops on SIGTERM/SIGINT."""
    completion, events = _baseline_payloads()

    async def chat(request: web.Request) -> web.StreamResponse:
        raw = await request.read()  # any server must take the body off the socket
        if b'"stream": true' not in raw:
            return web.Response(body=completion, content_type="application/json")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        for event in events:  # one write per event, as the emulator does
            await response.write(event)
        await response.write_eof()
        return response

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/chat/completions", chat)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, reuse_address=True)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        bound = sockets[0].getsockname()[1] if sockets else port
        print(f"bare aiohttp baseline serving at http://127.0.0.1:{bound}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(main())
    return 0


# ----------------------------------------------------------------------------------------------- subprocesses


@dataclass
class Server:
    name: str
    process: subprocess.Popen[str]
    url: str

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server process so far (Linux /proc), or None where unavailable."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return None


def start_server(name: str, argv: list[str], env: dict[str, str]) -> Server:
    """Start ``argv`` and wait for the URL on its first stdout line."""
    process, url = launch(name, argv, env)
    return Server(name, process, url)


def stop_server(process: subprocess.Popen[str]) -> None:
    stop(process)


# ---------------------------------------------------------------------------------------------- load generator


@dataclass(frozen=True)
class Scenario:
    name: str
    server: str  # key into the servers dict
    body: bytes
    streaming: bool
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Run:
    """One measured repetition of one scenario."""

    scenario: str
    repetition: int
    ok: int
    elapsed_s: float
    errors: dict[str, int]
    p50_ms: float
    p99_ms: float
    server_cpu_s: float | None
    client_cpu_s: float

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed_s


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


async def _load(
    session: aiohttp.ClientSession, url: str, scenario: Scenario, concurrency: int, seconds: float
) -> tuple[int, float, list[float], Counter[str]]:
    """``concurrency`` workers loop request -> full body until the deadline. Returns ok, elapsed, latencies, errors."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    headers = {"Content-Type": "application/json", **scenario.headers}
    clock = time.perf_counter
    start = clock()
    deadline = start + seconds

    async def worker() -> None:
        while clock() < deadline:
            began = clock()
            try:
                async with session.post(url, data=scenario.body, headers=headers) as response:
                    body = await response.read()
                    if response.status != 200:
                        errors[f"HTTP {response.status}"] += 1
                        continue
                    if scenario.streaming and not body.rstrip().endswith(DONE):
                        errors["stream without [DONE]"] += 1
                        continue
            except (TimeoutError, aiohttp.ClientError) as error:
                errors[type(error).__name__] += 1
                continue
            latencies.append(clock() - began)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(latencies), clock() - start, latencies, errors


async def measure(
    scenario: Scenario, server: Server, concurrency: int, seconds: float, warmup: float, repetition: int
) -> Run:
    url = f"{server.url}/chat/completions?api-version={API_VERSION}"
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        if warmup > 0:  # opens the keep-alive connections and warms both sides up; not counted
            await _load(session, url, scenario, concurrency, warmup)
        server_cpu = server.cpu_seconds()
        client_cpu = time.process_time()
        ok, elapsed, latencies, errors = await _load(session, url, scenario, concurrency, seconds)
        client_cpu = time.process_time() - client_cpu
        server_after = server.cpu_seconds()
    latencies.sort()
    return Run(
        scenario=scenario.name,
        repetition=repetition,
        ok=ok,
        elapsed_s=elapsed,
        errors=dict(errors),
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        server_cpu_s=None if server_cpu is None or server_after is None else server_after - server_cpu,
        client_cpu_s=client_cpu,
    )


async def count_events(server: Server, scenario: Scenario) -> int:
    """How many ``data:`` events one streamed answer has (for the report)."""
    url = f"{server.url}/chat/completions?api-version={API_VERSION}"
    headers = {"Content-Type": "application/json", **scenario.headers}
    async with aiohttp.ClientSession() as session, session.post(url, data=scenario.body, headers=headers) as resp:
        return (await resp.read()).count(b"data: ")


# ------------------------------------------------------------------------------------------------------ report


@dataclass
class Summary:
    scenario: str
    median_rps: float
    min_rps: float
    max_rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_us_per_req: float | None
    client_cpu_us_per_req: float


def summarize(name: str, runs: list[Run]) -> Summary:
    rates = [r.rate for r in runs]
    server = [r.server_cpu_s / r.ok * 1e6 for r in runs if r.server_cpu_s is not None and r.ok]
    return Summary(
        scenario=name,
        median_rps=statistics.median(rates),
        min_rps=min(rates),
        max_rps=max(rates),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        errors=sum(sum(r.errors.values()) for r in runs),
        server_cpu_us_per_req=statistics.median(server) if server else None,
        client_cpu_us_per_req=statistics.median(r.client_cpu_s / r.ok * 1e6 for r in runs if r.ok),
    )


def print_table(summaries: list[Summary]) -> None:
    head = (
        "scenario",
        "median req/s",
        "min-max req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "server CPU µs/req",
        "client CPU µs/req",
    )
    rows = [
        (
            s.scenario,
            f"{s.median_rps:,.0f}",
            f"{s.min_rps:,.0f}-{s.max_rps:,.0f}",
            f"{s.p50_ms:.1f}",
            f"{s.p99_ms:.1f}",
            str(s.errors),
            "n/a" if s.server_cpu_us_per_req is None else f"{s.server_cpu_us_per_req:,.0f}",
            f"{s.client_cpu_us_per_req:,.0f}",
        )
        for s in summaries
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        print("| " + " | ".join(cells) + " |")


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}"


# -------------------------------------------------------------------------------------------------------- main


async def run_all(args: argparse.Namespace, servers: dict[str, Server], scenarios: list[Scenario]) -> list[Run]:
    runs: list[Run] = []
    for repetition in range(1, args.repeats + 1):
        for scenario in scenarios:  # round-robin: every scenario once per repetition
            server = servers[scenario.server]
            bound = args.warmup + args.duration + 2 * REQUEST_TIMEOUT_S  # the script must always stop by itself
            run = await asyncio.wait_for(
                measure(scenario, server, args.concurrency, args.duration, args.warmup, repetition), bound
            )
            errors = f", errors {run.errors}" if run.errors else ""
            print(
                f"  rep {repetition}/{args.repeats}  {scenario.name:<42} {run.rate:8,.0f} req/s  "
                f"p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms{errors}",
                flush=True,
            )
            runs.append(run)
    return runs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent clients (default: %(default)s)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per repetition (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=5, help="repetitions per scenario (default: %(default)s)")
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="unmeasured seconds before each repetition (default: %(default)s)"
    )
    parser.add_argument("--json", metavar="PATH", help="write the raw per-repetition results here")
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.serve_baseline is not None:
        return serve_baseline(args.serve_baseline)
    if args.concurrency < 1 or args.duration <= 0 or args.repeats < 1 or args.warmup < 0:
        raise SystemExit("--concurrency, --duration and --repeats must be positive, --warmup not negative")

    command = shlex.join([Path(sys.executable).name, *sys.argv]) if argv is None else shlex.join(argv)
    print(f"command: {command}")
    print(
        f"python {platform.python_version()} ({platform.python_implementation()}), aiohttp {aiohttp.__version__}, "
        f"os.cpu_count()={os.cpu_count()}, {platform.platform()}"
    )
    print(
        f"concurrency {args.concurrency}, {args.repeats} x {args.duration:g} s per scenario "
        f"(+{args.warmup:g} s warm-up each), scenarios interleaved round-robin",
        flush=True,
    )

    env = {**os.environ, "AZURE_INFERENCE_CREDENTIAL": API_KEY, "PYTHONUNBUFFERED": "1"}
    emulator_argv = [sys.executable, "-m", "langchain_azure_multimodal.emulator.cli", "--port", "0", "--model", MODEL]
    baseline_argv = [sys.executable, str(Path(__file__).resolve()), "--serve-baseline", "0"]
    key = {"api-key": API_KEY}
    scenarios = [
        Scenario("emulator (non-streaming)", "emulator", SMALL_BODY, streaming=False, headers=key),
        Scenario("emulator (streaming)", "emulator", STREAM_BODY, streaming=True, headers=key),
        Scenario("baseline: bare aiohttp (non-streaming)", "baseline", SMALL_BODY, streaming=False, headers=key),
        Scenario("baseline: bare aiohttp (streaming)", "baseline", STREAM_BODY, streaming=True, headers=key),
    ]
    servers: dict[str, Server] = {}
    try:
        servers["emulator"] = start_server("emulator", emulator_argv, env)
        servers["baseline"] = start_server("baseline", baseline_argv, env)
        events = {s.name: asyncio.run(count_events(servers[s.server], s)) for s in scenarios if s.streaming}
        print("events per stream (incl. [DONE]): " + ", ".join(f"{k}: {v}" for k, v in events.items()), flush=True)
        runs = asyncio.run(run_all(args, servers, scenarios))
        rss = {name: server.rss_mib() for name, server in servers.items()}
    finally:
        for server in servers.values():
            stop_server(server.process)

    summaries = [summarize(s.name, [r for r in runs if r.scenario == s.name]) for s in scenarios]
    by_name = {s.scenario: s for s in summaries}
    print()
    print_table(summaries)
    print()
    for kind in ("non-streaming", "streaming"):
        emu, base = by_name[f"emulator ({kind})"], by_name[f"baseline: bare aiohttp ({kind})"]
        print(
            f"ratio emulator / bare aiohttp ({kind}): throughput {_ratio(emu.median_rps, base.median_rps)}, "
            f"server CPU per request {_ratio(emu.server_cpu_us_per_req, base.server_cpu_us_per_req)}"
        )
    print("server RSS at the end: " + ", ".join(f"{k} {v:,.0f} MiB" for k, v in rss.items() if v is not None))
    total_errors = sum(s.errors for s in summaries)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "command": command,
                    "python": platform.python_version(),
                    "aiohttp": aiohttp.__version__,
                    "cpu_count": os.cpu_count(),
                    "args": {k: v for k, v in vars(args).items() if k != "serve_baseline"},
                    "events_per_stream": events,
                    "server_rss_mib": rss,
                    "runs": [{**asdict(r), "rate": r.rate} for r in runs],
                    "summaries": [asdict(s) for s in summaries],
                },
                indent=2,
            )
            + "\n"
        )
        print(f"raw results written to {args.json}")
    return 1 if total_errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
