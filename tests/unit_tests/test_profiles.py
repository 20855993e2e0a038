from __future__ import annotations

import inspect
import mimetypes
from collections.abc import Callable
from typing import Any, get_type_hints

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.language_models import ModelProfile as LangChainModelProfile
from pydantic import BaseModel

from langchain_azure_multimodal import ChatAzureMultimodal, _audio, _images
from langchain_azure_multimodal.profiles import (
    DEFAULT_PROFILE,
    MEDIA_TYPES_BY_EXTENSION,
    PROFILES,
    ModelProfile,
    TileTokenRule,
    find_profile,
    media_kind_for_name,
    media_type_for_name,
    resolve_profile,
    text_tokens,
    to_langchain_profile,
)
from langchain_azure_multimodal.testing import MockWire, WireCall, completion
from tests.support.media import encoded_audio, image_bytes, wav_bytes


def test_seed_worked_example_2048_by_4096() -> None:
    rule = TileTokenRule()
    assert rule.tokens(2048, 4096, "high") == 1105
    assert rule.tokens(2048, 4096, "low") == 85
    assert rule.tokens(2048, 4096, "auto") == 1105  # auto is counted as high
    assert rule.scaled_size(2048, 4096) == (768, 1536)


@pytest.mark.parametrize(
    ("size", "tokens"),
    [
        ((512, 512), 85 + 170),
        ((513, 512), 85 + 340),
        ((1024, 1024), 85 + 170 * 4),
        ((4000, 3000), 85 + 170 * 4),
        ((100, 8000), 85 + 170 * 4),
        ((1, 1), 85 + 170),
    ],
)
def test_tile_rule(size: tuple[int, int], tokens: int) -> None:
    assert TileTokenRule().tokens(*size, "high") == tokens


def test_tile_rule_refuses_empty_images() -> None:
    with pytest.raises(ValueError, match="positive"):
        TileTokenRule().tokens(0, 10, "high")


@given(st.integers(1, 20000), st.integers(1, 20000))
def test_high_detail_never_exceeds_the_fit_box_and_is_at_least_low(width: int, height: int) -> None:
    rule = TileTokenRule()
    w, h = rule.scaled_size(width, height)
    assert max(w, h) <= 2048 and min(w, h) <= 768
    assert rule.base_tokens + rule.tile_tokens <= rule.tokens(width, height, "high") <= 85 + 170 * 12


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("Phi-4-multimodal-instruct", "phi-4-multimodal-instruct"),
        ("gpt-4o-2024-11-20", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("GPT-4.1-mini", "gpt-4.1-mini"),
        ("gpt-4o-audio-preview-2024-12-17", "gpt-4o-audio-preview"),
        ("phi-4-mini-instruct", "phi-4"),
    ],
)
def test_profile_lookup_is_case_insensitive_and_allows_version_suffixes(model: str, expected: str) -> None:
    assert resolve_profile(model).name == expected


def test_unknown_models_get_the_permissive_default() -> None:
    assert find_profile("my-own-model") is None
    assert resolve_profile("my-own-model") is DEFAULT_PROFILE
    assert resolve_profile(None) is DEFAULT_PROFILE
    assert DEFAULT_PROFILE.image_input and DEFAULT_PROFILE.audio_input


def test_profile_facts_from_the_seeds() -> None:
    assert PROFILES["phi-3-vision-128k-instruct"].max_images_per_request == 1
    assert not PROFILES["phi-3-vision-128k-instruct"].system_messages
    assert PROFILES["gpt-4o"].max_images_per_request == 10 and not PROFILES["gpt-4o"].audio_input
    assert PROFILES["gpt-4o-audio-preview"].audio_input and not PROFILES["gpt-4o-audio-preview"].image_input
    assert not PROFILES["mistral-large-2411"].accepts_media
    for profile in PROFILES.values():
        assert profile.max_image_bytes == 20 * 1024 * 1024
        assert profile.image_formats == {"jpeg", "png", "gif", "webp"}
        assert profile.audio_formats == {"wav", "mp3"}


def test_text_tokens_by_characters() -> None:
    assert [text_tokens(t) for t in ("", "a", "abcd", "abcde")] == [0, 1, 1, 2]


def test_audio_tokens_by_duration() -> None:
    assert resolve_profile("phi-4-multimodal-instruct").audio_tokens(1.55) == 16


# --- file names -> media types -------------------------------------------------------------------------------------


def _heif() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return image_bytes(16, 16, "HEIF")


#: Real media for every extension in the table, made the way such files are (an .m4a is AAC in MP4, a .opus is Opus
#: in Ogg, a .weba is Opus in WebM).
MAKERS: dict[str, Callable[[], bytes]] = {
    **dict.fromkeys([".jpg", ".jpeg", ".jpe", ".jfif"], lambda: image_bytes(16, 16, "JPEG")),
    **{ext: (lambda fmt=fmt: image_bytes(16, 16, fmt)) for ext, fmt in
       [(".png", "PNG"), (".gif", "GIF"), (".webp", "WEBP"), (".bmp", "BMP"), (".avif", "AVIF")]},
    **dict.fromkeys([".tif", ".tiff"], lambda: image_bytes(16, 16, "TIFF")),
    **dict.fromkeys([".heic", ".heif"], _heif),
    ".wav": lambda: wav_bytes(0.2),
    ".mp3": lambda: encoded_audio(0.2, "mp3", "libmp3lame"),
    ".m4a": lambda: encoded_audio(0.2, "ipod", "aac"),
    ".mp4": lambda: encoded_audio(0.2, "mp4", "aac"),
    ".aac": lambda: encoded_audio(0.2, "adts", "aac"),
    **dict.fromkeys([".ogg", ".oga", ".opus"], lambda: encoded_audio(0.2, "ogg", "libopus")),
    ".flac": lambda: encoded_audio(0.2, "flac", "flac"),
    **dict.fromkeys([".webm", ".weba"], lambda: encoded_audio(0.2, "webm", "libopus")),
    **dict.fromkeys([".aif", ".aiff"], lambda: encoded_audio(0.2, "aiff", "pcm_s16be")),
}  # fmt: skip


def test_every_extension_in_the_table_has_real_media_below() -> None:
    assert sorted(MAKERS) == sorted(MEDIA_TYPES_BY_EXTENSION)


@pytest.mark.parametrize("extension", sorted(MEDIA_TYPES_BY_EXTENSION))
def test_each_extension_names_what_the_decoders_read_it_as(extension: str) -> None:
    data, named = MAKERS[extension](), MEDIA_TYPES_BY_EXTENSION[extension]
    if media_kind_for_name(f"file{extension}") == "image":
        read = _images.check_image(data, name=f"file{extension}").mime_type
        assert read == ("image/heic" if named == "image/heif" else named)  # HEIF files hold HEIC-coded pictures
    else:
        assert _audio.inspect_audio(data, name=f"file{extension}").mime_type == named


@pytest.mark.parametrize(
    ("name", "media_type", "kind"),
    [
        ("IMG_0001.HEIC", "image/heic", "image"),
        ("photos/2024/cat.Jpeg", "image/jpeg", "image"),
        ("/recordings/call.mp4", "audio/mp4", "audio"),
        ("memo.webm", "audio/webm", "audio"),
        ("note.opus", "audio/ogg", "audio"),
        ("notes.txt", None, None),
        ("page.svg", None, None),  # no decoder here reads it, whatever mime.types says
        ("clip.mov", None, None),
        (".png", None, None),  # a hidden file with no extension
        ("folder.png/README", None, None),
        ("", None, None),
    ],
)
def test_names_are_typed_by_their_extension_only(name: str, media_type: str | None, kind: str | None) -> None:
    assert (media_type_for_name(name), media_kind_for_name(name)) == (media_type, kind)


def test_the_machine_mime_types_do_not_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    def nothing_known(*args: object, **kwargs: object) -> tuple[None, None]:
        return None, None

    monkeypatch.setattr(mimetypes, "guess_type", nothing_known)
    assert [media_type_for_name(name) for name in ("a.png", "b.jfif", "c.wav", "d.weba")] == [
        "image/png",
        "image/jpeg",
        "audio/wav",
        "audio/webm",
    ]


# --- token limits and output capabilities (issue 12) ------------------------------------------------------------

#: The figures left unknown on purpose; profiles.py says why beside each. Any other None is a profile added
#: without its figures.
UNKNOWN_ON_PURPOSE = {
    ("phi-3-vision-128k-instruct", "max_output_tokens"),
    ("phi-3-vision-128k-instruct", "tool_calling"),
    ("gpt-4o-mini-audio-preview", "tool_calling"),
    ("llama-4-maverick-17b-128e-instruct-fp8", "tool_calling"),
    ("llama-4-scout-17b-16e-instruct", "tool_calling"),
}
FIGURES = (
    "max_input_tokens",
    "max_output_tokens",
    "structured_output",
    "tool_calling",
    "reasoning_output",
    "audio_output",
)
#: Each figure and the key LangChain's profile carries it under.
LANGCHAIN_KEYS = {
    "max_input_tokens": "max_input_tokens",
    "max_output_tokens": "max_output_tokens",
    "structured_output": "structured_output",
    "tool_calling": "tool_calling",
    "reasoning_output": "reasoning_output",
    "audio_output": "audio_outputs",
}


def test_every_known_profile_has_its_figures_unless_unknown_on_purpose() -> None:
    missing = {(p.name, f) for p in PROFILES.values() for f in FIGURES if getattr(p, f) is None}
    assert missing == UNKNOWN_ON_PURPOSE


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_known_profile_has_a_context_window_that_langchain_sees(name: str) -> None:
    profile = PROFILES[name]
    assert profile.max_input_tokens is not None and profile.max_input_tokens >= 16_384
    assert to_langchain_profile(profile)["max_input_tokens"] == profile.max_input_tokens


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_langchain_gets_each_known_figure_and_no_unknown_one(name: str) -> None:
    profile, langchain = PROFILES[name], to_langchain_profile(PROFILES[name])
    for figure, key in LANGCHAIN_KEYS.items():
        value = getattr(profile, figure)
        assert langchain.get(key, "left out") == ("left out" if value is None else value), figure


@pytest.mark.parametrize(
    ("model", "context", "output"),
    [
        ("gpt-4o-2024-11-20", 128_000, 16_384),
        ("gpt-4o-mini", 128_000, 16_384),
        ("gpt-4.1", 128_000, 32_768),  # the window every deployment type has, not the global 1,047,576
        ("gpt-4o-audio-preview", 128_000, 16_384),
        ("phi-4-multimodal-instruct", 131_072, 4_096),
        ("phi-4", 16_384, 16_384),
        ("mistral-small-2503", 32_768, 4_096),  # the smaller of the two Azure pages' figures
        ("llama-3.2-90b-vision-instruct", 128_000, 8_192),
    ],
)
def test_token_limits_from_the_azure_pages(model: str, context: int, output: int) -> None:
    profile = resolve_profile(model)
    assert (profile.max_input_tokens, profile.max_output_tokens) == (context, output)


def test_max_output_tokens_is_left_out_where_no_page_gives_it() -> None:
    assert "max_output_tokens" not in to_langchain_profile(PROFILES["phi-3-vision-128k-instruct"])
    assert to_langchain_profile(PROFILES["gpt-4o"])["max_output_tokens"] == 16_384


def test_structured_output_only_where_the_service_takes_a_json_schema() -> None:
    takes_schema = {name for name, profile in PROFILES.items() if profile.structured_output}
    assert takes_schema == {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano"}
    assert to_langchain_profile(PROFILES["gpt-4o"])["structured_output"] is True
    # JSON mode is not a schema: Mistral's "Text, JSON", and no JSON at all for Phi-3 vision (seed 004).
    assert to_langchain_profile(PROFILES["mistral-large-2411"])["structured_output"] is False
    assert to_langchain_profile(PROFILES["gpt-4o-audio-preview"])["structured_output"] is False


def test_tool_calling_follows_the_catalog_and_tool_choice_follows_it() -> None:
    for name, expected in [("gpt-4o", True), ("mistral-large-2411", True), ("phi-4-multimodal-instruct", False)]:
        langchain = to_langchain_profile(PROFILES[name])
        assert (langchain["tool_calling"], langchain["tool_choice"], langchain["tool_call_streaming"]) == (
            expected,
            expected,
            expected,
        ), name
    unknown = to_langchain_profile(PROFILES["llama-4-scout-17b-16e-instruct"])
    assert not {"tool_calling", "tool_choice", "tool_call_streaming"} & set(unknown)


def test_no_known_model_sends_reasoning() -> None:
    assert all(profile.reasoning_output is False for profile in PROFILES.values())
    assert to_langchain_profile(PROFILES["gpt-4.1"])["reasoning_output"] is False


def test_only_the_audio_preview_models_speak() -> None:
    assert to_langchain_profile(resolve_profile("gpt-4o-audio-preview-2024-12-17"))["audio_outputs"] is True
    assert to_langchain_profile(PROFILES["gpt-4o-mini-audio-preview"])["audio_outputs"] is True
    assert to_langchain_profile(PROFILES["gpt-4o"])["audio_outputs"] is False
    assert {name for name, p in PROFILES.items() if p.audio_output} == {
        "gpt-4o-audio-preview",
        "gpt-4o-mini-audio-preview",
    }


def test_the_default_profile_stays_permissive_and_claims_no_figure() -> None:
    langchain = to_langchain_profile(DEFAULT_PROFILE)
    assert langchain["image_inputs"] and langchain["audio_inputs"] and langchain["tool_calling"]
    assert not {
        "max_input_tokens",
        "max_output_tokens",
        "structured_output",
        "reasoning_output",
        "audio_outputs",
    } & set(langchain)


def test_a_profile_built_without_the_new_fields_still_works_and_claims_nothing_new() -> None:
    custom = ModelProfile("my-vlm", "Contoso", True, False, 4, 4)
    assert all(getattr(custom, figure) is None for figure in FIGURES)
    langchain = to_langchain_profile(custom)
    assert langchain["image_inputs"] and not set(LANGCHAIN_KEYS.values()) & set(langchain)
    sized = to_langchain_profile(ModelProfile("my-vlm", "Contoso", True, False, 4, 4, max_input_tokens=32_768))
    assert sized["max_input_tokens"] == 32_768


@pytest.mark.parametrize("profile", [*PROFILES.values(), DEFAULT_PROFILE], ids=lambda p: p.name)
def test_langchain_profiles_use_only_keys_langchain_declares(profile: ModelProfile) -> None:
    assert set(to_langchain_profile(profile)) <= set(get_type_hints(LangChainModelProfile))


# --- what LangChain does with them --------------------------------------------------------------------------------

V1 = "https://my-resource.openai.azure.com/openai/v1"


def _langchain_reads_profiles() -> bool:
    from langchain.agents.middleware import SummarizationMiddleware

    # langchain 1.0 (the floor pyproject allows) predates profiles: no fractional trigger, no profile-based choice.
    return "trigger" in inspect.signature(SummarizationMiddleware.__init__).parameters


needs_profiles = pytest.mark.skipif(not _langchain_reads_profiles(), reason="this langchain reads no model profiles")


class _StopError(Exception):
    pass


def _stop(call: WireCall) -> dict[str, Any]:
    raise _StopError


class Weather(BaseModel):
    city: str
    celsius: int


@needs_profiles
def test_summarization_takes_a_fraction_trigger_where_the_context_window_is_known() -> None:
    from langchain.agents.middleware import SummarizationMiddleware

    SummarizationMiddleware(ChatAzureMultimodal(endpoint=V1, model="gpt-4o", api_key="k"), trigger=("fraction", 0.8))
    with pytest.raises(ValueError, match="profile information is required"):
        SummarizationMiddleware(
            ChatAzureMultimodal(endpoint=V1, model="my-deployment", api_key="k"), trigger=("fraction", 0.8)
        )


@needs_profiles
def test_create_agent_asks_for_a_json_schema_where_the_profile_says_the_model_takes_one() -> None:
    from langchain.agents import create_agent

    # A name LangChain's own list of structured-output models does not know, so only the profile can tell it.
    custom = ModelProfile("contoso-vlm", "Contoso", True, False, 4, 4, structured_output=True)
    wire = MockWire(lambda call: completion('{"city": "Oslo", "celsius": 4}'))
    llm = ChatAzureMultimodal(endpoint=V1, model="contoso-vlm", model_profile=custom, wire=wire)
    result = create_agent(llm, response_format=Weather).invoke({"messages": [("user", "Weather in Oslo?")]})
    assert result["structured_response"] == Weather(city="Oslo", celsius=4)
    assert wire.calls[0].body["response_format"]["type"] == "json_schema"


def test_create_agent_falls_back_to_a_tool_where_the_model_has_json_mode_only() -> None:
    from langchain.agents import create_agent

    wire = MockWire(_stop)
    llm = ChatAzureMultimodal(endpoint=V1, model="mistral-large-2411", wire=wire)
    with pytest.raises(_StopError):
        create_agent(llm, response_format=Weather).invoke({"messages": [("user", "Weather in Oslo?")]})
    assert "response_format" not in wire.calls[0].body and wire.calls[0].body["tools"]
