"""``ChatAzureMultimodal``: a LangChain chat model for text, images and audio on Azure-hosted models."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Self

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.language_models import ModelProfile as LangChainModelProfile
from langchain_core.language_models.chat_models import BaseChatModel, agenerate_from_stream, generate_from_stream
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import (
    AliasChoices,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from ._azure.credentials import Credential
from ._azure.interface import Wire
from ._azure.limits import DEFAULT_MAX_ANSWER_BYTES, AnswerLimits
from ._azure.types import AzureKeyCredential
from ._azure.wire import ChatWire
from ._chat_request import BODY_FIELDS, ExtraParameters, build_request
from ._messages import ImageDetail, parse_messages, require_messages
from ._model_arguments import constructor_names, sort_constructor_arguments
from ._preflight import ImagePolicy, MediaOptions
from ._responses import StreamState, llm_output, to_chat_result, to_generation_chunk
from ._tracing import traced
from .endpoints import EndpointKind, EndpointSettings, detect_endpoint_kind, resolve_endpoint
from .errors import EndpointError, UnsupportedContentError
from .profiles import DEFAULT_PROFILE, ModelProfile, find_profile, resolve_profile, text_tokens, to_langchain_profile

if TYPE_CHECKING:
    from langchain_core.prompt_values import PromptValue

    from . import _tool_binding

_PIPELINE_FIELDS = frozenset({"credential", "client_kwargs", "max_retries", "timeout", "max_answer_bytes", "deadline"})


class ChatAzureMultimodal(BaseChatModel):
    """Chat model for Azure-hosted models through ``azure-ai-inference``, with image and audio input.

    It takes every LangChain multimodal block form (OpenAI ``image_url``/``input_audio``, LangChain v0 and v1
    ``image``/``audio`` blocks), streams with callbacks and usage, calls tools, gives structured output, and
    reaches Azure OpenAI deployments, the ``/openai/v1`` route, serverless and managed-compute endpoints, GitHub
    Models and OpenAI-compatible servers from one class (see :mod:`langchain_azure_multimodal.endpoints`).

    Example:
        >>> from langchain_core.messages import HumanMessage
        >>> from langchain_azure_multimodal.emulator import Emulator
        >>> with Emulator(model="phi-4-multimodal-instruct", api_key="k") as emu:
        ...     llm = ChatAzureMultimodal(endpoint=emu.endpoint, credential="k", model="phi-4-multimodal-instruct")
        ...     reply = llm.invoke([HumanMessage("Hello")])
        >>> reply.content.endswith('Last user text: "Hello"')
        True
    """

    # hide_input_in_errors: a validation error would otherwise print every constructor argument, the key included.
    model_config = ConfigDict(
        populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=(), hide_input_in_errors=True
    )

    endpoint: str | None = Field(
        default_factory=lambda: os.environ.get("AZURE_INFERENCE_ENDPOINT"),
        validation_alias=AliasChoices("endpoint", "base_url", "azure_endpoint"),
    )
    """The endpoint URL (also as ``base_url=`` or ``azure_endpoint=``); env ``AZURE_INFERENCE_ENDPOINT``."""
    azure_deployment: str | None = None
    """An Azure OpenAI deployment: completes a resource URL (``https://<resource>.openai.azure.com``) into the
    deployment's route; on ``/openai/v1`` it is the ``model``."""
    credential: Credential | None = Field(
        default_factory=lambda: SecretStr(k) if (k := os.environ.get("AZURE_INFERENCE_CREDENTIAL")) else None,
        alias="api_key",
        repr=False,
        exclude=True,
    )
    """A key (``str``/``SecretStr``/``AzureKeyCredential``) or an Entra credential (sync or async
    ``TokenCredential``); env ``AZURE_INFERENCE_CREDENTIAL``. Without one, ``DefaultAzureCredential`` is used."""
    model: str | None = Field(default=None, alias="model_name")
    """The model or deployment name (required on ``/openai/v1`` endpoints)."""
    api_version: str | None = None
    """Overrides the endpoint kind's API version (not allowed on ``/openai/v1``)."""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    """The OpenAI-protocol limit (reasoning models take only this one); sent as such."""
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    reasoning_effort: str | None = None
    """For reasoning models: ``minimal``, ``low``, ``medium`` or ``high``."""
    n: int | None = None
    """How many answers to generate; each becomes a generation of the result."""
    logprobs: bool | None = None
    """Ask for the answer's log probabilities; they come back in ``response_metadata["logprobs"]``."""
    top_logprobs: int | None = None
    modalities: list[str] | None = None
    """``["text"]`` or ``["text", "audio"]`` (audio output, where the model speaks)."""
    audio: dict[str, Any] | None = None
    """Audio output settings: ``{"voice": ..., "format": ...}``."""
    model_extras: dict[str, Any] = Field(
        default_factory=dict, validation_alias=AliasChoices("model_extras", "model_kwargs")
    )
    """Model-specific parameters added to the request body as they are (``top_k``, ``safe_prompt``, ...); also as
    ``model_kwargs=``. A constructor keyword that is not a field lands here too, with a warning; one that looks like
    a typo of a field (``temprature``) is refused. The parameters OpenAI's protocol has and the Model Inference API
    does not (``max_completion_tokens``, ``reasoning_effort``, ``n``, ``logprobs``, ``top_logprobs``, ``audio``) are
    sent as extras on the Model Inference routes."""
    extra_parameters: ExtraParameters | None = None
    """The ``extra-parameters`` header; ``pass-through`` by default when there are ``model_extras``."""
    max_retries: int = 2
    """Retries on 408, 429, 500, 502, 503, 504 and connection errors, with backoff honouring Retry-After."""
    timeout: float | None = None
    """Seconds each try may wait to connect and between two reads; an answer not streamed must also arrive whole
    within it, and a stream bring a real event within it (keep-alive comments do not count). ``None``: 10 s to
    connect and 600 s for the rest (a call that is not streamed gets no byte until the whole answer is ready)."""
    max_answer_bytes: int = Field(default=DEFAULT_MAX_ANSWER_BYTES, gt=0)
    """The most bytes one answer may have (a body, or a whole stream); past it, ``AnswerLimitError``."""
    deadline: float | None = Field(default=None, gt=0)
    """The most seconds one call may take in all, retries and a stream included (``None``: no overall limit; an
    answer not streamed must still arrive whole within the read timeout, and a stream bring an event within it)."""
    streaming: bool = False
    stream_usage: bool = True
    """Ask for token usage at the end of a stream (``stream_options.include_usage``)."""
    default_image_detail: ImageDetail | None = None
    """``detail`` for images whose block does not set one."""
    client_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Keyword arguments handed to the SDK clients (transport, logging, policies...)."""
    wire: Wire | None = Field(default=None, exclude=True, repr=False)
    """What requests go through instead of the Azure SDK's pipeline: an object with the methods of
    :class:`~langchain_azure_multimodal._azure.interface.Wire`, such as
    :class:`~langchain_azure_multimodal.testing.MockWire` in tests. It gets the request body every check has passed;
    ``credential``, ``client_kwargs``, ``max_retries`` and ``timeout`` belong to the SDK's pipeline and are refused
    beside it."""
    credential_scopes: list[str] | None = None
    """Overrides the Entra scopes of the endpoint kind."""
    endpoint_kind: EndpointKind | None = None
    """Overrides the endpoint kind detected from the URL."""
    model_profile: ModelProfile | None = None
    """What the model accepts (see :mod:`~langchain_azure_multimodal.profiles`); by default looked up from ``model``,
    else from the endpoint's ``/info``, else a permissive default."""
    normalize_media: bool = True
    """Rotate, strip, convert and downscale images and transcode audio before sending (also per call)."""
    keep_image_metadata: bool = False
    """Keep EXIF metadata (GPS included) when normalising images."""
    image_policy: ImagePolicy = "error"
    """For one-image models: ``error`` on a second image, or ``keep_last`` to send only the last (as the service)."""
    tracing: bool = True
    """False turns this package's spans and metrics off. On (with ``opentelemetry-api`` installed, the ``tracing``
    extra), each call gets an OpenTelemetry GenAI span and metrics, without message content unless the environment
    asks for it (see :mod:`langchain_azure_multimodal._tracing`)."""
    tracer_provider: Any = Field(default=None, exclude=True, repr=False)
    """The OpenTelemetry ``TracerProvider`` spans go to, for apps and tests that do not use the global one; never
    serialised."""
    meter_provider: Any = Field(default=None, exclude=True, repr=False)
    """The OpenTelemetry ``MeterProvider`` metrics go to, for apps and tests that do not use the global one; never
    serialised."""

    _settings: EndpointSettings = PrivateAttr()
    _info_profile: ModelProfile | None = PrivateAttr(default=None)
    _wire: Wire | None = PrivateAttr(default=None)
    _profile_given: bool = PrivateAttr(default=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().__init__(*args, **kwargs)
            # Asked here: langchain-core's validator sets profile too, so the field set cannot tell whose it is.
            self._profile_given = kwargs.get("profile") is not None
        except ValidationError as error:
            # An unusable endpoint is an EndpointError (a ValueError), not pydantic's wrapper around it.
            causes = [e.get("ctx", {}).get("error") for e in error.errors()]
            if len(causes) == 1 and isinstance(causes[0], EndpointError):
                raise causes[0] from None
            raise

    @model_validator(mode="before")
    @classmethod
    def _unknown_arguments(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        return sort_constructor_arguments(values, constructor_names(cls), owner=cls.__name__)

    @field_validator("endpoint_kind", mode="before")
    @classmethod
    def _kind_spellings(cls, value: Any) -> Any:
        return str(value).strip().lower().replace("_", "-") if isinstance(value, str) else value

    @field_validator("credential", mode="before")
    @classmethod
    def _wrap_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return SecretStr(value) if value else None
        if isinstance(value, AzureKeyCredential):
            return SecretStr(value.key)  # kept secret: AzureKeyCredential would show the key to anyone holding it
        return value

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        if not self.endpoint:
            raise ValueError(
                "ChatAzureMultimodal needs an endpoint: pass endpoint='https://<resource>.openai.azure.com/openai/v1' "
                "(or another endpoint kind) or set AZURE_INFERENCE_ENDPOINT"
            )
        deployment = self.azure_deployment
        kind = self.endpoint_kind or detect_endpoint_kind(self.endpoint)
        if deployment is not None and kind is EndpointKind.OPENAI_V1:  # /openai/v1 names deployments as the model
            if self.model not in (None, deployment):
                raise ValueError(f"model={self.model!r} and azure_deployment={deployment!r} differ; pass one of them")
            self.model, deployment = deployment, None
        self._settings = resolve_endpoint(
            self.endpoint,
            kind=self.endpoint_kind,
            api_version=self.api_version,
            credential_scopes=self.credential_scopes,
            deployment=deployment,
        )
        if self._settings.model_required and not self.model:
            raise ValueError(f"{self._settings.kind.value} endpoints need model=<deployment name> ({self.endpoint})")
        is_token_credential = self.credential is not None and not isinstance(self.credential, SecretStr)
        if is_token_credential and not self._settings.credential_scopes:
            raise ValueError(
                f"an Entra token credential needs a scope, and {self._settings.kind.value} endpoints on this host have "
                "none by default: pass credential_scopes=[...] (e.g. 'https://cognitiveservices.azure.com/.default') "
                "or use a key"
            )
        if self.wire is not None and (pipeline := _PIPELINE_FIELDS & self.model_fields_set):
            raise ValueError(
                f"{', '.join(sorted(pipeline))} configure the Azure SDK's pipeline, which wire= replaces: pass them "
                "to the wire you give (or drop wire=)"
            )
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {self.max_retries}")
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds (or None), got {self.timeout}")
        return self

    # ------------------------------------------------------------------------------------------ identity

    @property
    def _llm_type(self) -> str:
        return "azure-multimodal-chat"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """``dumpd``/``dumps`` give the settings; the key is written as a secret reference, never as itself."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """``["langchain_azure_multimodal", "chat_models"]``: pass ``valid_namespaces=["langchain_azure_multimodal"]``
        to ``langchain_core.load.loads``."""
        return ["langchain_azure_multimodal", "chat_models"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"credential": "AZURE_INFERENCE_CREDENTIAL"}

    @property
    def endpoint_settings(self) -> EndpointSettings:
        """The resolved endpoint: kind, normalised URL, API version and Entra scopes."""
        return self._settings

    @property
    def _identifying_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "endpoint": self._settings.endpoint,
            "endpoint_kind": self._settings.kind.value,
        }
        params.update({name: getattr(self, name) for name in BODY_FIELDS if getattr(self, name) is not None})
        if self.stop:
            params["stop"] = self.stop
        if self.model_extras:
            params["model_extras"] = self.model_extras
        return params

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        model = kwargs.get("model") or self.model or ""
        params = LangSmithParams(ls_provider="azure_ai", ls_model_name=model, ls_model_type="chat")
        if (temperature := kwargs.get("temperature", self.temperature)) is not None:
            params["ls_temperature"] = temperature
        if (max_tokens := kwargs.get("max_tokens", self.max_tokens)) is not None:
            params["ls_max_tokens"] = max_tokens
        if stop := stop or kwargs.get("stop") or self.stop:
            params["ls_stop"] = stop
        return params

    # ------------------------------------------------------------------------------------------ the wire

    def _chat_wire(self) -> Wire:
        """What every request goes through: ``wire=``, else a :class:`ChatWire` made on first use from the endpoint,
        credential, ``max_retries``, ``timeout`` and ``client_kwargs`` (it makes the SDK clients, also on first use);
        wrapped in a :class:`~._tracing.TracedWire` unless ``tracing=False`` or OpenTelemetry is not installed."""
        if self._wire is None:
            inner = (
                self.wire
                if self.wire is not None
                else ChatWire(
                    self._settings,
                    self.credential,
                    max_retries=self.max_retries,
                    timeout=self.timeout,
                    client_kwargs=self.client_kwargs,
                    limits=AnswerLimits(self.max_answer_bytes, self.deadline),
                )
            )
            self._wire = traced(
                inner,
                settings=self._settings,
                model=self.model or self.azure_deployment,
                enabled=self.tracing,
                tracer_provider=self.tracer_provider,
                meter_provider=self.meter_provider,
            )
        return self._wire

    async def aclose(self) -> None:
        """Close the async client of the running event loop (and the sync client), if they were made."""
        if self._wire is not None:
            await self._wire.aclose()

    def close(self) -> None:
        """Close the sync client, if it was made."""
        if self._wire is not None:
            self._wire.close()

    def _known_profile(self) -> ModelProfile:
        """The profile checks use: the user's, else the one ``model`` names, else ``/info``'s (once looked up)."""
        return self.model_profile or find_profile(self.model) or self._info_profile or DEFAULT_PROFILE

    def _needs_info_profile(self) -> bool:
        unknown = self.model_profile is None and find_profile(self.model) is None
        return unknown and self._info_profile is None and self._settings.has_model_info

    def _look_up_profile(self) -> None:
        """Resolve the profile from the endpoint's ``/info`` once, when ``model`` names no known one."""
        if self._needs_info_profile():
            try:
                self._info_profile = resolve_profile(self.get_model_info().get("model_name"))
            except Exception:  # no /info after all, or it failed: the default profile applies
                self._info_profile = DEFAULT_PROFILE
            if not self._profile_given:  # a profile the user gave is theirs: never replaced
                self.profile = to_langchain_profile(self._info_profile)

    async def _alook_up_profile(self) -> None:
        if self._needs_info_profile():
            try:
                info = await self._chat_wire().amodel_info()
                self._info_profile = resolve_profile(info.get("model_name"))
            except Exception:
                self._info_profile = DEFAULT_PROFILE
            if not self._profile_given:  # a profile the user gave is theirs: never replaced
                self.profile = to_langchain_profile(self._info_profile)

    def _resolve_model_profile(self) -> LangChainModelProfile | None:
        return to_langchain_profile(self.model_profile or resolve_profile(self.model))

    def get_num_tokens(self, text: str) -> int:
        """Tokens in ``text`` by the package's rule (about four characters a token; see
        :func:`~langchain_azure_multimodal.profiles.text_tokens`), offline: langchain-core's default would need
        ``transformers`` and a GPT-2 download."""
        return text_tokens(text)

    def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Sequence[Any] | None = None) -> int:
        """Input tokens by the profile's rules: text by characters, images by the tile rule, audio by duration
        (see :mod:`~langchain_azure_multimodal.estimates`); bound tools' JSON counts as text."""
        from .estimates import estimate_tokens  # imported with the first estimate, not with the chat model

        tokens = estimate_tokens(
            messages,
            profile=self._known_profile(),
            default_image_detail=self.default_image_detail,
            media=MediaOptions(
                normalize=self.normalize_media, keep_metadata=self.keep_image_metadata, image_policy=self.image_policy
            ),
        ).total
        if tools:
            from . import _tool_binding

            tokens += text_tokens(json.dumps(_tool_binding.format_tools(tools)))
        return tokens

    def get_model_info(self) -> dict[str, Any]:
        """The endpoint's ``/info`` (model name, type and provider), where the endpoint kind has it."""
        if not self._settings.has_model_info:
            raise ValueError(f"{self._settings.kind.value} endpoints have no /info route")
        return self._chat_wire().model_info()

    # ------------------------------------------------------------------------------------------ requests

    def _convert_input(self, model_input: LanguageModelInput) -> PromptValue:
        prompt = super()._convert_input(model_input)
        messages = prompt.to_messages()
        blocks = (block for message in messages if isinstance(message.content, list) for block in message.content)
        require_messages(messages)
        if any(_core_cannot_normalise(block) for block in blocks):
            # langchain-core normalises (and traces) these blocks before _generate and fails on malformed ones with
            # bare errors that name no block; parsing here raises the typed error, with where it is and the fix.
            parse_messages(messages)
            core_normalises(messages)
        return prompt

    def _request(
        self, messages: Sequence[BaseMessage], stop: list[str] | None, *, stream: bool, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The request body and headers; pure, so every check happens before the network."""
        return build_request(self, self._known_profile(), messages, stop, stream=stream, kwargs=kwargs)

    def _should_stream(self, *, async_api: bool, run_manager: Any = None, **kwargs: Any) -> bool:
        # invoke() with streaming=True: langchain-core would stream itself and hand on_llm_end no llm_output; our
        # _generate streams too (tokens still reach the callbacks) and gives the usage and model name. stream()
        # and astream() pass stream=True and keep core's path.
        if self.streaming and "stream" not in kwargs:
            return False
        return super()._should_stream(async_api=async_api, run_manager=run_manager, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return _with_llm_output(generate_from_stream(self._stream(messages, stop, run_manager, **kwargs)))
        kwargs.pop("stream", None)  # invoke(..., stream=False) from LangChain
        self._look_up_profile()
        body, headers = self._request(messages, stop, stream=False, **kwargs)
        return to_chat_result(self._chat_wire().complete(body, headers), audio_format=_audio_format(body))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return _with_llm_output(await agenerate_from_stream(self._astream(messages, stop, run_manager, **kwargs)))
        kwargs.pop("stream", None)  # invoke(..., stream=False) from LangChain
        await self._alook_up_profile()
        body, headers = self._request(messages, stop, stream=False, **kwargs)
        return to_chat_result(await self._chat_wire().acomplete(body, headers), audio_format=_audio_format(body))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        kwargs.pop("stream", None)  # invoke(..., stream=True) routes here with the flag still in kwargs
        self._look_up_profile()
        body, headers = self._request(messages, stop, stream=True, **kwargs)
        state = StreamState(audio_format=_audio_format(body))
        with self._chat_wire().stream(body, headers) as updates:
            for update in updates:
                chunk = to_generation_chunk(update, state)
                if chunk is None:
                    continue
                if run_manager:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        kwargs.pop("stream", None)  # invoke(..., stream=True) routes here with the flag still in kwargs
        await self._alook_up_profile()
        body, headers = self._request(messages, stop, stream=True, **kwargs)
        state = StreamState(audio_format=_audio_format(body))
        async with self._chat_wire().astream(body, headers) as updates:
            async for update in updates:
                chunk = to_generation_chunk(update, state)
                if chunk is None:
                    continue
                if run_manager:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    # ------------------------------------------------------------------------------------------ tools

    def bind_tools(
        self,
        tools: Sequence[_tool_binding.ToolLike],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (pydantic classes, functions, LangChain tools or OpenAI tool dicts).

        ``tool_choice`` takes ``auto``, ``none``, ``any`` (sent as ``required``), ``required``, a tool name, or a
        wire-format dict.
        """
        from . import _tool_binding  # output parsers and schema tools: imported when tools are first bound

        formatted = _tool_binding.format_tools(tools, strict=strict)
        names = [tool["function"]["name"] for tool in formatted]
        choice = _tool_binding.format_tool_choice(tool_choice, names)
        if choice is not None:
            kwargs["tool_choice"] = choice
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: _tool_binding.StructuredMethod = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Answers parsed into ``schema`` (pydantic class, TypedDict or JSON schema).

        ``method`` is ``json_schema`` (``response_format`` with the schema; the default), ``json_mode``
        (``response_format`` ``json_object``) or ``function_calling`` (a forced tool call).
        """
        from . import _tool_binding

        if kwargs:
            raise TypeError(f"unexpected keyword arguments: {', '.join(sorted(kwargs))}")
        return _tool_binding.structured_output(
            self.bind, self.bind_tools, schema, method=method, include_raw=include_raw, strict=strict
        )


def core_normalises(messages: list[BaseMessage]) -> None:
    """Run langchain-core's message normalisation (the one ``generate`` runs before ``_generate``) on ``messages``
    now, so that a block it cannot read is an :class:`UnsupportedContentError` instead of its bare ``KeyError`` or
    ``TypeError`` (v0 blocks with clashing ids, a ``url`` source without its url...). The function is private to
    langchain-core: this is the one place that calls it, and test_hostile_inputs fails if it moves."""
    from langchain_core.language_models._utils import _normalize_messages

    try:
        _normalize_messages(messages)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise UnsupportedContentError(
            f"langchain-core cannot read a content block of these messages ({type(error).__name__}: {error}). Send "
            "text, image or audio blocks in one of LangChain's documented forms (v1: base64 or url with mime_type)",
            message_index=0,
            block_index=None,
            block_type="content",
        ) from error


def _core_cannot_normalise(block: object) -> bool:
    """A block langchain-core's normalisation (which runs before ``_generate``) fails on with a bare error; parsing
    it first gives the typed error with where it is and the fix. Plain blocks are not parsed twice."""
    if isinstance(block, str):
        return False
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return True
    return "source_type" in block or _image_core_cannot_trace(block)  # v0 blocks: core's translator is fragile


def _image_core_cannot_trace(block: object) -> bool:
    """An image block langchain-core's tracing fails on (``convert_to_openai_image_block``): no ``url``, and not
    base64 data with its MIME type (none at all, or a ``text``-only block, raises there too)."""
    if not isinstance(block, dict) or block.get("type") != "image" or "url" in block:
        return False
    has_data = "base64" in block or (block.get("source_type") == "base64" and "data" in block)
    return not (has_data and "mime_type" in block)


def _with_llm_output(result: ChatResult) -> ChatResult:
    # generate_from_stream gives no llm_output; callbacks read the usage and model name there, as for invoke.
    message = result.generations[0].message
    if isinstance(message, AIMessage):
        result.llm_output = llm_output(message)
    return result


def _audio_format(body: dict[str, Any]) -> str | None:
    """The ``audio.format`` a request asked a spoken answer in (the answer's pieces need not repeat it)."""
    audio = body.get("audio")
    return audio.get("format") if isinstance(audio, dict) else None
