"""The README demo: an image and an audio clip sent through ``azure-ai-inference`` to the embedded emulator.

It makes its own media (a chart-like PNG, a one-second tone as WAV), starts the emulator on loopback, sends one
multimodal request, streams a second answer token by token, and prints the token usage. Nothing leaves the machine.

Run it with ``python -m langchain_azure_multimodal.demo`` (or ``azure-multimodal-demo``).
"""

from __future__ import annotations

import base64
import io
import math
import struct
import sys
import wave

from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference.models import (
    AudioContentItem,
    ImageContentItem,
    ImageUrl,
    InputAudio,
    SystemMessage,
    TextContentItem,
    UserMessage,
)
from azure.core.credentials import AzureKeyCredential

from .emulator import Emulator

DEMO_KEY = "demo-key"


def chart_png() -> bytes:
    """A small bar chart drawn with Pillow (the ``media`` extra)."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        sys.exit("The demo draws its image with Pillow: pip install 'langchain-azure-multimodal[media]'")
    image = Image.new("RGB", (640, 400), "white")
    draw = ImageDraw.Draw(image)
    for index, height in enumerate((120, 260, 180, 330)):
        draw.rectangle((60 + index * 140, 380 - height, 150 + index * 140, 380), fill=(30, 90 + index * 40, 160))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def tone_wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    """A one-second 440 Hz tone as 16-bit mono WAV, made with the standard library."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        samples = (int(9000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(seconds * rate)))
        clip.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return buffer.getvalue()


def main() -> int:
    png, wav = chart_png(), tone_wav()
    with Emulator(model="phi-4-multimodal-instruct", api_key=DEMO_KEY) as emulator:
        print(f"Using the embedded Azure AI Model Inference emulator at {emulator.endpoint} (offline)\n")
        client = ChatCompletionsClient(endpoint=emulator.endpoint, credential=AzureKeyCredential(DEMO_KEY))
        image = ImageUrl(url="data:image/png;base64," + base64.b64encode(png).decode(), detail="high")
        audio = InputAudio(data=base64.b64encode(wav).decode(), format="wav")
        reply = client.complete(
            messages=[
                SystemMessage("You describe images and translate audio clips."),
                UserMessage(
                    [
                        TextContentItem(text="Describe the chart, then translate the clip to Spanish."),
                        ImageContentItem(image_url=image),
                        AudioContentItem(input_audio=audio),
                    ]
                ),
            ],
            temperature=0,
        )
        print("Image + audio ->", reply.choices[0].message.content, "\n")
        print("Streaming -> ", end="", flush=True)
        usage = None
        for update in client.complete(
            messages=[{"role": "user", "content": "Say hello in three languages."}],
            stream=True,
            model_extras={"stream_options": {"include_usage": True}},
        ):
            if update.choices:
                print(update.choices[0].delta.content or "", end="", flush=True)
            usage = update.usage or usage
        print("\n")
        client.close()
        print(
            f"Usage of the first request: {reply.usage.prompt_tokens} prompt + {reply.usage.completion_tokens} "
            f"completion = {reply.usage.total_tokens} tokens"
        )
        if usage is not None:
            print(
                f"Usage of the stream:        {usage.prompt_tokens} prompt + {usage.completion_tokens} "
                f"completion = {usage.total_tokens} tokens"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
