"""A slow link for benchmarks: a TCP proxy on 127.0.0.1 that forwards to ``--upstream`` at ``--mbit`` megabits a
second in each direction (a token bucket per connection and direction, 64 KiB bursts), with no added latency.

Run as its own process (so its pacing does not share the measured process's GIL)::

    python bench/_link.py --upstream http://127.0.0.1:8123 --mbit 100

It prints ``link on http://127.0.0.1:PORT`` once it listens (what ``_servers.launch`` reads) and serves until it is
terminated. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from urllib.parse import urlsplit

BURST = 64 * 1024


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, bytes_per_s: float) -> None:
    allowance, last = float(BURST), time.monotonic()
    try:
        while chunk := await reader.read(BURST):
            now = time.monotonic()
            allowance = min(float(BURST), allowance + (now - last) * bytes_per_s)
            last = now
            allowance -= len(chunk)
            if allowance < 0:  # wait until the link has carried what was sent beyond the burst
                await asyncio.sleep(-allowance / bytes_per_s)
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def serve(upstream: str, mbit: float) -> None:
    target = urlsplit(upstream)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    rate = mbit * 1e6 / 8

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(host, port)
        await asyncio.gather(_pump(client_reader, server_writer, rate), _pump(server_reader, client_writer, rate))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(f"link on http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT to forward to")
    parser.add_argument("--mbit", type=float, default=100.0, help="megabits a second, each way (default: 100)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.upstream, args.mbit))


if __name__ == "__main__":
    main()
