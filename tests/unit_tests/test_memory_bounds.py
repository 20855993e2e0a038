"""Memory bombs (issue 16): no input file grows memory by more than 200 MB, and every media edge is a typed error.

A path is split as it is read (one part in memory at a time, never the whole recording); an image over the pixel
budget (``profiles.MAX_DECODED_PIXELS``) is refused from its header, before any pixel is decoded, except a JPEG,
which libjpeg decodes at 1/2, 1/4 or 1/8 scale within the budget; absurd or lying WAV headers are typed errors or
read for what the file really holds; audio_part refuses a file over the service's clip limit before reading it.

The ``*_memory`` tests run the bomb in a fresh interpreter and read its peak RSS (``ru_maxrss``) before and after.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
import wave
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from langchain_azure_multimodal import _audio, _images, _pixel_budget, parts
from langchain_azure_multimodal.errors import MediaDecodeError, MediaValidationError
from langchain_azure_multimodal.parts import audio_part, image_part, split_audio
from langchain_azure_multimodal.profiles import DEFAULT_PROFILE, MAX_AUDIO_BYTES, MAX_DECODED_PIXELS, MAX_SOURCE_BYTES
from tests.support.bombs import blank_png, make_in_child, measured_in_child, sparse_wav, wav_header
from tests.support.media import wav_bytes

CLIP_SOURCE = MAX_SOURCE_BYTES

GROWTH_BOUND_MB = 200


# --- media that claims more than it holds ----------------------------------------------------------------------------


def peak_growth_mb(work: str, path: Path) -> float:
    """Peak RSS growth (MB) of ``work`` in a fresh interpreter, with every warning an error."""
    return measured_in_child(work, path)[0]


class CountingOpen:
    """Stands in for parts._open_regular, counting every byte read from the files it opens."""

    def __init__(self) -> None:
        self.read = 0
        self.files: list[Any] = []

    def __call__(self, path: str) -> Any:
        file = os.fdopen(os.open(path, os.O_RDONLY), "rb")
        counter = self

        class Counted(io.RawIOBase):
            def readable(self) -> bool:
                return True

            def seekable(self) -> bool:
                return True

            def readinto(self, buffer: Any) -> int:
                data = file.read(len(buffer))
                buffer[: len(data)] = data
                counter.read += len(data)
                return len(data)

            def seek(self, offset: int, whence: int = 0) -> int:
                return file.seek(offset, whence)

            def tell(self) -> int:
                return file.tell()

            def fileno(self) -> int:
                return file.fileno()

            def close(self) -> None:
                file.close()
                super().close()

        wrapped = io.BufferedReader(Counted())
        self.files.append(wrapped)
        return wrapped


# --- split_audio streams a path --------------------------------------------------------------------------------------


def test_split_audio_reads_a_path_one_part_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "long.wav"
    path.write_bytes(wav_bytes(60, 8000))  # 960 kB; parts of 5 s are 80 kB
    opened = CountingOpen()
    monkeypatch.setattr(parts, "_open_regular", opened)
    blocks = split_audio(path, max_seconds=5)
    first = next(blocks)
    assert first["extras"]["end_s"] == 5.0
    assert opened.read < 4 * 80_000  # a part and the reader's buffers, not the file
    assert len(list(blocks)) == 11
    assert opened.read == path.stat().st_size
    assert all(file.closed for file in opened.files)


def test_split_audio_of_a_path_gives_the_parts_of_its_bytes(tmp_path: Path) -> None:
    data = wav_bytes(65, 8000)
    path = tmp_path / "call.wav"
    path.write_bytes(data)
    from_path = [(b["extras"], b["base64"]) for b in split_audio(path, max_seconds=30)]
    from_bytes = [(b["extras"], b["base64"]) for b in split_audio(data, max_seconds=30, name="call.wav")]
    assert from_path == from_bytes and len(from_path) == 3


def test_split_audio_of_a_flac_path_streams_through_pyav(tmp_path: Path) -> None:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="flac") as container:
        stream = container.add_stream("flac", rate=8000, layout="mono")
        frame = av.AudioFrame(format="s16", layout="mono", samples=8000 * 7)
        frame.planes[0].update(bytes(2 * 8000 * 7))
        frame.sample_rate = 8000
        container.mux(stream.encode(frame) + stream.encode(None))
    path = tmp_path / "memo.flac"
    path.write_bytes(buffer.getvalue())
    blocks = list(split_audio(path, max_seconds=3))
    assert [(b["mime_type"], b["extras"]["start_s"], b["extras"]["end_s"]) for b in blocks] == [
        ("audio/mpeg", 0.0, 3.0), ("audio/mpeg", 3.0, 6.0), ("audio/mpeg", 6.0, 7.0)
    ]  # fmt: skip


def test_an_unfinished_split_closes_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "long.wav"
    path.write_bytes(wav_bytes(10, 8000))
    opened = CountingOpen()
    monkeypatch.setattr(parts, "_open_regular", opened)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        blocks = split_audio(path, max_seconds=1)
        next(blocks)
        del blocks
        never_started = split_audio(path, max_seconds=1)
        del never_started
    assert len(opened.files) == 2 and all(file.closed for file in opened.files)


def test_a_file_that_grows_past_the_guard_while_split_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.wav"
    path.write_bytes(wav_header(2 * 8000 * 20, rate=8000) + bytes(2 * 8000 * 4))  # claims 20 s, holds 4
    monkeypatch.setattr(parts, "_MAX_SPLIT_BYTES", 2 * 8000 * 8)
    blocks = split_audio(path, max_seconds=1)  # 64 kB now: within the guard of 128 kB
    with path.open("ab") as file:
        file.write(bytes(2 * 8000 * 16))  # and now 320 kB: a size at open is no promise
    with pytest.raises(MediaValidationError, match=r"over 128,000 bytes, over the 128,000-byte guard"):
        list(blocks)


def test_without_max_bytes_a_part_stays_within_the_clip_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _audio._DEFAULT_PART_BYTES == MAX_AUDIO_BYTES  # a larger part could not be sent
    monkeypatch.setattr(_audio, "_DEFAULT_PART_BYTES", 16_044)  # one second of 8 kHz 16-bit mono, and its header
    blocks = list(split_audio(wav_bytes(3, 8000), max_seconds=300))
    assert [(b["extras"]["start_s"], b["extras"]["end_s"], b["extras"]["size_bytes"]) for b in blocks] == [
        (0.0, 1.0, 16_044), (1.0, 2.0, 16_044), (2.0, 3.0, 16_044)
    ]  # fmt: skip


# --- WAV headers that lie --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_path", [False, True], ids=["bytes", "path"])
def test_a_header_claiming_2_gib_over_a_short_file_splits_what_is_there(tmp_path: Path, as_path: bool) -> None:
    data = wav_header(2**31) + bytes(2 * 16000 * 3 // 2)  # claims 18 hours, holds 1.5 s
    path = tmp_path / "cut.wav"
    path.write_bytes(data)
    blocks = list(split_audio(path if as_path else data, max_seconds=1))
    assert [(b["extras"]["start_s"], b["extras"]["end_s"]) for b in blocks] == [(0.0, 1.0), (1.0, 1.5)]
    with wave.open(io.BytesIO(parts.base64.b64decode(blocks[-1]["base64"]))) as part:
        assert part.getnframes() == 8000  # the part's own header says what it holds


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ({"rate": 0}, "0 Hz"),
        ({"rate": 4_000_000_000}, "4000000000 Hz"),
        ({"channels": 65535}, r"16000 Hz, 65535 channel\(s\)"),
    ],
    ids=["0 Hz", "4 GHz", "65535 channels"],
)
@pytest.mark.parametrize("as_path", [False, True], ids=["bytes", "path"])
def test_a_wav_header_no_recording_has_is_a_decode_error(
    tmp_path: Path, header: dict[str, int], said: str, as_path: bool
) -> None:
    data = wav_header(2**30, **header) + bytes(64_000)
    path = tmp_path / "odd.wav"
    path.write_bytes(data)
    with pytest.raises(MediaDecodeError, match=f"the WAV header says {said}"):
        list(split_audio(path if as_path else data, max_seconds=300))
    with pytest.raises(MediaDecodeError):
        audio_part(path)


# --- audio_part refuses what cannot be one clip ----------------------------------------------------------------------


def test_audio_part_refuses_a_file_over_the_clip_limit_before_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sparse_wav(tmp_path / "long.wav", CLIP_SOURCE + 1)
    opened = CountingOpen()
    monkeypatch.setattr(parts, "_open_regular", opened)
    with pytest.raises(MediaValidationError) as caught:
        audio_part(path)
    assert opened.read == 0
    assert caught.value.what == (
        f"the audio source is {CLIP_SOURCE + 1:,} bytes, over the {CLIP_SOURCE:,} bytes read whole for one audio"
    )
    assert caught.value.limit == "32 MiB per source" and "split_audio(" in str(caught.value)


def test_audio_part_refuses_bytes_over_the_clip_limit() -> None:
    with pytest.raises(MediaValidationError, match="read whole for one audio"):
        audio_part(bytes(CLIP_SOURCE + 1))


# --- images over the pixel budget ------------------------------------------------------------------------------------


def test_a_png_claiming_13000_squared_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = blank_png(13000, 13000)
    assert len(bomb) < 1_000_000
    monkeypatch.setattr(_images, "_decode", lambda *args: pytest.fail("the pixels were decoded"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's DecompressionBombWarning must not escape
        with pytest.raises(MediaValidationError) as caught:
            image_part(bomb, name="bomb.png")
        with pytest.raises(MediaValidationError):
            _images.normalize_image(bomb, detail="low", profile=DEFAULT_PROFILE, name="bomb.png")
    error = caught.value
    assert error.what == (
        f"the PNG is 13000x13000 pixels (169,000,000), over the {MAX_DECODED_PIXELS:,} pixels decoded per image"
    )
    assert error.where == "bomb.png"
    assert error.limit == f"{MAX_DECODED_PIXELS:,} decoded pixels per image (profiles.MAX_DECODED_PIXELS)"
    assert error.fix is not None and error.fix.startswith(f"downscale it to at most {MAX_DECODED_PIXELS:,} pixels")


def test_a_png_at_the_budget_still_decodes() -> None:
    block = image_part(blank_png(8000, 5000))  # exactly 40,000,000 pixels
    assert (block["extras"]["width"], block["extras"]["height"]) == (8000, 5000)


def test_a_jpeg_over_the_budget_is_decoded_at_reduced_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.BytesIO()
    Image.new("L", (10000, 10000), 128).save(buffer, "JPEG")  # 100 MP: past Pillow's own warning, too
    decoded: list[tuple[int, int]] = []
    real_decode = _images._decode

    def recording(image: Any, fmt: str, name: str | None) -> None:
        decoded.append(image.size)
        real_decode(image, fmt, name)

    monkeypatch.setattr(_images, "_decode", recording)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        block = image_part(buffer.getvalue())
        _images._DECODED.clear()
        result = _images.normalize_image(buffer.getvalue(), detail="high", profile=DEFAULT_PROFILE)
    assert (block["extras"]["width"], block["extras"]["height"]) == (10000, 10000)
    assert (result.width, result.height) == (768, 768)
    assert all(w * h <= MAX_DECODED_PIXELS for w, h in decoded) and len(decoded) == 2


@pytest.mark.parametrize(
    ("size", "wanted", "asked"),
    [
        ((20000, 20000), None, (5000, 5000)),  # 1/2 is still 100 MP: 1/4
        ((8000, 5000), None, (8000, 5000)),  # within the budget: full size
        ((12000, 9000), (768, 576), (1500, 1125)),  # the target allows 1/8, the budget needs 1/2: 1/8
        ((12000, 9000), (6000, 4500), (6000, 4500)),  # the target allows 1/2, which the budget needs
        ((60000, 60000), None, (7500, 7500)),  # over even at 1/8: _check_pixels refuses it
    ],
)
def test_the_draft_size_keeps_a_jpeg_within_the_budget(
    size: tuple[int, int], wanted: tuple[int, int] | None, asked: tuple[int, int]
) -> None:
    assert _pixel_budget.draft_size(size, wanted) == asked


def test_a_gif_whose_first_frame_outgrows_its_screen_is_refused() -> None:
    # A 1x1 screen whose first frame claims 13000x13000: Pillow grows the image to the frame, past the budget.
    gif = bytearray(b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff")
    gif += b"\x2c" + struct.pack("<HHHHB", 0, 0, 13000, 13000, 0) + b"\x02\x02\x44\x01\x00\x3b"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(MediaValidationError, match=r"the GIF is 13000x13000 pixels"):
            image_part(bytes(gif))


# --- peak memory, each bomb in a fresh interpreter -------------------------------------------------------------------


@pytest.mark.slow
def test_splitting_a_2_gib_sparse_wav_memory(tmp_path: Path) -> None:
    path = sparse_wav(tmp_path / "day.wav")
    work = """
        count = 0
        for block in split_audio(path, max_seconds=300):
            count += 1
            del block
        assert count == 224, count
    """
    assert peak_growth_mb(work, path) < GROWTH_BOUND_MB


def test_a_13000_squared_png_through_image_part_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(blank_png(13000, 13000))
    work = """
        from langchain_azure_multimodal.errors import MediaValidationError
        try:
            image_part(path)
        except MediaValidationError:
            pass
        else:
            raise AssertionError("the bomb was decoded")
    """
    assert peak_growth_mb(work, path) < GROWTH_BOUND_MB


def test_a_9000_squared_jpeg_through_image_part_memory(tmp_path: Path) -> None:
    code = "import sys; from PIL import Image; Image.new('RGB', (9000, 9000), 'teal').save(sys.argv[1], 'JPEG')"
    path = make_in_child(code, tmp_path / "huge.jpg")  # 243 MB of RGB pixels decoded at full scale
    work = """
        block = image_part(path)
        assert block["extras"]["width"] == 9000
    """
    assert peak_growth_mb(work, path) < GROWTH_BOUND_MB


def test_translate_audio_sends_each_part_before_making_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langchain_core.messages import AIMessage

    from langchain_azure_multimodal import tools

    made: list[int] = []
    made_at_call: list[int] = []
    real_split = tools.split_audio

    def counting(source: Any, **kwargs: Any) -> Any:
        for block in real_split(source, **kwargs):
            made.append(block["extras"]["index"])
            yield block

    class Model:
        def invoke(self, messages: Any, **kwargs: Any) -> AIMessage:
            made_at_call.append(len(made))
            return AIMessage(f"part {len(made_at_call)}")

    monkeypatch.setattr(tools, "split_audio", counting)
    path = tmp_path / "talk.wav"
    path.write_bytes(wav_bytes(4, 8000))
    tool = tools.translate_audio_tool(Model(), segment_seconds=1)  # type: ignore[arg-type]
    assert tool.invoke({"source": str(path), "target_language": "French"}) == "part 1\npart 2\npart 3\npart 4"
    assert made_at_call == [1, 2, 3, 4]  # the list of every part, once built first, held the whole recording


@pytest.mark.slow
def test_the_largest_source_read_whole_stays_within_the_bound_through_invoke(tmp_path: Path) -> None:
    """A real (incompressible) PNG just under MAX_SOURCE_BYTES: read, base64'd into the block, decoded, normalised
    under the service's 20 MB and sent; the whole of it grows memory by less than the bound."""
    code = (
        "import os, sys; from PIL import Image; "
        "Image.frombytes('RGB', (3200, 3200), os.urandom(3 * 3200 * 3200)).save(sys.argv[1], 'PNG', compress_level=1)"
    )
    path = make_in_child(code, tmp_path / "scan.png")
    assert 0.8 * MAX_SOURCE_BYTES < path.stat().st_size <= MAX_SOURCE_BYTES
    work = """
        from langchain_core.messages import HumanMessage
        from langchain_azure_multimodal import ChatAzureMultimodal
        from langchain_azure_multimodal.testing import MockWire
        sent = []
        def answer(call):
            sent.append(len(call.body["messages"][0]["content"][1]["image_url"]["url"]))
            return {"id": "c", "choices": [{"index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "ok"}}]}
        model = ChatAzureMultimodal(endpoint="http://127.0.0.1:9/models", wire=MockWire(answer), model="gpt-4o")
        model.invoke([HumanMessage([{"type": "text", "text": "What is it?"}, image_part(path)])])
        assert sent and sent[0] < 20 * 2**20, sent  # normalised under the service's limit
    """
    assert peak_growth_mb(work, path) < GROWTH_BOUND_MB
