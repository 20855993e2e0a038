"""``ChatAzureMultimodal``: a LangChain chat model for text, images and audio on Azure-hosted models."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Self, get_args

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.language_models import ModelProfile as LangChainModelProfile
from langchain_core.language_models.chat_models import BaseChatModel, agenerate_from_stream, generate_from_stream
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator

from ._azure.credentials import Credential
from ._azure.interface import Wire
from ._azure.types import AzureKeyCredential
from ._azure.wire import ChatWire
from ._messages import ImageDetail, parse_messages, to_wire_messages
from ._preflight import ImagePolicy, MediaOptions, check_endpoint_takes_audio, prepare
from ._responses import StreamState, to_ai_message, to_ai_message_chunk
from .endpoints import EndpointKind, EndpointSettings, resolve_endpoint
from .errors import EndpointError
from .profiles import DEFAULT_PROFILE, ModelProfile, find_profile, resolve_profile, text_tokens, to_langchain_profile

if TYPE_CHECKING:
    from langchain_core.prompt_values import PromptValue

    from . import _tool_binding

ExtraParameters = Literal["pass-through", "drop", "error"]
_PIPELINE_FIELDS = frozenset({"credential", "client_kwargs", "max_retries", "timeout"})
_GENERATION_FIELDS = ("temperature", "top_p", "max_tokens", "seed", "presence_penalty", "frequency_penalty")


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

    endpoint: str | None = Field(default_factory=lambda: os.environ.get("AZURE_INFERENCE_ENDPOINT"))
    """The endpoint URL; env ``AZURE_INFERENCE_ENDPOINT``."""
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
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    model_extras: dict[str, Any] = Field(default_factory=dict)
    """Model-specific parameters added to the request body as they are (``top_k``, ``safe_prompt``, ...)."""
    extra_parameters: ExtraParameters | None = None
    """The ``extra-parameters`` header; ``pass-through`` by default when there are ``model_extras``."""
    max_retries: int = 2
    """Retries on 408, 429, 500, 502, 503, 504 and connection errors, with backoff honouring Retry-After."""
    timeout: float | None = None
    """Seconds to wait for each request (connect and read)."""
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

    _settings: EndpointSettings = PrivateAttr()
    _info_profile: ModelProfile | None = PrivateAttr(default=None)
    _wire: Wire | None = PrivateAttr(default=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().__init__(*args, **kwargs)
        except ValidationError as error:
            # An unusable endpoint is an EndpointError (a ValueError), not pydantic's wrapper around it.
            causes = [e.get("ctx", {}).get("error") for e in error.errors()]
            if len(causes) == 1 and isinstance(causes[0], EndpointError):
                raise causes[0] from None
            raise

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
        self._settings = resolve_endpoint(
            self.endpoint,
            kind=self.endpoint_kind,
            api_version=self.api_version,
            credential_scopes=self.credential_scopes,
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
        params.update({name: getattr(self, name) for name in _GENERATION_FIELDS if getattr(self, name) is not None})
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
        credential, ``max_retries``, ``timeout`` and ``client_kwargs`` (it makes the SDK clients, also on first use)."""
        if self._wire is None:
            self._wire = (
                self.wire
                if self.wire is not None
                else ChatWire(
                    self._settings,
                    self.credential,
                    max_retries=self.max_retries,
                    timeout=self.timeout,
                    client_kwargs=self.client_kwargs,
                )
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
            self.profile = to_langchain_profile(self._info_profile)

    async def _alook_up_profile(self) -> None:
        if self._needs_info_profile():
            try:
                info = await self._chat_wire().amodel_info()
                self._info_profile = resolve_profile(info.get("model_name"))
            except Exception:
                self._info_profile = DEFAULT_PROFILE
            self.profile = to_langchain_profile(self._info_profile)

    def _resolve_model_profile(self) -> LangChainModelProfile | None:
        return to_langchain_profile(self.model_profile or resolve_profile(self.model))

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
        if any(_base64_image_without_mime(block) for block in blocks):
            # langchain-core's tracing converts such a block before _generate and fails with a bare ValueError that
            # names no block; parsing here raises the typed error, with where it is and the fix, instead.
            parse_messages(messages)
        return prompt

    def _request(
        self, messages: Sequence[BaseMessage], stop: list[str] | None, *, stream: bool, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The request body and headers; pure, so every check happens before the network."""
        parsed = parse_messages(
            messages, default_image_detail=kwargs.pop("default_image_detail", self.default_image_detail)
        )
        check_endpoint_takes_audio(parsed, self._settings)
        media = MediaOptions(
            normalize=kwargs.pop("normalize_media", self.normalize_media),
            keep_metadata=kwargs.pop("keep_image_metadata", self.keep_image_metadata),
            image_policy=kwargs.pop("image_policy", self.image_policy),
        )
        prepared = prepare(parsed, self._known_profile(), media)
        body: dict[str, Any] = {"messages": to_wire_messages(prepared)}
        for name in _GENERATION_FIELDS:
            value = kwargs.pop(name, None)
            value = getattr(self, name) if value is None else value
            if value is not None:  # zeros are real settings (temperature=0, seed=0) and must be sent
                body[name] = value
        stop = stop if stop is not None else kwargs.pop("stop", None) or self.stop
        if stop:  # the spec refuses an empty list
            body["stop"] = list(stop)
        model = kwargs.pop("model", None) or self.model
        if model:
            body["model"] = model
        for name in ("tools", "tool_choice", "response_format"):
            if kwargs.get(name) is not None:
                body[name] = kwargs.pop(name)
        kwargs.pop("ls_structured_output_format", None)
        kwargs.pop("strict", None)
        extras = {**self.model_extras, **kwargs.pop("model_extras", {})}
        mode = kwargs.pop("extra_parameters", self.extra_parameters)
        if mode not in (None, *get_args(ExtraParameters)):
            raise ValueError(f"extra_parameters must be 'pass-through', 'drop' or 'error', not {mode!r}")
        if kwargs:
            raise TypeError(f"unexpected keyword arguments for ChatAzureMultimodal: {', '.join(sorted(kwargs))}")
        if stream:
            body["stream"] = True
            if self.stream_usage:
                if self._settings.native_stream_options:
                    body["stream_options"] = {"include_usage": True}
                elif mode in (None, "pass-through"):
                    extras.setdefault("stream_options", {"include_usage": True})
        headers: dict[str, str] = {}
        if extras:
            body.update(extras)
            headers["extra-parameters"] = mode or "pass-through"
        elif mode is not None:
            headers["extra-parameters"] = mode
        return body, headers

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))
        kwargs.pop("stream", None)  # invoke(..., stream=False) from LangChain
        self._look_up_profile()
        body, headers = self._request(messages, stop, stream=False, **kwargs)
        return _chat_result(to_ai_message(self._chat_wire().complete(body, headers)))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return await agenerate_from_stream(self._astream(messages, stop, run_manager, **kwargs))
        kwargs.pop("stream", None)  # invoke(..., stream=False) from LangChain
        await self._alook_up_profile()
        body, headers = self._request(messages, stop, stream=False, **kwargs)
        return _chat_result(to_ai_message(await self._chat_wire().acomplete(body, headers)))

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
        state = StreamState()
        with self._chat_wire().stream(body, headers) as updates:
            for update in updates:
                chunk = _generation_chunk(update, state)
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
        state = StreamState()
        async with self._chat_wire().astream(body, headers) as updates:
            async for update in updates:
                chunk = _generation_chunk(update, state)
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
        if "parallel_tool_calls" in kwargs:  # not in the Azure AI API: an extra parameter the model may honour
            kwargs["model_extras"] = {
                **kwargs.get("model_extras", {}),
                "parallel_tool_calls": kwargs.pop("parallel_tool_calls"),
            }
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


def _base64_image_without_mime(block: object) -> bool:
    return (
        isinstance(block, dict)
        and block.get("type") == "image"
        and "url" not in block
        and ("base64" in block or block.get("source_type") == "base64")
        and "mime_type" not in block
    )


def _chat_result(message: AIMessage) -> ChatResult:
    llm_output = {"model_name": message.response_metadata.get("model_name"), "token_usage": message.usage_metadata}
    return ChatResult(generations=[ChatGeneration(message=message)], llm_output=llm_output)


def _generation_chunk(update: Mapping[str, Any], state: StreamState) -> ChatGenerationChunk | None:
    message: AIMessageChunk | None = to_ai_message_chunk(update, state)
    if message is None:
        return None
    info = (
        {"finish_reason": message.response_metadata["finish_reason"]}
        if "finish_reason" in (message.response_metadata)
        else None
    )
    return ChatGenerationChunk(message=message, generation_info=info)
