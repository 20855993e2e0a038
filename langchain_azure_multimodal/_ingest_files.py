"""What an ingest run is asked, and of which files: its identity, its inputs, and the checks before any request."""

from __future__ import annotations

import errno
import os
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from . import __version__
from ._lock import lock_path
from ._walk import walk_folder
from .endpoints import AOAI_MIN_AUDIO_API_VERSION
from .errors import EndpointRefusedError, MediaSourceError
from .profiles import PROFILES, media_kind_for_name

if TYPE_CHECKING:
    from .chat_models import ChatAzureMultimodal
    from .ingest import Task
    from .profiles import ImageDetail

#: Ingest's own files beside the output, which a walk over the output's folder must not take as inputs.
_OWN_SUFFIXES = (".compact-tmp", ".bak")


def endpoint_label(llm: ChatAzureMultimodal) -> str:
    """The endpoint as lines and identities name it: host and path, without scheme, credentials or query.

    Example:
        >>> from langchain_azure_multimodal import ChatAzureMultimodal
        >>> endpoint_label(ChatAzureMultimodal(endpoint="https://r.openai.azure.com/openai/deployments/gpt-4o",
        ...                                    api_key="k"))
        'r.openai.azure.com/openai/deployments/gpt-4o'
    """
    parts = urlsplit(llm.endpoint_settings.endpoint)
    return f"{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}".rstrip("/")


def run_identity(
    llm: ChatAzureMultimodal,
    task: Task,
    *,
    endpoint_name: str | None = None,
    detail: ImageDetail | None = None,
    segment_seconds: float = 300.0,
) -> dict[str, Any]:
    """Everything that decides the answers of a run: two runs with equal identities ask the same question.

    Example:
        >>> from langchain_azure_multimodal import ChatAzureMultimodal
        >>> from langchain_azure_multimodal.ingest import Task
        >>> llm = ChatAzureMultimodal(endpoint="https://r.openai.azure.com/openai/v1", api_key="k", model="gpt-4o",
        ...                           max_tokens=200)
        >>> identity = run_identity(llm, Task.parse("describe"), detail="low")
        >>> identity["endpoint"], identity["model"], identity["detail"], identity["options"]
        ('r.openai.azure.com/openai/v1', 'gpt-4o', 'low', {'max_tokens': 200})
    """
    # _identifying_params is what LangChain's own caches key a model's answers by; the endpoint is named apart.
    options = {k: v for k, v in llm._identifying_params.items() if k not in ("model", "endpoint", "endpoint_kind")}
    identity: dict[str, Any] = {
        "endpoint_kind": llm.endpoint_settings.kind.value,
        "endpoint": endpoint_name or endpoint_label(llm),
        "model": llm.model,
        "task": task.name,
        "prompt": task.prompt,
        "options": options,
        "normalize_media": llm.normalize_media,
        "package_version": __version__,
    }
    if task.media == "image":
        identity.update(
            detail=detail or llm.default_image_detail,
            keep_image_metadata=llm.keep_image_metadata,
            image_policy=llm.image_policy,
        )
    else:
        identity["segment_seconds"] = segment_seconds
    return identity


class Inputs:
    """The files a run takes: named files and the files under named folders, of the task's media only.

    Other files are counted (``other``, ``other_by_extension``), not failed. The output, its lock and its backups
    are never inputs, and a file reached twice (named, and under a folder named) is taken once.
    """

    def __init__(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        media: Literal["image", "audio"],
        glob: str,
        exclude: Sequence[str],
        output: Path,
    ) -> None:
        self.paths, self.media, self.glob, self.exclude = [Path(p) for p in paths], media, glob, tuple(exclude)
        # realpath, not Path.resolve: on Python 3.11 resolve raises a bare RuntimeError for a symlink loop, which
        # check_output names instead.
        self.output = Path(os.path.realpath(output))
        self.other = 0
        self.other_by_extension: Counter[str] = Counter()
        self._warned: set[str] = set()

    def check_output(self) -> None:
        """A clear error for an output that is a folder, not a regular file (``/dev/zero``, ``/dev/full``, a FIFO:
        reading one back as the record of what is done never ends, or lies), a symlink loop, in a folder that does
        not exist, or in one this process cannot write to."""
        if _stat_error(self.output) == errno.ELOOP:
            raise ValueError(
                f"{self.output}: the output is a symlink loop (its links lead back to each other); name a regular "
                ".jsonl file, or point the link at one"
            )
        if self.output.is_dir():
            raise IsADirectoryError(
                f"{self.output}: the output is a folder; name a .jsonl file in it, e.g. {self.output / 'out.jsonl'}"
            )
        if self.output.exists() and not self.output.is_file():
            raise ValueError(
                f"{self.output}: the output is not a regular file (a device, pipe or socket); it must be a file the "
                "run can read back to resume: name a .jsonl file"
            )
        if not self.output.parent.is_dir():
            raise FileNotFoundError(
                f"{self.output}: the folder {self.output.parent} does not exist; create it, or write elsewhere"
            )
        if not os.access(self.output.parent, os.W_OK | os.X_OK):
            raise PermissionError(
                f"{self.output}: the folder {self.output.parent} is not writable by this process; write elsewhere"
            )

    def check_paths(self) -> None:
        """A clear error for a named path that is neither a file nor a folder (before anything starts)."""
        for path in self.paths:
            _check_exists(path)

    def check_model(self, llm: ChatAzureMultimodal, task: Task, *, where: str) -> None:
        """Refuse, before any request, a model that takes none of the task's media, or a key-only endpoint with no
        key; ``where`` names the endpoint."""
        profile = llm.profile or {}
        takes = profile.get(f"{self.media}_inputs", True)
        if self.media == "audio" and not llm.endpoint_settings.supports_audio_input():
            raise EndpointRefusedError(
                f"this api-version ({llm.endpoint_settings.api_version}) predates audio input",
                where=where,
                fix="leave --endpoint's api-version out (the default takes audio), or use "
                f"{AOAI_MIN_AUDIO_API_VERSION} or later",
            )
        if not takes:
            able = [name for name, p in PROFILES.items() if getattr(p, f"{self.media}_input")]
            raise EndpointRefusedError(
                f"the model {llm.model!r} takes no {self.media} input, so no file of the {task.name} task can be done",
                where=where,
                fix=f"choose a model that takes {self.media} with --model ({', '.join(able[:4])}, ...)",
            )
        if llm.credential is None and not llm.endpoint_settings.credential_scopes:
            raise EndpointRefusedError(
                f"{llm.endpoint_settings.kind.value} endpoints take a key, and none was given",
                where=where,
                fix="set AZURE_INFERENCE_CREDENTIAL to the endpoint's key",
            )

    def count(self) -> int:
        """Walk once to count the files taken (and the others), so a missing path stops the run before any work."""
        self.other, self.other_by_extension = 0, Counter()
        return sum(1 for _ in self._walk(count_others=True))

    def __iter__(self) -> Iterator[Path]:
        return self._walk(count_others=False)

    def _walk(self, *, count_others: bool) -> Iterator[Path]:
        # Strings, not Paths: a Path keeps its parts as well (about 500 B against 120 B), and this set grows with
        # every file of the run (bench/README.md, "Ingest throughput and memory").
        seen: set[str] = set()
        for path in self._files():
            resolved = path.resolve()
            key = str(resolved)
            if key in seen or self._is_own(resolved):
                continue
            seen.add(key)
            if media_kind_for_name(path.name) == self.media:
                yield path
            elif count_others:
                self.other += 1
                self.other_by_extension[path.suffix.lower() or "(no extension)"] += 1

    def _files(self) -> Iterator[Path]:
        for path in self.paths:
            if path.is_dir():
                yield from walk_folder(path, glob=self.glob, exclude=self.exclude, on_error=_raise, on_skip=self._warn)
            elif path.is_file():
                if not any(fnmatch(path.name, pattern) for pattern in self.exclude):
                    yield path
            else:
                _check_exists(path)

    def _warn(self, message: str) -> None:
        # Once per run: the inputs are walked twice (counted, then done), and a loop is one thing to fix.
        if message not in self._warned:
            self._warned.add(message)
            warnings.warn(message, UserWarning, stacklevel=2)

    def _is_own(self, resolved: Path) -> bool:
        if resolved == self.output or resolved == lock_path(self.output):
            return True
        return (
            resolved.parent == self.output.parent
            and resolved.name.startswith(self.output.name)
            and (resolved.name.endswith(_OWN_SUFFIXES))
        )


def _check_exists(path: Path) -> None:
    if path.is_dir() or path.is_file():
        return
    problem = _stat_error(path)
    if problem == errno.ELOOP:
        raise MediaSourceError("the path is a symlink loop", where=str(path), fix="point the links at a real file")
    if problem == errno.ENAMETOOLONG:
        raise MediaSourceError("the path is longer than this system allows", where=str(path),
                               fix="move the files to a shallower folder, or shorten the folder names")  # fmt: skip
    raise FileNotFoundError(f"{path}: no such file or folder; check the path")


def _stat_error(path: Path) -> int | None:
    """The errno of ``stat`` on ``path``, or ``None`` when it succeeds."""
    try:
        os.stat(path)
    except OSError as error:
        return error.errno
    return None


def _raise(error: MediaSourceError) -> None:
    raise error
