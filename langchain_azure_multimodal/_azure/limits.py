"""How large an answer may be and how long a call may take: :class:`AnswerLimits`, and the :class:`Budget` that
holds one call to them.

The transport's timeouts bound each wait (to connect, between two reads), never the whole: a service, proxy or
attacker that sends one byte a second, or keep-alive comments for ever, never trips them, and an endless body grows
memory for as long as it comes. So on top of them:

- **size**: an answer (a body, or every byte of a stream together) over ``max_bytes`` is refused as soon as it
  passes the limit, without reading on;
- **a body in one go**: an answer that is not streamed must arrive whole within the read timeout of its first byte
  (the read timeout is the longest wait between two reads, so a complete answer is always sent faster than that);
- **a stream that stalls**: a stream must bring a real event (not a ``:`` comment, not part of a line) at least
  once per read timeout;
- **the deadline** (``deadline`` seconds, off by default): the whole call, retries, waits and the stream included.

Over any of them the call raises :class:`AnswerLimitError`, naming the limit and the setting that raises it.

A read that blocks (the requests transport fills 4 KiB blocks of a body with a ``Content-Length`` before returning
any) is cut when its limit passes: the sync transport's session tells the call its socket (a requests
``response`` hook, :func:`watch_response`), and one daemon thread shuts sockets down when their time is up. The
async transport's reads return what has arrived, so there a read is simply given the time left.

Example:
    >>> budget = Budget(AnswerLimits(max_bytes=10), timeouts=(10.0, 600.0))
    >>> budget.count(8)
    >>> try:
    ...     budget.count(8)
    ... except AnswerLimitError as error:
    ...     print(error.limit, error.received)
    max_answer_bytes 16
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import itertools
import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..profiles import MEBIBYTE
from .service_errors import AnswerLimitError, Limit

__all__ = ["DEFAULT_MAX_ANSWER_BYTES", "AnswerLimits", "Budget", "watch_response", "watched_transport"]

#: The most bytes one answer may have: generous, as a spoken answer's audio comes as base64 (64 MiB is some 16
#: minutes of 24 kHz speech), yet far below what would exhaust memory.
DEFAULT_MAX_ANSWER_BYTES = 64 * MEBIBYTE

#: How much later than its limit a read is cut when the read timeout also bounds it (see :meth:`Budget.cut_at`).
_GRACE = 0.25


@dataclass(frozen=True)
class AnswerLimits:
    """The limits every call of a wire is held to: ``max_bytes`` per answer (:data:`DEFAULT_MAX_ANSWER_BYTES`), and
    ``deadline``, the most seconds one call may take in all (``None``: no overall deadline; the read timeout still
    bounds a body and a stall)."""

    max_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    deadline: float | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.max_bytes, int) and self.max_bytes > 0):
            raise ValueError(f"max_answer_bytes must be a positive whole number of bytes, got {self.max_bytes!r}")
        if self.deadline is not None and not self.deadline > 0:
            raise ValueError(f"deadline must be a positive number of seconds (or None), got {self.deadline!r}")


class Budget:
    """One call's progress against its :class:`AnswerLimits`; ``timeouts`` are the transport's connect and read
    timeouts (``quiet``, the read timeout, bounds a body and a stall; ``None``: nothing does).

    The wire calls :meth:`answer_started` when the answer's headers are in, :meth:`count` for each chunk and
    :meth:`progressed` for each real event of a stream; :meth:`check` raises once a time limit has passed, and
    :meth:`explain` turns the transport error of a read the watchdog cut into the limit's error."""

    def __init__(self, limits: AnswerLimits, timeouts: tuple[float | None, float | None] = (None, None)) -> None:
        self.limits, self.timeouts = limits, timeouts
        self.quiet = timeouts[1]
        now = time.monotonic()
        self._ends = None if limits.deadline is None else now + limits.deadline
        self._since: float | None = None  # when the time for the body, or the next event, started
        self._streaming = False
        self.received = 0
        self._socket: socket.socket | None = None
        self._alarm: _Alarm | None = None
        self.cut = False  # the watchdog shut the socket down

    def answer_started(self, *, streaming: bool) -> None:
        """A try's answer began (its headers are in): its size and its time are counted from here, so a retry's
        answer is not charged for the bytes of the try before it."""
        self._streaming = streaming
        self._since = time.monotonic()
        self.received = 0
        self._arm()

    def count(self, size: int) -> None:
        self.received += size
        if self.received > self.limits.max_bytes:
            limit = self.limits.max_bytes
            raise AnswerLimitError(
                "max_answer_bytes",
                f"The answer passed {limit:,} bytes (max_answer_bytes={limit}) and was not read on",
                "raise max_answer_bytes= if answers this large are expected",
                received=self.received,
            )
        self.check()

    def progressed(self) -> None:
        """A real event arrived, or the caller asked for the next one: the stall clock starts again."""
        if self._streaming:
            self._since = time.monotonic()  # the watchdog reads it when the alarm comes: no new alarm per event

    def due(self) -> tuple[float, Limit] | None:
        """The next moment a time limit passes, and which; ``None`` when no limit applies."""
        found: list[tuple[float, Limit]] = []
        if self._ends is not None:
            found.append((self._ends, "deadline"))
        if self._since is not None and self.quiet is not None:
            found.append((self._since + self.quiet, "stream_stall" if self._streaming else "body_time"))
        return min(found) if found else None

    def cut_at(self) -> float | None:
        """When a read still waiting is cut: the next time limit, or a little after it for a limit that the
        transport's read timeout also enforces (a body or stream that sends nothing at all at once), so that case
        keeps the transport's own, exact error."""
        due = self.due()
        if due is None:
            return None
        return due[0] + (0.0 if due[1] == "deadline" else _GRACE)

    def remaining(self) -> float | None:
        """Seconds until a read still waiting is cut (:meth:`cut_at`), never below 0; ``None``: never."""
        cut = self.cut_at()
        return None if cut is None else max(0.0, cut - time.monotonic())

    def check(self) -> None:
        if (error := self.passed()) is not None:
            raise error

    def passed(self) -> AnswerLimitError | None:
        """The error of the time limit that has passed, if one has."""
        due = self.due()
        if due is None or time.monotonic() < due[0]:
            return None
        return self._time_error(due[1])

    def explain(self, error: BaseException) -> BaseException:
        """``error`` (a send or read that failed) as the limit's error when a time limit has passed and caused it:
        the watchdog shut the socket down (the transport saw a broken connection), or the deadline shortened the
        transport's timeouts. Otherwise the transport's own error (a read timeout) says it exactly."""
        passed = self.passed()
        if passed is None or not (self.cut or passed.limit == "deadline"):
            return error
        passed.__cause__ = error
        return passed

    @contextmanager
    def sending(self) -> Iterator[Budget]:
        """While the sync pipeline sends: the transport's response hook tells this budget its socket, the retry
        policy gives each try the time the deadline leaves, and a failure past the deadline is the deadline's."""
        token = _CURRENT.set(self)
        try:
            yield self
        except Exception as error:
            if (passed := self.explain(error)) is not error:
                raise passed from error
            raise
        finally:
            _CURRENT.reset(token)

    def deadline_left(self) -> float | None:
        """Seconds until the call's deadline (at least 0), ``None`` without one."""
        return None if self._ends is None else max(0.0, self._ends - time.monotonic())

    def _time_error(self, limit: Limit) -> AnswerLimitError:
        if limit == "deadline":
            what = f"The call passed its deadline of {self.limits.deadline:g} s (deadline={self.limits.deadline:g})"
            fix = "raise deadline= (or pass deadline=None) if calls this long are expected"
        elif limit == "body_time":
            what = (
                f"The answer did not arrive whole within the read timeout of {self.quiet:g} s: the service sent it "
                f"too slowly ({self.received:,} bytes so far)"
            )
            fix = "raise timeout= if the service is this slow, or stream the answer"
        else:
            what = (
                f"The stream sent no event for {self.quiet:g} s, the read timeout (keep-alive comments and parts "
                "of a line do not count)"
            )
            fix = "raise timeout= if the model is this slow to produce the next event"
        return AnswerLimitError(limit, what, fix, received=self.received)

    # ------------------------------------------------------------------------------------------ cutting reads

    def watch(self, sock: socket.socket | None) -> None:
        """The answer comes on ``sock`` (a retry's answer on another one)."""
        self._disarm()
        self._socket = sock
        self._arm()

    def close(self) -> None:
        """The call is over: its socket is no longer watched."""
        self._disarm()
        self._socket = None

    def _arm(self) -> None:
        """One alarm per socket, at the time a read would be cut; the watchdog re-reads :meth:`cut_at` when it
        comes, so the progress of a stream moves it without a new alarm."""
        if self._socket is not None and self._alarm is None and self.cut_at() is not None:
            self._alarm = _WATCHDOG.arm(self, self._socket)

    def _disarm(self) -> None:
        if self._alarm is not None:
            _WATCHDOG.cancel(self._alarm)
            self._alarm = None


_CURRENT: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("answer_budget", default=None)


def sending_budget() -> Budget | None:
    """The budget of the call the sync pipeline is sending, if any (the retry policy reads it)."""
    return _CURRENT.get()


def watched_transport(kwargs: dict[str, Any]) -> Any:
    """azure-core's requests transport, made from the client's keyword arguments as the client would make it, with
    :func:`watch_response` on its session."""
    from azure.core.pipeline.transport import RequestsTransport

    transport = RequestsTransport(**kwargs)
    transport.open()  # makes and configures its session, which gets the hook
    transport.session.hooks["response"].append(watch_response)
    return transport


def watch_response(response: Any, *args: Any, **kwargs: Any) -> Any:
    """A requests ``response`` hook: the sending call's budget watches the socket the answer comes on. requests calls
    it with its ``Response`` once the headers are in; ``response.raw`` is urllib3's response, whose ``connection``
    is the ``http.client`` connection and ``sock`` its socket (all public). A transport that offers none of them
    is not watched: its reads are then checked between chunks only."""
    budget = _CURRENT.get()
    if budget is not None:
        connection = getattr(getattr(response, "raw", None), "connection", None)
        sock = getattr(connection, "sock", None)
        budget.watch(sock if isinstance(sock, socket.socket) else None)
    return response


@dataclass
class _Alarm:
    budget: Budget
    sock: socket.socket
    cancelled: bool = False


class _Watchdog:
    """One daemon thread that shuts sockets down at their time, unless their alarm was cancelled first. Shutting a
    socket down wakes a read blocked on it in another thread (closing it would not).

    Nearly every alarm is cancelled long before its time (the answer came), so neither arming nor cancelling wakes
    the thread: it is only woken for an alarm due before the time it sleeps until (waking it on every call cost
    some 150 µs of a 1 ms call on loopback), and cancelled alarms are dropped in bulk once they are most of the
    heap, rather than one by one when their time comes."""

    #: Cancelled alarms kept before the heap is rebuilt without them (when they are also more than half of it).
    COMPACT_AFTER = 1024

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._due: list[tuple[float, int, _Alarm]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._asleep_until = math.inf  # when the thread wakes by itself (inf: only when notified)
        self._cancelled = 0

    def arm(self, budget: Budget, sock: socket.socket) -> _Alarm:
        alarm = _Alarm(budget, sock)
        with self._wake:
            when = self._push(alarm)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="answer-limits-watchdog", daemon=True)
                self._thread.start()
            if when is not None and when < self._asleep_until:
                self._wake.notify()
        return alarm

    def cancel(self, alarm: _Alarm) -> None:
        with self._wake:
            if alarm.cancelled:
                return
            alarm.cancelled = True
            self._cancelled += 1
            if self._cancelled > self.COMPACT_AFTER and 2 * self._cancelled > len(self._due):
                self._due = [entry for entry in self._due if not entry[2].cancelled]
                heapq.heapify(self._due)
                self._cancelled = 0

    def pending(self) -> int:
        """Alarms in the heap, cancelled ones included (for tests: it stays bounded)."""
        with self._wake:
            return len(self._due)

    def _push(self, alarm: _Alarm) -> float | None:
        when = alarm.budget.cut_at()
        if when is not None:
            heapq.heappush(self._due, (when, next(self._order), alarm))
        return when

    def _pop(self) -> _Alarm:
        alarm = heapq.heappop(self._due)[2]
        if alarm.cancelled:
            self._cancelled = max(0, self._cancelled - 1)
        return alarm

    def _run(self) -> None:
        with self._wake:
            while True:
                while self._due and self._due[0][2].cancelled:
                    self._pop()
                if not self._due:
                    self._asleep_until = math.inf
                    self._wake.wait()
                    continue
                wait = self._due[0][0] - time.monotonic()
                if wait > 0:
                    self._asleep_until = self._due[0][0]
                    self._wake.wait(wait)
                    continue
                self._asleep_until = -math.inf  # awake: whatever is armed now is seen before it sleeps again
                alarm = self._pop()
                left = alarm.budget.remaining()
                if left is None:  # no limit applies any more
                    continue
                if left > 0:  # the stream moved on since the alarm was set: wait for its new time
                    self._push(alarm)
                    continue
                alarm.budget.cut = True
                with contextlib.suppress(OSError):  # already closed: the read it would cut is over
                    alarm.sock.shutdown(socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()


def _new_watchdog_after_fork() -> None:
    """A forked child has the parent's watchdog but not its thread (and maybe a lock held mid-way): it gets its own."""
    global _WATCHDOG
    _WATCHDOG = _Watchdog()


os.register_at_fork(after_in_child=_new_watchdog_after_fork)
