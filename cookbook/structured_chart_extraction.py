"""Structured extraction from a chart image into a pydantic model.

``with_structured_output`` sends the schema as ``response_format`` (``json_schema``) and parses the answer. The
emulator does not read images: it fills the schema from the prompt's words by fixed rules (README, "How the emulator
answers agents"), so the values are stand-ins; a real model reads them off the chart. Runs offline:
``python cookbook/structured_chart_extraction.py``.
"""

from __future__ import annotations

from _media import bar_chart_png, image_block
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator


class Bar(BaseModel):
    label: str = Field(description="the bar's label, or its position if unlabelled")
    value: float = Field(description="the bar's height in the chart's units")


class ChartData(BaseModel):
    """The data behind a bar chart."""

    title: str = Field(description="the chart's title, empty if none")
    bars: list[Bar] = Field(min_length=1, description="every bar, left to right")


def main() -> None:
    with Emulator(model="gpt-4o", api_key="cookbook-key") as emulator:
        llm = ChatAzureMultimodal(endpoint=emulator.endpoint_for("openai-v1"), api_key="cookbook-key", model="gpt-4o")
        extractor = llm.with_structured_output(ChartData, strict=True)
        message = HumanMessage([{"type": "text", "text": "Extract the chart's data."}, image_block(bar_chart_png())])
        chart = extractor.invoke([message])
        print(type(chart).__name__, chart.model_dump())
        print("response_format sent:", emulator.requests[-1].body["response_format"]["json_schema"]["name"])


if __name__ == "__main__":
    main()
