"""Image inspection and normalisation (``_images``); every image is made here with Pillow and numpy."""

from __future__ import annotations

import hashlib
import io
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pillow_heif
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from langchain_azure_multimodal import _images
from langchain_azure_multimodal._images import ImageInfo, inspect_image, normalize_image, target_size
from langchain_azure_multimodal.errors import MediaDecodeError, MediaExtraRequiredError, MediaValidationError
from langchain_azure_multimodal.profiles import DEFAULT_PROFILE, TileTokenRule
from tests.support.media import GPS_IFD, MAKE, ORIENTATION, decoded, encode_image, exif_with, is_red, photo

pillow_heif.register_heif_opener()  # so the tests can write HEIC; _images registers it for reading on its own

PROFILE = DEFAULT_PROFILE
RULE = TileTokenRule()


def half_red(width: int = 80, height: int = 60) -> Image.Image:
    """Red left half, blue right half: which side ends up where shows how the image was turned."""
    image = Image.new("RGB", (width, height), "blue")
    image.paste("red", (0, 0, width // 2, height))
    return image


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "lime", "blue")]
    return encode_image(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


# --- inspect -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mode", "expected", "mime"),
    [
        ("JPEG", "RGB", "jpeg", "image/jpeg"),
        ("PNG", "RGBA", "png", "image/png"),
        ("WEBP", "RGB", "webp", "image/webp"),
        ("HEIF", "RGB", "heic", "image/heic"),
        ("TIFF", "RGB", "tiff", "image/tiff"),
        ("BMP", "RGB", "bmp", "image/bmp"),
        ("AVIF", "RGB", "avif", "image/avif"),
    ],
)
def test_inspect_identifies_each_format(fmt: str, mode: str, expected: str, mime: str) -> None:
    data = encode_image(Image.new(mode, (64, 48), "teal"), fmt)
    assert inspect_image(data) == ImageInfo(expected, mime, 64, 48, 1, False, 1)


def test_inspect_counts_gif_frames() -> None:
    info = inspect_image(animated_gif())
    assert (info.format, info.mime_type, info.frames, info.width, info.height) == ("gif", "image/gif", 3, 40, 30)


def test_inspect_reports_mpo_as_jpeg_with_its_frames() -> None:
    left, right = Image.new("RGB", (40, 30), "red"), Image.new("RGB", (40, 30), "blue")
    info = inspect_image(encode_image(left, "MPO", save_all=True, append_images=[right]))
    assert (info.format, info.mime_type, info.frames) == ("jpeg", "image/jpeg", 2)


@pytest.mark.parametrize("orientation", [6, 8])
def test_inspect_reports_the_displayed_size_after_exif_orientation(orientation: int) -> None:
    data = encode_image(Image.new("RGB", (4032, 3024)), "JPEG", exif=exif_with(orientation))
    info = inspect_image(data)
    assert (info.width, info.height, info.orientation) == (3024, 4032, orientation)
    assert info.has_metadata  # the Make tag


def test_inspect_counts_gps_and_xmp_as_metadata_but_not_icc() -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    assert not inspect_image(encode_image(Image.new("RGB", (8, 8)), "JPEG", icc_profile=icc)).has_metadata
    assert inspect_image(encode_image(Image.new("RGB", (8, 8)), "JPEG", xmp=b"<x:xmpmeta/>")).has_metadata
    assert inspect_image(encode_image(Image.new("RGB", (8, 8)), "WEBP", exif=exif_with(gps=True))).has_metadata


def test_detection_is_by_bytes_not_by_name() -> None:
    data = encode_image(Image.new("RGB", (10, 10)), "PNG")
    assert inspect_image(data, name="photo.jpg").format == "png"
    result = normalize_image(data, detail="high", profile=PROFILE, name="photo.jpg")
    assert result.mime_type == "image/png"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "the image data is empty"),
        (b"this is not an image at all", "not a JPEG, PNG, GIF, WEBP, HEIC, TIFF, BMP or AVIF image"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "Pillow can read"),  # never handed to Ghostscript
    ],
)
def test_unreadable_data_is_a_decode_error_naming_the_source(data: bytes, words: str) -> None:
    for call in (lambda: inspect_image(data, name="upload.jpg"),
                 lambda: normalize_image(data, detail=None, profile=PROFILE, name="upload.jpg")):  # fmt: skip
        with pytest.raises(MediaDecodeError, match=words) as caught:
            call()
        assert str(caught.value).startswith("upload.jpg: ")
        assert caught.value.fix


@pytest.mark.parametrize(("fmt", "header_survives"), [("JPEG", True), ("PNG", True), ("WEBP", False), ("TIFF", True)])
def test_truncated_data_is_a_decode_error_naming_the_format(fmt: str, header_survives: bool) -> None:
    data = encode_image(photo(200, 150), fmt)
    truncated = data[: len(data) // 2]
    message = rf"cut\.bin: the {fmt} data is truncated or corrupt \(.+\)\. Fix: send the complete file"
    if header_survives:  # inspecting reads the header only; libwebp checks the whole file when it opens it
        assert inspect_image(truncated).format == fmt.lower()
    else:
        with pytest.raises(MediaDecodeError, match=message):
            inspect_image(truncated, name="cut.bin")
    with pytest.raises(MediaDecodeError, match=message):
        normalize_image(truncated, detail="high", profile=PROFILE, name="cut.bin")


# --- target size -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "detail", "expected"),
    [
        ((4000, 3000), "high", (1024, 768)),
        ((4000, 3000), None, (1024, 768)),
        ((4000, 3000), "low", (512, 384)),
        ((2048, 4096), "auto", (768, 1536)),
        ((300, 200), "low", (300, 200)),
        ((300, 200), "high", (300, 200)),
    ],
)
def test_target_size(size: tuple[int, int], detail: str | None, expected: tuple[int, int]) -> None:
    assert target_size(*size, detail, RULE) == expected


def test_target_size_refuses_an_unknown_detail() -> None:
    with pytest.raises(ValueError, match="detail must be"):
        target_size(10, 10, "medium", RULE)


# --- pass-through ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_an_image_that_needs_nothing_is_sent_as_it_is(fmt: str) -> None:
    data = encode_image(Image.new("RGB", (300, 200), "teal"), fmt)
    result = normalize_image(data, detail="high", profile=PROFILE)
    assert result.data is data
    assert result.steps == () and not result.changed
    assert (result.width, result.height, result.original_bytes) == (300, 200, len(data))
    assert result.mime_type == result.original_mime_type == f"image/{fmt.lower()}"


# --- orientation, metadata, frames ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("orientation", "red_at"), [(6, "top"), (8, "bottom"), (3, "right"), (2, "right")])
def test_exif_orientation_is_applied_to_the_pixels(orientation: int, red_at: str) -> None:
    data = encode_image(half_red(), "JPEG", quality=95, exif=exif_with(orientation))
    result = normalize_image(data, detail="high", profile=PROFILE)
    image = decoded(result.data)
    turned = orientation in (6, 8)
    assert image.size == ((60, 80) if turned else (80, 60)) == (result.width, result.height)
    width, height = image.size
    probes = {"top": (width // 2, 5), "bottom": (width // 2, height - 5), "right": (width - 5, height // 2)}
    assert is_red(image.getpixel(probes[red_at]))
    assert result.steps[0] == f"applied EXIF orientation {orientation}"
    assert ORIENTATION not in image.getexif()


def test_gps_and_exif_are_removed_without_losing_jpeg_quality() -> None:
    data = encode_image(photo(320, 240), "JPEG", quality=70, exif=exif_with(gps=True))
    result = normalize_image(data, detail="high", profile=PROFILE)
    assert result.steps == ("removed metadata (EXIF, GPS)",)
    image = decoded(result.data)
    assert not image.getexif() and "exif" not in image.info
    assert b"PhoneCo" not in result.data
    original = decoded(data)
    assert image.quantization == original.quantization  # type: ignore[attr-defined]  # quality="keep"


def test_keep_metadata_keeps_exif_and_sends_the_original() -> None:
    data = encode_image(photo(320, 240), "JPEG", exif=exif_with(gps=True))
    result = normalize_image(data, detail="high", profile=PROFILE, keep_metadata=True)
    assert result.data is data and not result.changed


def test_keep_metadata_drops_only_the_orientation_it_applied() -> None:
    data = encode_image(half_red(), "JPEG", exif=exif_with(6, gps=True))
    result = normalize_image(data, detail="high", profile=PROFILE, keep_metadata=True)
    exif = decoded(result.data).getexif()
    assert ORIENTATION not in exif and exif[MAKE] == "PhoneCo"
    assert exif.get_ifd(GPS_IFD)[1] == "N"
    assert not any(step.startswith("removed metadata") for step in result.steps)


def test_png_text_and_jpeg_comments_are_metadata() -> None:
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Author", "Jane Doe")
    png = normalize_image(encode_image(Image.new("RGB", (50, 50)), "PNG", pnginfo=text), detail="low", profile=PROFILE)
    assert png.steps == ("removed metadata (text)",) and b"Jane Doe" not in png.data
    jpeg = normalize_image(
        encode_image(Image.new("RGB", (50, 50)), "JPEG", comment="secret"), detail="low", profile=PROFILE
    )
    assert jpeg.steps == ("removed metadata (comments)",) and b"secret" not in jpeg.data


def test_the_first_frame_of_an_animated_gif_is_sent_as_png() -> None:
    result = normalize_image(animated_gif(), detail="high", profile=PROFILE)
    image = decoded(result.data)
    assert result.mime_type == "image/png" and image.format == "PNG"
    assert getattr(image, "n_frames", 1) == 1
    assert is_red(image.convert("RGB").getpixel((20, 15)))
    assert result.steps == ("took the first of 3 frames", "converted GIF to PNG")


def test_an_mpo_becomes_its_first_frame_as_jpeg() -> None:
    left, right = Image.new("RGB", (40, 30), "red"), Image.new("RGB", (40, 30), "blue")
    result = normalize_image(
        encode_image(left, "MPO", save_all=True, append_images=[right]), detail="low", profile=PROFILE
    )
    image = decoded(result.data)
    assert (image.format, result.steps) == ("JPEG", ("took the first of 2 frames",))
    assert is_red(image.getpixel((20, 15)))


# --- conversions -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "image", "expected"),
    [
        ("HEIF", photo(400, 300), "JPEG"),
        ("TIFF", photo(400, 300), "JPEG"),
        ("AVIF", photo(400, 300), "JPEG"),
        ("BMP", photo(400, 300), "JPEG"),
        ("BMP", half_red(400, 300), "PNG"),  # two colours: a graphic
        ("TIFF", Image.new("RGBA", (400, 300), (255, 0, 0, 128)), "PNG"),  # alpha never goes to JPEG
        ("TIFF", Image.new("L", (400, 300), 128), "PNG"),
    ],
)
def test_formats_the_service_does_not_take_are_converted(source: str, image: Image.Image, expected: str) -> None:
    result = normalize_image(encode_image(image, source), detail="high", profile=PROFILE, name="in")
    out = decoded(result.data)
    assert out.format == expected and result.mime_type == f"image/{expected.lower()}"
    assert out.size == image.size
    label = "HEIC" if source == "HEIF" else source
    assert result.steps == (f"converted {label} to {expected}",)
    if image.mode == "RGBA":
        assert out.mode == "RGBA" and out.getpixel((5, 5)) == (255, 0, 0, 128)
    else:
        assert np.abs(np.asarray(out.convert(image.mode), dtype=int) - np.asarray(image, dtype=int)).mean() < 8


def test_cmyk_jpeg_becomes_rgb_jpeg() -> None:
    data = encode_image(Image.new("CMYK", (64, 48), (0, 255, 255, 0)), "JPEG")
    result = normalize_image(data, detail="high", profile=PROFILE)
    image = decoded(result.data)
    assert (image.format, image.mode) == ("JPEG", "RGB") and is_red(image.getpixel((30, 20)))
    assert result.steps == ("converted CMYK colour to RGB",)


def test_a_16_bit_png_stays_png_with_the_high_byte() -> None:
    grey = Image.fromarray(np.full((600, 800), 0x8040, dtype=np.uint16))
    result = normalize_image(encode_image(grey, "PNG"), detail="low", profile=PROFILE)
    image = decoded(result.data)
    assert (image.format, image.mode, image.size) == ("PNG", "L", (512, 384))
    assert image.getpixel((100, 100)) == 0x80  # Pillow's own conversion would clip to 255
    assert result.steps == ("converted I;16 grey to 8-bit", "downscaled 800x600 to 512x384 for detail=low")


def test_a_palette_image_with_transparency_keeps_it_when_downscaled() -> None:
    image = Image.new("P", (1200, 900), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(0, (0, 0, 600, 900))
    result = normalize_image(encode_image(image, "PNG", transparency=0), detail="low", profile=PROFILE)
    out = decoded(result.data)
    assert (out.mode, out.size) == ("RGBA", (512, 384))
    assert out.getpixel((10, 10)) == (0, 0, 0, 0) and out.getpixel((500, 10)) == (255, 0, 0, 255)


def test_webp_stays_webp_lossy_for_photos_and_lossless_for_graphics() -> None:
    lossy = normalize_image(encode_image(photo(1600, 1200), "WEBP"), detail="low", profile=PROFILE)
    lossless = normalize_image(encode_image(half_red(1600, 1200), "WEBP", lossless=True), detail="low", profile=PROFILE)
    assert lossy.mime_type == lossless.mime_type == "image/webp"
    assert b"VP8 " in lossy.data[:64] and b"VP8L" in lossless.data[:64]  # the WEBP chunk: lossy or lossless
    assert decoded(lossless.data).getpixel((10, 10)) == (255, 0, 0)
    jpeg_only = replace(PROFILE, image_formats=frozenset({"jpeg", "png"}))
    assert (
        normalize_image(encode_image(photo(64, 48), "WEBP"), detail="low", profile=jpeg_only).mime_type == "image/jpeg"
    )


def test_the_output_is_always_a_format_the_profile_takes() -> None:
    png_only = replace(PROFILE, image_formats=frozenset({"png"}))
    assert normalize_image(encode_image(photo(64, 48), "JPEG"), detail="low", profile=png_only).mime_type == "image/png"
    jpeg_only = replace(PROFILE, name="jpeg-vlm", image_formats=frozenset({"jpeg"}))
    transparent = encode_image(Image.new("RGBA", (64, 48), (0, 0, 0, 0)), "PNG")
    with pytest.raises(MediaValidationError, match="jpeg-vlm takes no image format"):
        normalize_image(transparent, detail="low", profile=jpeg_only)


def test_heic_without_pillow_heif_asks_for_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    data = encode_image(photo(64, 48), "HEIF")
    monkeypatch.delitem(Image.OPEN, "HEIF")
    with pytest.raises(MediaExtraRequiredError, match="pillow-heif") as caught:
        inspect_image(data, name="IMG_0001.HEIC")
    assert "IMG_0001.HEIC" in str(caught.value) and "[media]" in str(caught.value)


def test_without_pillow_every_function_asks_for_the_media_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_images, "_pillow", None)
    data = encode_image(Image.new("RGB", (8, 8)), "PNG")
    for call in (lambda: inspect_image(data, name="a.png"),
                 lambda: normalize_image(data, detail="low", profile=PROFILE, name="a.png")):  # fmt: skip
        with pytest.raises(
            MediaExtraRequiredError, match=r"needs Pillow.*pip install 'langchain-azure-multimodal\[media\]'"
        ):
            call()


# --- downscaling and size -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("detail", "size"), [("high", (1024, 768)), ("auto", (1024, 768)), ("low", (512, 384))])
def test_a_large_jpeg_is_downscaled_to_what_the_model_sees(detail: str, size: tuple[int, int]) -> None:
    result = normalize_image(encode_image(photo(4000, 3000), "JPEG"), detail=detail, profile=PROFILE)
    assert decoded(result.data).size == size == (result.width, result.height)
    assert (result.original_width, result.original_height) == (4000, 3000)
    assert result.steps == (f"downscaled 4000x3000 to {size[0]}x{size[1]} for detail={detail}",)


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL.JpegImagePlugin import JpegImageFile

    decoded_sizes = []
    original = JpegImageFile.draft

    def draft(self: JpegImageFile, mode: str | None, size: tuple[int, int] | None) -> Any:
        result = original(self, mode, size)
        decoded_sizes.append(self.size)
        return result

    monkeypatch.setattr(JpegImageFile, "draft", draft)
    data = encode_image(photo(4000, 3000), "JPEG")
    assert normalize_image(data, detail="low", profile=PROFILE).width == 512
    assert normalize_image(data, detail="high", profile=PROFILE).width == 1024
    assert decoded_sizes == [(1000, 750), (2000, 1500)]  # libjpeg at 1/4 and 1/2 scale: never below the target


def test_the_colour_profile_is_kept_through_a_conversion() -> None:
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode_image(photo(1600, 1200), "TIFF", icc_profile=icc)
    result = normalize_image(data, detail="low", profile=PROFILE)
    assert result.mime_type == "image/jpeg" and decoded(result.data).info.get("icc_profile") == icc
    assert not any("metadata" in step for step in result.steps)


def test_the_seed_example_keeps_its_token_estimate() -> None:
    result = normalize_image(encode_image(photo(2048, 4096), "PNG"), detail="high", profile=PROFILE)
    assert (result.width, result.height) == (768, 1536) == decoded(result.data).size
    before = RULE.tokens(2048, 4096, "high")
    after = RULE.tokens(result.width, result.height, "high")
    assert before == after == 1105


def test_a_12_mp_phone_photo_is_sent_in_a_tenth_of_its_bytes() -> None:
    data = encode_image(photo(4032, 3024, seed=7), "JPEG", quality=95, exif=exif_with(6, gps=True))
    started = time.perf_counter()
    result = normalize_image(data, detail="high", profile=PROFILE)
    elapsed = time.perf_counter() - started
    ratio = len(result.data) / len(data)
    print(f"12 MP photo: {len(data):,} -> {len(result.data):,} bytes ({ratio:.1%}) in {elapsed * 1000:.0f} ms")
    assert ratio <= 0.10
    assert RULE.tokens(3024, 4032, "high") == RULE.tokens(result.width, result.height, "high")
    assert result.steps == (
        "applied EXIF orientation 6",
        "downscaled 3024x4032 to 768x1024 for detail=high",
        "removed metadata (EXIF, GPS)",
    )


def test_an_image_still_over_the_limit_is_refused_clearly() -> None:
    tiny = replace(PROFILE, max_image_bytes=10_000)
    data = encode_image(photo(2000, 1500, noise=60), "PNG")
    with pytest.raises(MediaValidationError) as caught:
        normalize_image(data, detail="low", profile=tiny, name="noise.png")
    error = caught.value
    assert error.limit == "10,000 bytes per image"
    assert "noise.png: the image is still" in str(error) and "over the 10,000-byte limit" in str(error)
    assert "downscaled 2000x1500 to 512x384 for detail=low" in str(error)
    assert error.fix == "crop it"


def test_an_original_over_the_limit_is_re_encoded_rather_than_passed_through() -> None:
    data = encode_image(Image.new("RGB", (300, 200), "teal"), "PNG", compress_level=0)
    small = replace(PROFILE, max_image_bytes=len(data) - 1)
    result = normalize_image(data, detail="high", profile=small)
    assert len(result.data) < len(data)
    assert result.steps == (f"re-encoded to fit the {len(data) - 1:,}-byte limit",)


# --- properties --------------------------------------------------------------------------------------------------

#: Modes each writable format takes (GIF converts on save, so it takes them all).
WRITABLE = {
    "JPEG": ("RGB", "L", "CMYK"),
    "PNG": ("RGB", "RGBA", "L", "P", "1"),
    "GIF": ("RGB", "RGBA", "L", "P", "1"),
    "WEBP": ("RGB", "RGBA"),
    "TIFF": ("RGB", "RGBA", "L", "P", "1", "CMYK"),
    "BMP": ("RGB", "L", "P", "1"),
    "AVIF": ("RGB", "RGBA"),
}
#: A small tile rule, so that small (fast) images are downscaled too.
SMALL_RULE = TileTokenRule(tile_size=16, fit_box=64, short_side=24)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 90),
    height=st.integers(1, 90),
    mode=st.sampled_from(["RGB", "RGBA", "L", "P", "1", "CMYK"]),
    fmt=st.sampled_from(sorted(WRITABLE)),
    orientation=st.integers(1, 8),
    detail=st.sampled_from([None, "auto", "low", "high"]),
    keep_metadata=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_any_image_normalises_to_something_the_service_takes(
    width: int, height: int, mode: str, fmt: str, orientation: int, detail: str | None, keep_metadata: bool, seed: int
) -> None:
    assume(mode in WRITABLE[fmt])
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 4), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGBA").convert(mode if mode != "P" else "RGB")
    if mode == "P":
        image = image.quantize(16)
    # GIF and BMP carry no EXIF; Pillow cannot write a GPS IFD into a TIFF (it looks for the file it came from).
    exif = exif_with(orientation, gps=fmt != "TIFF")
    params: dict[str, Any] = {} if fmt in ("GIF", "BMP") else {"exif": exif}
    data = encode_image(image, fmt, **params)
    profile = replace(PROFILE, image_tokens=SMALL_RULE)
    info = inspect_image(data)
    result = normalize_image(data, detail=detail, profile=profile, keep_metadata=keep_metadata)

    out = decoded(result.data)
    assert (out.format or "").lower() in profile.image_formats
    assert result.mime_type == Image.MIME[out.format or ""]
    assert out.size == (result.width, result.height) == target_size(info.width, info.height, detail, SMALL_RULE)
    assert getattr(out, "n_frames", 1) == 1
    if result.changed:
        assert out.getexif().get(ORIENTATION, 1) == 1
        if not keep_metadata:
            assert GPS_IFD not in out.getexif()
    else:
        assert result.data is data


# --- memory ------------------------------------------------------------------------------------------------------

MEMORY_PROBE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from langchain_azure_multimodal._images import normalize_image
    from langchain_azure_multimodal.profiles import DEFAULT_PROFILE

    def status(field):  # in kB; VmHWM is the peak resident size of this process image
        line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(field + ":"))
        return int(line.split()[1]) * 1024

    normalize_image(Path(sys.argv[2]).read_bytes(), detail="low", profile=DEFAULT_PROFILE)  # imports, plugins
    data = Path(sys.argv[1]).read_bytes()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # restart the peak from here
    except OSError:
        pass
    resident = status("VmRSS")
    result = normalize_image(data, detail="high", profile=DEFAULT_PROFILE)
    print(len(data), status("VmHWM") - resident, result.mime_type)
    """
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak resident size from /proc (Linux)")
def test_a_large_png_is_normalised_within_three_times_its_size(tmp_path: Path) -> None:
    """Pillow allocates pixels in C, out of tracemalloc's sight, so a fresh process reports its peak resident size.

    ``ru_maxrss`` would not do: Linux carries the parent's high-water mark over fork and exec.
    """
    big, warm = tmp_path / "big.png", tmp_path / "warm.png"
    big.write_bytes(encode_image(photo(3000, 2600, seed=3, noise=20), "PNG", compress_level=1))
    warm.write_bytes(encode_image(Image.new("RGB", (8, 8)), "PNG"))
    run = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(big), str(warm)], capture_output=True, text=True, check=True
    )
    size, extra, mime = run.stdout.split()
    print(f"{int(size):,}-byte PNG: peak {int(extra):,} bytes over the resident input ({int(extra) / int(size):.2f}x)")
    assert mime == "image/png"
    assert int(size) > 15_000_000
    assert int(extra) <= 3 * int(size)


# --- decoded once: check_image and normalize_image share what a decode showed -----------------------------------------


def png_data(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def with_text_after_the_pixels(png: bytes) -> bytes:
    body = b"tEXt" + b"Author\x00Ada"
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    return png[:-12] + chunk + png[-12:]  # before IEND


@pytest.fixture
def fresh_memo() -> Any:
    _images._DECODED.clear()
    yield _images._DECODED
    _images._DECODED.clear()


def test_bytes_checked_once_are_not_decoded_again_to_be_sent(fresh_memo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    data = png_data()
    _images.check_image(data)

    def must_not_open(*_: object) -> None:
        raise AssertionError("decoded a second time")

    monkeypatch.setattr(_images, "_open", must_not_open)
    result = normalize_image(data, detail=None, profile=DEFAULT_PROFILE)
    assert result.data is data and not result.changed


def test_what_was_decoded_still_gets_the_work_it_needs(fresh_memo: Any) -> None:
    big = png_data(3000, 2000)
    _images.check_image(big)
    assert normalize_image(big, detail="low", profile=DEFAULT_PROFILE).width == 512  # still downscaled
    late = with_text_after_the_pixels(png_data())
    assert _images.check_image(late).has_metadata
    result = normalize_image(late, detail=None, profile=DEFAULT_PROFILE)
    assert result.steps == ("removed metadata (text)",)
    assert normalize_image(late, detail=None, profile=DEFAULT_PROFILE, keep_metadata=True).changed is False


def test_broken_bytes_are_never_remembered(fresh_memo: Any) -> None:
    data = png_data()
    cut = data[: len(data) // 2]
    with pytest.raises(MediaDecodeError):
        _images.check_image(cut)
    with pytest.raises(MediaDecodeError):
        normalize_image(cut, detail=None, profile=DEFAULT_PROFILE)
    assert fresh_memo.get(hashlib.sha256(cut).digest()) is None


def test_the_memo_keeps_only_the_latest() -> None:
    memo = _images._DecodedMemo(capacity=2)
    seen = _images._Decoded(ImageInfo("png", "image/png", 1, 1, 1, False, 1), (), "RGB")
    for key in (b"a", b"b", b"c"):
        memo.put(key, seen)
    assert (memo.get(b"a"), memo.get(b"b"), memo.get(b"c")) == (None, seen, seen)
