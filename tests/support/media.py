"""Test media made on the fly: images with Pillow (and numpy), speech-like audio with the standard library and PyAV."""

from __future__ import annotations

import base64
import io
import math
import struct
import wave
from typing import Any

from PIL import Image

ORIENTATION, MAKE, GPS_IFD = 0x0112, 0x010F, 0x8825  # EXIF tags
GPS = {1: "N", 2: (52.0, 22.0, 1.0), 3: "E", 4: (4.0, 53.0, 1.0)}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{b64(data)}"


# --- images ----------------------------------------------------------------------------------------------------------


def image_bytes(
    width: int = 64, height: int = 48, fmt: str = "PNG", color: str = "teal", *, mode: str = "RGB"
) -> bytes:
    """One flat colour, encoded as ``fmt``."""
    buffer = io.BytesIO()
    Image.new(mode, (width, height), color).save(buffer, fmt)
    return buffer.getvalue()


def encode_image(image: Image.Image, fmt: str, **params: Any) -> bytes:
    """``image`` saved as ``fmt`` with Pillow's save ``params``."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def decoded(data: bytes) -> Image.Image:
    """The image in ``data``, decoded (so a truncated file fails here)."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _photo_pixels(width: int, height: int, seed: int, span: int, noise: int) -> Any:
    """Smooth colour fields (a bicubic blow-up of a coarse random grid of values below ``span``) plus sensor-like
    noise of up to ``noise``, as int16 (not clipped yet)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, span, (height // 64 + 2, width // 64 + 2, 3), dtype=np.uint8)
    pixels = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)).astype(np.int16)
    pixels += rng.integers(-noise, noise + 1, pixels.shape, dtype=np.int16)
    return pixels


def _to_image(pixels: Any) -> Image.Image:
    import numpy as np

    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def photo(width: int, height: int, seed: int = 0, noise: int = 12) -> Image.Image:
    """Photo-like RGB: smooth colour fields (a bicubic blow-up of a coarse random grid) plus sensor-like noise."""
    return _to_image(_photo_pixels(width, height, seed, span=256, noise=noise))


def red_blue_photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """Photo-like pixels (dim colour fields plus sensor noise), red on the left half and blue on the right, so
    where the red ends up shows how the picture was turned (see :func:`is_red`, :func:`is_blue`)."""
    pixels = _photo_pixels(width, height, seed, span=80, noise=10)
    pixels[:, : width // 2, 0] += 170  # red left half
    pixels[:, width // 2 :, 2] += 170  # blue right half
    return _to_image(pixels)


# Red or blue is told by the red and blue channels alone, with room for what a photo adds: the red half of
# red_blue_photo is dim colour fields (green up to about 90) plus 170 of red, so its red is 160 or more and its blue
# under 100 before JPEG and resampling blur them. A flat red (255, 0, 0) passes too. A stricter test (green < 60 as
# well) only holds for flat colours; these thresholds tell the two halves apart in both kinds of picture.


def is_red(pixel: Any) -> bool:
    red, _, blue = pixel[:3]
    return bool(red > 150 and blue < 110)


def is_blue(pixel: Any) -> bool:
    red, _, blue = pixel[:3]
    return bool(blue > 150 and red < 110)


def exif_with(orientation: int | None = None, gps: bool = False) -> Image.Exif:
    """A phone's EXIF: its make, and the ``orientation`` tag and a GPS position if asked."""
    exif = Image.Exif()
    exif[MAKE] = "PhoneCo"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = GPS
    return exif


# --- audio -----------------------------------------------------------------------------------------------------------


def wav_bytes(
    seconds: float = 1.0, rate: int = 16000, freq: float = 440.0, *, channels: int = 1, ramp: bool = False
) -> bytes:
    """16-bit PCM WAV through the standard library: a ``freq`` Hz tone on every channel, or with ``ramp`` a
    distinct value in every sample (to check exact slicing)."""
    frames = round(seconds * rate)
    if ramp:
        import numpy as np

        samples = (np.arange(frames * channels) % 65521 - 32760).astype("<i2").tobytes()
    else:
        tone = (struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(frames))
        samples = b"".join(sample * channels for sample in tone)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(channels)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(samples)
    return buffer.getvalue()


def encoded_audio(seconds: float = 1.0, fmt: str = "mp3", codec: str = "libmp3lame", rate: int = 16000) -> bytes:
    """Audio in a compressed container (``mp3``, ``ogg``/``libopus``, ``flac``...), encoded with PyAV."""
    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate if codec != "libopus" else 48000)
        stream.layout = "mono"
        sample_rate = stream.rate
        total = int(seconds * sample_rate)
        samples = (0.3 * np.sin(2 * np.pi * 440 * np.arange(total) / sample_rate)).astype(np.float32)
        frame_size = 1152
        for start in range(0, total, frame_size):
            chunk = samples[start : start + frame_size].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.sample_rate = sample_rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()
