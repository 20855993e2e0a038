"""``azure-multimodal-emulator``: run the emulator in the foreground until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from ..profiles import PROFILES
from .app import DEFAULT_BODY_READ_TIMEOUT
from .server import DEFAULT_MODEL, AsyncEmulator


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="azure-multimodal-emulator",
        description="Serve the Azure AI Model Inference API on loopback, for offline development and tests.",
        epilog=f"Known model profiles: {', '.join(sorted(PROFILES))}. Other names get a permissive default profile.",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the main model (default: %(default)s)")
    parser.add_argument(
        "--also-serve",
        action="append",
        default=[],
        metavar="MODEL",
        help="another model (deployment) to serve; repeatable",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default: loopback only; other addresses must be asked for)",
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port to bind, 0 for any free port (default: %(default)s)"
    )
    parser.add_argument(
        "--api-key-env",
        default="AZURE_INFERENCE_CREDENTIAL",
        metavar="VAR",
        help="environment variable holding the key clients must send; unset = accept any key",
    )
    parser.add_argument(
        "--body-read-timeout",
        type=_positive_seconds,
        default=DEFAULT_BODY_READ_TIMEOUT,
        metavar="SECONDS",
        help="answer 408 and close the connection when a request body takes longer to arrive (default: %(default)g)",
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    api_key = os.environ.get(args.api_key_env) or None
    # Nothing outside this process can read recorded requests, so recording would only grow memory.
    emulator = AsyncEmulator(
        args.model,
        api_key=api_key,
        models=args.also_serve,
        host=args.host,
        port=args.port,
        record=False,
        body_read_timeout=args.body_read_timeout,
    )
    await emulator.start()
    print(f"Azure AI Model Inference emulator serving {emulator.model} at {emulator.endpoint}", flush=True)
    print(f"  auth: {'key from $' + args.api_key_env if api_key else 'any key accepted'}; Ctrl-C to stop", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except OSError as error:
        print(f"azure-multimodal-emulator: cannot bind {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
