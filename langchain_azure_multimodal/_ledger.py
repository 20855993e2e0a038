"""Ingest's output file, which is also the record of what is done.

The first line is the run's identity (``{"ingest_run": {...}}``: endpoint, model, task, prompt, options, package
version); every other line is the result for one input file, keyed by the file's resolved ``path`` and carrying
the SHA-256 of the content it answered for. Lines reach the file through :class:`LedgerWriter`, which writes the
lines finished in each 50 ms with one ``O_APPEND`` write and one ``fsync``, in a thread, so that neither the event
loop nor a worker waits for the disk and a fast run does not pay one ``fsync`` per item. A crash (``kill -9``
included) can only leave a half-written last line, which :meth:`Ledger.index` cuts off before the next run reads
the file. A write or ``fsync`` that fails (a full disk, a file-size limit, an I/O error) is cut off the same way at
once, so the file ends at the last line on disk before it, and raises :class:`OutputWriteError`.

When a file's content changes between runs its new result is appended, and the older line is superseded: readers
take the last line of each path, and :meth:`Ledger.compact` removes the older ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import IngestRefusedError

_READ_CHUNK = 1 << 20
HEADER_KEY = "ingest_run"


_RESUME = "run the same command again to resume: the results already saved are kept, and not asked for again"


class OutputWriteError(IngestRefusedError):
    """The output stopped taking lines: a full disk, a file-size limit or an I/O error, which no input file can fix.

    The run stops; the lines on disk before the failed write are kept (a partial one is cut off), so the same
    command resumes once the cause is fixed. ``errno`` is the OS error's number; the ``OSError`` is the cause.

    Example:
        >>> error = OutputWriteError(Path("out.jsonl"), OSError(errno.ENOSPC, "No space left on device"))
        >>> error.errno == errno.ENOSPC, str(error).split(". Fix: ")[0]
        (True, 'out.jsonl: cannot save results: the disk is full (No space left on device, ENOSPC)')
    """

    def __init__(self, path: Path, error: OSError) -> None:
        self.errno = error.errno
        code = errno.errorcode.get(error.errno or 0, "unknown error")
        cause = f"({error.strerror or error}, {code})"
        if error.errno == errno.ENOSPC:
            what, fix = f"the disk is full {cause}", f"free some space on that disk, then {_RESUME}"
        elif error.errno == getattr(errno, "EDQUOT", None):
            what, fix = (
                f"the disk quota is used up {cause}",
                f"free some of the quota or have it raised, then {_RESUME}",
            )
        elif error.errno == errno.EFBIG:
            what = f"the file is as large as this process may write {cause}"
            fix = f"raise the file-size limit (ulimit -f), then {_RESUME}"
        elif error.errno == errno.EIO:
            what = f"the disk reported an I/O error {cause}"
            fix = f"check the disk (dmesg), or copy the file to a sound disk and pass that --out, then {_RESUME}"
        else:
            what, fix = f"the write failed {cause}", f"fix that, then {_RESUME}"
        super().__init__(f"cannot save results: {what}", where=str(path), fix=fix)


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file's content, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class LedgerIndex:
    """What a run needs to know of the file, at a few dozen bytes per line (no texts).

    ``by_path`` maps each resolved path to ``(content digest, finished ok)`` from its last line; ``answer_at`` maps
    a content digest to the offset of a line that answered it ok, so a copy of that content is answered from the
    file; ``superseded`` counts older lines of a path that a later line replaced.
    """

    identity: dict[str, Any] | None = None
    by_path: dict[str, tuple[bytes, bool]] = field(default_factory=dict)
    answer_at: dict[bytes, int] = field(default_factory=dict)
    superseded: int = 0


class Ledger:
    """The output file: its identity, which files are done, and how lines are added, replaced and dropped.

    Example:
        >>> import tempfile
        >>> ledger = Ledger(Path(tempfile.mkdtemp()) / "out.jsonl")
        >>> ledger.start({"model": "gpt-4o", "task": "describe"})
        >>> ok, bad = "ab" * 32, "cd" * 32  # the SHA-256 of each file's content
        >>> ledger.append({"path": "/in/a.png", "sha256": ok, "status": "ok", "text": "A red square."})
        >>> ledger.append({"path": "/in/b.png", "sha256": bad, "status": "error", "error": "MediaDecodeError: ..."})
        >>> index = ledger.index()
        >>> index.identity, index.by_path["/in/b.png"] == (bytes.fromhex(bad), False)
        ({'model': 'gpt-4o', 'task': 'describe'}, True)
        >>> ledger.compact(drop_failed=True), sorted(ledger.index().by_path)
        (1, ['/in/a.png'])
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def start(self, identity: dict[str, Any]) -> None:
        """Write the identity line of a new (empty or missing) file, durably."""
        if self.path.exists() and self.path.stat().st_size:
            raise FileExistsError(f"{self.path}: already started")
        self.append({HEADER_KEY: identity})

    def index(self) -> LedgerIndex:
        """Read the whole file once: its identity and each path's last result. A half-written last line (from a
        crash) is cut off first; a line that is not an ingest record is named in a ``ValueError``."""
        index = LedgerIndex()
        for number, offset, record in self._lines():
            if number == 1:
                index.identity = record[HEADER_KEY]
                continue
            digest, ok = bytes.fromhex(record["sha256"]), record["status"] == "ok"
            index.superseded += record["path"] in index.by_path
            index.by_path[record["path"]] = (digest, ok)
            if ok:
                index.answer_at.setdefault(digest, offset)
        return index

    def read_at(self, offset: int) -> dict[str, Any]:
        """The record of the line that starts at ``offset`` (from :attr:`LedgerIndex.answer_at`)."""
        with self.path.open("rb") as handle:
            handle.seek(offset)
            record: dict[str, Any] = json.loads(handle.readline())
            return record

    def records(self) -> Iterator[dict[str, Any]]:
        """The result of each file, one record per path (its last line), in file order; read in two passes, so
        memory holds line numbers, not texts."""
        last: dict[str, int] = {}
        for number, record in self._complete_lines():
            if HEADER_KEY not in record:
                last[record["path"]] = number
        wanted = set(last.values())
        for number, record in self._complete_lines():
            if number in wanted:
                yield record

    def _complete_lines(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if line.endswith(b"\n"):
                    yield number, json.loads(line)

    def _lines(self) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """``(line number, offset, record)`` for each complete line, checked; cuts off a half-written last line."""
        if not self.path.exists():
            return
        offset = 0
        with self.path.open("r+b") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith(b"\n"):
                    handle.truncate(offset)
                    return
                yield number, offset, self._checked(line, number)
                offset += len(line)

    def _checked(self, line: bytes, number: int) -> dict[str, Any]:
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            if number == 1:
                if not isinstance(record.get(HEADER_KEY), dict):
                    raise ValueError("no run identity on the first line")
            elif not isinstance(record.get("path"), str) or len(bytes.fromhex(record["sha256"])) != 32:
                raise ValueError("no path, or no SHA-256 of the content")
            return record
        except (ValueError, TypeError, KeyError) as error:
            fix = (
                "pass --restart to start it afresh (the old file is kept beside it), or write to a new --out file"
                if number == 1
                else "this file is the record of what is done, so remove or fix that line, or write to a new --out"
            )
            raise ValueError(f"{self.path}, line {number}: not an ingest record ({error}); {fix}") from None

    def compact(self, *, drop_failed: bool = False) -> int:
        """Remove the lines a later line of the same path replaced, and with ``drop_failed`` the failed files'
        lines (so a run does them again); returns how many failed lines went.

        The kept lines go to a new file that replaces the old one in one step (``os.replace``): a crash leaves
        either the old file or the new one, never a mix.
        """
        if not self.path.exists():
            return 0
        last: dict[str, int] = {}
        for number, _, record in self._lines():  # also cuts a half-written last line
            if number > 1:
                last[record["path"]] = number
        dropped = removed = 0
        staging = self.path.with_name(self.path.name + ".compact-tmp")
        try:
            with self.path.open("rb") as source, staging.open("wb") as kept:
                for number, line in enumerate(source, start=1):
                    record = json.loads(line)
                    if number > 1 and last[record["path"]] != number:
                        removed += 1
                    elif number > 1 and drop_failed and record["status"] != "ok":
                        dropped += 1
                    else:
                        kept.write(line)
                kept.flush()
                os.fsync(kept.fileno())
        except OSError as error:  # the output itself is untouched: only the copy is lost
            with contextlib.suppress(OSError):
                staging.unlink()
            raise OutputWriteError(self.path, error) from error
        if dropped or removed:
            os.replace(staging, self.path)
        else:
            staging.unlink()
        return dropped

    def set_aside(self) -> Path | None:
        """Move the file out of the way (to ``<name>.<n>.bak``, the first free ``n``) so a run starts afresh;
        returns where it went, or ``None`` when there was nothing to keep."""
        if not self.path.exists():
            return None
        for number in range(1, 10_000):
            backup = self.path.with_name(f"{self.path.name}.{number}.bak")
            if not backup.exists():
                os.replace(self.path, backup)
                return backup
        raise FileExistsError(f"{self.path}: 9,999 backups exist beside it; remove some")

    def append(self, record: dict[str, Any]) -> None:
        """One line, one write, on disk before it returns (the blocking form of :class:`LedgerWriter`)."""
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            _write_durably(descriptor, _line(record), self.path)
        finally:
            os.close(descriptor)

    def writer(
        self, *, interval_s: float = 0.05, on_disk: Callable[[dict[str, Any], int], None] | None = None
    ) -> LedgerWriter:
        """A :class:`LedgerWriter` that groups lines into few writes; use it as ``async with ledger.writer() as w``."""
        return LedgerWriter(self.path, interval_s=interval_s, on_disk=on_disk)


class LedgerWriter:
    """Adds lines for many concurrent tasks without making them wait for the disk.

    :meth:`append` queues a record and returns at once. Every ``interval_s`` the queued lines go out together, in one
    ``O_APPEND`` write and one ``fsync`` run in a thread, and then ``on_disk`` is called with each record and the
    offset its line starts at: only then does an item count as done. A run that dies loses at most the lines of the
    last interval, which nobody counted yet, and the next run does those items again. Leaving the ``async with``
    block writes what is still queued. A failed write stops the writer with :class:`OutputWriteError`, which
    :meth:`failure`, the next :meth:`append` and leaving the block raise.
    """

    def __init__(
        self,
        path: Path,
        *,
        interval_s: float = 0.05,
        on_disk: Callable[[dict[str, Any], int], None] | None = None,
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

    async def failure(self) -> None:
        """Raise the error that stopped the writer, as soon as it does; return when it closed without one.

        Run it beside the tasks that append, so that a full disk stops them at once rather than at their next line.
        """
        if self._task is not None:
            await asyncio.shield(self._task)  # shielded: the waiter is cancelled when the run ends, the writer not

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
            lines = [_line(record) for record in batch]
            end = await asyncio.to_thread(_write_durably, self._descriptor, b"".join(lines), self._path)
            if self._on_disk is not None:
                offset = end - sum(map(len, lines))  # only this writer appends while the run holds the lock
                for record, line in zip(batch, lines, strict=True):
                    self._on_disk(record, offset)
                    offset += len(line)


def _line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False) + "\n").encode()


def _write_durably(descriptor: int | None, data: bytes, path: Path) -> int:
    """Write all of ``data`` at the end of the file and ``fsync``; returns the file's size after it.

    On a failed write or ``fsync`` the file is cut back to its size before, and :class:`OutputWriteError` raised: a
    full disk takes part of a write, and a line cut short would be the last line of the file until the next run.
    """
    assert descriptor is not None
    start = os.lseek(descriptor, 0, os.SEEK_END)
    view = memoryview(data)
    try:
        while view:  # a regular file takes the whole write, short of a full disk; be exact anyway
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    except OSError as error:
        # After a failed fsync nothing written since the last good one is known to be on disk: cut all of it.
        # Truncating needs no space; if it fails too, the next run's read cuts a partial last line.
        with contextlib.suppress(OSError):
            os.ftruncate(descriptor, start)
            os.fsync(descriptor)
        raise OutputWriteError(path, error) from error
    return os.lseek(descriptor, 0, os.SEEK_CUR)
