"""Every error this package raises crosses a process whole (Ray tasks, multiprocessing, concurrent.futures pickle
what a worker raises): same class, same message, same attributes, also when it was raised inside an ``except`` (an
azure-core error then holds a traceback) or holds a transport's error that does not pickle."""

from __future__ import annotations

import errno
import inspect
import pickle
import threading
from pathlib import Path

import pytest

from langchain_azure_multimodal import errors
from langchain_azure_multimodal.errors import (
    AnswerLimitError,
    EndpointConnectionLostError,
    EndpointConnectTimeoutError,
    EndpointError,
    EndpointNetworkError,
    EndpointReadTimeoutError,
    EndpointRefusedError,
    EndpointTimeoutError,
    EndpointUnreachableError,
    IngestRefusedError,
    MalformedResponseError,
    MediaDecodeError,
    MediaError,
    MediaExtraRequiredError,
    MediaSourceError,
    MediaValidationError,
    OutputLockedError,
    ResponseShapeError,
    RunIdentityError,
    StreamError,
    UnsupportedContentError,
)
from langchain_azure_multimodal.ingest import OutputWriteError

URL = "https://r.services.ai.azure.com/models/chat/completions"
CASES: list[BaseException] = [
    MediaError("w", where="x", fix="f"),
    MediaSourceError("the file is empty", where="a.png", fix="pass the file"),
    MediaDecodeError("the JPEG data is truncated", where="photo.jpg"),
    MediaExtraRequiredError("reading HEIC needs pillow-heif", where="a.heic"),
    MediaValidationError("too big", where="messages[0].content[1]", limit="20 MB per image", fix="downscale it"),
    IngestRefusedError("cannot start", where="out.jsonl", fix="fix it"),
    OutputLockedError("out.jsonl", 4242),
    RunIdentityError("another model", where="out.jsonl", fix="pass --restart"),
    EndpointRefusedError("401", where="https://r/models", fix="check the key"),
    OutputWriteError(Path("out.jsonl"), OSError(errno.ENOSPC, "No space left on device")),
    UnsupportedContentError("no video", message_index=1, block_index=2, block_type="video"),
    EndpointError("endpoint must be an http(s) URL"),
    ResponseShapeError("choices", "an array", excerpt='"x"', response_id="c1"),
    MalformedResponseError("[1, 2]"),
    StreamError("server_error", "The model failed mid-stream."),
    AnswerLimitError("deadline", "The call passed its deadline of 1 s", "raise deadline=", received=12),
    EndpointNetworkError(URL, "it failed", "retry", failure="connect"),
    EndpointUnreachableError(URL, "the connection was refused", "start it", failure="refused"),
    EndpointTimeoutError(URL, "too slow", "wait", failure="read_timeout"),
    EndpointConnectTimeoutError(URL, "no answer to connect", "check the firewall", failure="connect_timeout"),
    EndpointReadTimeoutError(URL, "nothing arrived", "raise timeout=", failure="read_timeout"),
    EndpointConnectionLostError(URL, "the connection broke", "retry", failure="connection_lost"),
]


def _public_state(error: BaseException) -> dict[str, object]:
    return {k: v for k, v in vars(error).items() if not k.startswith("exc_") and k != "inner_exception"}


@pytest.mark.parametrize("error", CASES, ids=lambda error: type(error).__name__)
def test_it_round_trips_through_pickle(error: BaseException) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error) and copy.args == error.args
    assert {k: repr(v) for k, v in _public_state(copy).items()} == {k: repr(v) for k, v in _public_state(error).items()}


def test_every_error_class_has_a_case() -> None:
    public = {
        value
        for name in dir(errors)
        if inspect.isclass(value := getattr(errors, name)) and issubclass(value, Exception) and not name.startswith("_")
    }
    public.discard(errors._Picklable)
    assert public | {OutputWriteError} <= {type(error) for error in CASES}


def test_an_error_raised_in_an_except_with_an_unpicklable_cause_still_pickles() -> None:
    lock_holder = RuntimeError("the transport's", threading.Lock())  # holds what never pickles
    try:
        raise lock_holder
    except RuntimeError as inner:
        error = StreamError("stream_interrupted", "reset", text="The stream broke off", error=inner)
    assert error.exc_traceback is not None  # azure-core kept the traceback of the except it was made in
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.code == "stream_interrupted" and copy.exc_traceback is None
    assert "the transport's" in str(copy.inner_exception)
