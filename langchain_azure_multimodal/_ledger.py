"""Ingest's files: finding the inputs, hashing them, and the output JSONL that is also the record of what is done.

Every finished item is one line keyed by its content's SHA-256 and the task. Lines reach the file through
:class:`LedgerWriter`, which writes the lines finished in each 50 ms with one ``O_APPEND`` write and one ``fsync``,
in a thread, so that neither the event loop nor a worker waits for the disk and a fast run does not pay one
``fsync`` per item. A crash (``kill -9`` included) can only leave a half-written last line, which
:meth:`Ledger.done` cuts off before the next run reads the file.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

_READ_CHUNK = 1 << 20


def discover(paths: Sequence[str | os.PathLike[str]]) -> Iterator[Path]:
    """The files named, and the regular files under the folders named, in sorted order.

    A symlink under a folder is followed only when its target is a file inside that folder; symlinked folders are
    not entered.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> (root / "b").mkdir(); (root / "b" / "x.png").write_bytes(b"x"); (root / "a.png").write_bytes(b"a")
        1
        1
        >>> [str(p.relative_to(root)) for p in discover([root])]
        ['a.png', 'b/x.png']
    """
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from _walk(path, path.resolve())
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"{path}: no such file or folder; check the path")


def _walk(folder: Path, root: Path) -> Iterator[Path]:
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_symlink():
            # Only links need resolving: walking by real directories keeps everything else inside the root.
            target = Path(entry.path).resolve()
            if target.is_relative_to(root) and target.is_file():
                yield Path(entry.path)
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), root)
        elif entry.is_file(follow_symlinks=False):
            yield Path(entry.path)


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file's content, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def record_key(sha256: str, task: str) -> str:
    """The key an item is known by in the ledger: the same content under the same task is the same item."""
    return f"{sha256}:{task}"


class Ledger:
    """The output file: which items are done, and how lines are added and failures dropped.

    Example:
        >>> import tempfile
        >>> ledger = Ledger(Path(tempfile.mkdtemp()) / "out.jsonl")
        >>> ok, bad = "ab" * 32, "cd" * 32  # the SHA-256 of each file's content
        >>> ledger.append({"sha256": ok, "task": "describe", "status": "ok", "text": "A red square."})
        >>> ledger.append({"sha256": bad, "task": "describe", "status": "error", "error": "MediaDecodeError: ..."})
        >>> ledger.done_for("describe") == {bytes.fromhex(ok): True, bytes.fromhex(bad): False}
        True
        >>> ledger.drop_failed(), list(ledger.done_for("describe")) == [bytes.fromhex(ok)]
        (1, True)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every complete line's record, read one line at a time."""
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            for line in handle:
                if line.endswith(b"\n"):
                    yield json.loads(line)

    def done(self) -> dict[str, str]:
        """Each complete line's key and status (``ok`` or ``error``); a half-written last line (from a crash) is cut
        off first."""
        return {record_key(record["sha256"], record["task"]): record.get("status", "ok") for record in self._lines()}

    def done_for(self, task: str) -> dict[bytes, bool]:
        """The task's items as ``{sha256 digest: finished ok}``: what a run needs to skip what is done, at about
        half the memory of :meth:`done` (a 32-byte digest per item, not a 70-character key and a status)."""
        return {bytes.fromhex(r["sha256"]): r.get("status", "ok") == "ok" for r in self._lines() if r["task"] == task}

    def _lines(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        complete = 0
        with self.path.open("r+b") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith(b"\n"):
                    handle.truncate(complete)
                    return
                complete += len(line)
                try:
                    record = json.loads(line)
                    if not isinstance(record.get("task"), str) or len(bytes.fromhex(record.get("sha256"))) != 32:
                        raise ValueError("no task, or no SHA-256 of the content")
                except (ValueError, TypeError, AttributeError) as error:
                    raise ValueError(
                        f"{self.path}, line {number}: not an ingest record ({error}); this file is the record of "
                        "what is done, so remove or fix that line, or write to a new --out file"
                    ) from None
                yield record

    def drop_failed(self) -> int:
        """Remove the failed items' lines, so a run does them again; returns how many went.

        The kept lines go to a new file that replaces the old one in one step (``os.replace``): a crash leaves
        either the old file or the new one, never a mix.
        """
        if not self.path.exists():
            return 0
        self.done()  # cuts a half-written last line
        dropped = 0
        staging = self.path.with_name(self.path.name + ".retry-tmp")
        with self.path.open("rb") as source, staging.open("wb") as kept:
            for line in source:
                if json.loads(line).get("status") == "ok":
                    kept.write(line)
                else:
                    dropped += 1
            kept.flush()
            os.fsync(kept.fileno())
        if dropped:
            os.replace(staging, self.path)
        else:
            staging.unlink()
        return dropped

    def append(self, record: dict[str, Any]) -> None:
        """One line, one write, on disk before it returns (the blocking form of :class:`LedgerWriter`)."""
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            _write_durably(descriptor, _line(record))
        finally:
            os.close(descriptor)

    def writer(
        self, *, interval_s: float = 0.05, on_disk: Callable[[dict[str, Any]], None] | None = None
    ) -> LedgerWriter:
        """A :class:`LedgerWriter` that groups lines into few writes; use it as ``async with ledger.writer() as w``."""
        return LedgerWriter(self.path, interval_s=interval_s, on_disk=on_disk)


class LedgerWriter:
    """Adds lines for many concurrent tasks without making them wait for the disk.

    :meth:`append` queues a record and returns at once. Every ``interval_s`` the queued lines go out together, in one
    ``O_APPEND`` write and one ``fsync`` run in a thread, and then ``on_disk`` is called with each record: only then
    does an item count as done. A run that dies loses at most the lines of the last interval, which nobody counted
    yet, and the next run does those items again. Leaving the ``async with`` block writes what is still queued.
    """

    def __init__(
        self, path: Path, *, interval_s: float = 0.05, on_disk: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        self._path = path
        self._interval_s = interval_s
        self._on_disk = on_disk
        self._descriptor: int | None = None
        self._queued: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LedgerWriter:
        self._descriptor = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._task = asyncio.create_task(self._write_in_batches())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closing = True
        self._wake.set()
        try:
            if self._task is not None:
                await asyncio.shield(self._task)
        finally:
            if self._descriptor is not None:
                os.close(self._descriptor)
                self._descriptor = None

    def append(self, record: dict[str, Any]) -> None:
        """Queue ``record`` as one line; raises the error of an earlier write that failed (a full disk, say)."""
        if self._task is None or self._closing:
            raise RuntimeError("use the writer as 'async with ledger.writer() as writer'")
        if self._task.done():
            self._task.result()  # raises what stopped the writer
        self._queued.append(record)
        self._wake.set()

    async def _write_in_batches(self) -> None:
        while self._queued or not self._closing:
            if not self._queued:
                self._wake.clear()
                await self._wake.wait()
                continue
            if not self._closing:
                await asyncio.sleep(self._interval_s)  # let more lines join this write
            batch, self._queued = self._queued, []
            await asyncio.to_thread(_write_durably, self._descriptor, b"".join(_line(record) for record in batch))
            if self._on_disk is not None:
                for record in batch:
                    self._on_disk(record)


def _line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False) + "\n").encode()


def _write_durably(descriptor: int | None, data: bytes) -> None:
    assert descriptor is not None
    view = memoryview(data)
    while view:  # a regular file takes the whole write, short of a full disk; be exact anyway
        view = view[os.write(descriptor, view) :]
    os.fsync(descriptor)
