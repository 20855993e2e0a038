"""Media the cookbook examples make for themselves (nothing is downloaded)."""

from __future__ import annotations

import base64
import io

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
