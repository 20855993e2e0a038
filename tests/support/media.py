"""Test media made on the fly: images with Pillow, speech-like audio with the standard library and PyAV."""

from __future__ import annotations

import base64
import io
import math
import struct
import wave

from PIL import Image


def image_bytes(width: int = 64, height: int = 48, fmt: str = "PNG", color: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, fmt)
    return buffer.getvalue()


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def wav_bytes(seconds: float = 1.0, rate: int = 16000, freq: float = 440.0) -> bytes:
    frames = int(seconds * rate)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(
            b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * freq * i / rate))) for i in range(frames))
        )
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
