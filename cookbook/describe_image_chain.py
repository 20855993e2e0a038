"""A chain that describes an image: prompt template | ChatAzureMultimodal | string parser.

Runs offline against the embedded emulator: ``python cookbook/describe_image_chain.py``.
"""

from __future__ import annotations

import base64

from _media import bar_chart_png
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator

prompt = ChatPromptTemplate.from_messages(
    [
        ("system", "You describe images for a {audience}."),
        (
            "user",
            [
                {"type": "text", "text": "What does this chart show?"},
                {"type": "image", "base64": "{image_data}", "mime_type": "image/png"},
            ],
        ),
    ]
)


def main() -> None:
    with Emulator(model="gpt-4o", api_key="cookbook-key") as emulator:
        llm = ChatAzureMultimodal(endpoint=emulator.endpoint_for("openai-v1"), api_key="cookbook-key", model="gpt-4o")
        chain = prompt | llm | StrOutputParser()
        image_data = base64.b64encode(bar_chart_png()).decode()
        print(chain.invoke({"audience": "blind reader", "image_data": image_data}))


if __name__ == "__main__":
    main()
