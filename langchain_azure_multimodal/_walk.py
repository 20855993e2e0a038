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
  is. Each real folder (by ``st_dev``/``st_ino``) is entered once, so no file is found twice through a folder link.
* A symlink loop is skipped with a warning naming it (``on_skip``, a ``UserWarning`` by default): a folder link that
  leads back to a folder it is in, or file links that lead to each other. So is a broken symlink. The walk goes on.
* Other entries that are not regular files (sockets, devices, FIFOs) are skipped, logged at DEBUG.
* The walk keeps its own stack, not Python's: a tree as deep as the OS allows is walked (1,500 folders deep is
  tested).
* A folder that cannot be listed, an entry that cannot be read, and a path longer than the OS allows
  (``ENAMETOOLONG``) are passed to ``on_error`` as a :class:`~.errors.MediaSourceError` naming the path, and skipped;
  ``on_error`` may raise instead, and the walk then stops with that error.
"""

from __future__ import annotations

import errno
import fnmatch
import logging
import os
import stat
import warnings
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
    on_skip: Callable[[str], None] | None = None,
) -> Iterator[Path]:
    """Every regular file under ``root`` that ``glob`` matches and ``exclude`` does not, sorted, depth first.

    The paths are ``root`` joined with the names as walked (symlinks are not resolved). See the module docs for
    the rules; the options are checked now, the folders are listed as the iterator is consumed. ``on_skip`` gets the
    message of each symlink loop and broken symlink skipped (default: a ``UserWarning``).

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
    walk = _Walk(segments, recursive, tuple(exclude), on_error, on_skip or _warn, os.path.realpath(root))
    return walk.files(root)


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)  # the line that took the next path from the walk


@dataclass
class _Folder:
    """A folder on the walk's stack: the names of it not walked yet (last first), and its identity."""

    path: Path
    rel: tuple[str, ...]
    names: list[str]
    key: tuple[int, int]  # (st_dev, st_ino): the real folder, whatever link led to it


@dataclass(frozen=True)
class _Walk:
    segments: tuple[str, ...]
    recursive: bool
    exclude: tuple[str, ...]
    on_error: Callable[[MediaSourceError], None]
    on_skip: Callable[[str], None]
    real_root: str

    def files(self, root: Path) -> Iterator[Path]:
        top = self._enter(root, ())
        if top is None:
            return
        # An explicit stack of the folders from the root down, not recursion: a tree 1,500 folders deep is as
        # valid as a flat one, and recursion hit Python's limit (RecursionError) at about 1,000.
        stack = [top]
        inside = {top.key: top.path}  # the folders on the stack: a link to one of them is a loop
        entered = {top.key}  # every folder walked: one reached again (two links to it) is not walked twice
        while stack:
            folder = stack[-1]
            if not folder.names:
                stack.pop()
                del inside[folder.key]
                continue
            name = folder.names.pop()
            child, path = (*folder.rel, name), folder.path / name
            if any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch("/".join(child), p) for p in self.exclude):
                continue
            found = self._stat(path)
            if isinstance(found, str):
                self.on_skip(found)
                continue
            if found is None:
                continue
            if stat.S_ISDIR(found.st_mode):
                if not self.recursive:
                    continue
                key = (found.st_dev, found.st_ino)
                if key in inside:
                    self.on_skip(f"skipped {path}: a symlink loop, it leads back to {inside[key]}, which holds it; "
                                 "it is not followed")  # fmt: skip
                elif key in entered:
                    logger.debug("not entering %s: the folder was walked already, through another link", path)
                elif (below := self._enter(path, child)) is not None:
                    stack.append(below)
                    inside[key] = path
                    entered.add(key)
            elif not stat.S_ISREG(found.st_mode):
                logger.debug("skipping %s: not a regular file", path)
            elif _glob_match(self.segments, child):
                yield path

    def _enter(self, folder: Path, rel: tuple[str, ...]) -> _Folder | None:
        try:
            key = os.stat(folder)
            with os.scandir(folder) as listing:
                # Names only, popped as the walk goes: ingest walks while its run goes on, and a folder of 10,000
                # files held as DirEntry objects for the whole run was its largest cost in memory.
                names = sorted((entry.name for entry in listing), reverse=True)
        except OSError as error:
            if error.errno == errno.ENAMETOOLONG:
                self.on_error(_too_long(folder, error))
            else:
                fix = "make the folder readable by this process, or exclude it"
                what = f"cannot list the folder ({error.strerror})"
                self.on_error(MediaSourceError(what, where=str(folder), fix=fix))
            return None
        return _Folder(folder, rel, names, (key.st_dev, key.st_ino))

    def _stat(self, path: Path) -> os.stat_result | str | None:
        """The entry's status, through a symlink that stays inside the root; ``None`` for one to skip, or the
        warning to skip it with."""
        try:
            found = os.lstat(path)
        except FileNotFoundError:
            return None  # gone since the folder was listed
        except OSError as error:
            self.on_error(_too_long(path, error) if error.errno == errno.ENAMETOOLONG else _unreadable(path, error))
            return None
        if not stat.S_ISLNK(found.st_mode):
            return found
        real = os.path.realpath(path)
        if os.path.commonpath([self.real_root, real]) != self.real_root:
            logger.info("not following %s: the symlink leaves %s", path, self.real_root)
            return None
        try:
            return os.stat(path)
        except OSError as error:
            if error.errno == errno.ELOOP:
                return f"skipped {path}: a symlink loop, its links lead back to each other and to no file"
            if error.errno == errno.ENOENT:
                return f"skipped {path}: a broken symlink, its target {_target(path)} does not exist"
            if error.errno == errno.ENAMETOOLONG:
                self.on_error(_too_long(path, error))
            else:
                self.on_error(_unreadable(path, error))
            return None


def _target(link: Path) -> str:
    try:
        return os.readlink(link)
    except OSError:  # gone or replaced since: the message still names the link
        return "(unreadable)"


def _too_long(path: Path, error: OSError) -> MediaSourceError:
    return MediaSourceError(
        f"the path is longer than this system allows ({error.strerror}, {len(os.fsencode(path)):,} bytes)",
        where=str(path),
        fix="move the files to a shallower folder or shorten the folder names, or exclude it",
    )


def _unreadable(path: Path, error: OSError) -> MediaSourceError:
    what = f"cannot read the entry ({error.strerror})"
    return MediaSourceError(what, where=str(path), fix="make it readable by this process, or exclude it")


def _glob_match(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """pathlib-style matching, segment by segment: ``**`` is any number of folders, other segments are fnmatch."""
    # Bottom up over the path's positions, one pattern segment at a time: recursion would take a frame per folder
    # of a deep path, and each '**' would try every split again.
    end = len(path)
    rest = [start == end for start in range(end + 1)]  # where the pattern after this segment matches to the end
    for head in reversed(pattern):
        here = [False] * (end + 1)
        if head == "**":
            here[end] = rest[end]
            for start in range(end - 1, -1, -1):
                here[start] = rest[start] or here[start + 1]
        else:
            for start in range(end):
                here[start] = rest[start + 1] and fnmatch.fnmatchcase(path[start], head)
        rest = here
    return rest[0]
