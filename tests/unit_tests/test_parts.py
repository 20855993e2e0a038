"""image_part, audio_part and split_audio: every source kind, detection by bytes, every bad input, no media extra."""

from __future__ import annotations

import base64
import io
import os
import urllib.parse
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from PIL import Image

from langchain_azure_multimodal import _audio, _images, parts
from langchain_azure_multimodal._messages import ParsedMedia, parse_messages
from langchain_azure_multimodal._preflight import where_of
from langchain_azure_multimodal.errors import (
    MEDIA_EXTRA_INSTALL,
    MediaDecodeError,
    MediaExtraRequiredError,
    MediaSourceError,
    MediaValidationError,
)
from langchain_azure_multimodal.parts import audio_part, image_part, split_audio
from tests.support.chat import image_block
from tests.support.media import b64, data_url, encoded_audio, image_bytes, wav_bytes

# --- media made here -------------------------------------------------------------------------------------------------


def jpeg(width: int = 400, height: int = 300, orientation: int | None = None) -> bytes:
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    # Noise, so the entropy-coded data is long enough to cut in the middle.
    Image.effect_noise((width, height), 64).convert("RGB").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def unb64(block: dict[str, Any]) -> bytes:
    return base64.b64decode(block["base64"])


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture
def no_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_images, "_pillow", None)


@pytest.fixture
def no_pyav(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_audio, "av", None)


def png_extras(data: bytes, **extra: Any) -> dict[str, Any]:
    return {**extra, "size_bytes": len(data), "width": 64, "height": 48, "format": "png", "inspected": True}


WAV_2S = {"duration_s": 2.0, "sample_rate": 8000, "channels": 1, "codec": "pcm_s16le", "inspected": True}


# --- image_part: sources ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_path", [str, Path])
def test_image_path_is_detected_by_its_bytes_not_its_name(tmp_path: Path, as_path: Any) -> None:
    data = image_bytes()
    path = write(tmp_path / "photo.jpg", data)
    block = image_part(as_path(path))
    expected_extras = {"filename": "photo.jpg", **png_extras(data)}
    assert block == {"type": "image", "base64": b64(data), "mime_type": "image/png", "extras": expected_extras}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_not_waited_on(tmp_path: Path) -> None:
    # Once read to the end when a writer came; with none, open() waited forever. Only regular files are read now
    # (tests/unit_tests/test_special_files.py covers every reader).
    pipe = tmp_path / "camera"
    os.mkfifo(pipe)
    with pytest.raises(MediaSourceError, match="named pipe"):
        image_part(pipe)


def test_image_path_keeps_the_detail_and_name_overrides_the_file_name(tmp_path: Path) -> None:
    data = jpeg()
    block = image_part(write(tmp_path / "IMG_0001.JPG", data), detail="high", name="receipt.jpg")
    assert block == image_block(data, "image/jpeg", extras={
        "filename": "receipt.jpg", "size_bytes": len(data), "width": 400, "height": 300, "format": "jpeg",
        "detail": "high", "inspected": True,
    })  # fmt: skip


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_image_from_bytes_like(wrap: Any) -> None:
    data = image_bytes()
    assert image_part(wrap(data)) == image_block(data, "image/png", extras=png_extras(data))
    assert image_part(wrap(data), name="chart.png", detail="low")["extras"] == {
        "filename": "chart.png", **png_extras(data), "detail": "low"
    }  # fmt: skip


def test_image_from_an_open_binary_file_takes_its_name(tmp_path: Path) -> None:
    data = image_bytes()
    path = write(tmp_path / "scan.png", data)
    with path.open("rb") as file:
        assert image_part(file) == image_block(data, "image/png", extras=png_extras(data, filename="scan.png"))


def test_image_from_a_file_object_without_a_name_reads_from_the_current_position() -> None:
    data = image_bytes()
    stream = io.BytesIO(b"header" + data)
    stream.seek(6)
    assert image_part(stream) == image_block(data, "image/png", extras=png_extras(data))


@pytest.mark.parametrize(
    "url", ["https://example.com/cat.jpg", "http://example.com/a.png?x=1", "HTTPS://EXAMPLE.COM/b"]
)
def test_image_url_is_kept_and_never_fetched(url: str) -> None:
    # Unit tests block every socket, so a fetch would fail the test.
    assert image_part(url) == {"type": "image", "url": url}
    assert image_part(url, detail="low", name="cat.jpg") == {
        "type": "image", "url": url, "extras": {"filename": "cat.jpg", "detail": "low"}
    }  # fmt: skip


def test_image_data_url_round_trips() -> None:
    data = jpeg()
    block = image_part(data_url(data, "image/jpeg"), detail="auto")
    assert block == image_block(data, "image/jpeg", extras={
        "size_bytes": len(data), "width": 400, "height": 300, "format": "jpeg", "detail": "auto", "inspected": True
    })  # fmt: skip
    assert f"data:{block['mime_type']};base64,{block['base64']}" == data_url(data, "image/jpeg")


def test_image_data_url_that_declares_the_wrong_type_is_described_by_its_bytes() -> None:
    data = image_bytes()
    block = image_part(data_url(data, "image/jpeg"), name="x.jpg")
    assert block == image_block(
        data, "image/png", extras=png_extras(data, filename="x.jpg", declared_mime_type="image/jpeg")
    )


def test_image_data_url_may_be_percent_encoded_and_may_carry_parameters() -> None:
    data = image_bytes()
    url = "data:image/png;charset=binary," + urllib.parse.quote_from_bytes(data)
    assert image_part(url) == image_block(data, "image/png", extras=png_extras(data))
    wrapped = "data:IMAGE/PNG;BASE64," + "\n".join(b64(data)[i : i + 76] for i in range(0, len(b64(data)), 76))
    assert image_part(wrapped) == image_block(data, "image/png", extras=png_extras(data))


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_pil_image_is_encoded_losslessly_as_png(mode: str) -> None:
    picture = Image.new(mode, (5, 3), (10, 20, 30, 40)[: len(mode)])
    picture.putpixel((4, 2), (200, 100, 50, 0)[: len(mode)])
    block = image_part(picture, detail="low")
    assert block["mime_type"] == "image/png"
    assert block["extras"] == {
        "size_bytes": len(unb64(block)), "width": 5, "height": 3, "format": "png", "detail": "low", "inspected": True
    }  # fmt: skip
    decoded = Image.open(io.BytesIO(unb64(block)))
    assert decoded.mode == mode
    assert decoded.tobytes() == picture.tobytes()


def test_pil_image_opened_from_a_file_keeps_its_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "diagram.png", image_bytes())
    with Image.open(path) as picture:
        assert image_part(picture)["extras"]["filename"] == "diagram.png"
        assert image_part(picture, name="other.png")["extras"]["filename"] == "other.png"


def test_pil_image_in_a_mode_png_cannot_hold_is_encoded_as_tiff() -> None:
    block = image_part(Image.new("CMYK", (8, 4), (0, 255, 0, 0)))
    assert (block["mime_type"], block["extras"]["format"], block["extras"]["width"]) == ("image/tiff", "tiff", 8)
    assert Image.open(io.BytesIO(unb64(block))).mode == "CMYK"


def test_pil_palette_image_with_alpha_becomes_rgba_png() -> None:
    picture = Image.new("PA", (4, 4))
    block = image_part(picture)
    decoded = Image.open(io.BytesIO(unb64(block)))
    assert (block["mime_type"], decoded.mode) == ("image/png", "RGBA")
    assert decoded.tobytes() == picture.convert("RGBA").tobytes()


def test_pil_image_that_no_lossless_format_holds() -> None:
    with pytest.raises(MediaDecodeError) as caught:
        image_part(Image.new("HSV", (4, 4)), name="hsv.png")
    assert str(caught.value) == (
        "hsv.png: the PIL image cannot be encoded as TIFF (cannot write mode HSV as TIFF). "
        "Fix: convert it first, e.g. image.convert('RGB')."
    )


def test_image_size_is_as_displayed_after_exif_orientation() -> None:
    extras = image_part(jpeg(400, 300, orientation=6))["extras"]
    assert (extras["width"], extras["height"]) == (300, 400)


def test_image_detail_must_be_auto_low_or_high() -> None:
    with pytest.raises(ValueError, match=r"detail must be 'auto', 'low', 'high' or None, not 'medium'"):
        image_part(image_bytes(), detail="medium")  # type: ignore[arg-type]


# --- audio_part: sources ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_path", [str, Path])
def test_audio_path_is_detected_by_its_bytes_not_its_name(tmp_path: Path, as_path: Any) -> None:
    data = wav_bytes(2, 8000)
    block = audio_part(as_path(write(tmp_path / "clip.mp3", data)))
    expected_extras = {"filename": "clip.mp3", "size_bytes": len(data), **WAV_2S}
    assert block == {"type": "audio", "base64": b64(data), "mime_type": "audio/wav", "extras": expected_extras}


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_audio_from_bytes_like(wrap: Any) -> None:
    data = encoded_audio(2, "mp3", "libmp3lame")
    block = audio_part(wrap(data), name="note.mp3")
    assert (block["type"], block["mime_type"], unb64(block)) == ("audio", "audio/mpeg", data)
    assert block["extras"] == {
        "filename": "note.mp3", "size_bytes": len(data), "duration_s": pytest.approx(2.0, abs=0.1),
        "sample_rate": 16000, "channels": 1, "codec": "mp3", "inspected": True,
    }  # fmt: skip


def test_audio_from_a_file_object_is_described_as_it_is_not_converted(tmp_path: Path) -> None:
    data = encoded_audio(3, "flac", "flac")
    with write(tmp_path / "memo.flac", data).open("rb") as file:
        block = audio_part(file)
    assert block == {
        "type": "audio", "base64": b64(data), "mime_type": "audio/flac",
        "extras": {"filename": "memo.flac", "size_bytes": len(data), "duration_s": 3.0, "sample_rate": 16000,
                   "channels": 1, "codec": "flac", "inspected": True},
    }  # fmt: skip


def test_audio_url_is_kept_and_never_fetched() -> None:
    assert audio_part("https://example.com/a.mp3") == {"type": "audio", "url": "https://example.com/a.mp3"}
    assert audio_part("https://example.com/a.mp3", name="a.mp3")["extras"] == {"filename": "a.mp3"}


def test_audio_data_url_round_trips_and_the_bytes_win_over_the_declared_type() -> None:
    data = wav_bytes(2, 8000)
    assert audio_part(data_url(data, "audio/wav")) == {
        "type": "audio", "base64": b64(data), "mime_type": "audio/wav", "extras": {"size_bytes": len(data), **WAV_2S}
    }  # fmt: skip
    assert audio_part(data_url(data, "audio/mpeg"))["extras"]["declared_mime_type"] == "audio/mpeg"


def test_audio_part_refuses_an_image() -> None:
    with pytest.raises(MediaSourceError, match=r"a PIL image is not audio\. Fix: pass it to image_part instead"):
        audio_part(Image.new("RGB", (2, 2)))
    with pytest.raises(MediaDecodeError, match=r"^chart\.png: PyAV found no audio stream"):
        audio_part(image_bytes(), name="chart.png")


# --- bad sources: what, where, fix -----------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [image_part, audio_part])
def test_zero_byte_file(tmp_path: Path, build: Any) -> None:
    path = write(tmp_path / "empty.png", b"")
    with pytest.raises(MediaSourceError) as caught:
        build(path)
    assert str(caught.value).startswith(f"{path}: the file is empty. Fix: pass a file or bytes that hold the")
    assert caught.value.where == str(path)


def test_empty_bytes() -> None:
    with pytest.raises(MediaSourceError, match=r"^the data is empty\. Fix: pass a file or bytes that hold the image"):
        image_part(b"")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(MediaSourceError) as caught:
        image_part(tmp_path)
    assert (
        str(caught.value)
        == f"{tmp_path}: this is a directory. Fix: pass a file (for a folder, iterate over its files)."
    )


@pytest.mark.parametrize("build", [image_part, audio_part])
def test_missing_path(tmp_path: Path, build: Any) -> None:
    path = tmp_path / "nope.png"
    with pytest.raises(MediaSourceError) as caught:
        build(str(path))
    assert (
        str(caught.value)
        == f"{path}: no such file. Fix: check the path; a relative one is resolved from {os.getcwd()}."
    )


def test_dangling_symlink(tmp_path: Path) -> None:
    os.symlink(tmp_path / "gone.png", tmp_path / "link.png")
    with pytest.raises(MediaSourceError, match=r"link\.png: no such file \(a symlink to a missing file\)\. Fix: check"):
        image_part(tmp_path / "link.png")


def test_symlink_loop(tmp_path: Path) -> None:
    os.symlink(tmp_path / "b.png", tmp_path / "a.png")
    os.symlink(tmp_path / "a.png", tmp_path / "b.png")
    with pytest.raises(MediaSourceError) as caught:
        image_part(tmp_path / "a.png")
    assert (
        str(caught.value)
        == f"{tmp_path / 'a.png'}: the path is a symlink loop. Fix: point the symlinks at a real file."
    )


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.png", image_bytes())
    path.chmod(0)
    try:
        with pytest.raises(MediaSourceError, match=r"secret\.png: permission denied\. Fix: make the file readable"):
            image_part(path)
    finally:
        path.chmod(0o600)


def test_permission_denied_reported_by_the_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The chmod test above cannot fail as root; this one makes open() refuse as it would for another user.
    path = write(tmp_path / "secret.png", image_bytes())

    def refuse(file: object) -> Any:
        raise PermissionError(13, "Permission denied", str(file))

    monkeypatch.setattr(parts, "_open_regular", refuse)
    with pytest.raises(MediaSourceError) as caught:
        image_part(path)
    assert str(caught.value) == (
        f"{path}: permission denied. Fix: make the file readable by this process, or copy it somewhere it is."
    )


def test_other_os_errors_are_source_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(file: object) -> Any:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(parts, "_open_regular", fail)
    with pytest.raises(MediaSourceError, match=r"x\.png: cannot read the file \(Input/output error\)\.$"):
        image_part(tmp_path / "x.png")


def test_png_named_jpg_is_not_an_error(tmp_path: Path) -> None:
    assert image_part(write(tmp_path / "photo.jpg", image_bytes()))["mime_type"] == "image/png"


def test_truncated_jpeg(tmp_path: Path) -> None:
    data = jpeg()
    path = write(tmp_path / "photo.jpg", data[: len(data) // 2])  # the header is whole, the pixels are not
    assert _images.inspect_image(path.read_bytes()).format == "jpeg"
    with pytest.raises(MediaDecodeError) as caught:
        image_part(path)
    assert caught.value.where == str(path)
    assert caught.value.what.startswith("the JPEG data is truncated or corrupt")
    assert caught.value.fix == "send the complete file, or export it again from the app that made it"


def test_bytes_that_are_no_image() -> None:
    with pytest.raises(MediaDecodeError, match=r"^notes\.png: the data is not a JPEG, PNG, GIF, WEBP, HEIC"):
        image_part(b"just some text", name="notes.png")


@pytest.mark.parametrize("source", [42, 3.5, ["photo.png"], {"type": "image"}, None])
def test_unsupported_object_types(source: object) -> None:
    with pytest.raises(MediaSourceError) as caught:
        image_part(source)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"cannot read the image from an object of type {type(source).__name__}. Fix: pass a path, bytes, a binary "
        "file object, an http(s) or data: URL, or a PIL image."
    )


def test_data_url_with_invalid_base64() -> None:
    with pytest.raises(MediaDecodeError) as caught:
        image_part("data:image/png;base64,iVBOR*w0KGgo=")
    assert str(caught.value) == (
        "data URL: the data URL's base64 does not decode. "
        "Fix: encode the bytes with base64.b64encode (standard alphabet, with padding)."
    )


@pytest.mark.parametrize("url", ["data:;base64,iVBORw0KGgo=", "data:base64,iVBORw0KGgo="])
def test_data_url_without_a_mime_type(url: str) -> None:
    with pytest.raises(MediaSourceError) as caught:
        audio_part(url, name="clip")
    assert str(caught.value) == (
        "clip: the data URL has no MIME type. Fix: write it as data:audio/<format>;base64,<data>, "
        "or pass the bytes themselves."
    )


def test_data_url_without_a_comma() -> None:
    with pytest.raises(MediaSourceError, match=r"^data URL: the data URL has no comma before its data\. Fix: write"):
        image_part("data:image/png;base64")


@pytest.mark.parametrize("url", ["ftp://example.com/a.png", "s3://bucket/a.png", "gs://bucket/a.png"])
def test_other_url_schemes(url: str) -> None:
    scheme = url.split(":")[0]
    with pytest.raises(MediaSourceError) as caught:
        image_part(url)
    assert str(caught.value) == (
        f"{url}: {scheme}: URLs are not read. Fix: download it first and pass the file or its bytes; "
        "only http(s) URLs are sent as URLs."
    )


@pytest.mark.parametrize("url", ["file:///tmp/photo.png", "FILE:/tmp/photo.png"])
def test_file_url(url: str) -> None:
    with pytest.raises(MediaSourceError, match=r"file: URLs are not read\. Fix: pass the path itself\.$"):
        image_part(url)


def test_a_colon_in_a_file_name_is_still_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = image_bytes()
    write(tmp_path / "notes:v2.png", data)
    monkeypatch.chdir(tmp_path)
    assert image_part("notes:v2.png")["extras"]["filename"] == "notes:v2.png"


def test_text_mode_file(tmp_path: Path) -> None:
    path = write(tmp_path / "photo.png", image_bytes())
    with path.open() as file, pytest.raises(MediaSourceError) as caught:
        image_part(file)  # type: ignore[arg-type]
    assert str(caught.value) == f"{path}: the file is open in text mode. Fix: open it in binary mode ('rb')."


class _TextReader:
    """A file-like object that is no ``io.TextIOBase`` yet returns text."""

    def read(self, size: int = -1) -> str:
        return "text"


def test_file_object_returning_text() -> None:
    with pytest.raises(MediaSourceError, match=r"^file object: the file is open in text mode"):
        image_part(_TextReader())  # type: ignore[arg-type]


def test_closed_file(tmp_path: Path) -> None:
    with write(tmp_path / "photo.png", image_bytes()).open("rb") as file:
        pass
    with pytest.raises(
        MediaSourceError, match=r"photo\.png: the file cannot be read \(.*closed file\)\. Fix: pass an open file\.$"
    ):
        image_part(file)


def test_absurdly_large_file_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.png"
    with path.open("wb") as file:
        file.truncate(600 * 1024 * 1024)  # sparse: no disk used
    monkeypatch.setattr(parts, "open", _no_reads(open), raising=False)
    with pytest.raises(MediaValidationError) as caught:
        image_part(path)
    assert str(caught.value) == (
        f"{path}: the image source is 629,145,600 bytes, over the 33,554,432 bytes read whole for one image. "
        "Fix: downscale it, or save it as JPEG, first (the service takes 20 MiB per image)."
    )
    assert caught.value.limit == "32 MiB per source"


def _no_reads(real_open: Any) -> Any:
    class NoReads:
        def __init__(self, file: Any) -> None:
            self._file = file

        def __enter__(self) -> Any:
            return self

        def __exit__(self, *exc: object) -> None:
            self._file.close()

        def fileno(self) -> int:
            return int(self._file.fileno())

        def read(self, size: int = -1) -> bytes:
            raise AssertionError("the file was read")

    return lambda file, mode="r": NoReads(real_open(file, mode))


@pytest.mark.parametrize("make", ["bytes", "file object"])
def test_large_bytes_and_file_objects_are_refused_too(monkeypatch: pytest.MonkeyPatch, make: str) -> None:
    monkeypatch.setattr(parts, "MAX_SOURCE_BYTES", 100)
    data = image_bytes()
    size = f"{len(data):,} bytes" if make == "bytes" else "over 100 bytes"  # a file is read up to the limit only
    with pytest.raises(MediaValidationError) as caught:
        audio_part(data if make == "bytes" else io.BytesIO(data))
    assert caught.value.what == f"the audio source is {size}, over the 100 bytes read whole for one audio"


# --- without the media extra -----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_pillow")
def test_without_pillow_the_type_comes_from_the_file_name(tmp_path: Path) -> None:
    data = image_bytes()
    assert image_part(write(tmp_path / "chart.png", data), detail="low") == image_block(
        data,
        "image/png",
        extras={"filename": "chart.png", "size_bytes": len(data), "detail": "low", "inspected": False},
    )


@pytest.mark.usefixtures("no_pillow")
def test_without_pillow_a_data_url_keeps_its_declared_type() -> None:
    data = jpeg()
    assert image_part(data_url(data, "image/jpeg")) == image_block(
        data, "image/jpeg", extras={"size_bytes": len(data), "inspected": False}
    )


@pytest.mark.usefixtures("no_pillow")
def test_without_pillow_a_pil_image_is_the_png_it_was_encoded_to() -> None:
    block = image_part(Image.new("RGB", (4, 4)))
    assert (block["mime_type"], block["extras"]) == ("image/png", {"size_bytes": len(unb64(block)), "inspected": False})


@pytest.mark.usefixtures("no_pillow")
def test_without_pillow_urls_still_pass() -> None:
    assert image_part("https://example.com/a.png", detail="high") == {
        "type": "image", "url": "https://example.com/a.png", "extras": {"detail": "high"}
    }  # fmt: skip


@pytest.mark.usefixtures("no_pillow")
@pytest.mark.parametrize(("name", "source"), [(None, "bytes"), ("blob.bin", "bytes"), ("notes.txt", "path")])
def test_without_pillow_an_unknown_type_names_the_extra(tmp_path: Path, name: str | None, source: str) -> None:
    data = image_bytes()
    with pytest.raises(MediaExtraRequiredError) as caught:
        image_part(data if source == "bytes" else write(tmp_path / str(name), data), name=name)
    assert "inspecting an image needs Pillow, which is not installed, and without it the image's type is not known" in (
        str(caught.value)
    )
    assert caught.value.fix == f"install the media extra: {MEDIA_EXTRA_INSTALL}"


@pytest.mark.usefixtures("no_pillow")
def test_without_pillow_a_data_url_of_another_kind_names_the_extra() -> None:
    with pytest.raises(MediaExtraRequiredError, match=r"no image MIME type or file extension"):
        image_part(data_url(wav_bytes(1, 8000), "audio/wav"))


@pytest.mark.usefixtures("no_pyav")
def test_without_pyav_wav_is_still_inspected(tmp_path: Path) -> None:
    data = wav_bytes(2, 8000)
    assert audio_part(write(tmp_path / "clip.mp3", data)) == {
        "type": "audio", "base64": b64(data), "mime_type": "audio/wav",
        "extras": {"filename": "clip.mp3", "size_bytes": len(data), **WAV_2S},
    }  # fmt: skip


@pytest.mark.usefixtures("no_pyav")
def test_without_pyav_other_audio_is_typed_by_its_name_or_declared_type(tmp_path: Path) -> None:
    data = encoded_audio(1, "mp3", "libmp3lame")
    assert audio_part(write(tmp_path / "note.mp3", data)) == {
        "type": "audio", "base64": b64(data), "mime_type": "audio/mpeg",
        "extras": {"filename": "note.mp3", "size_bytes": len(data), "inspected": False},
    }  # fmt: skip
    assert audio_part(data_url(data, "audio/mpeg"))["extras"] == {"size_bytes": len(data), "inspected": False}


@pytest.mark.usefixtures("no_pyav")
def test_without_pyav_unknown_audio_names_the_extra() -> None:
    with pytest.raises(MediaExtraRequiredError) as caught:
        audio_part(encoded_audio(1, "flac", "flac"))
    assert str(caught.value).startswith("without PyAV only PCM WAV can be read")
    assert str(caught.value).endswith(f"Fix: install the media extra: {MEDIA_EXTRA_INSTALL}.")


# --- split_audio -----------------------------------------------------------------------------------------------------


def test_split_a_65_second_wav_into_30_second_parts(tmp_path: Path) -> None:
    blocks = list(split_audio(write(tmp_path / "call.wav", wav_bytes(65, 8000)), max_seconds=30))
    spans = [(0.0, 30.0), (30.0, 60.0), (60.0, 65.0)]
    assert len(blocks) == 3
    for index, (block, (start, end)) in enumerate(zip(blocks, spans, strict=True)):
        data = unb64(block)
        assert block == {
            "type": "audio", "base64": b64(data), "mime_type": "audio/wav",
            "extras": {"filename": "call.wav", "size_bytes": len(data), "duration_s": end - start, "index": index,
                       "start_s": start, "end_s": end},
        }  # fmt: skip
        with wave.open(io.BytesIO(data)) as clip:
            assert clip.getnframes() == (end - start) * 8000


def test_split_a_flac_gives_mp3_parts() -> None:
    blocks = list(split_audio(encoded_audio(5, "flac", "flac"), max_seconds=2, name="memo.flac"))
    assert [(b["mime_type"], b["extras"]["start_s"], b["extras"]["end_s"]) for b in blocks] == [
        ("audio/mpeg", 0.0, 2.0), ("audio/mpeg", 2.0, 4.0), ("audio/mpeg", 4.0, 5.0)
    ]  # fmt: skip
    assert {b["extras"]["filename"] for b in blocks} == {"memo.flac"}
    for block in blocks:
        info = _audio.inspect_audio(unb64(block))
        assert (info.container, info.codec) == ("mp3", "mp3")
        assert info.duration_s == pytest.approx(block["extras"]["duration_s"], abs=0.1)


def test_split_by_bytes_keeps_every_part_within_the_limit() -> None:
    blocks = list(split_audio(io.BytesIO(wav_bytes(10, 8000)), max_bytes=40_044))  # 44-byte header + 2.5 s
    assert [b["extras"]["end_s"] for b in blocks] == [2.5, 5.0, 7.5, 10.0]
    assert all(b["extras"]["size_bytes"] == len(unb64(b)) <= 40_044 for b in blocks)


def test_split_parts_come_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []
    calls: list[dict[str, Any]] = []

    def fake_split(data: bytes, **kwargs: Any) -> Iterator[_audio.AudioSegment]:
        calls.append(kwargs)

        def segments() -> Iterator[_audio.AudioSegment]:
            for index in range(1000):
                made.append(index)
                yield _audio.AudioSegment(index, b"RIFF", "wav", "audio/wav", float(index), index + 1.0)

        return segments()

    monkeypatch.setattr(_audio, "split_audio_bytes", fake_split)
    blocks = split_audio(wav_bytes(1, 8000), max_seconds=1, name="long.wav")
    assert calls == [{"max_seconds": 1, "max_bytes": None, "name": "long.wav"}]
    assert made == []
    first = next(blocks)
    assert made == [0]
    assert first["extras"] == {
        "filename": "long.wav", "size_bytes": 4, "duration_s": 1.0, "index": 0, "start_s": 0.0, "end_s": 1.0
    }  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "split_audio_bytes needs max_seconds or max_bytes"),
        ({"max_seconds": 0}, "max_seconds must be a positive number of seconds, not 0"),
        ({"max_bytes": -5}, "max_bytes must be a positive whole number of bytes, not -5"),
    ],
)
def test_split_limits_are_checked_at_call_time(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_audio(wav_bytes(1, 8000), **kwargs)  # no next(): the error comes before any part is asked for


def test_split_a_url_is_refused() -> None:
    with pytest.raises(MediaSourceError) as caught:
        split_audio("https://example.com/meeting.mp3", max_seconds=60)
    assert str(caught.value) == (
        "https://example.com/meeting.mp3: split_audio needs the audio's bytes; a URL is never fetched. "
        "Fix: download it first, then pass the file or its bytes."
    )


@pytest.mark.usefixtures("no_pyav")
def test_split_wav_without_pyav() -> None:
    blocks = list(split_audio(wav_bytes(5, 8000), max_seconds=2))
    assert [(b["mime_type"], b["extras"]["end_s"]) for b in blocks] == [
        ("audio/wav", 2.0), ("audio/wav", 4.0), ("audio/wav", 5.0)
    ]  # fmt: skip


@pytest.mark.usefixtures("no_pyav")
def test_split_other_audio_without_pyav_names_the_extra() -> None:
    parts_of_flac = split_audio(encoded_audio(2, "flac", "flac"), max_seconds=1)
    with pytest.raises(MediaExtraRequiredError, match=r"install the media extra"):
        next(parts_of_flac)


# --- blocks feed LangChain messages and the request parser -----------------------------------------------------------


def test_image_block_goes_straight_into_a_human_message_and_the_parser(tmp_path: Path) -> None:
    data = image_bytes()
    block = image_part(write(tmp_path / "photo.jpg", data), detail="low")
    message = HumanMessage(content=[{"type": "text", "text": "hi"}, block])
    [parsed] = parse_messages([message])
    assert parsed.text == "hi"
    part = parsed.content[1]
    assert isinstance(part, ParsedMedia)
    assert (part.kind, part.mime_type, part.detail, part.data) == ("image", "image/png", "low", b64(data))
    assert part.extras["filename"] == "photo.jpg"
    assert where_of(part) == "messages[0].content[1] (photo.jpg)"


def test_audio_and_url_blocks_parse_too(tmp_path: Path) -> None:
    audio = audio_part(write(tmp_path / "clip.wav", wav_bytes(1, 8000)))
    url = image_part("https://example.com/cat.jpg", detail="high")
    [parsed] = parse_messages([HumanMessage(content=[audio, url])])
    first, second = parsed.content
    assert isinstance(first, ParsedMedia) and isinstance(second, ParsedMedia)
    assert (first.kind, first.audio_format, first.extras["filename"]) == ("audio", "wav", "clip.wav")
    assert (second.url, second.detail, second.data) == ("https://example.com/cat.jpg", "high", None)
