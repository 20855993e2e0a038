"""A folder of images to described Documents in one call, then a tiny in-memory search over them.

1. A folder is made with three images and a ``notes.txt``.
2. ``ImageLoader(folder, detail="low").load_and_parse(ImageDescriptionParser(llm))`` walks the folder (sorted; the
   ``.txt`` is skipped), reads each image once for its metadata and hands it to the parser, which asks the model for
   a description. Each described Document keeps the loader's metadata (``sha256``, ``width``, ``height``,
   ``detail``...) next to the parser's (``model``, token counts), and the loader's ``detail`` reaches the request.
3. ``alazy_load_and_parse`` does the same natively async, with up to the parser's ``max_concurrency`` model calls
   in flight, and yields the Documents in the same order.
4. The descriptions go into LangChain's ``InMemoryVectorStore``; a query finds its image.

Runs offline against the embedded emulator: ``python cookbook/describe_image_folder.py``. The emulator describes what
it received (format, size), so the query names what it can tell apart; a real model describes the content.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from _embeddings import HashingEmbeddings
from _media import bar_chart_png
from langchain_core.vectorstores import InMemoryVectorStore
from PIL import Image

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.document_loaders import ImageLoader
from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.parsers import ImageDescriptionParser

QUERY = "the gif image"


def make_folder(folder: Path) -> None:
    (folder / "chart.png").write_bytes(bar_chart_png())
    Image.new("RGB", (800, 600), (90, 140, 200)).save(folder / "photo.jpg", "JPEG")
    gradient = Image.new("RGB", (300, 300))
    gradient.putdata([(x % 256, y % 256, 128) for y in range(300) for x in range(300)])
    gradient.save(folder / "sunset.gif")
    (folder / "notes.txt").write_text("not an image: the loader skips it")


def main() -> None:
    with Emulator(model="gpt-4o", api_key="cookbook-key") as emulator, tempfile.TemporaryDirectory() as tmp:
        llm = ChatAzureMultimodal(endpoint=emulator.endpoint_for("openai-v1"), api_key="cookbook-key", model="gpt-4o")
        make_folder(Path(tmp))
        loader = ImageLoader(tmp, detail="low")
        parser = ImageDescriptionParser(llm, prompt="Describe this image for a search index.")

        documents = loader.load_and_parse(parser)
        print(f"described {len(documents)} images: {', '.join(doc.metadata['filename'] for doc in documents)}")
        for doc in documents:
            meta = doc.metadata
            print(f"  {meta['filename']}: {meta['width']}x{meta['height']}, sha256 {meta['sha256'][:12]}, "
                  f"detail={meta['detail']}, {meta['total_tokens']} tokens: {doc.page_content[:60]}...")  # fmt: skip
        details = {item["image_url"]["detail"] for request in emulator.requests
                   for item in request.body["messages"][0]["content"] if item["type"] == "image_url"}  # fmt: skip
        print(f"detail sent: {', '.join(sorted(details))}")

        async def described() -> list[str]:
            return [doc.page_content async for doc in loader.alazy_load_and_parse(parser)]

        same = asyncio.run(described()) == [doc.page_content for doc in documents]
        print(f"async: {'the same' if same else 'different'} descriptions, in the same order")

        store = InMemoryVectorStore(HashingEmbeddings())
        store.add_documents(documents)
        [hit] = store.similarity_search(QUERY, k=1)
        print(f"top hit for {QUERY!r}: {hit.metadata['filename']}")


if __name__ == "__main__":
    main()
