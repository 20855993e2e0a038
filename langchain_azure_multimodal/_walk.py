"""The one folder walk: the document loaders and the ingest command find files the same way.

:func:`walk_folder` yields every regular file under a folder that ``glob`` selects and ``exclude`` does not, in
sorted order, depth first. It knows nothing of media kinds: callers filter by kind (see
:func:`~.profiles.media_kind_for_name`). :func:`check_walk_options` refuses a bad ``glob`` or ``exclude`` where
it is passed; :func:`walk_folder` calls it before returning, so a bad option never waits for the first file.

The rules:

* ``glob`` is matched pathlib-style against the path relative to the root, segment by segment (``/`` separates
  them; ``**`` is any number of folders, every other segment is an fnmatch pattern). With ``recursive=True`` a
  pattern that does not start with ``**`` matches at any depth, like ``Path.rglob``; with ``recursive=False`` only
  the top level is listed and ``**`` matches nothing more.
* ``exclude`` holds fnmatch patterns matched against each entry's name and its ``/``-joined path relative to the
  root; an excluded folder is not entered.
* A symlink (to a file or a folder) whose target is outside the root is not followed (logged at INFO); one inside
  is. Each real folder is entered once, so symlink loops end and no file is found twice through a folder link.
* Entries that are not regular files (sockets, devices, broken symlinks) are skipped, logged at DEBUG.
* A folder that cannot be listed is passed to ``on_error`` as a :class:`~.errors.MediaSourceError` and skipped;
  ``on_error`` may raise instead, and the walk then stops with that error.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from .errors import MediaSourceError

__all__ = ["check_walk_options", "walk_folder"]

logger = logging.getLogger(__name__)


def check_walk_options(glob: str, exclude: Sequence[str]) -> None:
    """Raise ``TypeError``/``ValueError`` for a ``glob`` or ``exclude`` that :func:`walk_folder` cannot use.

    ``glob`` must be a non-empty pattern relative to the walked folder; ``exclude`` a sequence of patterns, not one
    string (``exclude="*.tmp"`` would be read as the patterns ``"*"``, ``"."``, ... and exclude everything).

    Example:
        >>> check_walk_options("**/*.png", ["drafts", "*.tmp"])
        >>> check_walk_options("*.png", "*.tmp")
        Traceback (most recent call last):
        ...
        TypeError: exclude must be a sequence of patterns, not one string; write exclude=['*.tmp']
        >>> check_walk_options("../*.png", ())
        Traceback (most recent call last):
        ...
        ValueError: glob '../*.png' cannot leave the folder: '..' is not a pattern segment
    """
    if not isinstance(glob, str):
        raise TypeError(f"glob must be a string pattern such as '**/*.png', not {type(glob).__name__}")
    if not glob.strip() or not PurePosixPath(glob).parts:  # "." has no segments either
        raise ValueError("glob is empty; pass a pattern such as '**/*' (every file) or '*.png'")
    if glob.startswith(("/", "\\")) or PureWindowsPath(glob).drive:
        raise ValueError(f"glob {glob!r} is absolute; it is matched below the folder, so write it relative to it")
    if ".." in PurePosixPath(glob).parts:
        raise ValueError(f"glob {glob!r} cannot leave the folder: '..' is not a pattern segment")
    if isinstance(exclude, (str, bytes)):
        raise TypeError(f"exclude must be a sequence of patterns, not one string; write exclude=[{exclude!r}]")
    for pattern in exclude:
        if not isinstance(pattern, str) or not pattern:
            raise TypeError(f"each exclude pattern must be a non-empty string, not {pattern!r}")


def walk_folder(
    root: Path,
    *,
    glob: str = "**/*",
    recursive: bool = True,
    exclude: Sequence[str] = (),
    on_error: Callable[[MediaSourceError], None],
) -> Iterator[Path]:
    """Every regular file under ``root`` that ``glob`` matches and ``exclude`` does not, sorted, depth first.

    The paths are ``root`` joined with the names as walked (symlinks are not resolved). See the module docs for
    the rules; the options are checked now, the folders are listed as the iterator is consumed.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> for name in ("b.png", "a.wav", "notes.txt", "sub/c.png", "drafts/d.png"):
        ...     (root / name).parent.mkdir(exist_ok=True)
        ...     _ = (root / name).write_bytes(b"x")
        >>> errors = []
        >>> [p.relative_to(root).as_posix() for p in walk_folder(root, exclude=["drafts"], on_error=errors.append)]
        ['a.wav', 'b.png', 'notes.txt', 'sub/c.png']
        >>> [p.name for p in walk_folder(root, glob="*.png", recursive=False, on_error=errors.append)]
        ['b.png']
        >>> list(walk_folder(root / "missing", on_error=errors.append)), errors[0].what
        ([], 'cannot list the folder (No such file or directory)')
    """
    check_walk_options(glob, exclude)
    segments = tuple(part for part in PurePosixPath(glob).parts if part != "**" or recursive)
    if recursive and segments[:1] != ("**",):
        segments = ("**", *segments)  # rglob: a pattern without a leading ** matches at any depth
    real_root = os.path.realpath(root)
    walk = _Walk(segments, recursive, tuple(exclude), on_error, real_root)
    return walk.folder(root, (), {real_root})


@dataclass(frozen=True)
class _Walk:
    segments: tuple[str, ...]
    recursive: bool
    exclude: tuple[str, ...]
    on_error: Callable[[MediaSourceError], None]
    real_root: str

    def folder(self, folder: Path, rel: tuple[str, ...], seen: set[str]) -> Iterator[Path]:
        try:
            with os.scandir(folder) as listing:
                # Names only, popped as the walk goes: ingest walks while its run goes on, and a folder of 10,000
                # files held as DirEntry objects for the whole run was its largest cost in memory.
                names = sorted((entry.name for entry in listing), reverse=True)
        except OSError as error:
            fix = "make the folder readable by this process, or exclude it"
            self.on_error(MediaSourceError(f"cannot list the folder ({error.strerror})", where=str(folder), fix=fix))
            return
        while names:
            name = names.pop()
            child, path = (*rel, name), folder / name
            if any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch("/".join(child), p) for p in self.exclude):
                continue
            mode, real = _mode(path), None
            if mode is not None and stat.S_ISLNK(mode):
                real = os.path.realpath(path)
                if os.path.commonpath([self.real_root, real]) != self.real_root:
                    logger.info("not following %s: the symlink leaves %s", path, self.real_root)
                    continue
                mode = _mode(path, follow=True)
            if mode is not None and stat.S_ISDIR(mode):
                real = real or os.path.realpath(path)
                if self.recursive and real not in seen:  # a folder once: no loops, no duplicates
                    seen.add(real)
                    yield from self.folder(path, child, seen)
            elif mode is None or not stat.S_ISREG(mode):
                logger.debug("skipping %s: not a regular file (or a broken symlink)", path)
            elif _glob_match(self.segments, child):
                yield path


def _mode(path: Path, *, follow: bool = False) -> int | None:
    """The entry's file type bits, or ``None`` when it vanished, is a broken symlink or a symlink loop."""
    try:
        return (os.stat(path) if follow else os.lstat(path)).st_mode
    except OSError:
        return None


def _glob_match(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """pathlib-style matching, segment by segment: ``**`` is any number of folders, other segments are fnmatch."""
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_glob_match(rest, path[start:]) for start in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], head) and _glob_match(rest, path[1:])
