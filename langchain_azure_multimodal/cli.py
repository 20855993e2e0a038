"""``azure-multimodal``: the package's command line (``ingest`` for now).

``azure-multimodal ingest PATH... --task describe|transcribe|translate:<lang> --out FILE.jsonl`` runs the task over
every file, against ``--endpoint`` (or ``AZURE_INFERENCE_ENDPOINT``), or the embedded emulator when neither is set.
It can be killed at any point and run again: finished files are skipped, none is written twice. A file that fails
is recorded with its error and the run goes on; ``--retry-failed`` does the failed ones again. The exit code is 1
while any file in the output has failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from contextlib import ExitStack

from .chat_models import ChatAzureMultimodal
from .emulator import Emulator
from .estimates import Prices
from .ingest import Task, run_ingest

EMULATOR_KEY = "ingest-emulator-key"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="azure-multimodal", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", help="describe images or transcribe/translate audio in bulk, resumably")
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="files, or folders to walk")
    ingest.add_argument("--task", required=True, type=_task, help="describe, transcribe or translate:<language>")
    ingest.add_argument("--out", required=True, help="the JSONL output, which is also the record of what is done")
    ingest.add_argument("--concurrency", type=_positive, default=4, help="requests in flight (default: %(default)s)")
    ingest.add_argument("--rpm", type=_positive, default=None, help="requests per minute at most")
    ingest.add_argument("--tpm", type=_positive, default=None, help="tokens per minute at most")
    ingest.add_argument("--model", default="phi-4-multimodal-instruct", help="model or deployment (%(default)s)")
    ingest.add_argument(
        "--endpoint",
        default=os.environ.get("AZURE_INFERENCE_ENDPOINT"),
        help="endpoint URL (default: $AZURE_INFERENCE_ENDPOINT, else the embedded emulator)",
    )
    ingest.add_argument(
        "--price-input",
        type=float,
        default=None,
        metavar="PER_1K",
        help="price per 1,000 input tokens, to show the estimated cost",
    )
    ingest.add_argument(
        "--price-output",
        type=float,
        default=0.0,
        metavar="PER_1K",
        help="price per 1,000 output tokens (with --price-input)",
    )
    ingest.add_argument(
        "--retry-failed", action="store_true", help="do the files that failed in an earlier run of this --out again"
    )
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _task(text: str) -> Task:
    try:
        return Task.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the command. Exit codes: 0 every file done, 1 some failed, 2 it could not start or go on (a missing path,
    an output it cannot write, a bad option), 130 interrupted (Ctrl-C; what was finished is kept)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _ingest(args)
    except (OSError, ValueError) as error:  # a missing path, an output that cannot be written, a bad ledger line
        print(f"ingest: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"ingest: interrupted; what was finished is saved in {args.out}; run the same command to go on",
            file=sys.stderr,
        )
        return 130


def _ingest(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        if args.endpoint:
            llm = ChatAzureMultimodal(endpoint=args.endpoint, model=args.model)
            print(
                f"ingest: using {llm.endpoint_settings.endpoint} ({llm.endpoint_settings.kind.value})", file=sys.stderr
            )
        else:
            # max_recorded=1: a long run must not keep every request; recording still happens (tests check it).
            emulator = stack.enter_context(Emulator(args.model, api_key=EMULATOR_KEY, max_recorded=1))
            llm = ChatAzureMultimodal(endpoint=emulator.endpoint, api_key=EMULATOR_KEY, model=args.model)
            print(f"ingest: using the embedded emulator at {emulator.endpoint} (offline)", file=sys.stderr)
        summary = asyncio.run(
            run_ingest(
                args.paths,
                task=args.task,
                out=args.out,
                llm=llm,
                concurrency=args.concurrency,
                rpm=args.rpm,
                tpm=args.tpm,
                prices=Prices(args.price_input, args.price_output) if args.price_input is not None else None,
                retry_failed=args.retry_failed,
                progress=not args.no_progress,
            )
        )
    retried = f" ({summary.retried} earlier failures retried)" if summary.retried else ""
    earlier = f" ({summary.failed_earlier} of them failed)" if summary.failed_earlier else ""
    print(
        f"ingest: {summary.found} found, {summary.skipped} already done{earlier}, {summary.done} done now{retried}, "
        f"{summary.failed} failed, {summary.tokens:,} tokens"
        + (f", estimated cost {summary.cost:.4f}" if summary.cost is not None else "")
    )
    if summary.failed or summary.failed_earlier:
        print(
            f'ingest: the failed files\' errors are in {args.out} ("status": "error"); '
            "fix what they name, then run again with --retry-failed",
            file=sys.stderr,
        )
    return 1 if summary.failed or summary.failed_earlier else 0


if __name__ == "__main__":
    raise SystemExit(main())
