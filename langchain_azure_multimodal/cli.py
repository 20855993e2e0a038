"""``azure-multimodal``: the package's command line (``ingest`` for now).

``azure-multimodal ingest PATH... --task describe|transcribe|translate:<lang> --out FILE.jsonl`` runs the task over
every file of the task's media, against ``--endpoint`` (or ``AZURE_INFERENCE_ENDPOINT``), or the embedded emulator
when neither is set. It can be killed at any point and run again: finished files are skipped, none is written twice.
The output holds one run's question (endpoint, model, task, prompt, options): another one is refused, exit 2, unless
``--restart``. A file that fails is recorded with its error and the run goes on; ``--retry-failed`` does the failed
ones again. ``--help`` says how the key is passed and what the exit codes mean.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from ._azure.statuses import ResponseStatuses
from ._ingest_files import Inputs
from ._ingest_task import Task
from .errors import IngestRefusedError
from .profiles import IMAGE_DETAILS, MEDIA_TYPES_BY_EXTENSION, media_kind_for_name

if TYPE_CHECKING:
    from .ingest import Summary

# Only what the parser needs is imported above: ``--help`` and every argparse error must come back at once. The chat
# model, the emulator (aiohttp) and the ingest machinery are imported in ``_ingest``, once a run really starts.

EMULATOR_KEY = "ingest-emulator-key"
#: How the identity and the lines name the embedded emulator, whose port changes from run to run.
EMULATOR_NAME = "embedded-emulator"

_EPILOG = """\
the key: set AZURE_INFERENCE_CREDENTIAL to the endpoint's key (it is never taken on the command line, where other
users of the machine could see it). Without it, endpoints that take Microsoft Entra ID tokens are signed in to
with DefaultAzureCredential (az login, a managed identity, environment variables).

exit codes: 0 every file done; 1 some files failed (their errors are in the output; --retry-failed does them
again); 2 refused before any work, or stopped because no file could succeed (a bad option or path, the output
locked by another run or holding another question, a model that takes no such media, a failed sign-in, 401, 403
or 404) or because the output cannot be written (a full disk, a file-size limit, an I/O error: what was saved is
kept; run the same command to go on); 130 interrupted (what was finished is kept; run the same command to go on).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="azure-multimodal", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser(
        "ingest",
        help="describe images or transcribe/translate audio in bulk, resumably",
        description=__doc__.split("\n\n")[1].replace("``", ""),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="files, or folders to walk")
    ingest.add_argument(
        "--task",
        required=True,
        type=_task,
        help=f"describe (takes images: {_extensions('image')}), transcribe or translate:<language> (take audio: "
        f"{_extensions('audio')}); other files are counted as skipped",
    )
    ingest.add_argument("--out", required=True, help="the JSONL output, which is also the record of what is done")
    ingest.add_argument(
        "--prompt", type=_prompt, default=None, help="the instruction sent with each file (default: the task's)"
    )
    ingest.add_argument(
        "--detail", choices=IMAGE_DETAILS, default=None, help="image detail, for describe (low is cheapest)"
    )
    ingest.add_argument(
        "--glob", default="**/*", help="in folders, take the files matching this (default: %(default)s)"
    )
    ingest.add_argument(
        "--exclude", action="append", default=[], metavar="PATTERN", help="leave out matching names or paths (repeat)"
    )
    ingest.add_argument("--max-tokens", type=_positive, default=None, help="the longest answer, in tokens")
    ingest.add_argument(
        "--max-retries", type=_count, default=2, help="retries of a throttled or failed request (%(default)s)"
    )
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
    ingest.add_argument(
        "--restart",
        action="store_true",
        help="start --out afresh (the old file is kept beside it as <name>.<n>.bak): for a new model, endpoint, "
        "task, prompt or option",
    )
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _extensions(kind: str) -> str:
    return " ".join(sorted(ext for ext in MEDIA_TYPES_BY_EXTENSION if media_kind_for_name("file" + ext) == kind))


def _task(text: str) -> Task:
    try:
        return Task.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _prompt(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("the prompt is empty: give the words to send with each file, or leave it out")
    return text


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, got {text!r}")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    """Run the command. Exit codes: 0 every file done, 1 some failed, 2 refused before any work or stopped because no
    file could succeed (a bad option or path, an output it cannot write, locked by another run or holding another
    question, a model without the task's media, a failed sign-in, 401/403/404) or the output stopped taking lines (a
    full disk, a file-size limit, an I/O error), 130 interrupted (Ctrl-C; what was finished is kept)."""
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _main(argv)


def _show_warning(message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
    # One plain line, like the errors: the default form adds the source line of the package that warned.
    print(f"ingest: warning: {message}", file=sys.stderr)


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.prompt is not None:
        args.task = dataclasses.replace(args.task, custom_prompt=args.prompt)
    try:
        # The paths and the output are checked before the chat model loads or the emulator starts, so a mistyped
        # command line answers at once; run_ingest checks them again for callers from Python.
        inputs = Inputs(args.paths, media=args.task.media, glob=args.glob, exclude=args.exclude, output=Path(args.out))
        inputs.check_output()
        inputs.check_paths()
        return _ingest(args)
    except (OSError, ValueError, IngestRefusedError) as error:  # a missing path, a locked or foreign output, ...
        print(f"ingest: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"ingest: interrupted; what was finished is saved in {args.out}; run the same command to go on",
            file=sys.stderr,
        )
        return 130


def _ingest(args: argparse.Namespace) -> int:
    from .chat_models import ChatAzureMultimodal  # here, not at the top: see the comment under the imports
    from .emulator import Emulator
    from .estimates import Prices
    from .ingest import run_ingest

    # A failed sign-in ends the run with one line saying what to do; azure-identity would also log its whole chain
    # of attempts (15 lines) as a warning.
    logging.getLogger("azure.identity").setLevel(logging.ERROR)
    statuses = ResponseStatuses()  # every try's status, for the 429s in the summary
    options: dict[str, object] = {
        "model": args.model,
        "max_retries": args.max_retries,
        "max_tokens": args.max_tokens,
        "client_kwargs": {"raw_response_hook": statuses},
    }
    with ExitStack() as stack:
        if args.endpoint:
            llm = ChatAzureMultimodal(endpoint=args.endpoint, **options)
            name = None
            print(
                f"ingest: using {llm.endpoint_settings.endpoint} ({llm.endpoint_settings.kind.value})", file=sys.stderr
            )
        else:
            # max_recorded=1: a long run must not keep every request; recording still happens (tests check it).
            emulator = stack.enter_context(Emulator(args.model, api_key=EMULATOR_KEY, max_recorded=1))
            llm = ChatAzureMultimodal(endpoint=emulator.endpoint, api_key=EMULATOR_KEY, **options)
            name = EMULATOR_NAME
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
                restart=args.restart,
                glob=args.glob,
                exclude=args.exclude,
                detail=args.detail,
                endpoint_name=name,
                statuses=statuses,
                progress=not args.no_progress,
            )
        )
    print(summary_line(summary, args.task))
    if summary.restarted_from is not None:
        print(f"ingest: the earlier results are kept in {summary.restarted_from}", file=sys.stderr)
    if summary.failed or summary.failed_earlier:
        print(
            f'ingest: the failed files\' errors are in {args.out} ("status": "error"); '
            "fix what they name, then run again with --retry-failed",
            file=sys.stderr,
        )
    return 1 if summary.failed or summary.failed_earlier else 0


def summary_line(summary: Summary, task: Task) -> str:
    """The one line a run ends with.

    Example:
        >>> from collections import Counter
        >>> from langchain_azure_multimodal.ingest import Summary
        >>> done = Summary(found=5, other=2, other_by_extension=Counter({".txt": 2}), skipped=1, done=4, reused=1,
        ...                tokens=1200, throttled=3, throttled_gave_up=1)
        >>> summary_line(done, Task.parse("describe"))
        'ingest: 5 found, 2 other files skipped (not images: 2 .txt), 1 already done, 4 done now (1 reused from an identical file), 0 failed, 1,200 tokens, 3 throttled answers (429): 2 retried, 1 gave up'
    """  # noqa: E501 - the doctest output is one line
    parts = [f"{summary.found} found"]
    if summary.other:
        kinds = ", ".join(f"{n} {ext}" for ext, n in summary.other_by_extension.most_common())
        files = "other file" if summary.other == 1 else "other files"
        parts.append(f"{summary.other} {files} skipped (not {'images' if task.media == 'image' else 'audio'}: {kinds})")
    earlier = f" ({summary.failed_earlier} of them failed)" if summary.failed_earlier else ""
    parts.append(f"{summary.skipped} already done{earlier}")
    notes = [f"{summary.reused} reused from an identical file"] * bool(summary.reused)
    notes += [f"{summary.retried} earlier failures retried"] * bool(summary.retried)
    parts.append(f"{summary.done} done now" + (f" ({'; '.join(notes)})" if notes else ""))
    parts += [f"{summary.failed} failed", f"{summary.tokens:,} tokens"]
    if summary.cost is not None:
        parts.append(f"estimated cost {summary.cost:.4f}")
    if summary.throttled or summary.throttled_gave_up:  # without a status hook, only the give-ups are known
        retried = max(0, summary.throttled - summary.throttled_gave_up)
        parts.append(f"{summary.throttled} throttled answers (429): {retried} retried, "
                     f"{summary.throttled_gave_up} gave up")  # fmt: skip
    return "ingest: " + ", ".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
