"""The OpenTelemetry spans of a chain that describes an image: one ``chat {model}`` span per model call, with the
GenAI attributes (model, settings, usage, finish reasons) and, when asked for, the messages with the image
summarised (type, MIME type, size, SHA-256), never its bytes.

The example gives the chat model its own tracer provider (``tracer_provider=``); an app usually sets the global one
(``opentelemetry.trace.set_tracer_provider``) or calls ``configure_azure_monitor()``, and the spans go there.
Needs ``opentelemetry-sdk`` (``pip install 'langchain-azure-multimodal[tracing]' opentelemetry-sdk``).

Runs offline: ``python cookbook/tracing_spans.py``.
"""

from __future__ import annotations

import json
import os

from _media import bar_chart_png, image_block
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator

SHOWN = (
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.request.temperature",
    "gen_ai.response.finish_reasons",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "server.address",
)


def main() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # Message content is recorded only when asked for; the image is summarised, never sent to the exporter.
    os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true"
    try:
        with Emulator(model="gpt-4o", api_key="cookbook-key") as emulator:
            llm = ChatAzureMultimodal(
                endpoint=emulator.endpoint_for("azure-openai"),
                api_key="cookbook-key",
                model="gpt-4o",
                temperature=0,
                tracer_provider=provider,
            )
            question = [{"type": "text", "text": "{question}"}, image_block(bar_chart_png())]
            prompt = ChatPromptTemplate.from_messages([("system", "You describe charts."), ("user", question)])
            chain = prompt | llm | StrOutputParser()
            print("answer:", chain.invoke({"question": "What does this chart show?"})[:60], "...")
    finally:
        del os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"]
    for span in exporter.get_finished_spans():
        print(f"span: {span.name} ({span.kind.name})")
        for key in SHOWN:
            print(f"  {key} = {span.attributes.get(key)!r}")
        for event in span.events:
            content = json.loads(str(event.attributes.get("gen_ai.event.content", "{}")))
            media = [item for item in _items(content) if item.get("type") in ("image", "audio")]
            print(f"  event {event.name}: {', '.join(_summary(m) for m in media) or 'text only'}")


def _items(content: dict) -> list[dict]:
    body = content.get("content")
    return [item for item in body if isinstance(item, dict)] if isinstance(body, list) else []


def _summary(item: dict) -> str:
    return f"{item['type']} {item.get('mime_type')} {item.get('size'):,} bytes sha256 {str(item.get('sha256'))[:12]}..."


if __name__ == "__main__":
    main()
