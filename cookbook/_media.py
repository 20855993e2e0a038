"""Media the cookbook examples make for themselves (nothing is downloaded)."""

from __future__ import annotations

import base64
import io
import math
import struct
import wave
from pathlib import Path

from PIL import Image, ImageDraw


def bar_chart_png(values: tuple[int, ...] = (120, 260, 180, 330)) -> bytes:
    image = Image.new("RGB", (640, 400), "white")
    draw = ImageDraw.Draw(image)
    for index, height in enumerate(values):
        draw.rectangle((60 + index * 140, 380 - height, 150 + index * 140, 380), fill=(30, 90 + index * 40, 160))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def image_block(png: bytes) -> dict[str, str]:
    """A LangChain v1 image block."""
    return {"type": "image", "base64": base64.b64encode(png).decode(), "mime_type": "image/png"}


def voice_memo(path: Path, seconds: float = 3.0, rate: int = 16000) -> Path:
    """A tone standing in for a voice memo, written as a 16-bit mono WAV file."""
    with wave.open(str(path), "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        frames = (int(7000 * math.sin(2 * math.pi * 330 * i / rate)) for i in range(int(seconds * rate)))
        clip.writeframes(b"".join(struct.pack("<h", f) for f in frames))
    return path
