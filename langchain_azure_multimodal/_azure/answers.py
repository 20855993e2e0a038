"""Reading an answer that is not streamed: its body, a chunk at a time, held to the call's
:class:`~.limits.Budget` (size, time), and read inside each try of the retry policy so that a connection lost
part-way through the body is retried like one lost before it.

:class:`AnswerBody` is how the wire asks for it: passed as the ``answer_body`` option of ``send_request``, the retry
policy (:mod:`.retry`) takes it out of the options (the transport would refuse an option it does not know), and on
a 200 fills it with the body's text before it returns. A pipeline without that policy (a caller's own
``retry_policy``) leaves it empty, and the wire reads the body itself, without retries.

Example:
    >>> class Response:  # what azure-core's streamed HttpResponse offers
    ...     def iter_bytes(self):
    ...         yield b'{"id": '
    ...         yield b'"c"}'
    >>> from .limits import AnswerLimits, Budget
    >>> read_body(Response(), Budget(AnswerLimits()))
    '{"id": "c"}'
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from azure.core.exceptions import AzureError, DecodeError, ServiceResponseError
from azure.core.pipeline import PipelineRequest

from .limits import Budget
from .service_errors import AnswerLimitError, MalformedResponseError, is_transport_error

#: The ``send_request`` option that carries an :class:`AnswerBody` to the retry policy.
ANSWER_BODY_OPTION = "answer_body"


class ByteStream(Protocol):
    """A streamed response, as azure-core's ``HttpResponse`` is one."""

    def iter_bytes(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class AsyncByteStream(Protocol):
    """An async streamed response, as azure-core's ``AsyncHttpResponse`` is one."""

    def iter_bytes(self) -> AsyncIterator[bytes]: ...

    def close(self) -> Any: ...


def read_body(response: ByteStream, budget: Budget) -> str:
    """The whole body of an answer that is not streamed, as text, read a chunk at a time so that its size and time
    are checked as it comes (a body over the limit is never held whole)."""
    chunks = []
    try:
        for chunk in response.iter_bytes():
            budget.count(len(chunk))
            chunks.append(chunk)
    except (DecodeError, zlib.error) as error:
        if not is_undecodable(error):  # azure-core's aiohttp transport says DecodeError for a lost connection too
            raise
        raise _undecodable(error) from error
    return b"".join(chunks).decode("utf-8", errors="replace")


async def aread_body(response: AsyncByteStream, budget: Budget) -> str:
    """The async :func:`read_body`: each read gets the time left, as an async read can be cut where it waits."""
    chunks = []
    chunks_in = response.iter_bytes().__aiter__()
    try:
        while True:
            async with within(budget):
                try:
                    chunk = await chunks_in.__anext__()
                except StopAsyncIteration:
                    break
            budget.count(len(chunk))
            chunks.append(chunk)
    except (DecodeError, zlib.error) as error:  # aiohttp lets zlib's own error out of a body that does not inflate
        if not is_undecodable(error):
            raise
        raise _undecodable(error) from error
    return b"".join(chunks).decode("utf-8", errors="replace")


#: The transports' errors for bytes that do not decompress (requests', urllib3's, aiohttp's), by name: each wraps
#: zlib's (or brotli's) own, and azure-core gives all of them, and a connection lost mid-body, as ``DecodeError``.
_DECOMPRESSION_ERRORS = frozenset({"ContentDecodingError", "DecodeError", "ContentEncodingError"})


def is_undecodable(error: BaseException) -> bool:
    """Whether ``error`` is bytes that do not decompress as the ``Content-Encoding`` says (zlib's error somewhere in
    its chain), rather than a connection lost part-way, which azure-core's aiohttp transport also raises as
    ``DecodeError``."""
    seen: BaseException | None = error
    for _ in range(8):  # a chain is short; never loop on a cycle
        if seen is None:
            return False
        if isinstance(seen, zlib.error):
            return True
        if type(seen).__module__.split(".")[0] in {"urllib3", "requests", "aiohttp"} and (
            type(seen).__name__ in _DECOMPRESSION_ERRORS
        ):
            return True
        inner = getattr(seen, "inner_exception", None)
        seen = inner if isinstance(inner, BaseException) and inner is not seen else seen.__cause__ or seen.__context__
    return False


def check_error_size(response: Any, budget: Budget) -> None:
    """Refuse to read an error answer that announces more bytes than the budget allows. Its body must be read
    whole (azure-core's error reads the service's message from it), so only its ``Content-Length`` can be checked
    first; its time is bounded like any answer's."""
    announced = response.headers.get("Content-Length")
    limit = budget.limits.max_bytes
    if announced is not None and announced.isdigit() and int(announced) > limit:
        raise AnswerLimitError(
            "max_answer_bytes",
            f"The error answer (status {response.status_code}) announces {int(announced):,} bytes, over "
            f"{limit:,} (max_answer_bytes={limit}); it was not read",
            "raise max_answer_bytes= if answers this large are expected",
        )


def _undecodable(error: BaseException) -> MalformedResponseError:
    return MalformedResponseError(f"<a body that does not decompress as its Content-Encoding says: {error}>")


@asynccontextmanager
async def within(budget: Budget) -> AsyncIterator[None]:
    """Run the block in the time ``budget`` has left; past it, the limit's :class:`AnswerLimitError`."""
    left = budget.remaining()
    if left is None:
        yield
        return
    try:
        async with asyncio.timeout(left):
            yield
    except TimeoutError as error:
        passed = budget.passed()
        if passed is None:  # not our timer (asyncio.timeout only raises for its own, but be exact)
            raise
        raise passed from error


def as_azure_error(error: Exception) -> AzureError | None:
    """``error`` as azure-core's error for a broken read, or ``None`` when it is not the transport's (a bug of ours
    stays as it is). azure-core 1.36 lets some out of ``iter_bytes()`` unwrapped (a requests read timeout part-way
    through a stream); later releases wrap them in ``ServiceResponseError``, as this does."""
    if isinstance(error, AzureError):
        return error
    if not is_transport_error(error):
        return None
    # The message is ours: the transports' own text carries the whole URL, query string included.
    shown = f"the transport failed while reading the answer ({type(error).__name__})"
    return ServiceResponseError(shown, error=error)


@dataclass
class AnswerBody:
    """The body of an answer not streamed, to be read within ``budget``; ``text`` once it is."""

    budget: Budget
    text: str | None = None

    def read(self, response: ByteStream) -> None:
        """Read ``response``'s body (a 200's) into :attr:`text`, within the budget (a retry's try starts its clock
        again). A read the watchdog cut raises the limit's error, which is not retried."""
        self.budget.answer_started(streaming=False)
        try:
            self.text = read_body(response, self.budget)
        except Exception as error:
            if (passed := self.budget.explain(error)) is not error:
                raise passed from error
            azure = as_azure_error(error)  # so that the retry policy retries it, and the network policy names it
            if azure is None or azure is error:
                raise
            raise azure from error

    async def aread(self, response: AsyncByteStream) -> None:
        """The async :meth:`read`."""
        self.budget.answer_started(streaming=False)
        self.text = await aread_body(response, self.budget)


def take_answer_body(request: PipelineRequest[Any]) -> AnswerBody | None:
    """The :class:`AnswerBody` a call passed (moved from the options, which reach the transport, to the context,
    which every retry of the request shares), or ``None``."""
    given = request.context.options.pop(ANSWER_BODY_OPTION, None)
    if given is not None:
        request.context[ANSWER_BODY_OPTION] = given
    found = request.context.get(ANSWER_BODY_OPTION)
    return found if isinstance(found, AnswerBody) else None
