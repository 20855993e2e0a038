"""The README demo: ``ChatAzureMultimodal`` describes an image, translates an audio clip, speaks (when the model can)
and streams an answer.

It makes its own media: a bar chart as PNG (with Pillow, from the ``media`` extra) and a one-second tone as WAV.
It then runs against the embedded emulator, offline, unless ``AZURE_INFERENCE_ENDPOINT`` is set. In that case it
uses your endpoint with ``AZURE_INFERENCE_CREDENTIAL`` (or Entra ID) and ``AZURE_INFERENCE_MODEL``, and says so.

Before each media step it asks the model's profile (``llm.profile``) whether the model takes that input, and skips
the step with one line saying why if not: a ``gpt-4o`` deployment describes the image and skips the audio.

Run it with ``python -m langchain_azure_multimodal.demo`` (or ``azure-multimodal-demo``).
"""

from __future__ import annotations

import base64
import io
import math
import os
import struct
import sys
import wave
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.messages.ai import UsageMetadata, add_usage

from .chat_models import ChatAzureMultimodal
from .emulator import Emulator
from .errors import MEDIA_EXTRA_INSTALL

DEMO_MODEL = "phi-4-multimodal-instruct"
DEMO_KEY = "demo-key"


def chart_png() -> bytes:
    """A small bar chart drawn with Pillow (the ``media`` extra)."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        sys.exit(f"The demo draws its image with Pillow: {MEDIA_EXTRA_INSTALL}")
    image = Image.new("RGB", (640, 400), "white")
    draw = ImageDraw.Draw(image)
    for index, height in enumerate((120, 260, 180, 330)):
        draw.rectangle((60 + index * 140, 380 - height, 150 + index * 140, 380), fill=(30, 90 + index * 40, 160))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def tone_wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    """A 440 Hz tone as 16-bit mono WAV, made with the standard library."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        samples = (int(9000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(seconds * rate)))
        clip.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return buffer.getvalue()


@contextmanager
def chat_model() -> Iterator[ChatAzureMultimodal]:
    """Your endpoint when ``AZURE_INFERENCE_ENDPOINT`` is set, else the embedded emulator."""
    if os.environ.get("AZURE_INFERENCE_ENDPOINT"):
        llm = ChatAzureMultimodal(model=os.environ.get("AZURE_INFERENCE_MODEL") or DEMO_MODEL, temperature=0)
        settings = llm.endpoint_settings
        print(f"Using your endpoint {settings.endpoint} ({settings.kind.value}), model {llm.model}\n")
        yield llm
        return
    with Emulator(model=DEMO_MODEL, api_key=DEMO_KEY) as emulator:
        print(f"Using the embedded Azure AI Model Inference emulator at {emulator.endpoint} (offline).")
        print("Set AZURE_INFERENCE_ENDPOINT (and AZURE_INFERENCE_CREDENTIAL, AZURE_INFERENCE_MODEL) to use yours.\n")
        yield ChatAzureMultimodal(endpoint=emulator.endpoint, api_key=DEMO_KEY, model=DEMO_MODEL, temperature=0)


def describe_image(png: bytes) -> list[BaseMessage]:
    image = {"type": "image", "base64": base64.b64encode(png).decode(), "mime_type": "image/png"}
    return [HumanMessage([{"type": "text", "text": "Describe this chart in one sentence."}, image])]


def translate_audio(wav: bytes) -> list[BaseMessage]:
    audio = {"type": "audio", "base64": base64.b64encode(wav).decode(), "mime_type": "audio/wav"}
    return [
        SystemMessage("You translate audio clips."),
        HumanMessage([{"type": "text", "text": "Translate this clip to Spanish."}, audio]),
    ]


#: The media steps: title, what the step sends (for the skip line), the profile key that says whether the model takes
#: it, and the messages (built only when the step runs, so a skipped image step needs no Pillow).
STEPS: tuple[tuple[str, str, str, Callable[[], list[BaseMessage]]], ...] = (
    ("Image", "image", "image_inputs", lambda: describe_image(chart_png())),
    ("Audio", "audio", "audio_inputs", lambda: translate_audio(tone_wav())),
)
_CALLS = {1: "one call", 2: "two calls", 3: "three calls"}


def skip_reason(llm: ChatAzureMultimodal, kind: str, key: str) -> str | None:
    """Why ``llm`` cannot do the ``kind`` step, from its profile's ``key``; ``None`` when it can.

    The profile is read at each step, not once: a model known only by the endpoint's ``/info`` gets its profile
    with the first call. A profile that does not say is taken as a yes, as the permissive default profile is.

    Example:
        >>> skip_reason(ChatAzureMultimodal(endpoint="http://localhost:1", model="gpt-4o"), "audio", "audio_inputs")
        'skipping the audio step: gpt-4o takes no audio input'
    """
    capabilities: Mapping[str, object] = llm.profile or {}
    if capabilities.get(key, True):
        return None
    return f"skipping the {kind} step: {llm.model or capabilities.get('name', 'this model')} takes no {kind} input"


def speak(llm: ChatAzureMultimodal) -> AIMessage | None:
    """A spoken answer, when the model's profile says it speaks (``audio_outputs``); ``None`` (and a line saying
    why) when it does not."""
    if not (llm.profile or {}).get("audio_outputs"):
        print(f"skipping the speech step: {llm.model or 'this model'} does not answer in audio\n")
        return None
    reply = llm.invoke("Say hello in Spanish.", modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"})
    spoken = next(b for b in reply.content if isinstance(b, dict) and b.get("type") == "audio")
    size = len(base64.b64decode(spoken["base64"]))
    print(f"Speech -> {reply.text} ({size:,} bytes of wav; later turns refer to it by id {spoken['id']})\n")
    return reply


def main() -> int:
    total: UsageMetadata | None = None
    calls = 0
    with chat_model() as llm:
        for title, kind, key, build in STEPS:
            reason = skip_reason(llm, kind, key)
            if reason:
                print(f"{reason}\n")
                continue
            reply: AIMessage = llm.invoke(build())
            print(f"{title} -> {reply.text}\n")
            total = add_usage(total, reply.usage_metadata)
            calls += 1
        if (spoken := speak(llm)) is not None:
            total = add_usage(total, spoken.usage_metadata)
            calls += 1
        print("Streaming -> ", end="", flush=True)
        streamed = None
        for chunk in llm.stream("Say hello in three languages."):
            print(chunk.text, end="", flush=True)
            streamed = chunk if streamed is None else streamed + chunk
        print("\n")
        total = add_usage(total, streamed.usage_metadata if streamed is not None else None)
        calls += 1
    if total:
        print(
            f"Usage of the {_CALLS.get(calls, f'{calls} calls')}: {total['input_tokens']} input + "
            f"{total['output_tokens']} output = {total['total_tokens']} tokens"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
