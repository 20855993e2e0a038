"""Retries for chat calls: which failures get another try, and how long to wait before it.

azure-core's ``RetryPolicy`` retries a POST only on 500/503/504 and never on a refused or reset connection,
retries the first time without waiting, and sleeps as long as any ``Retry-After`` says. :class:`AzureRetryPolicy`
retries every method on :data:`RETRY_STATUSES` and on connection and read errors, with jittered exponential
backoff, and honours ``Retry-After``/``retry-after-ms`` up to :data:`MAX_RETRY_AFTER` seconds, plus a jitter of up to
:data:`RETRY_AFTER_JITTER` of it (at most :data:`MAX_RETRY_AFTER_JITTER` seconds): never sooner than asked.

It is a policy of its own on azure-core's public policy interface (``HTTPPolicy.send`` calling ``self.next``, the
transport's ``sleep``), not a subclass of ``RetryPolicy``: changing that one's decisions means overriding its private
``_is_method_retryable`` and reading the undocumented settings dict (``total``, ``history``, ``backoff``,
``max_backoff``) that its ``send`` loop passes around, which any azure-core release may reshape. The loop here is
short, and what it does is all ours to test.

Example:
    >>> policy = retry_policy(3, backoff_factor=1.0, backoff_max=8.0, is_async=False)
    >>> policy.should_retry(429, retries_done=0), policy.should_retry(429, retries_done=3), policy.should_retry(400, 0)
    (True, False, False)
    >>> 3.0 <= policy.backoff_time(3) <= 5.0  # the third retry: 1 s * 2 ** 2, give or take 25 %
    True
"""

from __future__ import annotations

import email.utils
import inspect
import random
import time
from collections.abc import Mapping
from typing import Any, cast

from azure.core.exceptions import AzureError, ClientAuthenticationError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy, HTTPPolicy
from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport

from .answers import take_answer_body
from .limits import Budget, sending_budget
from .service_errors import AnswerLimitError, MalformedResponseError

#: Failures no other try can mend: a failed sign-in, and an answer over a limit or that is not JSON.
_FINAL = (ClientAuthenticationError, AnswerLimitError, MalformedResponseError)
#: Statuses worth another try: timeout, throttling, and the transient server and gateway errors.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: The longest wait a ``Retry-After`` gets, in seconds: a throttled deployment may ask for minutes, and a chat call
#: that silently waits that long looks hung. Past the cap the retry goes early and may be throttled again.
MAX_RETRY_AFTER = 60.0
#: The jitter added on top of a ``Retry-After``, as a share of it: the calls a throttled deployment answers together
#: are told the same wait, and without it they all come back at the same instant and are throttled together again.
#: A quarter spreads them over a window in proportion to the wait (a 2 s wait becomes 2 to 2.5 s).
RETRY_AFTER_JITTER = 0.25
#: The most jitter, in seconds, so that a capped wait grows to at most 65 s: a few seconds already spread the retries
#: of calls that each take seconds to answer.
MAX_RETRY_AFTER_JITTER = 5.0


def _seconds(value: str) -> float:
    """A ``Retry-After`` value, a number of seconds or an HTTP date, as seconds from now (never negative)."""
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)  # raises ValueError (or TypeError, before 3.13) if not a date
        return max(0.0, when.timestamp() - time.time())


class _RetryRules:
    """The decisions the sync and async policies share; each policy only runs the loop and the sleeps."""

    def __init__(self, max_retries: int, *, backoff_factor: float, backoff_max: float, retry_after_max: float) -> None:
        super().__init__()  # the policy base, which sets up ``next``
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max

    def should_retry(self, status: int, retries_done: int) -> bool:
        """Only the listed statuses: a 400 stays a 400, whatever ``Retry-After`` it carries."""
        return retries_done < self.max_retries and status in RETRY_STATUSES

    def backoff_time(self, retry: int) -> float:
        """``backoff_factor * 2 ** (retry - 1)`` before the ``retry``-th retry (1 for the first), capped at
        ``backoff_max``, with ±25 % jitter (clipped so it never exceeds ``backoff_max``). Unlike azure-core, the first
        retry waits too: an immediate retry after a 429 is throttled again."""
        delay = min(self.backoff_max, self.backoff_factor * 2 ** (max(1, retry) - 1))
        return random.uniform(0.75 * delay, min(1.25 * delay, self.backoff_max))

    def retry_after(self, headers: Mapping[str, str]) -> float | None:
        """``Retry-After`` (seconds or an HTTP date), else ``retry-after-ms``/``x-ms-retry-after-ms``, capped at
        ``retry_after_max``; ``None`` when there is none or it cannot be read (the backoff applies then)."""
        lowered = {name.lower(): value for name, value in headers.items()}
        try:
            if value := lowered.get("retry-after"):
                return min(_seconds(value), self.retry_after_max)
            for name in ("retry-after-ms", "x-ms-retry-after-ms"):
                if value := lowered.get(name):
                    return min(_seconds(value) / 1000.0, self.retry_after_max)
        except (TypeError, ValueError):
            return None
        return None

    def jittered(self, asked: float) -> float:
        """``asked`` (a capped ``Retry-After``) plus a random share of it up to :data:`RETRY_AFTER_JITTER`, at most
        :data:`MAX_RETRY_AFTER_JITTER` seconds: never less than asked, never more than the cap plus that bound.

        Example:
            >>> 2.0 <= retry_policy(1, is_async=False).jittered(2.0) <= 2.5
            True
        """
        return asked + random.uniform(0.0, min(RETRY_AFTER_JITTER * asked, MAX_RETRY_AFTER_JITTER))

    def wait_before(self, retry: int, response: PipelineResponse[Any, Any] | None) -> float:
        """How long to wait before the ``retry``-th retry: what the response asks for (jittered), else the backoff."""
        asked = self.retry_after(response.http_response.headers) if response is not None else None
        return self.jittered(asked) if asked else self.backoff_time(retry)


class AzureRetryPolicy(_RetryRules, HTTPPolicy[Any, Any]):
    """Retries chat calls on :data:`RETRY_STATUSES` and connection errors; build it with :func:`retry_policy`.

    A 200 that breaks off while streaming is not retried here: the pipeline has already returned it.
    """

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        # The context types the transport as sync or async: on a sync pipeline it is the sync one.
        transport = cast(HttpTransport[Any, Any], request.context.transport)
        budget = sending_budget()
        body = take_answer_body(request)
        retries = 0
        while True:
            request.context["retry_count"] = retries  # what azure-core's tracing policy reports as the resend count
            _within_deadline(request, budget)
            try:
                response = self.next.send(request)
                if body is not None and response.http_response.status_code == 200:
                    body.read(response.http_response)  # in the try: a body cut off part-way is retried too
            except _FINAL:
                raise  # the sign-in failed, or the answer is one no try can mend (too large, too slow, broken)
            except AzureError:
                delay = self.backoff_time(retries + 1)
                if retries >= self.max_retries or _past_deadline(budget, delay):
                    raise
                retries += 1
                transport.sleep(delay)
                continue
            if not self.should_retry(response.http_response.status_code, retries):
                return response
            delay = self.wait_before(retries + 1, response)
            if _past_deadline(budget, delay):
                return response  # its error status is the answer: a retry could not end before the deadline
            retries += 1
            response.http_response.close()  # a streamed error body is never read: free its connection
            transport.sleep(delay)


def _within_deadline(request: PipelineRequest[Any], budget: Budget | None) -> None:
    """Give this try no more than the time the call's deadline leaves, as azure-core's own retry policy does with
    its ``timeout``: the requests transport takes ``connection_timeout``/``read_timeout`` per request."""
    if budget is None or (left := budget.deadline_left()) is None:
        return
    budget.check()  # raises once the deadline has passed
    connect, read = budget.timeouts
    options = request.context.options
    options["connection_timeout"] = left if connect is None else min(connect, left)
    options["read_timeout"] = left if read is None else min(read, left)


def _past_deadline(budget: Budget | None, delay: float) -> bool:
    left = budget.deadline_left() if budget is not None else None
    return left is not None and delay >= left


class AsyncAzureRetryPolicy(_RetryRules, AsyncHTTPPolicy[Any, Any]):
    """The async twin of :class:`AzureRetryPolicy`.

    Example:
        >>> isinstance(retry_policy(0, is_async=True), AsyncAzureRetryPolicy)
        True
    """

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        transport = cast(AsyncHttpTransport[Any, Any], request.context.transport)
        body = take_answer_body(request)
        retries = 0
        while True:
            request.context["retry_count"] = retries
            try:
                response = await self.next.send(request)
                if body is not None and response.http_response.status_code == 200:
                    await body.aread(response.http_response)
            except _FINAL:
                raise
            except AzureError:
                if retries >= self.max_retries:
                    raise
                retries += 1
                await transport.sleep(self.backoff_time(retries))
                continue
            if not self.should_retry(response.http_response.status_code, retries):
                return response
            retries += 1
            delay = self.wait_before(retries, response)
            closed = response.http_response.close()  # async on azure.core.rest responses, sync on legacy ones
            if inspect.isawaitable(closed):
                await closed
            await transport.sleep(delay)


def retry_policy(
    max_retries: int,
    *,
    backoff_factor: float = 0.5,
    backoff_max: float = 30.0,
    retry_after_max: float = MAX_RETRY_AFTER,
    is_async: bool,
) -> AzureRetryPolicy | AsyncAzureRetryPolicy:
    """A retry policy allowing ``max_retries`` retries (0: none) of any kind: status, connection or read.

    Example:
        >>> policy = retry_policy(4, is_async=False)
        >>> policy.max_retries, policy.backoff_factor, policy.backoff_max, policy.retry_after_max
        (4, 0.5, 30.0, 60.0)
    """
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
    cls = AsyncAzureRetryPolicy if is_async else AzureRetryPolicy
    return cls(max_retries, backoff_factor=backoff_factor, backoff_max=backoff_max, retry_after_max=retry_after_max)
