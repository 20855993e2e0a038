"""Audio probing, normalisation to WAV/MP3 and splitting, on clips made in each test with numpy and PyAV."""

from __future__ import annotations

import io
import itertools
import wave
from collections.abc import Iterator

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from PIL import Image

from langchain_azure_multimodal import _audio
from langchain_azure_multimodal._audio import (
    AudioSegment,
    inspect_audio,
    normalize_audio,
    split_audio_bytes,
)
from langchain_azure_multimodal.errors import (
    MEDIA_EXTRA_INSTALL,
    MediaDecodeError,
    MediaExtraRequiredError,
    MediaValidationError,
)
from tests.support.media import wav_bytes

LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}
MP4 = "mov,mp4,m4a,3gp,3g2,mj2"


def encode(fmt: str, codec: str, seconds: float = 1.0, rate: int = 16000, channels: int = 1) -> bytes:
    """A 440 Hz tone (a different pitch per channel) encoded with PyAV."""
    options = {"strict": "experimental"} if codec == "vorbis" else {}  # FFmpeg's own Vorbis encoder is experimental
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, options=options)
        stream.layout = LAYOUTS[channels]
        total = round(seconds * rate)
        t = np.arange(total) / rate
        tone = np.stack([0.3 * np.sin(2 * np.pi * 220 * (c + 2) * t) for c in range(channels)]).astype(np.float32)
        for start in range(0, total, 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(tone[:, start : start + 1024]), format="fltp", layout=LAYOUTS[channels]
            )
            frame.sample_rate, frame.pts = rate, start  # without pts the Vorbis encoder writes a bogus final granule
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def probe(data: bytes) -> tuple[str, float, int, int]:
    """(codec, decoded seconds, rate, channels), by decoding every sample with PyAV."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return stream.codec.canonical_name, samples / stream.sample_rate, stream.sample_rate, stream.channels


def frames_of(data: bytes) -> bytes:
    with wave.open(io.BytesIO(data)) as clip:
        return bytes(clip.readframes(clip.getnframes()))


# --- inspect_audio ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "codec", "rate", "channels", "container", "codec_name", "mime", "wire"),
    [
        ("wav", "pcm_s16le", 16000, 1, "wav", "pcm_s16le", "audio/wav", "wav"),
        ("mp3", "libmp3lame", 44100, 2, "mp3", "mp3", "audio/mpeg", "mp3"),
        ("ogg", "libopus", 48000, 1, "ogg", "opus", "audio/ogg", None),
        ("ogg", "vorbis", 44100, 2, "ogg", "vorbis", "audio/ogg", None),
        ("ipod", "aac", 22050, 1, MP4, "aac", "audio/mp4", None),
        ("mp4", "aac", 48000, 2, MP4, "aac", "audio/mp4", None),
        ("webm", "libopus", 48000, 2, "matroska,webm", "opus", "audio/webm", None),
        ("flac", "flac", 96000, 6, "flac", "flac", "audio/flac", None),
        ("adts", "aac", 44100, 1, "aac", "aac", "audio/aac", None),
    ],
)
def test_inspect_reports_what_pyav_finds(
    fmt: str, codec: str, rate: int, channels: int, container: str, codec_name: str, mime: str, wire: str | None
) -> None:
    info = inspect_audio(encode(fmt, codec, 1.5, rate, channels))
    assert (info.container, info.codec, info.mime_type, info.wire_format) == (container, codec_name, mime, wire)
    assert (info.sample_rate, info.channels) == (rate, channels)
    assert info.duration_s == pytest.approx(1.5, abs=0.1)


def test_the_bytes_decide_not_the_name() -> None:
    info = inspect_audio(wav_bytes(0.5, ramp=True), name="clip.mp3")
    assert (info.container, info.codec, info.wire_format, info.duration_s) == ("wav", "pcm_s16le", "wav", 0.5)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the audio data is empty"),
        (b"hello world, this is a text file\n" * 10, "recognises no audio or video format in these 330 bytes"),
        (bytes(range(256)) * 8, "they start with b'\\x00\\x01\\x02"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt junk", "recognises no audio or video format"),
    ],
)
def test_non_audio_is_a_decode_error(data: bytes, expected: str) -> None:
    with pytest.raises(MediaDecodeError, match="Fix: send a recording as WAV, MP3") as caught:
        inspect_audio(data, name="upload.bin")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("upload.bin: ")


def test_an_image_is_a_decode_error() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(buffer, "PNG")
    with pytest.raises(MediaDecodeError, match=r"no audio stream in this piped png sequence container.*video \(png\)"):
        inspect_audio(buffer.getvalue())


def test_a_silent_video_names_its_container() -> None:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width = stream.height = 32
        stream.pix_fmt = "yuv420p"
        for pts in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            frame.pts = pts
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(MediaDecodeError, match=r"no audio stream in this MP4/MOV container; it holds video") as caught:
        inspect_audio(buffer.getvalue(), name="screen.mp4")
    assert "a video's sound must be extracted first" in str(caught.value)


def test_a_codec_pyav_cannot_decode_is_a_decode_error() -> None:
    clip = bytearray(wav_bytes(1.0, ramp=True))
    clip[20:22] = (0x1234).to_bytes(2, "little")  # the WAV format tag: no codec has it
    with pytest.raises(MediaDecodeError, match=r"^memo.wav: PyAV has no decoder for the audio codec in this WAV"):
        inspect_audio(bytes(clip), name="memo.wav")
    clip[20:22] = (0x55).to_bytes(2, "little")  # MP3 in WAV, but the data is PCM
    with pytest.raises(MediaDecodeError, match=r"the MP3 in WAV audio does not decode"):
        normalize_audio(bytes(clip))


# --- normalize_audio -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt"), [(wav_bytes(1.0, ramp=True), "wav"), (encode("mp3", "libmp3lame", 1.0), "mp3")]
)
def test_wav_and_mp3_pass_untouched(data: bytes, fmt: str) -> None:
    result = normalize_audio(data)
    assert result.data == data and result.format == fmt and result.steps == () and not result.changed
    assert result.mime_type == result.original_mime_type == {"wav": "audio/wav", "mp3": "audio/mpeg"}[fmt]
    assert result.original_bytes == len(data)


@pytest.mark.parametrize(
    ("fmt", "codec", "rate", "mime", "step"),
    [
        ("ogg", "libopus", 48000, "audio/ogg", "transcoded Opus in Ogg to MP3 (64 kb/s mono)"),
        ("ipod", "aac", 44100, "audio/mp4", "transcoded AAC in MP4/MOV to MP3 (64 kb/s mono)"),
        ("webm", "libopus", 48000, "audio/webm", "transcoded Opus in WebM/Matroska to MP3 (64 kb/s mono)"),
        ("flac", "flac", 16000, "audio/flac", "transcoded FLAC to MP3 (64 kb/s mono)"),
    ],
)
def test_other_formats_become_mp3(fmt: str, codec: str, rate: int, mime: str, step: str) -> None:
    data = encode(fmt, codec, 2.0, rate)
    result = normalize_audio(data, name=f"note.{fmt}")
    assert (result.format, result.mime_type, result.original_mime_type) == ("mp3", "audio/mpeg", mime)
    assert result.steps == (step,)
    assert result.changed and result.original_bytes == len(data)
    codec_name, seconds, out_rate, channels = probe(result.data)
    assert (codec_name, out_rate, channels) == ("mp3", rate, 1)
    assert seconds == pytest.approx(2.0, abs=0.15)
    assert result.duration_s == pytest.approx(seconds, abs=0.01)
    assert inspect_audio(result.data).wire_format == "mp3"


def test_channels_stereo_stays_stereo_and_surround_is_downmixed() -> None:
    stereo = normalize_audio(encode("flac", "flac", 1.0, 44100, 2))
    assert probe(stereo.data)[3] == 2 and stereo.steps == ("transcoded FLAC to MP3 (128 kb/s stereo)",)
    surround = normalize_audio(encode("flac", "flac", 1.0, 44100, 6))
    assert probe(surround.data)[3] == 2
    assert surround.steps == ("transcoded FLAC to MP3 (128 kb/s stereo)", "downmixed 6 channels to stereo")


@pytest.mark.parametrize(("rate", "mp3_rate"), [(11025, 11025), (37800, 32000), (96000, 48000), (6000, 8000)])
def test_sample_rates_mp3_lacks_go_to_the_nearest(rate: int, mp3_rate: int) -> None:
    result = normalize_audio(encode("flac", "flac", 1.0, rate))
    _, seconds, out_rate, _ = probe(result.data)
    assert out_rate == mp3_rate and seconds == pytest.approx(1.0, abs=0.15)
    resampled = f"resampled {rate:,} Hz to {mp3_rate:,} Hz (MP3 has no {rate:,} Hz rate)"
    assert (resampled in result.steps) == (rate != mp3_rate)


@pytest.mark.parametrize(
    ("data", "limit"), [(wav_bytes(2.0, ramp=True), 5_000), (encode("ogg", "libopus", 5.0, 48000), 20_000)],
    ids=["wav", "opus"],
)  # fmt: skip
def test_over_max_bytes_is_a_validation_error(data: bytes, limit: int) -> None:
    fix = rf"split_audio\(source, max_bytes={limit}\)"
    with pytest.raises(
        MediaValidationError, match=rf"long.rec: the audio is [\d,]+ bytes as MP3.*{limit:,}-byte limit.*{fix}"
    ):
        normalize_audio(data, name="long.rec", max_bytes=limit)
    assert normalize_audio(data, max_bytes=10_000_000).data


def test_a_wav_over_max_bytes_is_sent_as_mp3_when_that_fits() -> None:
    clip = wav_bytes(2.0, 16000, channels=2)  # 128 KB of WAV; some 32 KB as 128 kb/s stereo MP3
    audio = normalize_audio(clip, max_bytes=100_000)
    assert audio.format == "mp3" and len(audio.data) <= 100_000 and audio.duration_s == pytest.approx(2.0, abs=0.1)
    assert audio.steps[-1] == "to fit the 100,000-byte limit on a clip" and audio.steps[0].startswith("transcoded")
    assert normalize_audio(clip, max_bytes=1_000_000).data == clip  # a WAV that fits is sent as it is


def test_float_wav_passes_but_splits_into_mp3() -> None:
    clip = encode("wav", "pcm_f32le", 2.5, 16000)
    info = inspect_audio(clip)
    assert (info.codec, info.wire_format) == ("pcm_f32le", "wav") and normalize_audio(clip).data == clip
    parts = list(split_audio_bytes(clip, max_seconds=1))  # the standard library reads integer PCM only
    assert [(p.format, p.start_s, p.end_s) for p in parts] == [("mp3", 0, 1), ("mp3", 1, 2), ("mp3", 2, 2.5)]


# --- without PyAV ----------------------------------------------------------------------------------------------------


def test_without_pyav_wav_works_and_the_rest_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    clip, opus = wav_bytes(3.0, 8000, channels=2, ramp=True), encode("ogg", "libopus", 0.5, 48000)
    monkeypatch.setattr(_audio, "av", None)
    info = inspect_audio(clip)
    assert info == _audio.AudioInfo("wav", "pcm_s16le", "audio/wav", "wav", 3.0, 8000, 2)
    assert normalize_audio(clip).data == clip
    assert [(p.start_s, p.end_s) for p in split_audio_bytes(clip, max_seconds=2)] == [(0.0, 2.0), (2.0, 3.0)]
    for call in (inspect_audio, normalize_audio, lambda data: list(split_audio_bytes(data, max_seconds=1))):
        with pytest.raises(MediaExtraRequiredError, match="only PCM WAV can be read") as caught:
            call(opus)
        assert MEDIA_EXTRA_INSTALL in str(caught.value)


def test_without_pyav_a_truncated_wav_reports_what_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_audio, "av", None)
    truncated = wav_bytes(1.0, ramp=True)[: 44 + 2 * 4000]
    assert inspect_audio(truncated).duration_s == 0.25  # the header still promises a second


# --- split_audio_bytes -----------------------------------------------------------------------------------------------


def spans(parts: list[AudioSegment]) -> list[tuple[float, float]]:
    return [(p.start_s, p.end_s) for p in parts]


def test_split_wav_gives_exact_wav_slices() -> None:
    clip = wav_bytes(95.0, 8000, ramp=True)
    parts = list(split_audio_bytes(clip, max_seconds=30))
    assert spans(parts) == [(0.0, 30.0), (30.0, 60.0), (60.0, 90.0), (90.0, 95.0)]
    assert [p.index for p in parts] == [0, 1, 2, 3]
    assert {(p.format, p.mime_type) for p in parts} == {("wav", "audio/wav")}
    assert b"".join(frames_of(p.data) for p in parts) == frames_of(clip)


def test_split_wav_by_bytes() -> None:
    clip = wav_bytes(10.0, 8000, channels=2, ramp=True)  # 32,000 bytes a second
    parts = list(split_audio_bytes(clip, max_bytes=100_000))
    assert all(len(p.data) <= 100_000 for p in parts) and len(parts) == 4
    assert b"".join(frames_of(p.data) for p in parts) == frames_of(clip)
    with pytest.raises(MediaValidationError, match=r"one second of this 8,000 Hz WAV takes about 32,000 bytes"):
        next(split_audio_bytes(clip, max_bytes=20_000))


def test_split_flac_gives_mp3_parts() -> None:
    parts = list(split_audio_bytes(encode("flac", "flac", 95.0, 16000), max_seconds=30, name="talk.flac"))
    assert spans(parts) == [(0.0, 30.0), (30.0, 60.0), (60.0, 90.0), (90.0, 95.0)]
    assert {(p.format, p.mime_type) for p in parts} == {("mp3", "audio/mpeg")}
    decoded = [probe(p.data) for p in parts]
    assert [d[0] for d in decoded] == ["mp3"] * 4
    assert [d[1] for d in decoded] == pytest.approx([30, 30, 30, 5], abs=0.05)


def test_split_mp3_by_bytes_keeps_every_part_within_the_limit() -> None:
    clip = encode("mp3", "libmp3lame", 40.0, 16000)
    total = inspect_audio(clip).duration_s
    parts = list(split_audio_bytes(clip, max_bytes=100_000))
    assert len(parts) >= 4 and all(len(p.data) <= 100_000 for p in parts)
    assert parts[0].start_s == 0 and parts[-1].end_s == pytest.approx(total, abs=0.01)
    assert all(a.end_s == b.start_s for a, b in itertools.pairwise(parts))
    assert sum(probe(p.data)[1] for p in parts) == pytest.approx(total, abs=0.05)


def test_parts_over_the_limit_are_split_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # An estimate that promises 30 s in 100 kB (it holds about 12 s) leaves the measurement to catch it.
    monkeypatch.setattr(_audio, "_mp3_seconds_within", lambda *args: 30.0)
    clip = encode("flac", "flac", 40.0, 16000)
    parts = list(split_audio_bytes(clip, max_bytes=100_000))
    assert all(len(p.data) <= 100_000 for p in parts) and len(parts) == 5
    assert [p.index for p in parts] == list(range(len(parts)))
    assert parts[0].start_s == 0 and parts[-1].end_s == 40.0
    assert all(a.end_s == b.start_s for a, b in itertools.pairwise(parts))
    with pytest.raises(MediaValidationError, match=r"one second of this MP3 takes about"):
        list(split_audio_bytes(clip, max_bytes=6_000))


def test_a_limit_below_one_second_of_mp3_is_refused_up_front() -> None:
    expected = r"one second of MP3 at 64 kb/s takes about 8,000 bytes, more than max_bytes=5,000.*at least 16,000"
    with pytest.raises(MediaValidationError, match=expected):
        next(split_audio_bytes(encode("ogg", "libopus", 1.0, 48000), max_bytes=5_000))


def test_split_is_lazy(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[int] = []
    original = _audio._pcm_frames

    def counting(*args: object) -> Iterator[av.AudioFrame]:
        for frame in original(*args):  # type: ignore[arg-type]
            decoded.append(frame.samples)
            yield frame

    monkeypatch.setattr(_audio, "_pcm_frames", counting)
    parts = split_audio_bytes(encode("flac", "flac", 300.0, 8000), max_seconds=10)
    assert decoded == []  # nothing happens before the first part is asked for
    first = next(parts)
    assert (first.start_s, first.end_s) == (0.0, 10.0)
    assert 10 * 8000 <= sum(decoded) < 12 * 8000  # the whole 300 s clip is 2,400,000 samples


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs max_seconds or max_bytes"),
        ({"max_seconds": 0}, "max_seconds must be a positive number of seconds, not 0"),
        ({"max_seconds": -3.0}, "max_seconds must be a positive"),
        ({"max_seconds": float("nan")}, "max_seconds must be a positive"),
        ({"max_seconds": float("inf")}, "max_seconds must be a positive"),
        ({"max_bytes": 0}, "max_bytes must be a positive whole number of bytes, not 0"),
        ({"max_bytes": -100, "max_seconds": 10}, "max_bytes must be a positive"),
        ({"max_bytes": 1.5e6}, "max_bytes must be a positive whole number"),
    ],
)
def test_split_arguments_are_checked_at_once(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_audio_bytes(wav_bytes(1.0, ramp=True), **kwargs)  # type: ignore[arg-type]


def test_split_of_empty_data_is_a_decode_error() -> None:
    with pytest.raises(MediaDecodeError, match="the audio data is empty"):
        split_audio_bytes(b"", max_seconds=10)


# --- any clip PyAV can make ------------------------------------------------------------------------------------------

#: (format, codec, sample rates, channel counts) that PyAV encodes; AAC rates stay >= 16 kHz so its padding frame
#: (1024 samples) stays within the tolerance.
ENCODABLE = [
    ("wav", "pcm_s16le", (8000, 11025, 16000, 37800, 44100, 48000), (1, 2, 6)),
    ("mp3", "libmp3lame", (8000, 16000, 22050, 44100, 48000), (1, 2)),
    ("ogg", "libopus", (8000, 16000, 48000), (1, 2)),
    ("webm", "libopus", (12000, 24000, 48000), (1, 2)),
    ("ogg", "vorbis", (22050, 44100, 48000), (2,)),
    ("ipod", "aac", (16000, 22050, 44100, 48000), (1, 2, 6)),
    ("adts", "aac", (16000, 32000, 44100), (1, 2)),
    ("flac", "flac", (8000, 37800, 44100, 96000), (1, 2, 6)),
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(choice=st.sampled_from(ENCODABLE), seconds=st.floats(0.05, 3.0), data=st.data())
def test_normalize_any_encodable_clip(
    choice: tuple[str, str, tuple[int, ...], tuple[int, ...]], seconds: float, data: st.DataObject
) -> None:
    fmt, codec, rates, channel_counts = choice
    rate, channels = data.draw(st.sampled_from(rates)), data.draw(st.sampled_from(channel_counts))
    clip = encode(fmt, codec, seconds, rate, channels)
    try:
        result = normalize_audio(clip)
    except MediaDecodeError as error:
        # Raw ADTS has no header, only frame syncs: FFmpeg's prober needs a few frames to tell it from noise, so
        # a clip of two or three frames is (rightly) "not recognised". Every other clip PyAV wrote must decode.
        note(str(error))
        if fmt == "adts" and seconds < 0.1:
            return
        raise
    codec_name, decoded, out_rate, out_channels = probe(result.data)
    assert result.format == {"pcm_s16le": "wav", "libmp3lame": "mp3"}.get(codec, "mp3")
    assert codec_name == {"wav": "pcm_s16le", "mp3": "mp3"}[result.format]
    assert decoded == pytest.approx(seconds, abs=0.15)
    assert out_channels == min(channels, 2) or result.format == "wav"
    assert out_rate in _audio._MP3_RATES or result.format == "wav"


@pytest.mark.parametrize("field", ["rate", "channels"])
def test_a_wav_header_no_player_could_use_is_a_decode_error(field: str) -> None:
    import struct

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(8000)
        clip.writeframes(b"\0\0" * 800)
    data = bytearray(buffer.getvalue())
    if field == "rate":
        data[24:28] = struct.pack("<I", 0)  # the fmt chunk's sample rate; it once ended in a bare wave.Error
    else:
        data[22:24] = struct.pack("<H", 0)
    with pytest.raises(MediaDecodeError):
        list(split_audio_bytes(bytes(data), max_seconds=10))
