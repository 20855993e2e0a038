"""Starting and stopping the servers a benchmark measures, as separate processes (so they do not share its GIL)."""

from __future__ import annotations

import re
import subprocess
import threading
from typing import IO

START_TIMEOUT_S = 30.0
_URL = re.compile(r"(http://127\.0\.0\.1:\d+)")
_drainers: dict[int, threading.Thread] = {}


def launch(name: str, argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """Start ``argv``; return the process and the URL on its first stdout line. The rest of stdout is drained."""
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    stdout: IO[str] = process.stdout
    first: list[str] = []
    got = threading.Event()

    def drain() -> None:
        for line in stdout:
            if not got.is_set():
                first.append(line)
                got.set()
        got.set()

    drainer = threading.Thread(target=drain, name=f"drain-{name}", daemon=True)
    drainer.start()
    _drainers[process.pid] = drainer
    if not got.wait(START_TIMEOUT_S) or not first:
        stop(process)
        raise RuntimeError(f"{name}: no start-up line within {START_TIMEOUT_S:g} s (exit code {process.poll()})")
    match = _URL.search(first[0])
    if match is None:
        stop(process)
        raise RuntimeError(f"{name}: unexpected start-up line {first[0]!r}")
    return process, match.group(1)


def stop(process: subprocess.Popen[str]) -> None:
    """Terminate (then kill) the process, and close its stdout once the drainer has read it to the end."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    drainer = _drainers.pop(process.pid, None)
    if drainer is not None:
        drainer.join(timeout=5)  # it ends at the pipe's EOF, now that the process is gone
    if process.stdout is not None and (drainer is None or not drainer.is_alive()):
        process.stdout.close()
