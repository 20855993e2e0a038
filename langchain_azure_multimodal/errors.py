"""Typed errors: each says what was wrong, where, and how to fix it.

The media errors are ``ValueError`` subclasses raised before any network call. ``where`` names the place in the request
(``messages[1].content[2]``) or the source (a file name), ``fix`` says what to do instead.

The errors of a call that went wrong on the way are azure-core ``AzureError`` subclasses, loaded on first use:
``MalformedResponseError`` and ``StreamError`` (an answer broken after its 200; JSON of the wrong shape is a
``ResponseShapeError``, a plain ``ValueError`` defined here), ``AnswerLimitError`` (an answer too large or too slow
for the limits the client sets), and the network errors, each a
subclass of the azure-core error it replaces: ``EndpointUnreachableError`` (a ``ServiceRequestError``: refused, DNS,
no connection), ``EndpointConnectTimeoutError`` (also a ``ServiceRequestTimeoutError``), ``EndpointReadTimeoutError``
(a ``ServiceResponseTimeoutError``), ``EndpointConnectionLostError`` (a ``ServiceResponseError``), with the bases
``EndpointTimeoutError`` (both timeouts) and ``EndpointNetworkError`` (all of them).

Example:
    >>> error = MediaValidationError("the image is 25,000,000 bytes, over the 20,971,520-byte limit",
    ...                              where="messages[0].content[1] (scan.png)", limit="20 MB per image",
    ...                              fix="downscale it or send it as JPEG")
    >>> str(error)
    'messages[0].content[1] (scan.png): the image is 25,000,000 bytes, over the 20,971,520-byte limit. Fix: downscale it or send it as JPEG.'
"""  # noqa: E501 - the doctest output is one line

from __future__ import annotations

import copy
import pickle
import types
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:  # at run time, __getattr__ below: for type checkers, the same classes, re-exported
    from ._azure.service_errors import AnswerLimitError as AnswerLimitError
    from ._azure.service_errors import EndpointConnectionLostError as EndpointConnectionLostError
    from ._azure.service_errors import EndpointConnectTimeoutError as EndpointConnectTimeoutError
    from ._azure.service_errors import EndpointNetworkError as EndpointNetworkError
    from ._azure.service_errors import EndpointReadTimeoutError as EndpointReadTimeoutError
    from ._azure.service_errors import EndpointTimeoutError as EndpointTimeoutError
    from ._azure.service_errors import EndpointUnreachableError as EndpointUnreachableError
    from ._azure.service_errors import MalformedResponseError as MalformedResponseError
    from ._azure.service_errors import StreamError as StreamError

MEDIA_EXTRA_INSTALL = "pip install 'langchain-azure-multimodal[media]'"


class _Picklable(Exception):  # noqa: N818 - a base, never raised itself
    """Pickles as its state (``args`` and attributes), never by calling ``__init__`` again with its message: the
    errors here take other arguments than their one message, so the default would fail (or lose them) when one
    crosses a process (Ray, multiprocessing, concurrent.futures). A traceback, or a value that does not pickle (a
    transport's error holding its connection), is kept as its ``repr``.

    Example:
        >>> import pickle
        >>> error = OutputLockedError("out.jsonl", 42)
        >>> copy = pickle.loads(pickle.dumps(error))
        >>> (type(copy), copy.pid, str(copy)) == (OutputLockedError, 42, str(error))
        True
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return _restore, (type(self), self.args, {name: _portable(value) for name, value in vars(self).items()})


def _portable(value: object) -> object:
    if isinstance(value, types.TracebackType):
        return None
    try:
        pickle.dumps(value)
    except Exception:
        return repr(value)
    return value


def _restore(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    error = cls.__new__(cls)
    error.args = args
    vars(error).update(state)
    return error


class _Explained(_Picklable):
    """``what``, ``where`` and ``fix``, kept as attributes and written as one sentence."""

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what, self.where, self.fix = what, where, fix
        super().__init__(self._text())

    def _text(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        return f"{text}. Fix: {self.fix}." if self.fix else f"{text}."


class MediaError(_Explained, ValueError):
    """Base of the media errors; ``what``, ``where`` and ``fix`` are also attributes."""

    def placed(self, where: str) -> Self:
        """A copy that says where in the request the media is (keeping the source it named, if any).

        Example:
            >>> str(MediaDecodeError("the JPEG data is truncated", where="photo.jpg").placed("messages[0].content[1]"))
            'messages[0].content[1] (photo.jpg): the JPEG data is truncated.'
        """
        placed = copy.copy(self)
        placed.where = f"{where} ({self.where})" if self.where and self.where != where else where
        placed.args = (placed._text(),)
        return placed


class MediaSourceError(MediaError):
    """A source that cannot be read: a missing path, a directory, a symlink loop, an empty file, an unknown type."""


class MediaDecodeError(MediaError):
    """Bytes that do not decode as the image or audio they claim to be (truncated, corrupt, mislabelled)."""


class MediaExtraRequiredError(MediaError):
    """Work that needs Pillow or PyAV, which come with the ``media`` extra."""

    def __init__(self, what: str, *, where: str | None = None) -> None:
        super().__init__(what, where=where, fix=f"install the media extra: {MEDIA_EXTRA_INSTALL}")


class MediaValidationError(MediaError):
    """Media that breaks the model's limits (format, size, count, audio or system support); ``limit`` names it."""

    def __init__(self, what: str, *, where: str | None = None, limit: str | None = None, fix: str | None = None):
        self.limit = limit
        super().__init__(what, where=where, fix=fix)


class IngestRefusedError(_Explained, RuntimeError):
    """An ingest run that cannot start, or cannot go on, for a reason no input file can fix (the command exits 2).

    Example:
        >>> str(RunIdentityError("it holds results of model 'phi-4' and this run asks 'gpt-4o'", where="out.jsonl",
        ...                      fix="write to a new --out, or pass --restart"))
        "out.jsonl: it holds results of model 'phi-4' and this run asks 'gpt-4o'. Fix: write to a new --out, or pass --restart."
    """  # noqa: E501 - the doctest output is one line


class OutputLockedError(IngestRefusedError):
    """Another run holds the output's lock; ``pid`` is its process id when it could be read."""

    def __init__(self, output: object, pid: int | None) -> None:
        self.pid = pid
        holder = f"another ingest run (pid {pid})" if pid else "another ingest run"
        super().__init__(
            f"{holder} is writing to this output",
            where=str(output),
            fix="wait for that run to finish, or write to another --out",
        )


class RunIdentityError(IngestRefusedError):
    """The output holds results of another question (endpoint, model, task, prompt, options) than this run asks."""


class EndpointRefusedError(IngestRefusedError):
    """The endpoint, the key, the deployment or the model cannot serve the run: sign-in, 401/403/404, media."""


# ---------------------------------------------------------------------------------------------- requests and answers


class UnsupportedContentError(_Picklable, ValueError):
    """A content block (or message) the wire format cannot carry, raised before any request.

    The message says the block type, where it is (``messages[i].content[j]``) and what to do instead.
    ``block_index`` is ``None`` for a message's string content or for the message as a whole.

    Example:
        >>> from langchain_core.messages import HumanMessage
        >>> from langchain_azure_multimodal._messages import parse_messages
        >>> try:
        ...     parse_messages([HumanMessage([{"type": "video", "url": "https://example.com/a.mp4"}])])
        ... except UnsupportedContentError as error:
        ...     error.message_index, error.block_index, error.block_type
        (0, 0, 'video')
    """

    def __init__(self, message: str, *, message_index: int, block_index: int | None, block_type: str) -> None:
        super().__init__(message)
        self.message_index = message_index
        self.block_index = block_index
        self.block_type = block_type


class EndpointError(_Picklable, ValueError):
    """An endpoint URL, kind or API version that cannot work; the message says what to change.

    Example:
        >>> from langchain_azure_multimodal.endpoints import resolve_endpoint
        >>> resolve_endpoint("my-resource")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        langchain_azure_multimodal.errors.EndpointError: endpoint must be an http(s) URL ...; got 'my-resource'
    """


class ResponseShapeError(_Picklable, ValueError):
    """A 200 answer that is JSON but not of the shape the spec gives it (``choices`` a string, ``usage`` with ``NaN``
    tokens, a tool call's ``function`` a string, ...): the service answered something this client cannot read.

    ``path`` is the JSON path of the wrong value (``choices[0].message.tool_calls[1].function``; ``""`` for the whole
    answer), ``expected`` what the spec puts there, ``excerpt`` the start (up to 200 characters) of the value's JSON,
    ``response_id`` the answer's ``id`` when it had a readable one. A body that is not JSON at all is a
    :class:`MalformedResponseError` (the seam's, an ``AzureError``); one that is JSON of the wrong shape is this, raised
    by the pure response converters, which load no azure-core.

    Example:
        >>> error = ResponseShapeError("choices[0].message", "a ChatResponseMessage object", excerpt='"hi"',
        ...                            response_id="c1")
        >>> print(error)
        The service answered something this client cannot read: at choices[0].message it sent "hi", where the spec has a ChatResponseMessage object (response id 'c1').
        >>> isinstance(error, ValueError), error.path
        (True, 'choices[0].message')
    """  # noqa: E501 - the doctest output is one line

    def __init__(self, path: str, expected: str, *, excerpt: str, response_id: str | None = None) -> None:
        self.path, self.expected, self.excerpt, self.response_id = path, expected, excerpt, response_id
        where = f"at {path}" if path else "as the answer"
        answer = f" (response id {response_id!r})" if response_id is not None else ""
        super().__init__(
            f"The service answered something this client cannot read: {where} it sent {excerpt}, "
            f"where the spec has {expected}{answer}."
        )


# The errors of a 200 answer that went wrong, and the network errors, subclass azure-core's AzureError, as the SDK's
# own errors do, so that ``except AzureError`` catches them too. They are defined in the seam and looked up here on
# first use, so that importing this module (endpoints.py does, and through it the emulator) loads no azure-core.
_AZURE_ERRORS = frozenset(
    {
        "AnswerLimitError",
        "EndpointConnectTimeoutError",
        "EndpointConnectionLostError",
        "EndpointNetworkError",
        "EndpointReadTimeoutError",
        "EndpointTimeoutError",
        "EndpointUnreachableError",
        "MalformedResponseError",
        "StreamError",
    }
)


def __getattr__(name: str) -> Any:
    """``MalformedResponseError``, ``StreamError`` and the ``Endpoint...Error`` network errors, from
    :mod:`._azure.service_errors` (see above).

    Example:
        >>> from langchain_azure_multimodal.errors import StreamError
        >>> StreamError("malformed_event", "[1]").code
        'malformed_event'
    """
    if name in _AZURE_ERRORS:
        from ._azure import service_errors

        return getattr(service_errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_AZURE_ERRORS})
