"""An exclusive, non-blocking lock on an ingest output, held by the operating system for one run.

The lock is the OS's own file lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on ``<output>.lock``, not
the file's existence: the OS drops it when the process ends however it ends, so a run that was killed never blocks
the next one. The holder's pid is written into the file only so that the refusal can name it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from ._ledger import OutputWriteError
from .errors import OutputLockedError

#: What a full or failing disk answers; a rerun on a disk still full stops here, before any request, and says so.
_DISK_ERRORS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EIO, getattr(errno, "EDQUOT", errno.ENOSPC)})

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(descriptor: int) -> bool:
        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(descriptor: int) -> None:
        os.lseek(descriptor, 0, os.SEEK_SET)
        msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(descriptor: int) -> bool:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(descriptor: int) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)


def lock_path(output: Path) -> Path:
    """Where the lock of ``output`` lives: beside it, as ``<name>.lock``."""
    return output.with_name(output.name + ".lock")


@contextlib.contextmanager
def exclusive_output(output: Path) -> Iterator[None]:
    """Hold the lock of ``output`` for the ``with`` block, or raise :class:`OutputLockedError` at once.

    Example:
        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp()) / "out.jsonl"
        >>> with exclusive_output(out):
        ...     try:
        ...         with exclusive_output(out):
        ...             pass
        ...     except OutputLockedError as error:
        ...         print(str(error).split(":")[0] == str(out))
        True
        >>> lock_path(out).exists()  # removed with the lock
        False
    """
    path = lock_path(output)
    while True:
        descriptor = _disk_checked(output, lambda: os.open(path, os.O_RDWR | os.O_CREAT, 0o644))
        if not _try_lock(descriptor):
            holder = _read_pid(descriptor)
            os.close(descriptor)
            raise OutputLockedError(output, holder)
        # The holder before us may have removed the file after we opened it: then we hold a lock on a file nobody
        # else can see, and must lock the one at the path instead.
        if _same_file(descriptor, path):
            break
        os.close(descriptor)
    try:
        os.ftruncate(descriptor, 0)
        _disk_checked(output, lambda: os.write(descriptor, f"{os.getpid()}\n".encode()))
        yield
    finally:
        # Removed while still held, so that a run that opens it next either sees it gone or finds it locked.
        with contextlib.suppress(OSError):
            os.unlink(path)
        with contextlib.suppress(OSError):
            _unlock(descriptor)
        os.close(descriptor)


def _disk_checked(output: Path, call: Callable[[], int]) -> int:
    try:
        return call()
    except OSError as error:
        if error.errno in _DISK_ERRORS:
            raise OutputWriteError(output, error) from error
        raise


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _read_pid(descriptor: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        os.lseek(descriptor, 0, os.SEEK_SET)
        return int(os.read(descriptor, 32).decode().strip() or "x")
    return None
