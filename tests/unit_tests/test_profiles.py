from __future__ import annotations

import mimetypes
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from langchain_azure_multimodal import _audio, _images
from langchain_azure_multimodal.profiles import (
    DEFAULT_PROFILE,
    MEDIA_TYPES_BY_EXTENSION,
    PROFILES,
    TileTokenRule,
    find_profile,
    media_kind_for_name,
    media_type_for_name,
    resolve_profile,
    text_tokens,
)
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
