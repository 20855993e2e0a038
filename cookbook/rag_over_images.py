"""A RAG agent over a folder of images: describe each image, index the descriptions, answer with sources.

1. A small folder of distinct images is made in a temp dir (two bar charts, a screenshot, a photo-like gradient).
2. ``ImageLoader(folder).load_and_parse(ImageDescriptionParser(llm))`` turns each image into a ``Document`` (its
   description, ``source`` = the file path), and the documents go into LangChain's ``InMemoryVectorStore``.
3. An agent (``langchain.agents.create_agent``) gets a ``search_images`` tool that runs a similarity search and
   returns the hits' descriptions with their source paths; it answers from them.

Embeddings: ``HashingEmbeddings`` (``_embeddings.py``, which says how to use an Azure OpenAI embedding deployment
instead) is a small but real embedding, so the example needs no download.

Runs offline against the embedded emulator: ``python cookbook/rag_over_images.py``. The emulator describes what it
received (format, size), so the query below names what it can tell apart; a real model describes the content.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from _embeddings import HashingEmbeddings
from _media import bar_chart_png
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from langchain_core.vectorstores import InMemoryVectorStore
from PIL import Image, ImageDraw

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.document_loaders import ImageLoader
from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.parsers import ImageDescriptionParser

QUERY = "the jpeg screenshot"


def make_images(folder: Path) -> None:
    """Four distinct images: a PNG bar chart, a smaller red one, a JPEG screenshot and a GIF gradient."""
    (folder / "sales_chart.png").write_bytes(bar_chart_png())
    red = Image.new("RGB", (480, 320), "white")
    draw = ImageDraw.Draw(red)
    for index, height in enumerate((90, 200, 140)):
        draw.rectangle((40 + index * 140, 300 - height, 130 + index * 140, 300), fill=(200, 30, 30))
    red.save(folder / "red_bars.png")
    screen = Image.new("RGB", (1280, 800), (240, 240, 240))
    draw = ImageDraw.Draw(screen)
    draw.rectangle((0, 0, 1280, 40), fill=(40, 40, 60))  # a title bar
    draw.rectangle((40, 80, 400, 760), fill=(255, 255, 255), outline=(180, 180, 180))  # a side panel
    draw.text((60, 100), "Settings", fill=(0, 0, 0))
    screen.save(folder / "app_screenshot.jpg", "JPEG")
    gradient = Image.new("RGB", (300, 300))
    gradient.putdata([(x % 256, y % 256, 128) for y in range(300) for x in range(300)])
    gradient.save(folder / "sunset.gif")


def main() -> None:
    with Emulator(model="gpt-4o", api_key="cookbook-key") as emulator, tempfile.TemporaryDirectory() as tmp:
        llm = ChatAzureMultimodal(endpoint=emulator.endpoint_for("openai-v1"), api_key="cookbook-key", model="gpt-4o")

        # Index: image -> description Document (with its source path) -> vector store.
        parser = ImageDescriptionParser(llm, prompt="Describe this image for a search index.")
        make_images(Path(tmp))
        documents = ImageLoader(tmp).load_and_parse(parser)
        store = InMemoryVectorStore(HashingEmbeddings())
        store.add_documents(documents)
        print(f"indexed {len(documents)} images: {', '.join(Path(doc.metadata['source']).name for doc in documents)}")

        @tool
        def search_images(query: str) -> str:
            """Search the indexed images; returns the best matches' descriptions with their source paths."""
            hits = store.similarity_search(query, k=2)
            return "\n".join(f"source: {hit.metadata['source']}\n{hit.page_content}" for hit in hits)

        agent = create_agent(model=llm, tools=[search_images])
        result = agent.invoke({"messages": [("user", f'Use search_images for "{QUERY}" and answer with sources.')]})

        for message in result["messages"]:
            if isinstance(message, AIMessage) and message.tool_calls:
                for call in message.tool_calls:
                    print(f"tool call: {call['name']}({call['args']})")
            elif isinstance(message, ToolMessage):
                sources = re.findall(r"^source: (.+)$", message.text, flags=re.MULTILINE)
                print(f"sources: {', '.join(Path(source).name for source in sources)}")
                print(f"top hit: {message.text.splitlines()[1]}")
        print(f"answer: {result['messages'][-1].text}")


if __name__ == "__main__":
    main()
