"""Ingest's progress: a tqdm bar on a terminal; in a log (stderr not a terminal), one plain line every few files.

A bar redraws itself with carriage returns, which a log file or CI output keeps as one endless line; so when
stderr is not a terminal, progress is a line per twentieth of the work (at least every file, at most every 500).
"""

from __future__ import annotations

import sys
from typing import Any, Protocol, TextIO

_LINES_PER_RUN = 20
_MAX_FILES_PER_LINE = 500


class _Counts(Protocol):
    done: int
    failed: int
    skipped: int
    tokens: int
    cost: float | None


class Reporter:
    """Silent: what ``progress=False`` gets, and the base of the others."""

    def advance(self, summary: _Counts) -> None:
        """One more file finished (or skipped as done)."""

    def close(self, summary: _Counts) -> None:
        """The run ended."""


class _Bar(Reporter):
    def __init__(self, total: int, stream: TextIO) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, unit="file", desc="ingest", file=stream)

    def advance(self, summary: _Counts) -> None:
        self._bar.update(1)
        shown: dict[str, object] = {"tokens": summary.tokens, "failed": summary.failed}
        if summary.cost is not None:
            shown["cost"] = f"{summary.cost:.4f}"
        self._bar.set_postfix(shown, refresh=False)

    def close(self, summary: _Counts) -> None:
        self._bar.close()


class _Lines(Reporter):
    def __init__(self, total: int, stream: TextIO) -> None:
        self._total, self._stream, self._seen = total, stream, 0
        self._every = min(_MAX_FILES_PER_LINE, max(1, -(-total // _LINES_PER_RUN)))

    def advance(self, summary: _Counts) -> None:
        self._seen += 1
        if self._seen % self._every == 0 and self._seen < self._total:
            self._line(summary)

    def close(self, summary: _Counts) -> None:
        if self._seen:
            self._line(summary)

    def _line(self, summary: _Counts) -> None:
        share = f" ({100 * self._seen // self._total}%)" if self._total else ""
        print(
            f"ingest: {self._seen:,}/{self._total:,} files{share}: {summary.done:,} done, {summary.skipped:,} "
            f"already done, {summary.failed:,} failed, {summary.tokens:,} tokens",
            file=self._stream,
            flush=True,
        )


def progress_reporter(total: int, *, enabled: bool, stream: Any = None) -> Reporter:
    """The reporter for a run of ``total`` files on ``stream`` (stderr by default).

    Example:
        >>> import io
        >>> from types import SimpleNamespace
        >>> log = io.StringIO()
        >>> report = progress_reporter(40, enabled=True, stream=log)  # not a terminal: lines
        >>> counts = SimpleNamespace(done=0, failed=0, skipped=0, tokens=0, cost=None)
        >>> for _ in range(40):
        ...     counts.done += 1
        ...     report.advance(counts)
        >>> report.close(counts)
        >>> lines = log.getvalue().splitlines()
        >>> len(lines), lines[0], "\\r" in log.getvalue()
        (20, 'ingest: 2/40 files (5%): 2 done, 0 already done, 0 failed, 0 tokens', False)
    """
    if not enabled:
        return Reporter()
    stream = stream if stream is not None else sys.stderr
    if stream.isatty():
        return _Bar(total, stream)
    return _Lines(total, stream)
