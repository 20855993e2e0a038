"""Ingest throughput and peak memory: ``run_ingest`` against a plain aio-SDK loop, through the emulator.

Both contenders describe the same generated PNGs at concurrency 32 through one emulator process (127.0.0.1 only).
Each measurement runs in a fresh subprocess (this script with ``--run baseline|ours``), which reports its wall time
and its peak RSS above its starting RSS (``VmHWM`` after writing 5 to ``/proc/self/clear_refs``). The two contenders
alternate, in alternating order, for ``--repeats`` rounds at each file count.

    python bench/ingest_throughput.py          # = --files 10000 --small-files 1000 --repeats 3 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _servers import launch, stop

API_KEY = "bench-key"
MODEL = "gpt-4o"
PROMPT = "Describe this image."
CONTENDERS = ("baseline", "baseline-env-once", "ours")
THROUGHPUT_AIM = 0.9
MEMORY_AIM = 1.2


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> int:
    """Reset VmHWM to the current RSS; return the current RSS in KiB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kib("VmRSS")


def make_images(folder: Path, count: int) -> list[Path]:
    """``count`` distinct 48x32 PNGs whose colour comes from the index."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        colour = (index % 256, (index // 256) % 256, (index // 65536) % 256)
        path = folder / f"img{index:05d}.png"
        Image.new("RGB", (48, 32), colour).save(path, "PNG")
        paths.append(path)
    return paths


async def run_baseline(paths: list[Path], endpoint: str, out: Path, concurrency: int, *, env_once: bool = False) -> int:
    """A plain aio-SDK loop: one client, ``concurrency`` at a time, each reply appended to a JSONL file.

    ``env_once``: the client is made with ``use_env_settings=False``, as ours is (ours reads the proxy settings once
    instead of on every request), to show what that setting alone is worth.
    """
    import base64

    from azure.ai.inference.aio import ChatCompletionsClient
    from azure.ai.inference.models import ImageContentItem, ImageUrl, TextContentItem, UserMessage
    from azure.core.credentials import AzureKeyCredential

    gate = asyncio.Semaphore(concurrency)
    done = 0
    settings = {"use_env_settings": False} if env_once else {}
    async with ChatCompletionsClient(endpoint, AzureKeyCredential(API_KEY), **settings) as client:
        with out.open("a", encoding="utf-8") as ledger:

            async def one(path: Path) -> None:
                nonlocal done
                async with gate:
                    data_url = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
                    message = UserMessage(
                        [TextContentItem(text=PROMPT), ImageContentItem(image_url=ImageUrl(url=data_url))]
                    )
                    reply = await client.complete(messages=[message], model=MODEL)
                text = reply.choices[0].message.content
                ledger.write(json.dumps({"source": str(path), "status": "ok", "text": text}) + "\n")
                ledger.flush()
                done += 1

            await asyncio.gather(*(one(path) for path in paths))
    return done


async def run_ours(folder: Path, endpoint: str, out: Path, concurrency: int) -> int:
    from langchain_azure_multimodal import ChatAzureMultimodal
    from langchain_azure_multimodal.ingest import Task, run_ingest

    llm = ChatAzureMultimodal(endpoint=endpoint, api_key=API_KEY, model=MODEL)
    summary = await run_ingest(
        [folder], task=Task.parse("describe"), out=out, llm=llm, concurrency=concurrency, progress=False
    )
    if summary.failed:
        raise RuntimeError(f"{summary.failed} items failed")
    return summary.done


def child(args: argparse.Namespace) -> None:
    """One measurement in this (fresh) process; prints one JSON line."""
    # Import both stacks before the reset, so that the memory figure is what the run itself holds. The package is
    # lazy since issue 11: the chat model and Pillow (with its plugins) load on first use, so they are loaded here,
    # as the package's import did before. (aiohttp, which azure-core imports with the first async transport, loads
    # during the run for both, as it always did: about 8 MiB of each peak.)
    import azure.ai.inference.aio  # noqa: F401

    import langchain_azure_multimodal.ingest  # noqa: F401
    from langchain_azure_multimodal import ChatAzureMultimodal, _images, parsers  # noqa: F401

    _images._require_pillow("the benchmark's warm-up", None)

    folder = Path(args.folder)
    paths = sorted(folder.glob("*.png"))[: args.files]
    if len(paths) != args.files:
        raise SystemExit(f"expected {args.files} images in {folder}, found {len(paths)}")
    out = Path(args.out)
    start_kib = _reset_peak()
    began = time.perf_counter()
    if args.run.startswith("baseline"):
        env_once = args.run == "baseline-env-once"
        done = asyncio.run(run_baseline(paths, args.endpoint, out, args.concurrency, env_once=env_once))
    else:
        done = asyncio.run(run_ours(folder, args.endpoint, out, args.concurrency))
    wall = time.perf_counter() - began
    peak_kib = _status_kib("VmHWM")
    # One line per file; ours also starts with its run identity ({"ingest_run": ...}, since issue 10), not counted.
    lines = sum(1 for line in out.open(encoding="utf-8") if not line.startswith('{"ingest_run"'))
    result = {
        "done": done,
        "lines": lines,
        "wall_s": wall,
        "files_s": done / wall,
        "start_mib": start_kib / 1024,
        "peak_mib": (peak_kib - start_kib) / 1024,
    }
    print(json.dumps(result), flush=True)


def measure(name: str, files: int, folder: Path, endpoint: str, workdir: Path, concurrency: int) -> dict[str, Any]:
    out = workdir / f"ledger-{name}-{files}-{time.monotonic_ns()}.jsonl"
    argv = [sys.executable, __file__, "--run", name, "--files", str(files), "--endpoint", endpoint]
    argv += ["--folder", str(folder), "--out", str(out), "--concurrency", str(concurrency)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        stdout, _ = process.communicate(timeout=1800)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    out.unlink(missing_ok=True)
    if process.returncode != 0:
        raise RuntimeError(f"{name} at {files} files exited with {process.returncode}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    if result["done"] != files or result["lines"] != files:
        raise RuntimeError(f"{name} at {files} files: {result}")
    return result


def _spread(values: list[float], fmt: str) -> str:
    return f"{format(min(values), fmt)}-{format(max(values), fmt)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000, help="the large file count (default 10000)")
    parser.add_argument("--small-files", type=int, default=1_000, help="the small file count (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds at each file count (default 3)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--run", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        child(args)
        return

    print(
        f"machine: python {platform.python_version()} ({platform.python_implementation()}), "
        f"os.cpu_count()={os.cpu_count()}, {platform.platform()}",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    emulator = None
    try:
        counts = sorted({args.small_files, args.files})
        folders = {}
        for count in counts:
            began = time.perf_counter()
            folders[count] = workdir / f"images-{count}"
            make_images(folders[count], count)
            print(f"generated {count} PNGs in {time.perf_counter() - began:.1f} s", flush=True)
        env = {**os.environ, "AZURE_INFERENCE_CREDENTIAL": API_KEY, "PYTHONUNBUFFERED": "1"}
        argv = [sys.executable, "-m", "langchain_azure_multimodal.emulator.cli", "--port", "0", "--model", MODEL]
        emulator, endpoint = launch("emulator", argv, env)
        print(f"emulator at {endpoint}", flush=True)
        results: dict[tuple[str, int], list[dict[str, Any]]] = {(n, c): [] for n in CONTENDERS for c in counts}
        for repetition in range(args.repeats):
            for count in counts:
                shift = (repetition + counts.index(count)) % len(CONTENDERS)
                order = CONTENDERS[shift:] + CONTENDERS[:shift]  # each contender goes first as often
                for name in order:
                    result = measure(name, count, folders[count], endpoint, workdir, args.concurrency)
                    results[(name, count)].append(result)
                    print(
                        f"  rep {repetition + 1}/{args.repeats}  {name:<17} {count:>6} files  "
                        f"{result['files_s']:7.1f} files/s  wall {result['wall_s']:6.1f} s  "
                        f"peak +{result['peak_mib']:6.1f} MiB (start {result['start_mib']:.0f} MiB)",
                        flush=True,
                    )
        report(results, counts, args.concurrency)
    finally:
        if emulator is not None:
            stop(emulator)
        shutil.rmtree(workdir, ignore_errors=True)


def report(results: dict[tuple[str, int], list[dict[str, Any]]], counts: list[int], concurrency: int) -> None:
    print(f"\nconcurrency {concurrency}; peak = VmHWM minus RSS at the start of the run")
    header = "| contender | files | median files/s | min-max files/s | median peak MiB | min-max peak MiB |"
    print(header)
    print("|---|---:|---:|---:|---:|---:|")
    median: dict[tuple[str, int], tuple[float, float]] = {}
    for name in CONTENDERS:
        for count in counts:
            rates = [r["files_s"] for r in results[(name, count)]]
            peaks = [r["peak_mib"] for r in results[(name, count)]]
            median[(name, count)] = (statistics.median(rates), statistics.median(peaks))
            print(
                f"| {name} | {count:,} | {median[(name, count)][0]:.1f} | {_spread(rates, '.1f')} "
                f"| {median[(name, count)][1]:.1f} | {_spread(peaks, '.1f')} |"
            )
    small, large = counts[0], counts[-1]
    print("\n| measure | value | aim | met |")
    print("|---|---:|---:|---|")
    for count in counts:
        ratio = median[("ours", count)][0] / median[("baseline", count)][0]
        met = "yes" if ratio >= THROUGHPUT_AIM else "no"
        print(f"| throughput ours/baseline at {count:,} files | {ratio:.2f}x | ≥ {THROUGHPUT_AIM}x | {met} |")
        tuned = median[("ours", count)][0] / median[("baseline-env-once", count)][0]
        print(f"| throughput ours/baseline-env-once at {count:,} files | {tuned:.2f}x | (reference) | |")
    for name in CONTENDERS:
        grow = median[(name, large)][1] / max(median[(name, small)][1], 0.1)
        if name == "ours":
            met = "yes" if grow <= MEMORY_AIM else "no"
            print(f"| peak memory {name} {large:,} / {small:,} files | {grow:.2f}x | ≤ {MEMORY_AIM}x | {met} |")
        else:
            print(f"| peak memory {name} {large:,} / {small:,} files | {grow:.2f}x | (reference) | |")


if __name__ == "__main__":
    main()
