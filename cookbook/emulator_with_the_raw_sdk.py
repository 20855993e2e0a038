"""The emulator as a test double for code that uses the raw ``azure-ai-inference`` SDK.

It answers an image request, throttles one request (429 with ``Retry-After``) that the SDK then retries, and shows
what the emulator recorded. Run: ``python cookbook/emulator_with_the_raw_sdk.py``.
"""

from __future__ import annotations

import base64
import io

from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference.models import ImageContentItem, ImageUrl, TextContentItem, UserMessage
from azure.core.credentials import AzureKeyCredential
from PIL import Image

from langchain_azure_multimodal.emulator import Emulator, Fault


def photo_data_url() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (1024, 768), "navy").save(buffer, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def main() -> None:
    with Emulator(model="gpt-4o", api_key="cookbook-key") as emulator:
        client = ChatCompletionsClient(endpoint=emulator.endpoint, credential=AzureKeyCredential("cookbook-key"))
        emulator.inject(Fault.throttle(retry_after=0.2))  # the first attempt is throttled; the SDK retries it
        reply = client.complete(
            messages=[
                UserMessage(
                    [
                        TextContentItem(text="What colour is this photo?"),
                        ImageContentItem(image_url=ImageUrl(url=photo_data_url(), detail="low")),
                    ]
                )
            ]
        )
        print(reply.choices[0].message.content)
        print(f"usage: {reply.usage.prompt_tokens} prompt tokens (85 for a low-detail image)")
        statuses = [request.path for request in emulator.requests]
        print(f"the emulator saw {len(statuses)} requests to {statuses[0]}: one throttled, one answered")
        client.close()


if __name__ == "__main__":
    main()
