"""What image normalisation saves and costs: bytes, tokens, time and peak memory, against sending the file as is.

Usage::

    python bench/media_normalisation.py                   # = --repeats 5
    python bench/media_normalisation.py --repeats 3 --json /tmp/media.json

The images are generated into a temporary directory on every run (numpy + Pillow; nothing is committed):

- a 12 MP phone photo: 4032x3024 JPEG at quality 92, smooth gradients, multi-scale texture and sensor noise, with
  EXIF orientation 6 (so it is shown 3024x4032) and a GPS block;
- a ~20 MB photo-like PNG (gradients, texture, strong noise) that does not compress well, under the gpt-4o
  profile's 20 MiB image cap so the raw SDK may send it as it is;
- a compressible PNG with the same pixel count (smooth gradients, no noise), for the note on PNG decoding.

Scenarios, each next to its baseline in the same run, interleaved round-robin with the order rotating per repetition:

- ``photo``: from the file on disk to the request body's bytes. As is: the SDK's ``ImageUrl.load`` (read + base64)
  into a ``UserMessage`` and the body JSON the SDK's ``complete()`` would post. Ours: read + base64 into a LangChain
  v1 image block (``detail="high"``) and ``ChatAzureMultimodal._request`` (parse, pre-flight normalisation, wire
  messages), serialised as ``ChatWire`` does (``request_json``); also with ``normalize_media=False``. Then the
  image tokens by the profile's tile rule for the original and the sent size, ``estimate_tokens`` for both forms,
  and one real send of each to the emulator for its ``usage.prompt_tokens``.
- ``png``: peak memory and time, each measurement in a fresh subprocess (so peaks do not mix). The child warms up
  with a small PNG (imports, plugins, connection), writes ``5`` to ``/proc/self/clear_refs`` (which resets VmHWM to
  the current RSS), reads VmRSS, does the work, and reports VmHWM minus that RSS. Raw: ``ImageUrl.load`` +
  ``ChatCompletionsClient.complete`` (the SDK builds the body JSON and posts it). Ours: read + base64 into a v1 block
  + ``ChatAzureMultimodal.invoke``. The "send only" rows load the image before the reset, so they show what the call
  itself adds on top of the base64 string the caller already holds.

The emulator runs as its own process (``python -m langchain_azure_multimodal.emulator.cli --port 0 --model gpt-4o``),
so its memory is not in the children's peaks; it shares the machine's cores, and its decoding of the raw PNG is in
the raw contender's wall time (not in its client CPU). Traffic goes to 127.0.0.1 only; the run is bounded by
``--time-limit`` and every process it starts is stopped.
"""

from __future__ import annotations

import argparse
import base64
import gc
import io
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from _servers import launch, stop  # beside this script, which python puts first on sys.path
from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference._model_base import SdkJSONEncoder
from azure.ai.inference.models import ChatRequestMessage, ImageContentItem, ImageUrl, TextContentItem, UserMessage
from azure.core.credentials import AzureKeyCredential
from langchain_core.messages import BaseMessage, HumanMessage
from numpy.typing import NDArray
from PIL import Image, features

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal._images import inspect_image, normalize_image
from langchain_azure_multimodal._preflight import MediaOptions
from langchain_azure_multimodal.estimates import estimate_tokens
from langchain_azure_multimodal.profiles import resolve_profile

MODEL = "gpt-4o"
API_KEY = "bench-media-key"
PROMPT = "What is in this picture? Answer in one sentence."
PHOTO_SIZE = (4032, 3024)
PHOTO_QUALITY = 92
PNG_TARGET_BYTES = 20_000_000
NOISE_SIZE = (2580, 2580)  # uniform noise: 20.0 MB as PNG, under the gpt-4o profile's 20 MiB cap
LINK_MBIT = 100.0  # the slow link of the as-is scenario (bench/_link.py)
AS_IS_TIME_AIM = 1.05  # ours with normalize_media=False: <= 1.05x the raw SDK's time
AS_IS_MEMORY_AIM = 1.10  # ... and <= 1.10x its peak memory
CHILD_TIMEOUT_S = 180.0
ORIENTATION, MAKE, MODEL_TAG, DATETIME, GPS_IFD = 0x0112, 0x010F, 0x0110, 0x0132, 0x8825
BYTES_AIM = 0.10  # ours <= 10 % of the bytes sent as is
MEMORY_AIM = 3.0  # ours <= 3x the file size at peak
MIB = 1024 * 1024
TIMES, DASH = "\u00d7", "\u2013"  # for the printed table

_children: list[subprocess.Popen[str]] = []


# ------------------------------------------------------------------------------------------------ test images


def _texture(rng: np.random.Generator, width: int, height: int, octaves: list[tuple[int, float]]) -> NDArray[Any]:
    """Smooth random texture: random grids of ``cells`` columns upscaled bicubically, ``amplitude`` each."""
    out = np.zeros((height, width), np.float32)
    for cells, amplitude in octaves:
        small = rng.standard_normal((max(2, cells * height // width), cells), dtype=np.float32)
        layer = Image.fromarray(small, "F").resize((width, height), Image.Resampling.BICUBIC)
        out += amplitude * np.asarray(layer, np.float32)
    return out


def photo_pixels(width: int, height: int, *, seed: int, noise: float, texture: bool = True) -> Image.Image:
    """A photo-like RGB image: a lit gradient per channel, shared multi-scale texture and per-pixel sensor noise."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    shared = (
        _texture(rng, width, height, [(4, 25.0), (16, 12.0), (64, 8.0), (256, 5.0), (1024, 3.0)])
        if texture
        else _texture(rng, width, height, [(3, 20.0)])
    )
    channels = []
    for base, along_x, along_y in ((120.0, 60.0, -30.0), (140.0, 40.0, 10.0), (170.0, -50.0, 20.0)):
        channel = base + along_x * x + along_y * y + shared
        if texture:
            channel = channel + _texture(rng, width, height, [(6, 10.0), (48, 4.0)])
        if noise:
            channel = channel + noise * rng.standard_normal((height, width), dtype=np.float32)
        channels.append(np.clip(channel, 0, 255).astype(np.uint8))
    return Image.fromarray(np.stack(channels, axis=-1), "RGB")


def make_photo(path: Path) -> None:
    """The 12 MP phone photo: stored landscape with orientation 6 (shown portrait), camera tags and GPS."""
    picture = photo_pixels(*PHOTO_SIZE, seed=12, noise=4.0)
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "BenchCam"
    exif[MODEL_TAG] = "Phone 12MP"
    exif[DATETIME] = "2025:06:01 12:00:00"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (47.0, 36.0, 22.5), 3: "E", 4: (8.0, 32.0, 11.25)})
    picture.save(path, "JPEG", quality=PHOTO_QUALITY, exif=exif)


def make_png(path: Path, target: int, *, noisy: bool = True, size: tuple[int, int] | None = None) -> tuple[int, int]:
    """A PNG of about ``target`` bytes (photo-like with strong noise), or a compressible one at ``size``."""
    limit = resolve_profile(MODEL).max_image_bytes
    width, height = size or (3468, 2601)
    for _ in range(4):
        picture = photo_pixels(width, height, seed=20, noise=10.0 if noisy else 0.0, texture=noisy)
        picture.save(path, "PNG")
        written = path.stat().st_size
        if not noisy or (0.9 * target <= written <= min(1.05 * target, 0.99 * limit)):
            return width, height
        scale = math.sqrt(target / written)
        width = round(width * scale / 4) * 4
        height = width * 3 // 4
    raise RuntimeError(f"could not make a PNG of about {target:,} bytes (last: {written:,} bytes)")


def make_noise_png(path: Path, size: tuple[int, int] = NOISE_SIZE) -> None:
    """Uniform random RGB pixels: PNG cannot compress them, so the file is 3 bytes a pixel."""
    pixels = np.random.default_rng(25).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels, "RGB").save(path, "PNG")


# ------------------------------------------------------------------------------------------------ the two paths


def sdk_messages(path: Path, image_format: str) -> list[ChatRequestMessage]:
    """As is: the SDK reads the file and base64-encodes it into a data URL."""
    image = ImageUrl.load(image_file=str(path), image_format=image_format, detail="high")
    return [UserMessage(content=[TextContentItem(text=PROMPT), ImageContentItem(image_url=image)])]


def human_message(path: Path, mime_type: str) -> list[BaseMessage]:
    """Ours: the file's base64 in a LangChain v1 image block at detail high."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    block = {"type": "image", "base64": data, "mime_type": mime_type, "detail": "high"}
    return [HumanMessage(content=[{"type": "text", "text": PROMPT}, block])]


def body_as_is(path: Path) -> bytes:
    """The body ``complete(messages=..., model=...)`` posts, as UTF-8 bytes."""
    body = {"messages": sdk_messages(path, "jpeg"), "model": MODEL}
    return json.dumps(body, cls=SdkJSONEncoder, exclude_readonly=True).encode()


def body_ours(llm: ChatAzureMultimodal, path: Path, mime_type: str) -> bytes:
    """The body our ``ChatWire`` posts: ``_request`` (parse, normalise, wire messages as dicts), then its bytes as
    ``ChatWire`` makes them (``request_json``; ``json.dumps`` on a tree from before it existed)."""
    body, _ = llm._request(human_message(path, mime_type), None, stream=False)
    return _request_json(body)


try:
    from langchain_azure_multimodal._azure.body import request_json as _request_json
except ImportError:  # the package before issue 11's large-media change, for a before/after run

    def _request_json(body: Any) -> bytes:
        return json.dumps(body).encode()


def sent_image(body: bytes) -> bytes:
    """The image bytes inside a request body's data URL."""
    url: str = json.loads(body)["messages"][0]["content"][1]["image_url"]["url"]
    return base64.b64decode(url.partition(",")[2])


# ------------------------------------------------------------------------------------------------ the child


def _status() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in bytes."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
    return values


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0); ru_maxrss would keep the parent's peak


def _contender(kind: str, endpoint: str) -> tuple[Callable[[Path], Any], Callable[[Any], int]]:
    """How a child loads the image and sends it: ``raw`` SDK, ``ours`` (invoke), ``off`` (invoke with
    ``normalize_media=False``) or ``generate`` (our ``_generate``, which skips ``BaseChatModel.generate``)."""
    if kind == "raw":
        client = ChatCompletionsClient(endpoint=endpoint, credential=AzureKeyCredential(API_KEY))

        def send_raw(messages: Any) -> int:
            return int(client.complete(messages=messages, model=MODEL).usage.prompt_tokens)

        return (lambda path: sdk_messages(path, "png")), send_raw
    llm = ChatAzureMultimodal(
        endpoint=endpoint, api_key=API_KEY, model=MODEL, max_retries=0, normalize_media=kind != "off"
    )

    def send_ours(messages: Any) -> int:
        if kind == "generate":
            message: Any = llm._generate(messages).generations[0].message
        else:
            message = llm.invoke(messages)
        usage = message.usage_metadata
        return int(usage["input_tokens"]) if usage else -1

    return (lambda path: human_message(path, "image/png")), send_ours


def run_child(mode: str, png: Path, warm: Path, endpoint: str) -> dict[str, Any]:
    """One measured pass in this fresh process: warm up, reset the peak, do the work, report the peak above RSS.

    ``mode`` is ``<contender>`` (file → answer) or ``<contender>-send`` (the image is loaded before the reset)."""
    kind, _, phase = mode.partition("-")
    load, send = _contender(kind, endpoint)
    send(load(warm))  # imports, Pillow plugins, the connection
    messages = load(png) if phase == "send" else None
    gc.collect()
    _reset_peak()
    before = _status()["VmRSS"]
    wall, cpu = time.perf_counter(), time.process_time()
    if messages is None:
        messages = load(png)
    tokens = send(messages)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = _status()
    return {
        "mode": mode,
        "file_bytes": png.stat().st_size,
        "rss_before": before,
        "hwm": after["VmHWM"],
        "peak_above_rss": after["VmHWM"] - before,
        "wall_s": wall,
        "cpu_s": cpu,
        "prompt_tokens": tokens,
    }


def run_probe(png: Path, warm: Path, endpoint: str) -> dict[str, Any]:
    """``--breakdown``: ours, file → invoke, with RSS and peak above the start read at the boundaries of each step
    (the package's own functions, wrapped in this process only)."""
    import langchain_azure_multimodal.chat_models as chat_models
    from langchain_azure_multimodal import _images, _preflight
    from langchain_azure_multimodal._azure.wire import ChatWire

    marks: list[tuple[str, int, int]] = []
    base = 0

    def mark(label: str) -> None:
        now = _status()
        marks.append((label, now["VmRSS"] - base, now["VmHWM"] - base))

    def wrap(module: Any, name: str, label: str) -> None:
        inner = getattr(module, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            mark(f"{label}: start")
            result = inner(*args, **kwargs)
            mark(f"{label}: end")
            return result

        setattr(module, name, wrapped)

    load, send = _contender("ours", endpoint)
    send(load(warm))
    for module, name, label in (
        (chat_models, "prepare", "pre-flight prepare()"),
        (_preflight, "_decode", "base64 decode"),
        (_images, "_decode", "pixel decode"),
        (_images, "_downscale", "downscale"),
        (ChatWire, "complete", "post the body"),
    ):
        wrap(module, name, label)
    gc.collect()
    _reset_peak()
    base = _status()["VmRSS"]
    messages = load(png)
    mark("caller: file read, base64 block built")
    send(messages)
    mark("invoke returned")
    return {"file_bytes": png.stat().st_size, "marks": marks}


def spawn_child(mode: str, png: Path, warm: Path, endpoint: str) -> dict[str, Any]:
    argv = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        mode,
        "--png",
        str(png),
        "--warm",
        str(warm),
        "--endpoint",
        endpoint,
    ]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _children.append(process)
    try:
        out, err = process.communicate(timeout=CHILD_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        _children.remove(process)
    if process.returncode != 0:
        raise RuntimeError(f"child {mode} failed ({process.returncode}): {err.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


# ------------------------------------------------------------------------------------------------ reporting


@dataclass
class Row:
    scenario: str
    contender: str
    metric: str
    median: str
    spread: str = ""
    versus: str = ""
    aim: str = ""
    met: str = ""


def _num(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _spread(values: list[float], digits: int) -> str:
    return f"{_num(min(values), digits)}{DASH}{_num(max(values), digits)}"


def print_table(rows: list[Row]) -> None:
    header = Row("scenario", "contender", "metric", "median", f"min{DASH}max", "vs baseline", "aim", "met")
    table = [header, *rows]
    fields = list(asdict(header))
    widths = {name: max(len(getattr(row, name)) for row in table) for name in fields}
    right = {"median", "spread", "versus"}
    for index, row in enumerate(table):
        cells = [
            getattr(row, name).rjust(widths[name]) if name in right else getattr(row, name).ljust(widths[name])
            for name in fields
        ]
        print("| " + " | ".join(cells) + " |")
        if index == 0:
            print(
                "|"
                + "|".join(
                    ("-" * (widths[name] + 1) + ":") if name in right else "-" * (widths[name] + 2) for name in fields
                )
                + "|"
            )


def machine() -> dict[str, Any]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, check=False)
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "pillow": version("pillow"),
        "numpy": version("numpy"),
        "libjpeg": features.version("jpg"),
        "zlib": features.version("zlib"),
        "azure-ai-inference": version("azure-ai-inference"),
        "langchain-core": version("langchain-core"),
        "commit": commit.stdout.strip() + (" (work tree has changes)" if dirty.stdout.strip() else ""),
    }


# ------------------------------------------------------------------------------------------------ scenarios


def photo_scenario(photo: Path, endpoint: str, repeats: int, rows: list[Row], samples: dict[str, Any]) -> None:
    profile = resolve_profile(MODEL)
    ours = ChatAzureMultimodal(endpoint=endpoint, api_key=API_KEY, model=MODEL, max_retries=0)
    ours_off = ChatAzureMultimodal(
        endpoint=endpoint, api_key=API_KEY, model=MODEL, max_retries=0, normalize_media=False
    )
    contenders: dict[str, Callable[[], bytes]] = {
        "as is (ImageUrl.load)": lambda: body_as_is(photo),
        "ours, normalize_media=False": lambda: body_ours(ours_off, photo, "image/jpeg"),
        "ours": lambda: body_ours(ours, photo, "image/jpeg"),
    }
    names = list(contenders)
    bodies = {name: make() for name, make in contenders.items()}  # also the warm-up
    seconds: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for repetition in range(repeats):
        for name in names[repetition % len(names) :] + names[: repetition % len(names)]:
            gc.collect()
            wall, used = time.perf_counter(), time.process_time()
            contenders[name]()
            seconds[name].append(time.perf_counter() - wall)
            cpu[name].append(time.process_time() - used)
    base, mine = names[0], names[2]

    original = photo.read_bytes()
    before = inspect_image(original)
    after = inspect_image(sent_image(bodies[mine]))
    steps = normalize_image(original, detail="high", profile=profile).steps
    size_ratio = len(bodies[mine]) / len(bodies[base])
    rule = profile.image_tokens
    tokens_before = rule.tokens(before.width, before.height, "high")
    tokens_after = rule.tokens(after.width, after.height, "high")
    messages = human_message(photo, "image/jpeg")
    estimate_before = estimate_tokens(messages, model=MODEL, media=MediaOptions(normalize=False)).total
    estimate_after = estimate_tokens(messages, model=MODEL).total

    with ChatCompletionsClient(endpoint=endpoint, credential=AzureKeyCredential(API_KEY)) as client:
        usage_before = client.complete(messages=sdk_messages(photo, "jpeg"), model=MODEL).usage.prompt_tokens
    usage = ours.invoke(messages).usage_metadata
    usage_after = usage["input_tokens"] if usage else -1
    ours.close()

    scenario = f"photo {before.width}x{before.height}, {len(original) / 1e6:.1f} MB JPEG"
    rows.append(Row(scenario, base, "request body bytes", _num(len(bodies[base])), "", "baseline"))
    rows.append(
        Row(
            scenario,
            names[1],
            "request body bytes",
            _num(len(bodies[names[1]])),
            "",
            f"{len(bodies[names[1]]) / len(bodies[base]):.1%}",
        )
    )
    rows.append(
        Row(
            scenario,
            mine,
            "request body bytes",
            _num(len(bodies[mine])),
            "",
            f"{size_ratio:.1%}",
            f"≤ {BYTES_AIM:.0%}",
            "yes" if size_ratio <= BYTES_AIM else "NO",
        )
    )
    for name in names:
        ms = [value * 1000 for value in seconds[name]]
        ratio = statistics.median(s / b for s, b in zip(seconds[name], seconds[base], strict=True))
        rows.append(
            Row(
                scenario,
                name,
                "file → body ms (wall)",
                _num(statistics.median(ms), 1),
                _spread(ms, 1),
                "baseline" if name == base else f"{ratio:.1f}{TIMES}",
            )
        )
    for name in names:
        ms = [value * 1000 for value in cpu[name]]
        rows.append(Row(scenario, name, "file → body ms (CPU)", _num(statistics.median(ms), 1), _spread(ms, 1)))
    same = tokens_before == tokens_after
    rows.append(
        Row(
            scenario,
            base,
            f"image tokens, tile rule at {before.width}x{before.height}",
            str(tokens_before),
            "",
            "baseline",
        )
    )
    rows.append(
        Row(
            scenario,
            mine,
            f"image tokens, tile rule at {after.width}x{after.height}",
            str(tokens_after),
            "",
            "same" if same else f"{tokens_after - tokens_before:+d}",
            "equal",
            "yes" if same else "NO",
        )
    )
    same = estimate_before == estimate_after
    rows.append(Row(scenario, base, "estimate_tokens (normalize=False)", str(estimate_before), "", "baseline"))
    rows.append(
        Row(
            scenario,
            mine,
            "estimate_tokens",
            str(estimate_after),
            "",
            "same" if same else f"{estimate_after - estimate_before:+d}",
            "equal",
            "yes" if same else "NO",
        )
    )
    same = usage_before == usage_after
    rows.append(Row(scenario, "as is (raw SDK complete)", "emulator prompt_tokens", str(usage_before), "", "baseline"))
    rows.append(
        Row(
            scenario,
            "ours (invoke)",
            "emulator prompt_tokens",
            str(usage_after),
            "",
            "same" if same else f"{usage_after - usage_before:+d}",
            "equal",
            "yes" if same else "NO",
        )
    )

    extra_ms = statistics.median(seconds[mine]) - statistics.median(seconds[base])
    saved = len(bodies[base]) - len(bodies[mine])
    samples["photo"] = {
        "file_bytes": len(original),
        "original": asdict(before),
        "sent": asdict(after),
        "steps": list(steps),
        "body_bytes": {name: len(body) for name, body in bodies.items()},
        "seconds": seconds,
        "cpu_seconds": cpu,
        "tokens": {
            "tile_rule": [tokens_before, tokens_after],
            "estimate": [estimate_before, estimate_after],
            "emulator": [usage_before, usage_after],
        },
        "break_even_upload_mb_s": saved / extra_ms / 1e6 if extra_ms > 0 else None,
    }


PNG_LABELS = {
    "raw": "raw SDK: file → ImageUrl.load → complete",
    "ours": "ours: file → base64 v1 block → invoke",
    "raw-send": "raw SDK: complete (data URL already loaded)",
    "ours-send": "ours: invoke (base64 block already built)",
    "off": "ours, normalize_media=False: file → base64 v1 block → invoke",
    "off-send": "ours, normalize_media=False: invoke (built)",
    "generate-send": "ours: _generate, no BaseChatModel.generate (built)",
    "compressible": "ours: compressible PNG, file → invoke",
}
#: Rows of the memory table: (mode, baseline mode or "").
PNG_MEMORY_ROWS = (
    ("raw", ""),
    ("ours", "raw"),
    ("raw-send", ""),
    ("ours-send", "raw-send"),
    ("off", "raw"),
    ("off-send", "raw-send"),
    ("generate-send", "raw-send"),
    ("compressible", ""),
)


def png_scenario(
    pngs: dict[str, Path], warm: Path, endpoint: str, repeats: int, rows: list[Row], samples: dict[str, Any]
) -> None:
    png = pngs["noisy"]
    modes = list(PNG_LABELS)
    results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
    for repetition in range(repeats):
        for mode in modes[repetition % len(modes) :] + modes[: repetition % len(modes)]:
            if mode == "compressible":
                results[mode].append(spawn_child("ours", pngs["compressible"], warm, endpoint))
            else:
                results[mode].append(spawn_child(mode, png, warm, endpoint))

    ours = ChatAzureMultimodal(endpoint=endpoint, api_key=API_KEY, model=MODEL)
    raw_body = json.dumps(
        {"messages": sdk_messages(png, "png"), "model": MODEL}, cls=SdkJSONEncoder, exclude_readonly=True
    ).encode()
    our_body = body_ours(ours, png, "image/png")
    file_bytes = png.stat().st_size
    with Image.open(png) as image:
        width, height = image.size
    scenario = f"PNG {width}x{height}, {file_bytes / 1e6:.1f} MB"
    rows.append(Row(scenario, PNG_LABELS["raw"], "request body bytes", _num(len(raw_body)), "", "baseline"))
    rows.append(
        Row(
            scenario,
            PNG_LABELS["ours"],
            "request body bytes",
            _num(len(our_body)),
            "",
            f"{len(our_body) / len(raw_body):.1%}",
        )
    )

    def multiples(mode: str) -> list[float]:
        return [r["peak_above_rss"] / r["file_bytes"] for r in results[mode]]

    for mode, baseline in PNG_MEMORY_ROWS:
        values = multiples(mode)
        mib = statistics.median(r["peak_above_rss"] for r in results[mode]) / MIB
        versus = "" if mode == "compressible" else "baseline"
        if baseline:
            versus = f"{statistics.median(a / b for a, b in zip(values, multiples(baseline), strict=True)):.2f}{TIMES}"
        aim, met = "", ""
        if mode in ("ours", "ours-send"):
            aim, met = f"≤ {MEMORY_AIM:g}{TIMES} file", "yes" if statistics.median(values) <= MEMORY_AIM else "NO"
        metric = f"peak above RSS, {TIMES} file ({mib:,.0f} MiB)"
        if mode == "compressible":
            metric = f"peak above RSS, {TIMES} its {results[mode][0]['file_bytes'] / 1e6:.1f} MB file ({mib:,.0f} MiB)"
        rows.append(
            Row(
                scenario,
                PNG_LABELS[mode],
                metric,
                f"{statistics.median(values):.2f}{TIMES}",
                f"{min(values):.2f}{DASH}{max(values):.2f}",
                versus,
                aim,
                met,
            )
        )
    for key, metric in (("wall_s", "file → answer s (wall)"), ("cpu_s", "file → answer s (client CPU)")):
        for mode, baseline in (("raw", ""), ("ours", "raw"), ("off", "raw")):
            values = [r[key] for r in results[mode]]
            versus = "baseline"
            if baseline:
                paired = zip(values, [r[key] for r in results[baseline]], strict=True)
                versus = f"{statistics.median(a / b for a, b in paired):.2f}{TIMES}"
            rows.append(
                Row(scenario, PNG_LABELS[mode], metric, _num(statistics.median(values), 3), _spread(values, 3), versus)
            )
    tokens = {mode: sorted({r["prompt_tokens"] for r in results[mode]}) for mode in ("raw", "ours")}
    rows.append(
        Row(scenario, PNG_LABELS["raw"], "emulator prompt_tokens", "/".join(map(str, tokens["raw"])), "", "baseline")
    )
    rows.append(
        Row(
            scenario,
            PNG_LABELS["ours"],
            "emulator prompt_tokens",
            "/".join(map(str, tokens["ours"])),
            "",
            "same" if tokens["raw"] == tokens["ours"] else "differs",
        )
    )
    samples["png"] = {
        "file_bytes": file_bytes,
        "size": [width, height],
        "compressible_file_bytes": pngs["compressible"].stat().st_size,
        "body_bytes": {"raw": len(raw_body), "ours": len(our_body)},
        "children": results,
    }


AS_IS_LABELS = {
    "raw": "raw SDK: file → ImageUrl.load → complete",
    "off": "ours, normalize_media=False: file → base64 v1 block → invoke",
    "ours": "ours (normalisation on): file → base64 v1 block → invoke",
}


def as_is_scenario(
    noise: Path, warm: Path, links: dict[str, str], repeats: int, rows: list[Row], samples: dict[str, Any]
) -> None:
    """The wrapper's own cost on a big image it need not touch: a 2580x2580 noise PNG (20 MB) sent as it is by the
    raw SDK and by ours with ``normalize_media=False``, and by ours normalised, over loopback and a slow link."""
    modes = list(AS_IS_LABELS)
    results: dict[str, dict[str, list[dict[str, Any]]]] = {link: {mode: [] for mode in modes} for link in links}
    for repetition in range(repeats):
        for link, endpoint in links.items():
            for mode in modes[repetition % len(modes) :] + modes[: repetition % len(modes)]:
                results[link][mode].append(spawn_child(mode, noise, warm, endpoint))
    ours = ChatAzureMultimodal(endpoint=links["loopback"], api_key=API_KEY, model=MODEL)
    off = ChatAzureMultimodal(endpoint=links["loopback"], api_key=API_KEY, model=MODEL, normalize_media=False)
    raw_body = json.dumps(
        {"messages": sdk_messages(noise, "png"), "model": MODEL}, cls=SdkJSONEncoder, exclude_readonly=True
    ).encode()
    bodies = {"raw": len(raw_body), "off": len(body_ours(off, noise, "image/png"))}
    bodies["ours"] = len(body_ours(ours, noise, "image/png"))
    file_bytes = noise.stat().st_size
    with Image.open(noise) as image:
        width, height = image.size
    scenario = f"noise PNG {width}x{height}, {file_bytes / 1e6:.1f} MB"
    for mode in modes:
        versus = "baseline" if mode == "raw" else f"{bodies[mode] / bodies['raw']:.1%}"
        rows.append(Row(scenario, AS_IS_LABELS[mode], "request body bytes", _num(bodies[mode]), "", versus))

    def paired(link: str, mode: str, key: str) -> float:
        mine, base = results[link][mode], results[link]["raw"]
        return statistics.median(a[key] / b[key] for a, b in zip(mine, base, strict=True))

    for link in links:
        for key, metric, digits in (
            ("wall_s", f"file → answer s (wall, {link})", 3),
            ("cpu_s", f"file → answer s (client CPU, {link})", 3),
            ("peak_above_rss", f"peak above RSS, {TIMES} file ({link})", 2),
        ):
            if link != "loopback" and key != "wall_s":
                continue  # the link changes the waiting, not the client's work
            for mode in modes:
                values = [r[key] / (file_bytes if key == "peak_above_rss" else 1) for r in results[link][mode]]
                versus, aim, met = "baseline", "", ""
                if mode != "raw":
                    ratio = paired(link, mode, key)
                    versus = f"{ratio:.2f}{TIMES}"
                    if mode == "off" and key in ("wall_s", "peak_above_rss"):
                        target = AS_IS_TIME_AIM if key == "wall_s" else AS_IS_MEMORY_AIM
                        aim, met = f"≤ {target:.2f}{TIMES}", "yes" if ratio <= target else "NO"
                median = statistics.median(values)
                shown = f"{median:.2f}{TIMES}" if key == "peak_above_rss" else _num(median, digits)
                rows.append(Row(scenario, AS_IS_LABELS[mode], metric, shown, _spread(values, digits), versus, aim, met))
    tokens = {mode: sorted({r["prompt_tokens"] for r in results["loopback"][mode]}) for mode in modes}
    rows.append(
        Row(scenario, "all three", "emulator prompt_tokens", " / ".join("/".join(map(str, t)) for t in tokens.values()))
    )
    samples["as_is"] = {"file_bytes": file_bytes, "size": [width, height], "body_bytes": bodies, "children": results}


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _decoded(data: bytes, target: tuple[int, int]) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    if image.format == "JPEG":
        image.draft(None, target)  # as normalize_image does
    image.load()
    return image


def _encoded(picture: Image.Image, params: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, **params)
    return buffer.getvalue()


def breakdown(photo: Path, png: Path, warm: Path, endpoint: str, repeats: int) -> dict[str, Any]:
    """``--breakdown``: where ours spends time (each step on its own, in this process) and memory (a probed child)."""
    profile = resolve_profile(MODEL)
    steps: dict[str, dict[str, Callable[[], object]]] = {}
    sizes: dict[str, int] = {}
    for label, path in (("photo", photo), ("PNG", png)):
        data = path.read_bytes()
        encoded = base64.b64encode(data).decode("ascii")
        with Image.open(path) as probe:
            stored = probe.size
        target = profile.image_tokens.scaled_size(*stored)
        picture = _decoded(data, target)
        small = picture.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        encodings: dict[str, dict[str, Any]] = {
            "JPEG q85 optimize (what photos get)": {"format": "JPEG", "quality": 85, "optimize": True},
            "PNG optimize (what PNG sources get)": {"format": "PNG", "optimize": True},
            "PNG compress_level=6 (Pillow's default)": {"format": "PNG"},
            "PNG compress_level=1": {"format": "PNG", "compress_level": 1},
        }
        if label == "photo":
            encodings = dict(list(encodings.items())[:1])
        table: dict[str, Callable[[], object]] = {
            "caller: base64 encode of the file": partial(_b64encode, data),
            "pre-flight: base64 decode (validate=True)": partial(base64.b64decode, encoded, validate=True),
            "normalize_image, all of it": partial(normalize_image, data, detail="high", profile=profile),
            f"open + decode{' (draft)' if label == 'photo' else ''} to {picture.size[0]}x{picture.size[1]}": partial(
                _decoded, data, target
            ),
            f"resize LANCZOS to {target[0]}x{target[1]}": partial(
                picture.resize, target, Image.Resampling.LANCZOS, reducing_gap=3.0
            ),
        }
        for name, params in encodings.items():
            table[f"encode: {name}"] = partial(_encoded, small, params)
            sizes[f"{label}: {name}"] = len(_encoded(small, params))
        steps[label] = table
    timings: dict[str, dict[str, list[float]]] = {label: {name: [] for name in table} for label, table in steps.items()}
    for _ in range(repeats):
        for label, table in steps.items():
            for name, step in table.items():
                wall = time.perf_counter()
                step()
                timings[label][name].append(time.perf_counter() - wall)
    print("\nwhere ours spends its time, each step on its own (median ms):\n")
    print(f"| image | step | median ms | min{DASH}max | encoded bytes |")
    print("|---|---|---:|---:|---:|")
    for label, measured in timings.items():
        for name, values in measured.items():
            encoded_bytes = sizes.get(f"{label}: {name.removeprefix('encode: ')}")
            shown = _num(encoded_bytes) if encoded_bytes is not None else ""
            ms = [value * 1000 for value in values]
            print(f"| {label} | {name} | {_num(statistics.median(ms), 1)} | {_spread(ms, 1)} | {shown} |")
    probe_result = spawn_child("probe", png, warm, endpoint)
    file_bytes = probe_result["file_bytes"]
    print(f"\nwhere ours spends its memory (PNG of {file_bytes / 1e6:.1f} MB, file → invoke, one fresh process):\n")
    print(f"| point | RSS above start, MiB | peak so far, MiB | peak, {TIMES} file |")
    print("|---|---:|---:|---:|")
    for label, rss, peak in probe_result["marks"]:
        print(f"| {label} | {rss / MIB:,.1f} | {peak / MIB:,.1f} | {peak / file_bytes:.2f}{TIMES} |")
    return {"timings": timings, "encoded_bytes": sizes, "memory": probe_result}


# ------------------------------------------------------------------------------------------------ main


def start_watchdog(seconds: float) -> None:
    def expire() -> None:
        print(f"\ntime limit of {seconds:g} s reached: stopping", file=sys.stderr, flush=True)
        for process in list(_children):
            if process.poll() is None:
                process.kill()
        os._exit(3)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=5, help="repetitions of every measurement (default: 5)")
    parser.add_argument("--json", type=Path, help="also write the rows and every sample as JSON to this path")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="instead: time each step of ours on its own, and probe its memory step by step",
    )
    parser.add_argument("--time-limit", type=float, default=600.0, help="stop everything after this many seconds")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--png", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--warm", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "probe":
        print(json.dumps(run_probe(args.png, args.warm, args.endpoint)))
        return 0
    if args.child:
        print(json.dumps(run_child(args.child, args.png, args.warm, args.endpoint)))
        return 0
    if args.repeats < 1:
        parser.error("--repeats must be 1 or more")

    start_watchdog(args.time_limit)
    started = time.perf_counter()
    facts = machine()
    print("machine: " + ", ".join(f"{key} {value}" for key, value in facts.items()), flush=True)
    rows: list[Row] = []
    samples: dict[str, Any] = {}
    env = {**os.environ, "AZURE_INFERENCE_CREDENTIAL": API_KEY, "PYTHONUNBUFFERED": "1"}
    cli = [sys.executable, "-m", "langchain_azure_multimodal.emulator.cli", "--port", "0", "--model", MODEL]
    with tempfile.TemporaryDirectory(prefix="media-bench-") as folder:
        directory = Path(folder)
        photo, noisy, flat, warm = (directory / name for name in ("photo.jpg", "noisy.png", "flat.png", "warm.png"))
        make_photo(photo)
        size = make_png(noisy, PNG_TARGET_BYTES)
        make_png(flat, 0, noisy=False, size=size)
        make_png(warm, 0, noisy=False, size=(256, 192))
        noise = directory / "noise-2580.png"
        make_noise_png(noise)
        generated = time.perf_counter() - started
        print(
            f"images generated in {generated:.1f} s: photo {photo.stat().st_size:,} bytes, PNG {size[0]}x{size[1]} "
            f"{noisy.stat().st_size:,} bytes (compressible: {flat.stat().st_size:,} bytes)",
            flush=True,
        )
        process, url = launch("emulator", cli, env)
        _children.append(process)
        try:
            if args.breakdown:
                samples["breakdown"] = breakdown(photo, noisy, warm, url, args.repeats)
                if args.json:
                    args.json.write_text(json.dumps({"machine": facts, **samples}, indent=1, default=str))
                return 0
            photo_scenario(photo, url, args.repeats, rows, samples)
            print(f"photo scenario done at {time.perf_counter() - started:.0f} s", flush=True)
            png_scenario({"noisy": noisy, "compressible": flat}, warm, url, args.repeats, rows, samples)
            print(f"PNG scenario done at {time.perf_counter() - started:.0f} s", flush=True)
            link_argv = [sys.executable, str(Path(__file__).with_name("_link.py")), "--upstream", url]
            link, link_url = launch("link", [*link_argv, "--mbit", f"{LINK_MBIT:g}"], env)
            _children.append(link)
            try:
                links = {"loopback": url, f"{LINK_MBIT:g} Mbit/s": link_url}
                as_is_scenario(noise, warm, links, args.repeats, rows, samples)
            finally:
                stop(link)
                _children.remove(link)
        finally:
            stop(process)
            _children.remove(process)
    print(f"\n{args.repeats} repetitions, {time.perf_counter() - started:.0f} s in all\n")
    print_table(rows)
    break_even = samples["photo"]["break_even_upload_mb_s"]
    sent = samples["photo"]["sent"]
    print(
        f"\nphoto: {'; '.join(samples['photo']['steps'])}; the sent JPEG is {sent['width']}x{sent['height']}, "
        f"orientation {sent['orientation']}, metadata {'kept' if sent['has_metadata'] else 'none'}"
    )
    if break_even:
        print(
            f"normalising the photo pays for itself on uploads slower than {break_even:.1f} MB/s "
            "(bytes saved / extra preparation time, medians)"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"machine": facts, "rows": [asdict(row) for row in rows], "samples": samples}, indent=1, default=str
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
