"""The emulator's HTTP application: routes, auth, api-version, extra parameters, answers, streams and faults.

Routes (``{d}`` is a deployment name, which is a served model's name), as :data:`~..endpoints.ROUTES` says:

================================================  =========================  ==============  =========
route                                             endpoint kind              api-version     ``/info``
================================================  =========================  ==============  =========
``/models/chat/completions`` (also ``/api/models``)  Foundry models           required        yes
``/openai/deployments/{d}/chat/completions``     Azure OpenAI deployment    required        no (404)
``/openai/v1/chat/completions``                  Azure OpenAI / Foundry v1  refused (400)   no (404)
``/chat/completions``                            serverless, managed        required        yes
================================================  =========================  ==============  =========

Each route reads bodies by its protocol (:data:`~..protocols.RULES`): the Model Inference spec on ``/models`` and
the root, OpenAI's parameters, ranges, errors and content-filter annotations on the two Azure OpenAI routes. A
request whose ``modalities`` include ``"audio"`` is answered in speech on a model that speaks (:mod:`.speaking`).

As a server facing clients it does not trust, the emulator checks the key and the api-version before it reads a
body (a refused request's body is never buffered), answers 408 and hangs up on a body that does not arrive within
``body_read_timeout``, and decodes media in a small pool of worker threads, so one large image does not stall every
other client.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..endpoints import (
    AOAI_MIN_AUDIO_API_VERSION,
    CHAT_COMPLETIONS_PATH,
    MODEL_INFO_PATH,
    ROUTES,
    EndpointKind,
    api_version_takes_audio,
)
from ..profiles import ModelProfile
from ..protocols import RULES, Protocol, ProtocolRules
from . import annotate, responder, speaking, sse, wire
from .media import RefusedMediaError
from .script import Fault, RecordedRequest, Script

#: Azure OpenAI takes ``input_audio`` from this api-version on (the client's constant, re-exported).
AOAI_AUDIO_API_VERSION = AOAI_MIN_AUDIO_API_VERSION
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
#: Seconds a request's whole body may take to arrive once its headers have: generous for a 64 MiB body on loopback
#: or a LAN, and still a bound on how long a client that stalls mid-body holds its connection.
DEFAULT_BODY_READ_TIMEOUT = 30.0
#: Requests whose media are decoded at once (each decode holds up to profiles.MAX_DECODED_PIXELS x 4 bytes).
DEFAULT_MEDIA_WORKERS = 2
#: How long aiohttp goes on reading (and dropping) a body the emulator answered without reading, by default; the
#: client gets its answer either way, but one that sends no more than it must not keep the connection longer.
_AIOHTTP_LINGERING_TIME = 10.0
_MEDIA_POOL = web.AppKey("media_pool", ThreadPoolExecutor)
_EXTRA_MODES = ("error", "drop", "pass-through")


@dataclass(frozen=True)
class ServedModel:
    name: str
    profile: ModelProfile


@dataclass(frozen=True)
class Call:
    """One API request on its way through the emulator."""

    request: web.Request
    kind: EndpointKind
    body: Any
    fault: Fault | None


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """An answer in Azure's error shape: ``{"error": {"code", "message", "target"?, "details"?}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        details: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        empty: bool = False,
        hang_up: bool = False,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.target, self.details, self.headers = target, details, dict(headers or {})
        self.empty = empty
        #: Close the connection once the answer is sent, whatever of the request is still to come.
        self.hang_up = hang_up

    def response(self) -> web.Response:
        if self.empty:  # what a gateway in front of the service sends: the status, and nothing Azure would add
            return web.Response(status=self.status, headers=self.headers)
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        if self.details:
            error["details"] = self.details
        headers = {"x-ms-error-code": self.code, **self.headers}
        return web.json_response({"error": error}, status=self.status, headers=headers)


class OpenAIApiError(ApiError):
    """An answer in OpenAI's error shape, as Azure OpenAI gives for bad parameters:
    ``{"error": {"message", "type": "invalid_request_error", "param", "code"}}``."""

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int = 400,
        hang_up: bool = False,
    ) -> None:
        super().__init__(status, code or "invalid_request_error", message, target=param, hang_up=hang_up)
        self.param, self.openai_code = param, code

    def response(self) -> web.Response:
        error = {"message": self.message, "type": "invalid_request_error", "param": self.param}
        error["code"] = self.openai_code
        return web.json_response({"error": error}, status=self.status)


class EmulatorApp:
    """Holds the emulator's configuration and handles its routes."""

    def __init__(
        self,
        models: list[ServedModel],
        *,
        api_key: str | None,
        script: Script,
        record: bool = True,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        audio_ttl_seconds: float = speaking.DEFAULT_AUDIO_TTL_SECONDS,
        body_read_timeout: float = DEFAULT_BODY_READ_TIMEOUT,
        media_workers: int = DEFAULT_MEDIA_WORKERS,
    ) -> None:
        """``body_read_timeout``: seconds a request's whole body may take to arrive after its headers; a slower one
        is answered 408 and its connection closed. ``media_workers``: how many requests may have their images and
        audio decoded at once, in worker threads (the others wait their turn; requests without inline media never
        wait)."""
        if not models:
            raise ValueError("the emulator needs at least one model")
        if not body_read_timeout > 0:
            raise ValueError(f"body_read_timeout must be a positive number of seconds, got {body_read_timeout}")
        if media_workers < 1:
            raise ValueError(f"media_workers must be at least 1, got {media_workers}")
        self.models = models
        self._by_name = {m.name.lower(): m for m in models}
        self._api_key = api_key
        self.script = script
        self._record = record
        self.max_body_bytes = max_body_bytes
        self.body_read_timeout = body_read_timeout
        self.media_workers = media_workers
        #: The audio ids answers carried, which later requests may refer to (shared by every model served).
        self.audio_ids = speaking.AudioRegistry(audio_ttl_seconds)

    def build(self) -> web.Application:
        app = web.Application(client_max_size=self.max_body_bytes, middlewares=[self._errors])
        for kind, route in ROUTES.items():
            for path in route.paths:  # "{deployment}" is aiohttp's placeholder syntax too
                app.router.add_post(path + CHAT_COMPLETIONS_PATH, self._route(kind, self._chat))
                if route.model_info:
                    app.router.add_get(path + MODEL_INFO_PATH, self._route(kind, self._info))
        # One pool per application, so an emulator stopped and started again gets a fresh one.
        app[_MEDIA_POOL] = ThreadPoolExecutor(self.media_workers, thread_name_prefix="azure-emulator-media")
        app.on_cleanup.append(_shut_down_media_pool)
        return app

    @property
    def server_options(self) -> dict[str, Any]:
        """Keyword arguments for aiohttp's server (``web.AppRunner``) that this configuration implies."""
        # A body answered without being read (a wrong key, a 413) is drained no longer than one being read may take.
        return {"lingering_time": min(_AIOHTTP_LINGERING_TIME, self.body_read_timeout)}

    @web.middleware
    async def _errors(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except sse.DeliberateResetError:
            # The socket is already reset; nothing can be written, so no error is logged for it.
            return web.Response(status=499)
        except Exception as error:
            api_error = self._as_api_error(request, error)
        response = api_error.response()
        if api_error.hang_up:
            return await _answer_and_hang_up(request, response)
        if not request.content.is_eof():
            # The rest of the body will never be read: the client must not send another request on this connection
            # (aiohttp drops what still comes for at most server_options' lingering_time, then closes it).
            response.force_close()
        return response

    def _as_api_error(self, request: web.Request, error: Exception) -> ApiError:
        if isinstance(error, ApiError):
            return error
        if isinstance(error, web.HTTPRequestEntityTooLarge):
            return ApiError(413, "RequestEntityTooLarge", f"The request body is over {self.max_body_bytes:,} bytes.")
        if isinstance(error, web.HTTPNotFound):
            return ApiError(404, "404", f"Resource not found: {request.method} {request.path}")
        if isinstance(error, web.HTTPMethodNotAllowed):
            return ApiError(
                405,
                "MethodNotAllowed",
                f"{request.method} is not allowed on {request.path}",
                headers={"Allow": ",".join(error.allowed_methods)},
            )
        # A server bug must still answer, never hang the client.
        return ApiError(500, "InternalServerError", f"The emulator failed: {type(error).__name__}")

    def _route(self, kind: EndpointKind, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            arrived = time.monotonic()  # the moment a quota counts the request: before its body is read
            fault = self.script.next_fault()
            try:
                # Before the body: a client without the key must not make the emulator buffer and parse up to
                # max_body_bytes. Its request is recorded without a body, and scripted faults still come first.
                self._authenticate(request)
                self._check_api_version(request, kind)
            except ApiError:
                self._remember(request, None, 0, arrived, body_read=False)
                if fault is not None:
                    await _apply_pre_response_fault(request, fault)
                raise
            try:
                raw = await self._read_body(request, kind)
            except Exception:  # too slow, too large or cut off: nothing of the body is kept
                self._remember(request, None, 0, arrived, body_read=False)
                raise
            body, is_json = _decode(raw)
            self._remember(request, body, len(raw), arrived)
            if fault is not None:
                await _apply_pre_response_fault(request, fault)
            if request.method == "POST" and not (is_json and isinstance(body, dict)):
                raise ApiError(400, "BadRequest", "The request body must be a JSON object (ChatCompletionsOptions).")
            return await handler(Call(request, kind, body, fault))

        return handle

    def _remember(self, request: web.Request, body: Any, size: int, arrived: float, *, body_read: bool = True) -> None:
        if self._record:
            self.script.record(
                RecordedRequest(
                    request.method,
                    request.path,
                    dict(request.query),
                    dict(request.headers),
                    body,
                    size,
                    received_at=arrived,
                    body_read=body_read,
                )
            )

    async def _read_body(self, request: web.Request, kind: EndpointKind) -> bytes:
        """The whole body, or a 408 (and a closed connection) if it takes longer than ``body_read_timeout``.

        The bound is on the whole body, not on each read: a client that sends a byte a second would otherwise hold
        its connection for as long as its announced ``Content-Length`` lasts.
        """
        try:
            async with asyncio.timeout(self.body_read_timeout):
                return await request.read()
        except TimeoutError:
            expected = request.content_length
            of = f" of {expected:,}" if expected is not None else ""
            message = (
                f"The request body did not arrive within {self.body_read_timeout:g} seconds (the emulator's "
                f"body_read_timeout): {request.content.total_bytes:,}{of} bytes came. Send the body with the headers, "
                "or start the emulator with a longer body_read_timeout."
            )
            if ROUTES[kind].protocol is Protocol.OPENAI:
                raise OpenAIApiError(message, code="request_timeout", status=408, hang_up=True) from None
            raise ApiError(408, "RequestTimeout", message, hang_up=True) from None

    def _authenticate(self, request: web.Request) -> None:
        if self._api_key is None:
            return
        given = request.headers.get("api-key")
        bearer = request.headers.get("Authorization", "")
        if bearer.lower().startswith("bearer "):
            given = given or bearer[7:].strip()
        if given != self._api_key:
            raise ApiError(
                401,
                "401",
                "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid "
                "key for an active subscription and use a correct regional API endpoint for your resource.",
            )

    def _check_api_version(self, request: web.Request, kind: EndpointKind) -> None:
        version = request.query.get("api-version")
        if not ROUTES[kind].api_version:
            if version is not None:
                raise ApiError(
                    400,
                    "BadRequest",
                    "api-version query parameter is not allowed when using /v1 path",
                    target="api-version",
                )
        elif not version:
            raise ApiError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
                target="api-version",
            )

    def _served(self, request: web.Request, kind: EndpointKind, body_model: str | None) -> ServedModel:
        if kind is EndpointKind.AZURE_OPENAI:
            name = request.match_info["deployment"]
        elif kind is EndpointKind.SERVERLESS:
            return self.models[0]  # a serverless endpoint serves exactly one model, whatever the body says
        elif ROUTES[kind].model_required and not body_model:
            what = f"model is required on the {ROUTES[kind].paths[0]} route: name the deployment"
            raise ApiError(400, "BadRequest", what, target="model")
        else:
            name = body_model or request.query.get("model") or self.models[0].name
        served = self._by_name.get(name.lower())
        if served is not None:
            return served
        if kind is EndpointKind.FOUNDRY:
            raise ApiError(400, "unknown_model", f"Unknown model: {name}", target="model")
        raise ApiError(
            404,
            "DeploymentNotFound",
            f"The API deployment {name!r} does not exist. Served here: {', '.join(m.name for m in self.models)}.",
        )

    async def _info(self, call: Call) -> web.StreamResponse:
        if not ROUTES[call.kind].model_info:
            raise ApiError(404, "404", "Resource not found: Azure OpenAI routes have no /info")
        served = self._served(call.request, call.kind, None)
        return web.json_response(
            {"model_name": served.name, "model_type": "chat-completion", "model_provider_name": served.profile.provider}
        )

    async def _chat(self, call: Call) -> web.StreamResponse:
        request, kind, fault = call.request, call.kind, call.fault
        rules = RULES[ROUTES[kind].protocol]
        body = dict(call.body)  # extra parameters are removed below; the recorded body stays as sent
        extras = self._extra_parameters(request, kind, body)
        options = self._parse(body, kind)
        served = self._served(request, kind, options.model)
        protocol = ROUTES[kind].protocol
        try:
            voice = speaking.requested_voice(options, extras, served.profile, served.name, protocol)
            referenced_audio_tokens = speaking.referenced_audio_tokens(options, self.audio_ids)
        except speaking.RefusedSpeechError as error:
            raise _refusal(protocol, error.message, error.param, error.code) from None
        try:
            summary = await self._summarize(call.request, options, body, served.profile)
        except RefusedMediaError as error:
            raise ApiError(400, "BadRequest", str(error), target=error.target) from None
        summary.audio_tokens += referenced_audio_tokens  # the earlier answers' audio is heard again
        self._check_audio_api_version(request, kind, summary)
        scripted = self.script.next_response()
        if scripted is not None:
            return await sse.scripted(request, scripted, fault)
        speaker = None if voice is None else speaking.Speaker(voice, served.profile, self.audio_ids, protocol)
        reply = responder.answer(options, summary, served.profile, extras, speaker)
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        if options.stream:
            stream_options = extras.get("stream_options") or body.get("stream_options")
            include_usage = isinstance(stream_options, dict) and bool(stream_options.get("include_usage"))
            events = sse.answer_events(completion_id, served.name, reply, include_usage, rules)
            return await sse.send_events(request, events, fault)
        completion: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": served.name,
            "choices": [_choice_json(index, choice, rules) for index, choice in enumerate(reply.choices)],
            "usage": reply.usage,
        }
        if rules.content_filter:
            completion["prompt_filter_results"] = annotate.prompt_filter_results()
        payload = json.dumps(completion)
        if fault is not None and fault.malformed_json:
            payload = payload[: len(payload) // 2]
        return web.Response(body=payload.encode(), content_type="application/json")

    async def _summarize(
        self, request: web.Request, options: wire.ChatCompletionsOptions, body: dict[str, Any], profile: ModelProfile
    ) -> responder.RequestSummary:
        if not responder.decodes_media(options):
            return responder.summarize(options, body, profile)
        # Decoding a large image takes seconds of CPU; on the event loop it would stall every other client meanwhile.
        pool = request.app[_MEDIA_POOL]
        return await asyncio.get_running_loop().run_in_executor(pool, responder.summarize, options, body, profile)

    def _parse(self, body: dict[str, Any], kind: EndpointKind) -> wire.ChatCompletionsOptions:
        protocol = ROUTES[kind].protocol
        try:
            options = wire.parse_options(body, protocol)
        except wire.ValidationError as error:
            if protocol is Protocol.OPENAI:
                message, param, code = wire.describe_openai_validation_error(body, error)
                raise OpenAIApiError(message, param=param, code=code) from None
            path, problem = wire.describe_validation_error(body, error)
            raise ApiError(400, "BadRequest", f"{path}: {problem}", target=path) from None
        clash = RULES[protocol].clash(body)
        if clash is not None:
            raise OpenAIApiError(
                f"Unsupported parameter: '{clash[0]}' cannot be used together with '{clash[1]}'. Send only "
                f"'{clash[1]}'.",
                param=clash[0],
                code="unsupported_parameter",
            )
        return options

    def _extra_parameters(self, request: web.Request, kind: EndpointKind, body: dict[str, Any]) -> dict[str, Any]:
        """Apply the ``extra-parameters`` header; returns the extras that reach the model (pass-through).

        The header belongs to the Model Inference routes; Azure OpenAI refuses any key it does not know.
        """
        rules = RULES[ROUTES[kind].protocol]
        known = wire.SPEC_PARAMETERS | rules.native_parameters
        unknown = wire.unknown_parameters(body, known)
        if not rules.extra_parameters_header:
            if unknown:
                plural = "s" if len(unknown) > 1 else ""
                raise OpenAIApiError(f"Unrecognized request argument{plural} supplied: {', '.join(unknown)}")
            return {}
        mode = request.headers.get("extra-parameters", "error")
        if mode not in _EXTRA_MODES:
            raise ApiError(
                400,
                "BadRequest",
                f"extra-parameters must be one of {', '.join(_EXTRA_MODES)}, not {mode!r}",
                target="extra-parameters",
            )
        if unknown and mode == "error":
            raise ApiError(
                422,
                "Invalid input",
                f"Extra parameters {unknown} are not allowed when the extra-parameters header is 'error' (the "
                "default). Send 'extra-parameters: pass-through' to give them to the model, or 'drop' to ignore them.",
                details=[
                    {"code": "extra_forbidden", "message": "Extra inputs are not permitted", "target": k}
                    for k in unknown
                ],
            )
        extras = {key: body.pop(key) for key in unknown}
        return extras if mode == "pass-through" else {}

    def _check_audio_api_version(
        self, request: web.Request, kind: EndpointKind, summary: responder.RequestSummary
    ) -> None:
        version = request.query.get("api-version")
        if summary.audio and not api_version_takes_audio(kind, version):
            raise ApiError(
                400,
                "BadRequest",
                f"Audio input needs api-version {AOAI_MIN_AUDIO_API_VERSION} or later on "
                f"Azure OpenAI deployments; this request used {version}.",
                target="api-version",
            )


def _refusal(protocol: Protocol, message: str, param: str, code: str | None) -> ApiError:
    """A 400 in the error shape of ``protocol``'s routes."""
    if protocol is Protocol.OPENAI:
        return OpenAIApiError(message, param=param, code=code)
    return ApiError(400, "BadRequest", message, target=param)


def _choice_json(index: int, choice: responder.Choice, rules: ProtocolRules) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": choice.content}
    if choice.tool_calls:
        message["tool_calls"] = choice.tool_calls
    if choice.audio is not None:
        message["audio"] = choice.audio
    out: dict[str, Any] = {"index": index, "finish_reason": choice.finish_reason, "message": message}
    if choice.logprobs is not None:
        out["logprobs"] = choice.logprobs
    if rules.content_filter:
        out["content_filter_results"] = annotate.completion_filter_results()
    return out


def _decode(raw: bytes) -> tuple[Any, bool]:
    """The decoded JSON body and whether it decoded (an empty body decodes to ``None``). Numbers past Python's
    digit limit (a ``ValueError``) and nesting past the recursion limit are bodies the service cannot read either:
    a 400, not the emulator failing."""
    if not raw:
        return None, False
    try:
        return json.loads(raw), True
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None, False


async def _answer_and_hang_up(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """Send ``response``, then close the connection at once: aiohttp would otherwise go on reading the rest of the
    body (its lingering close) for a client that has already shown it sends slowly."""
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    request.protocol.force_close()  # the transport sends what is buffered before it closes
    return response


async def _shut_down_media_pool(app: web.Application) -> None:
    # A decode in progress finishes in its thread; its answer has nowhere to go.
    app[_MEDIA_POOL].shutdown(wait=False, cancel_futures=True)


async def _apply_pre_response_fault(request: web.Request, fault: Fault) -> None:
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.reset:
        sse.abort(request)
    if fault.status is not None:
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        if fault.retry_after_ms is not None:
            headers["retry-after-ms"] = str(fault.retry_after_ms)
        raise ApiError(
            fault.status,
            str(fault.status),
            f"Injected fault: HTTP {fault.status}.",
            headers=headers,
            empty=fault.empty_body,
        )
