"""The RAG blob parsers and the agent tools, against the emulator: documents, metadata, bounded async, agents."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.documents.base import Blob
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_azure_multimodal import ChatAzureMultimodal, image_part
from langchain_azure_multimodal.document_loaders import AudioLoader, ImageLoader, to_blob
from langchain_azure_multimodal.emulator import Emulator, RecordedRequest, ScriptedResponse
from langchain_azure_multimodal.errors import MediaSourceError
from langchain_azure_multimodal.parsers import AudioTranscriptionParser, ImageDescriptionParser
from langchain_azure_multimodal.tools import describe_image_tool, translate_audio_tool
from tests.conftest import API_KEY
from tests.support.chat import chat_posts, completion, endpoint_of, model_on
from tests.support.media import encoded_audio, image_bytes, wav_bytes

EMULATOR = "[emulator:phi-4-multimodal-instruct]"
SIZES = [(64, 48), (80, 60), (32, 32), (120, 90), (50, 70), (96, 64), (40, 30), (72, 72)]


class CountingModel(ChatAzureMultimodal):
    """Counts the async calls in flight (each held a moment, so that unbounded calls would overlap)."""

    async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
        TRACK["now"] += 1
        TRACK["peak"] = max(TRACK["peak"], TRACK["now"])
        try:
            await asyncio.sleep(0.02)
            return await super()._agenerate(*args, **kwargs)
        finally:
            TRACK["now"] -= 1


TRACK = {"now": 0, "peak": 0}


@pytest.fixture
def counting(emulator: Emulator) -> CountingModel:
    TRACK.update(now=0, peak=0)
    return CountingModel(endpoint=endpoint_of(emulator, "foundry"), api_key=API_KEY, model=emulator.model)


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    for i, (width, height) in enumerate(SIZES):
        (folder / f"img{i:02d}.png").write_bytes(image_bytes(width, height))
    return folder


@pytest.fixture
def long_wav(tmp_path: Path) -> Path:
    path = tmp_path / "call.wav"
    path.write_bytes(wav_bytes(seconds=65, rate=8000))
    return path


def texts_of(request: RecordedRequest) -> list[str]:
    content = request.body["messages"][-1]["content"]
    return [part["text"] for part in content if part.get("type") == "text"]


def kinds_of(request: RecordedRequest) -> set[str]:
    return {
        part.get("type")
        for m in request.body["messages"]
        if isinstance(m.get("content"), list)
        for part in m["content"]
    }


# --- ImageDescriptionParser ------------------------------------------------------------------------------------


def test_image_parser_parses_path_blobs(emulator: Emulator, image_folder: Path) -> None:
    llm = model_on(emulator)
    parser = ImageDescriptionParser(llm, prompt="Describe for search.", detail="low")
    docs = [doc for path in sorted(image_folder.glob("*.png")) for doc in parser.lazy_parse(Blob.from_path(path))]

    assert len(docs) == len(SIZES)
    for i, (doc, (width, height)) in enumerate(zip(docs, SIZES, strict=True)):
        assert doc.page_content.startswith(f"{EMULATOR} Received 1 image: #1 png {width}x{height}")
        assert doc.page_content.endswith('Last user text: "Describe for search."')
        assert doc.metadata["source"] == str(image_folder / f"img{i:02d}.png")
        assert doc.metadata["filename"] == f"img{i:02d}.png"
        assert (doc.metadata["mime_type"], doc.metadata["width"], doc.metadata["height"]) == (
            "image/png",
            width,
            height,
        )
        assert doc.metadata["model"]
        assert doc.metadata["total_tokens"] == doc.metadata["input_tokens"] + doc.metadata["output_tokens"] > 0
    # The text is exactly the model's answer to the image and the prompt.
    direct = llm.invoke(
        [HumanMessage([{"type": "text", "text": "Describe for search."}, image_part(image_bytes(), detail="low")])]
    )
    assert docs[0].page_content == direct.text
    # detail reached the wire
    assert all(r.body["messages"][0]["content"][1]["image_url"]["detail"] == "low" for r in chat_posts(emulator))


def test_image_parser_keeps_blob_metadata_and_parses_in_memory_blobs(emulator: Emulator) -> None:
    parser = ImageDescriptionParser(model_on(emulator))
    blob = Blob.from_data(image_bytes(fmt="JPEG"), path="photos/cat.jpg", metadata={"album": "pets"})
    [doc] = parser.parse(blob)
    assert isinstance(doc, Document)
    assert doc.metadata["album"] == "pets"
    assert (doc.metadata["source"], doc.metadata["filename"], doc.metadata["mime_type"]) == (
        "photos/cat.jpg",
        "cat.jpg",
        "image/jpeg",
    )
    assert texts_of(chat_posts(emulator)[0]) == ["Describe this image for a search index."]


async def test_image_parser_async_bounds_concurrency_and_keeps_order(
    counting: CountingModel, image_folder: Path
) -> None:
    parser = ImageDescriptionParser(counting, max_concurrency=3)
    blobs = [Blob.from_path(path) for path in sorted(image_folder.glob("*.png"))]
    docs = [doc async for doc in parser.aparse_many(blobs)]

    assert [doc.metadata["source"] for doc in docs] == [str(blob.path) for blob in blobs]
    assert [(doc.metadata["width"], doc.metadata["height"]) for doc in docs] == SIZES
    assert all(f"png {w}x{h}" in doc.page_content for doc, (w, h) in zip(docs, SIZES, strict=True))
    assert 2 <= TRACK["peak"] <= 3  # calls did overlap, and never more than the bound

    TRACK.update(peak=0)

    async def blob_stream() -> Any:  # an async source of blobs, with a per-call bound
        for blob in blobs[:4]:
            yield blob

    again = [doc async for doc in parser.aparse_many(blob_stream(), max_concurrency=1)]
    assert [doc.page_content for doc in again] == [doc.page_content for doc in docs[:4]]
    assert TRACK["peak"] == 1


async def test_image_parser_alazy_parse_one_blob(emulator: Emulator) -> None:
    parser = ImageDescriptionParser(model_on(emulator), prompt="What is it?")
    docs = [doc async for doc in parser.alazy_parse(Blob.from_data(image_bytes(), path="x.png"))]
    assert len(docs) == 1
    assert docs[0].page_content.endswith('Last user text: "What is it?"')


def test_parsers_refuse_a_bad_concurrency(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        ImageDescriptionParser(model_on(emulator), max_concurrency=0)
    with pytest.raises(ValueError, match="segment_seconds"):
        AudioTranscriptionParser(model_on(emulator), segment_seconds=0)


# --- loaders feeding the parsers --------------------------------------------------------------------------------


def test_image_loader_load_and_parse_keeps_the_loader_metadata(emulator: Emulator, image_folder: Path) -> None:
    (image_folder / "notes.txt").write_text("not an image")
    loader = ImageLoader(image_folder, detail="low")
    docs = loader.load_and_parse(ImageDescriptionParser(model_on(emulator), prompt="Describe for search."))

    loaded = loader.load()
    assert len(docs) == len(SIZES) == len(chat_posts(emulator))
    for doc, source, (width, height) in zip(docs, loaded, SIZES, strict=True):
        assert doc.page_content.startswith(f"{EMULATOR} Received 1 image: #1 png {width}x{height}")
        assert doc.page_content.endswith('Last user text: "Describe for search."')
        for key in ("source", "kind", "mime_type", "size_bytes", "sha256", "width", "height", "detail"):
            assert doc.metadata[key] == source.metadata[key], key
        assert doc.metadata["detail"] == "low" and doc.metadata["model"] == emulator.model
        assert doc.metadata["filename"] == Path(source.metadata["source"]).name
        assert doc.metadata["total_tokens"] == doc.metadata["input_tokens"] + doc.metadata["output_tokens"] > 0
    # the loader's detail reached the wire, though the parser was given none
    assert [r.body["messages"][0]["content"][1]["image_url"]["detail"] for r in chat_posts(emulator)] == ["low"] * 8


def test_the_loader_detail_wins_over_the_parser_default(emulator: Emulator, image_folder: Path) -> None:
    parser = ImageDescriptionParser(model_on(emulator), detail="high")
    ImageLoader(image_folder / "img00.png", detail="low").load_and_parse(parser)
    ImageLoader(image_folder / "img01.png").load_and_parse(parser)
    assert [r.body["messages"][0]["content"][1]["image_url"]["detail"] for r in chat_posts(emulator)] == ["low", "high"]


async def test_alazy_load_and_parse_runs_the_calls_concurrently_in_order(
    counting: CountingModel, image_folder: Path
) -> None:
    loader = ImageLoader(image_folder)
    parser = ImageDescriptionParser(counting, max_concurrency=3)
    docs = [doc async for doc in loader.alazy_load_and_parse(parser)]

    assert [doc.metadata["source"] for doc in docs] == [doc.metadata["source"] for doc in loader.load()]
    assert [(doc.metadata["width"], doc.metadata["height"]) for doc in docs] == SIZES
    assert all(f"png {w}x{h}" in doc.page_content for doc, (w, h) in zip(docs, SIZES, strict=True))
    assert 2 <= TRACK["peak"] <= 3  # model calls overlapped, within the parser's bound
    TRACK.update(peak=0)
    assert [doc.page_content for doc in loader.lazy_load_and_parse(parser)] == [doc.page_content for doc in docs]
    assert TRACK["peak"] == 0  # the sync path makes no async calls


def test_bytes_and_urls_are_parsed_and_a_url_is_never_fetched(emulator: Emulator) -> None:
    jpeg = image_bytes(40, 30, "JPEG")
    docs = ImageLoader([jpeg, "https://example.com/photos/cat.jpg"]).load_and_parse(
        ImageDescriptionParser(model_on(emulator))
    )
    assert [doc.metadata["source"] for doc in docs] == ["bytes[#0]", "https://example.com/photos/cat.jpg"]
    assert docs[0].page_content.startswith(f"{EMULATOR} Received 1 image: #1 jpeg 40x30")
    assert "data" not in docs[0].metadata and docs[0].metadata["sha256"]
    assert docs[1].page_content.startswith(f"{EMULATOR} Received 1 image: #1 remote URL (remote, not fetched)")
    assert docs[1].metadata["mime_type"] == "image/jpeg"  # the loader's guess from the name
    urls = [part["image_url"]["url"] for r in chat_posts(emulator) for part in r.body["messages"][0]["content"][1:]]
    assert urls[0].startswith("data:image/jpeg;base64,") and urls[1] == "https://example.com/photos/cat.jpg"


def test_audio_loader_feeds_the_transcription_parser(emulator: Emulator, tmp_path: Path, long_wav: Path) -> None:
    (tmp_path / "browser.webm").write_bytes(encoded_audio(seconds=2.0, fmt="webm", codec="libopus"))
    docs = AudioLoader(tmp_path).load_and_parse(AudioTranscriptionParser(model_on(emulator), segment_seconds=30))

    assert [(Path(d.metadata["source"]).name, d.metadata["segment"]) for d in docs] == [
        ("browser.webm", 0),
        ("call.wav", 0),
        ("call.wav", 1),
        ("call.wav", 2),
    ]
    webm, *call = docs
    assert webm.metadata["kind"] == "audio" and webm.metadata["duration_s"] == pytest.approx(2.0, abs=0.1)
    assert webm.metadata["mime_type"] == "audio/mpeg"  # the segment sent: Opus in WebM goes out as MP3
    assert all(d.metadata["duration_s"] == 65.0 and d.metadata["sample_rate"] == 8000 for d in call)
    assert [(d.metadata["start_s"], d.metadata["end_s"]) for d in call] == [(0.0, 30.0), (30.0, 60.0), (60.0, 65.0)]
    assert all(d.page_content.startswith(f"{EMULATOR} Received 1 audio clip: #1 ") for d in docs)


def test_an_audio_url_is_refused_by_the_transcription_parser(emulator: Emulator) -> None:
    loader = AudioLoader("https://example.com/call.mp3")
    with pytest.raises(MediaSourceError, match="a URL is never fetched"):
        loader.load_and_parse(AudioTranscriptionParser(model_on(emulator)))
    assert chat_posts(emulator) == []


@pytest.mark.parametrize("how", ["parse", "lazy_parse", "aparse_many", "alazy_parse"])
async def test_a_parser_given_a_document_says_what_to_do(emulator: Emulator, image_folder: Path, how: str) -> None:
    [doc] = ImageLoader(image_folder / "img00.png").load()
    parser = ImageDescriptionParser(model_on(emulator))

    async def parse() -> list[Document]:
        if how == "aparse_many":
            return [d async for d in parser.aparse_many([doc])]  # type: ignore[list-item]
        if how == "alazy_parse":
            return [d async for d in parser.alazy_parse(doc)]  # type: ignore[arg-type]
        return list(getattr(parser, how)(doc))

    with pytest.raises(TypeError) as raised:
        await parse()
    message = str(raised.value)
    assert message.startswith("ImageDescriptionParser parses Blobs, not Document objects")
    assert "loader.lazy_load_and_parse(parser)" in message and "to_blob(doc)" in message
    assert parser.parse(to_blob(doc))[0].metadata["source"] == doc.metadata["source"]  # which does work


def test_a_parser_given_a_path_says_how_to_make_a_blob(emulator: Emulator, image_folder: Path) -> None:
    path = image_folder / "img00.png"
    with pytest.raises(TypeError, match=rf"not {type(path).__name__} objects; make one with Blob\.from_path\(path\)"):
        ImageDescriptionParser(model_on(emulator)).parse(path)  # type: ignore[arg-type]


async def test_a_parser_of_the_other_kind_is_refused_before_any_file_is_read(
    emulator: Emulator, image_folder: Path, long_wav: Path
) -> None:
    audio_parser = AudioTranscriptionParser(model_on(emulator))
    image_parser = ImageDescriptionParser(model_on(emulator))
    with pytest.raises(TypeError, match="AudioTranscriptionParser reads audio, and ImageLoader loads image"):
        ImageLoader(image_folder).load_and_parse(audio_parser)
    with pytest.raises(TypeError, match="ImageDescriptionParser reads image, and AudioLoader loads audio"):
        [doc async for doc in AudioLoader(long_wav).alazy_load_and_parse(image_parser)]
    assert chat_posts(emulator) == []


# --- AudioTranscriptionParser ------------------------------------------------------------------------------------


def test_audio_parser_one_document_per_segment(emulator: Emulator, long_wav: Path) -> None:
    parser = AudioTranscriptionParser(model_on(emulator), segment_seconds=30)
    docs = parser.parse(Blob.from_path(long_wav))

    assert [(d.metadata["segment"], d.metadata["start_s"], d.metadata["end_s"]) for d in docs] == [
        (0, 0.0, 30.0),
        (1, 30.0, 60.0),
        (2, 60.0, 65.0),
    ]
    assert all(d.metadata["source"] == str(long_wav) and d.metadata["mime_type"] == "audio/wav" for d in docs)
    assert all(d.page_content.startswith(f"{EMULATOR} Received 1 audio clip: #1 ") for d in docs)
    assert all(d.page_content.endswith('Last user text: "Transcribe this audio."') for d in docs)
    posts = chat_posts(emulator)
    assert len(posts) == 3 and all("input_audio" in kinds_of(p) for p in posts)


async def test_audio_parser_translates_async_with_bounded_concurrency(counting: CountingModel, long_wav: Path) -> None:
    parser = AudioTranscriptionParser(counting, translate_to="es", segment_seconds=30, max_concurrency=2)
    docs = [doc async for doc in parser.alazy_parse(Blob.from_path(long_wav))]

    assert [(d.metadata["start_s"], d.metadata["end_s"]) for d in docs] == [(0.0, 30.0), (30.0, 60.0), (60.0, 65.0)]
    assert all(d.metadata["language"] == "es" for d in docs)
    assert TRACK["peak"] == 2
    assert all(d.page_content.endswith('Last user text: "Translate this audio to es."') for d in docs)


def test_audio_parser_prompt_names_the_target_language_on_the_wire(emulator: Emulator, long_wav: Path) -> None:
    parser = AudioTranscriptionParser(model_on(emulator), translate_to="es", segment_seconds=30)
    docs = list(parser.lazy_parse(Blob.from_path(long_wav)))
    assert len(docs) == 3
    assert [texts_of(p) for p in chat_posts(emulator)] == [["Translate this audio to es."]] * 3


# --- tools ------------------------------------------------------------------------------------------------------


def test_describe_image_tool_answers_with_the_model_text(emulator: Emulator, image_folder: Path) -> None:
    tool = describe_image_tool(model_on(emulator), detail="high")
    assert tool.name == "describe_image"
    assert set(tool.args) == {"source", "question"}
    answer = tool.invoke({"source": str(image_folder / "img00.png"), "question": "What colour is it?"})
    assert answer.startswith(f"{EMULATOR} Received 1 image: #1 png 64x48")
    assert answer.endswith('Last user text: "What colour is it?"')
    default = tool.invoke({"source": str(image_folder / "img01.png")})
    assert default.endswith('Last user text: "Describe this image in detail."')


async def test_tools_async(emulator: Emulator, image_folder: Path, long_wav: Path) -> None:
    llm = model_on(emulator)
    described = await describe_image_tool(llm).ainvoke({"source": str(image_folder / "img02.png")})
    assert f"{EMULATOR} Received 1 image: #1 png 32x32" in described
    translated = await translate_audio_tool(llm, segment_seconds=30).ainvoke(
        {"source": str(long_wav), "target_language": "French"}
    )
    lines = translated.split("\n")
    assert len(lines) == 3 and all("Received 1 audio clip" in line for line in lines)


def test_translate_audio_tool_answers_with_the_model_text(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "hola.wav"
    path.write_bytes(wav_bytes(seconds=2))
    tool = translate_audio_tool(model_on(emulator))
    assert tool.name == "translate_audio"
    assert set(tool.args) == {"source", "target_language"}
    answer = tool.invoke({"source": str(path), "target_language": "es"})
    assert answer.startswith(f"{EMULATOR} Received 1 audio clip: #1 ")
    assert answer.endswith('Last user text: "Translate this audio to es. Answer with the translation only."')


def test_tools_return_errors_to_the_agent_instead_of_raising(emulator: Emulator, tmp_path: Path) -> None:
    llm = model_on(emulator)
    missing = describe_image_tool(llm).invoke({"source": str(tmp_path / "nope.png")})
    assert missing.startswith(f"Error: {tmp_path / 'nope.png'}: no such file")
    not_audio = tmp_path / "notes.txt"
    not_audio.write_text("just text")
    wrong = translate_audio_tool(llm).invoke({"source": str(not_audio), "target_language": "es"})
    assert wrong.startswith("Error: ")
    folder = translate_audio_tool(llm).invoke({"source": str(tmp_path), "target_language": "es"})
    assert "this is a directory" in folder
    assert chat_posts(emulator) == []  # nothing was sent


# --- agents -----------------------------------------------------------------------------------------------------


def tool_call_turn(name: str, arguments: dict[str, Any]) -> ScriptedResponse:
    call = {"id": "call_1", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
    return ScriptedResponse(json=completion({"content": None, "tool_calls": [call]}, finish_reason="tool_calls"))


def check_agent_run(emulator: Emulator, messages: list[Any], wav: Path) -> None:
    posts = chat_posts(emulator)
    assert len(posts) == 3  # agent turn (scripted tool call), the tool's own request, the agent's final turn
    assert "tools" in posts[0].body and "input_audio" not in kinds_of(posts[0])
    assert "input_audio" in kinds_of(posts[1]) and "tools" not in posts[1].body
    assert texts_of(posts[1]) == ["Translate this audio to es. Answer with the translation only."]
    [tool_message] = [m for m in messages if isinstance(m, ToolMessage)]
    assert tool_message.name == "translate_audio" and tool_message.status == "success"
    assert tool_message.text.startswith(f"{EMULATOR} Received 1 audio clip: #1 ")
    assert posts[2].body["messages"][-1]["role"] == "tool"
    assert posts[2].body["messages"][-1]["content"] == tool_message.content
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert final.text.startswith(EMULATOR)


@pytest.fixture
def short_wav(tmp_path: Path) -> Path:
    path = tmp_path / "hola.wav"
    path.write_bytes(wav_bytes(seconds=3))
    return path


def test_create_agent_calls_translate_audio(emulator: Emulator, short_wav: Path) -> None:
    from langchain.agents import create_agent

    llm = model_on(emulator)
    emulator.enqueue(tool_call_turn("translate_audio", {"source": str(short_wav), "target_language": "es"}))
    agent = create_agent(model=llm, tools=[translate_audio_tool(llm), describe_image_tool(llm)])
    result = agent.invoke({"messages": [HumanMessage(f"Translate {short_wav} to Spanish.")]})
    check_agent_run(emulator, result["messages"], short_wav)


async def test_create_agent_async_calls_translate_audio(emulator: Emulator, short_wav: Path) -> None:
    from langchain.agents import create_agent

    llm = model_on(emulator)
    emulator.enqueue(tool_call_turn("translate_audio", {"source": str(short_wav), "target_language": "es"}))
    agent = create_agent(model=llm, tools=[translate_audio_tool(llm)])
    result = await agent.ainvoke({"messages": [HumanMessage(f"Translate {short_wav} to Spanish.")]})
    check_agent_run(emulator, result["messages"], short_wav)


def test_agent_sees_a_tool_error_and_goes_on(emulator: Emulator, tmp_path: Path) -> None:
    from langchain.agents import create_agent

    llm = model_on(emulator)
    emulator.enqueue(tool_call_turn("describe_image", {"source": str(tmp_path / "missing.png")}))
    agent = create_agent(model=llm, tools=[describe_image_tool(llm)])
    result = agent.invoke({"messages": [HumanMessage("Describe missing.png")]})
    [tool_message] = [m for m in result["messages"] if isinstance(m, ToolMessage)]
    assert tool_message.status == "error"
    assert tool_message.text.startswith("Error: ") and "no such file" in tool_message.content
    assert isinstance(result["messages"][-1], AIMessage)
    assert len(chat_posts(emulator)) == 2  # the tool sent nothing
