"""Start-up cost: importing the package, importing the emulator, and ``azure-multimodal ingest --help``.

Usage::

    python bench/startup.py                 # = --runs 21
    python bench/startup.py --runs 5        # a quick look
    python bench/startup.py --json out.json # also write every sample

Each measurement runs in a fresh interpreter (``sys.executable``, from the repository root), next to its baseline in
the same round, and the order of the contenders rotates every round so drift hits them alike. Reported: medians over
the rounds, min-max, and the median of the per-round ratios to the baseline (paired within a round).

- (a) ``import langchain_azure_multimodal; from langchain_azure_multimodal import ChatAzureMultimodal`` against
  ``import langchain_core.language_models.chat_models, azure.ai.inference`` (what the chat model cannot do
  without). Aim: ≤ 1.05x the baseline.
- (b) ``import langchain_azure_multimodal.emulator`` against ``import aiohttp`` (what the emulator serves with).
- (c) ``python -m langchain_azure_multimodal.cli ingest --help``, and an argparse error (``ingest`` with no
  arguments, exit 2): the wall time of the whole process, teardown included, as a user waits for it. Aim: < 0.5 s.

For (a) and (b) two figures per contender: the time of the statements inside the child (it leaves with ``os._exit``
right after reporting, so teardown is not counted), and the child's wall time minus that of ``python -c pass``.
Every child also reports which of the heavy modules (the chat model, langchain-core's chat-model module, Pillow,
PyAV, aiohttp, azure-ai-inference) it ended up with, and how many modules it loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 60.0
#: Modules whose presence after start-up says what was paid for (short name -> module).
WATCHED = {
    "chat_models": "langchain_azure_multimodal.chat_models",
    "lc chat_models": "langchain_core.language_models.chat_models",
    "PIL": "PIL",
    "av": "av",
    "aiohttp": "aiohttp",
    "azure.ai.inference": "azure.ai.inference",
}
#: The aims of the issue: row name -> (figure, largest allowed value).
AIMS = {
    "(a) ours": ("ratio", 1.05),
    "(c) ingest --help": ("wall ms", 500.0),
    "(c) argparse error": ("wall ms", 500.0),
}


@dataclass(frozen=True)
class Contender:
    name: str
    baseline: str | None  # the row it is compared with, in the same round
    #: Python statements timed inside the child, or None for a command whose whole wall time is the figure.
    statements: str | None = None
    argv: tuple[str, ...] = ()
    exit_code: int = 0


CONTENDERS = [
    Contender("python -c pass", None, statements="pass"),
    Contender("(a) baseline", None, statements="import langchain_core.language_models.chat_models, azure.ai.inference"),
    Contender(
        "(a) ours",
        "(a) baseline",
        statements="import langchain_azure_multimodal; from langchain_azure_multimodal import ChatAzureMultimodal",
    ),
    Contender("(b) baseline", None, statements="import aiohttp"),
    Contender("(b) ours", "(b) baseline", statements="import langchain_azure_multimodal.emulator"),
    Contender("(c) ingest --help", "python -c pass", argv=("-m", "langchain_azure_multimodal.cli", "ingest", "--help")),
    # No paths, no --task, no --out: argparse refuses with exit 2, which must be as quick as --help.
    Contender(
        "(c) argparse error", "python -c pass", argv=("-m", "langchain_azure_multimodal.cli", "ingest"), exit_code=2
    ),
]
SHOWN = {
    "python -c pass": "`python -c pass`",
    "(a) baseline": "(a) baseline: `import langchain_core.language_models.chat_models, azure.ai.inference`",
    "(a) ours": "(a) `import langchain_azure_multimodal; from langchain_azure_multimodal import ChatAzureMultimodal`",
    "(b) baseline": "(b) baseline: `import aiohttp`",
    "(b) ours": "(b) `import langchain_azure_multimodal.emulator`",
    "(c) ingest --help": "(c) `python -m langchain_azure_multimodal.cli ingest --help`",
    "(c) argparse error": "(c) `python -m langchain_azure_multimodal.cli ingest` (argparse error, exit 2)",
}


@dataclass
class Samples:
    inside_ms: list[float] = field(default_factory=list)  # the statements, timed in the child
    wall_ms: list[float] = field(default_factory=list)  # the whole child process, timed here
    loaded: dict[str, bool] = field(default_factory=dict)
    modules: int = 0


def _env() -> dict[str, str]:
    drop = ("PYTHONPROFILEIMPORTTIME", "PYTHONDONTWRITEBYTECODE", "PYTHONSTARTUP")
    return {k: v for k, v in os.environ.items() if k not in drop}


def _report_code() -> str:
    watched = json.dumps(WATCHED)
    return (
        "import json, os, sys; "
        f"sys.stdout.write(json.dumps({{'t': time.perf_counter() - _t, 'modules': len(sys.modules), "
        f"'loaded': {{k: v in sys.modules for k, v in {watched}.items()}}}})); sys.stdout.flush(); os._exit(0)"
    )


def run_once(contender: Contender) -> tuple[float, float | None, dict[str, Any] | None]:
    """One fresh child: (wall ms, ms of the statements inside it or None, what it reported or None)."""
    if contender.statements is not None:
        code = f"import time; _t = time.perf_counter()\n{contender.statements}\n{_report_code()}"
        argv = [sys.executable, "-c", code]
    else:
        argv = [sys.executable, *contender.argv]
    start = time.perf_counter_ns()
    done = subprocess.run(argv, cwd=ROOT, env=_env(), capture_output=True, timeout=TIMEOUT_S, text=True)
    wall = (time.perf_counter_ns() - start) / 1e6
    if done.returncode != contender.exit_code:
        raise RuntimeError(
            f"{contender.name}: exit code {done.returncode}, expected {contender.exit_code}: {done.stderr}"
        )
    if contender.statements is None:
        return wall, None, None
    report = json.loads(done.stdout)
    return wall, report["t"] * 1000, report


def loaded_by_command(contender: Contender) -> tuple[int, dict[str, bool]]:
    """What a command's process imports: the same module run through runpy, with sys.modules read at its exit."""
    args = list(contender.argv[2:])
    code = (
        "import atexit, json, os, runpy, sys\n"
        f"sys.argv = ['azure-multimodal', *{args!r}]\n"
        "def _report():\n"
        f"    sys.__stdout__.write('\\n@@' + json.dumps({{'modules': len(sys.modules), "
        f"'loaded': {{k: v in sys.modules for k, v in {json.dumps(WATCHED)}.items()}}}}))\n"
        "atexit.register(_report)\n"
        f"runpy.run_module({contender.argv[1]!r}, run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, timeout=TIMEOUT_S, text=True
    )
    report = json.loads(done.stdout.rsplit("@@", 1)[1])
    return report["modules"], report["loaded"]


def _rotated(items: list[Contender], round_: int) -> list[Contender]:
    shift = round_ % len(items)
    return items[shift:] + items[:shift]


def measure(runs: int) -> dict[str, Samples]:
    samples = {contender.name: Samples() for contender in CONTENDERS}
    for contender in CONTENDERS:  # warm-up: byte-code caches and the page cache
        run_once(contender)
    for round_ in range(runs):
        for contender in _rotated(CONTENDERS, round_):
            wall, inside, report = run_once(contender)
            sample = samples[contender.name]
            sample.wall_ms.append(wall)
            if inside is not None and report is not None:
                sample.inside_ms.append(inside)
                sample.loaded, sample.modules = report["loaded"], report["modules"]
        print(f"  round {round_ + 1}/{runs} done", file=sys.stderr, flush=True)
    for contender in CONTENDERS:
        if contender.statements is None:
            modules, loaded = loaded_by_command(contender)
            samples[contender.name].modules, samples[contender.name].loaded = modules, loaded
    return samples


def _spread(values: list[float]) -> str:
    return f"{min(values):,.0f}-{max(values):,.0f}"


def _paired_ratio(ours: list[float], base: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(ours, base, strict=True))


def report(samples: dict[str, Samples]) -> list[str]:
    floor = samples["python -c pass"].wall_ms
    lines = [
        "| contender | in the child, median ms (min-max) | vs baseline | wall - `python -c pass`, median ms "
        "| vs baseline | wall, median ms (min-max) | modules | heavy modules loaded |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    verdicts: list[str] = []
    for contender in CONTENDERS:
        sample = samples[contender.name]
        base = samples[contender.baseline] if contender.baseline else None
        loaded = ", ".join(short for short, present in sample.loaded.items() if present) or "none"
        if contender.statements is not None and contender.name != "python -c pass":
            net = [wall - floor_ms for wall, floor_ms in zip(sample.wall_ms, floor, strict=True)]
            inside = f"{statistics.median(sample.inside_ms):,.0f} ({_spread(sample.inside_ms)})"
            ratio = ratio_net = "baseline"
            if base is not None:
                value = _paired_ratio(sample.inside_ms, base.inside_ms)
                base_net = [wall - floor_ms for wall, floor_ms in zip(base.wall_ms, floor, strict=True)]
                ratio, ratio_net = f"{value:.2f}x", f"{_paired_ratio(net, base_net):.2f}x"
                verdicts += _verdict(contender.name, "ratio", value)
            cells = [inside, ratio, f"{statistics.median(net):,.0f}", ratio_net]
        else:
            wall = statistics.median(sample.wall_ms)
            vs = "" if base is None else f"{_paired_ratio(sample.wall_ms, base.wall_ms):.2f}x `pass`"
            cells = ["", "", "", vs]
            verdicts += _verdict(contender.name, "wall ms", wall)
        wall_cell = f"{statistics.median(sample.wall_ms):,.0f} ({_spread(sample.wall_ms)})"
        lines.append(
            f"| {SHOWN[contender.name]} | " + " | ".join([*cells, wall_cell, str(sample.modules), loaded]) + " |"
        )
    return [*lines, "", *verdicts]


def _verdict(name: str, figure: str, value: float) -> list[str]:
    aim = AIMS.get(name)
    if aim is None or aim[0] != figure:
        return []
    met = "met" if value <= aim[1] else "NOT met"
    shown = f"{value:.2f}x" if figure == "ratio" else f"{value:,.0f} ms"
    return [f"aim {name}: {figure} {shown}, aim ≤ {aim[1]:g}{'x' if figure == 'ratio' else ' ms'}: {met}"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="rounds of fresh processes (%(default)s)")
    parser.add_argument("--json", type=Path, default=None, help="write every sample to this file")
    return parser


def main() -> None:
    args = build_parser().parse_args()
    if args.runs < 1:
        raise SystemExit("--runs must be positive")
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("langchain-core", "azure-ai-inference", "aiohttp", "pillow", "av")
    )
    print(
        f"machine: os.cpu_count()={os.cpu_count()}, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; {versions}",
        flush=True,
    )
    print(f"{args.runs} rounds of {len(CONTENDERS)} fresh processes, order rotating per round", flush=True)
    started = time.perf_counter()
    samples = measure(args.runs)
    for line in report(samples):
        print(line)
    print(f"(took {time.perf_counter() - started:.0f} s)")
    if args.json is not None:
        args.json.write_text(json.dumps({name: vars(sample) for name, sample in samples.items()}, indent=1))


if __name__ == "__main__":
    main()
