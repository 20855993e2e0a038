"""Media that claims far more than it holds, and the one way both the memory tests and ``bench/media_memory.py``
measure what a piece of work costs: its peak RSS growth in a fresh interpreter that warmed up first."""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Run before the measured work: imports and one small image and clip through the builders, so that what is
#: measured is the work and not the first import of Pillow, PyAV or the package. ``path`` is bound to argv[1].
_PRELUDE = """
import io, resource, sys, warnings, wave
warnings.simplefilter({warnings!r})
from PIL import Image
from langchain_azure_multimodal import _audio
from langchain_azure_multimodal.errors import MediaValidationError
from langchain_azure_multimodal.parts import audio_part, image_part, split_audio
warm = io.BytesIO()
Image.new("RGB", (64, 48)).save(warm, "PNG")
image_part(warm.getvalue())
clip = io.BytesIO()
with wave.open(clip, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000); w.writeframes(bytes(16000))
list(split_audio(clip.getvalue(), max_seconds=1))
path = sys.argv[1]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
_REPORT = "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)  # KiB on Linux\n"


def measured_in_child(work: str, path: Path, *, warnings: str = "error") -> tuple[float, float]:
    """(peak RSS growth in MB, wall seconds) of ``work`` (Python source, with ``path`` bound) in a fresh
    interpreter; ``warnings`` is the filter action (``"error"``: a DecompressionBombWarning fails the run)."""
    script = _PRELUDE.format(warnings=warnings) + textwrap.dedent(work) + _REPORT
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    if done.returncode:
        raise RuntimeError(f"the measured work failed:\n{done.stderr}")
    return float(done.stdout.split()[-1]), time.perf_counter() - started


def make_in_child(code: str, path: Path) -> Path:
    """Run ``code`` (which writes ``path``) in another interpreter, so its buffers never inflate this one."""
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, cwd=ROOT, timeout=120)
    return path


def wav_header(data_bytes: int, *, rate: int = 16000, channels: int = 1, width: int = 2, tag: int = 1) -> bytes:
    """A canonical 44-byte WAV header whose data chunk claims ``data_bytes`` (whatever follows it)."""
    block = channels * width
    fmt = struct.pack("<HHIIHH", tag, channels, rate, (rate * block) & 0xFFFFFFFF, block & 0xFFFF, 8 * width)
    riff = struct.pack("<I", (36 + data_bytes) & 0xFFFFFFFF)
    return b"RIFF" + riff + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", data_bytes)


def sparse_wav(path: Path, size: int = 2**31) -> Path:
    """A valid 16 kHz mono WAV of ``size`` bytes (about 18.6 hours at 2 GiB) that takes no disk: a sparse file."""
    with path.open("wb") as file:
        file.write(wav_header(size - 44))
        file.truncate(size)
    return path


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def blank_png(width: int, height: int) -> bytes:
    """A valid 1-bit grey PNG of zeros, compressed row by row (no ``width * height`` buffer is ever made)."""
    row, packer = b"\0" * (1 + (width + 7) // 8), zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
