"""ImageLoader / AudioLoader: folders, globs, URLs, bytes, errors, symlinks, async and flat memory."""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.document_loaders import BaseBlobParser
from langchain_core.documents import Document
from langchain_core.documents.base import Blob
from langchain_core.messages import HumanMessage

from langchain_azure_multimodal.document_loaders import AudioLoader, ImageLoader, to_blob, to_message_part
from langchain_azure_multimodal.errors import MediaDecodeError, MediaError, MediaSourceError
from tests.support.media import encoded_audio, image_bytes, wav_bytes


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    _write(root / "a.png", image_bytes(64, 48, "PNG"))
    _write(root / "b.jpg", image_bytes(30, 20, "JPEG"))
    _write(root / "c.gif", image_bytes(10, 12, "GIF"))
    _write(root / "notes.txt", b"not an image")
    _write(root / "sub" / "d.png", image_bytes(8, 9, "PNG"))
    _write(root / "drafts" / "e.png", image_bytes(5, 5, "PNG"))
    _write(root / "f.tmp.png", image_bytes(6, 6, "PNG"))
    return root


def _names(docs: list[Document]) -> list[str]:
    return [doc.page_content for doc in docs]


def test_folder_gives_metadata_equal_to_the_files(folder: Path) -> None:
    docs = ImageLoader(folder, exclude=["drafts", "*.tmp.png"]).load()
    assert _names(docs) == ["a.png", "b.jpg", "c.gif", "d.png"]  # sorted; .txt, excluded folder and name skipped
    expected = {"a.png": ("image/png", 64, 48), "b.jpg": ("image/jpeg", 30, 20), "c.gif": ("image/gif", 10, 12),
                "d.png": ("image/png", 8, 9)}  # fmt: skip
    for doc in docs:
        path = Path(doc.metadata["source"])
        data = path.read_bytes()
        meta = doc.metadata
        assert (meta["mime_type"], meta["width"], meta["height"]) == expected[path.name]
        assert meta["size_bytes"] == len(data)
        assert meta["sha256"] == hashlib.sha256(data).hexdigest()
        assert meta["kind"] == "image" and "data" not in meta  # path-backed Documents hold no bytes
    assert Path(docs[3].metadata["source"]) == folder / "sub" / "d.png"


def test_recursive_false_only_reads_the_top_level(folder: Path) -> None:
    assert _names(ImageLoader(folder, recursive=False).load()) == ["a.png", "b.jpg", "c.gif", "f.tmp.png"]
    assert "d.png" in _names(ImageLoader(folder, recursive=True).load())


def test_glob_selects_files_at_any_depth_or_only_the_top(folder: Path) -> None:
    # depth-first, sorted by name: drafts/e.png comes before f.tmp.png and sub/d.png
    assert _names(ImageLoader(folder, glob="*.png").load()) == [
        "a.png",
        "e.png",
        "f.tmp.png",
        "d.png",
    ]  # depth-first, sorted by name
    assert _names(ImageLoader(folder, glob="*.png", recursive=False).load()) == ["a.png", "f.tmp.png"]
    assert _names(ImageLoader(folder, glob="sub/*").load()) == ["d.png"]


def test_url_is_kept_as_a_url_and_gives_a_url_block() -> None:
    [doc] = ImageLoader(["https://example.com/photos/cat.JPG?size=large"], detail="high").load()
    assert doc.metadata == {"source": "https://example.com/photos/cat.JPG?size=large", "kind": "image",
                            "mime_type": "image/jpeg", "detail": "high"}  # fmt: skip
    part = to_message_part(doc)
    assert part == {"type": "image", "url": doc.metadata["source"], "extras": {"detail": "high"}}
    [audio] = AudioLoader("http://example.com/stream").load()
    assert audio.metadata["mime_type"] is None
    assert to_message_part(audio) == {"type": "audio", "url": "http://example.com/stream"}


def test_bytes_sources_keep_their_data() -> None:
    png, jpeg = image_bytes(4, 3, "PNG"), image_bytes(5, 6, "JPEG")
    docs = ImageLoader([png, bytearray(jpeg)]).load()
    assert [doc.metadata["source"] for doc in docs] == ["bytes[#0]", "bytes[#1]"]
    assert [(doc.metadata["width"], doc.metadata["height"]) for doc in docs] == [(4, 3), (5, 6)]
    assert docs[1].metadata["sha256"] == hashlib.sha256(jpeg).hexdigest()
    assert base64.b64decode(to_message_part(docs[1])["base64"]) == jpeg


def test_audio_loader_reads_wav_mp3_and_ogg(tmp_path: Path) -> None:
    _write(tmp_path / "a.wav", wav_bytes(seconds=1.0, rate=16000))
    _write(tmp_path / "b.mp3", encoded_audio(seconds=1.0, fmt="mp3", codec="libmp3lame", rate=16000))
    _write(tmp_path / "c.ogg", encoded_audio(seconds=1.0, fmt="ogg", codec="libopus"))
    _write(tmp_path / "d.png", image_bytes())
    docs = AudioLoader(tmp_path).load()
    assert _names(docs) == ["a.wav", "b.mp3", "c.ogg"]
    meta = {doc.page_content: doc.metadata for doc in docs}
    assert meta["a.wav"]["mime_type"] == "audio/wav" and meta["a.wav"]["duration_s"] == 1.0
    assert meta["b.mp3"]["mime_type"] == "audio/mpeg" and meta["c.ogg"]["mime_type"] == "audio/ogg"
    assert [meta[name]["sample_rate"] for name in ("a.wav", "b.mp3", "c.ogg")] == [16000, 16000, 48000]
    assert all(m["channels"] == 1 and m["duration_s"] == pytest.approx(1.0, abs=0.1) for m in meta.values())
    for doc in docs:
        data = Path(doc.metadata["source"]).read_bytes()
        assert doc.metadata["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    """The recordings people have: browser (WebM/Opus), phone (MP4 and M4A AAC), WhatsApp (Opus), and two images."""
    _write(tmp_path / "browser.webm", encoded_audio(seconds=1.0, fmt="webm", codec="libopus"))
    _write(tmp_path / "phone.mp4", encoded_audio(seconds=1.0, fmt="mp4", codec="aac"))
    _write(tmp_path / "memo.m4a", encoded_audio(seconds=1.0, fmt="ipod", codec="aac"))
    _write(tmp_path / "note.opus", encoded_audio(seconds=1.0, fmt="ogg", codec="libopus"))
    _write(tmp_path / "radio.aac", encoded_audio(seconds=1.0, fmt="adts", codec="aac"))
    _write(tmp_path / "take.flac", encoded_audio(seconds=1.0, fmt="flac", codec="flac"))
    _write(tmp_path / "chart.png", image_bytes(20, 10, "PNG"))
    _write(tmp_path / "scan.jfif", image_bytes(30, 20, "JPEG"))
    _write(tmp_path / "notes.txt", b"not media")
    return tmp_path


def test_audio_loader_takes_webm_mp4_m4a_and_opus_from_a_folder(recordings: Path) -> None:
    docs = AudioLoader(recordings).load()
    assert _names(docs) == ["browser.webm", "memo.m4a", "note.opus", "phone.mp4", "radio.aac", "take.flac"]
    mimes = {doc.page_content: doc.metadata["mime_type"] for doc in docs}  # from the bytes, as ever
    assert mimes == {"browser.webm": "audio/webm", "memo.m4a": "audio/mp4", "note.opus": "audio/ogg",
                     "phone.mp4": "audio/mp4", "radio.aac": "audio/aac", "take.flac": "audio/flac"}  # fmt: skip
    assert all(doc.metadata["duration_s"] == pytest.approx(1.0, abs=0.1) for doc in docs)


def test_image_loader_leaves_the_recordings_alone(recordings: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="langchain_azure_multimodal.document_loaders"):
        docs = ImageLoader(recordings).load()
    assert _names(docs) == ["chart.png", "scan.jfif"]
    assert [doc.metadata["mime_type"] for doc in docs] == ["image/png", "image/jpeg"]
    skipped = sorted(r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    assert skipped == sorted(f"skipping {recordings / name}: its extension is not an image type"
                             for name in ("browser.webm", "memo.m4a", "note.opus", "notes.txt", "phone.mp4",
                                          "radio.aac", "take.flac"))  # fmt: skip


def test_the_machine_mime_types_do_not_decide(recordings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown(*args: object, **kwargs: object) -> tuple[None, None]:
        return None, None

    monkeypatch.setattr(mimetypes, "guess_type", unknown)  # a machine whose mime.types knows nothing
    assert _names(ImageLoader(recordings).load()) == ["chart.png", "scan.jfif"]
    assert len(AudioLoader(recordings).load()) == 6
    [image_url, audio_url] = ImageLoader("https://example.com/a.JFIF").load() + AudioLoader("http://x/b.weba").load()
    assert (image_url.metadata["mime_type"], audio_url.metadata["mime_type"]) == ("image/jpeg", "audio/webm")


def test_a_url_is_typed_by_the_table_for_its_own_kind_only() -> None:
    urls = ["https://example.com/rec.webm", "https://example.com/clip.mp4?t=3", "https://example.com/page.html"]
    assert [d.metadata["mime_type"] for d in AudioLoader(urls).load()] == ["audio/webm", "audio/mp4", None]
    assert [d.metadata["mime_type"] for d in ImageLoader(urls).load()] == [None, None, None]


@pytest.mark.parametrize(("loader", "name", "data"), [
    (ImageLoader, "photo.png", image_bytes(40, 30, "PNG")),
    (AudioLoader, "memo.wav", wav_bytes(seconds=0.25)),
])  # fmt: skip
def test_to_message_part_reads_the_file_into_a_block(tmp_path: Path, loader: type[ImageLoader], name: str,
                                                     data: bytes) -> None:  # fmt: skip
    path = _write(tmp_path / name, data)
    [doc] = loader(path).load()
    part = loader(path).to_message_part(doc)
    assert part["type"] == doc.metadata["kind"] and part["mime_type"] == doc.metadata["mime_type"]
    assert base64.b64decode(part["base64"]) == data
    assert part["extras"]["filename"] == name
    HumanMessage(content=[{"type": "text", "text": "what is this?"}, part])
    path.write_bytes(data + b"\0")  # changed since loaded
    with pytest.raises(MediaSourceError, match="changed since it was loaded"):
        to_message_part(doc)


def test_to_message_part_refuses_a_foreign_document() -> None:
    with pytest.raises(MediaSourceError, match="ImageLoader or AudioLoader"):
        to_message_part(Document(page_content="hi", metadata={"source": "x.txt"}))


def test_unreadable_files_raise_or_are_skipped_with_a_warning(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.png", image_bytes())
    truncated = _write(tmp_path / "truncated.png", image_bytes(64, 64, "PNG")[:-40])
    empty = _write(tmp_path / "empty.png", b"")
    with pytest.raises(MediaDecodeError) as decode_error:
        ImageLoader(tmp_path, glob="t*").load()
    assert str(truncated) in str(decode_error.value)
    with pytest.raises(MediaSourceError, match="empty") as empty_error:
        ImageLoader([good, empty]).load()
    assert str(empty) in str(empty_error.value) and empty_error.value.fix
    with pytest.raises(MediaError, match="empty"):
        ImageLoader([b""]).load()
    with pytest.warns(UserWarning, match="skipped") as caught:
        docs = ImageLoader(tmp_path, on_error="skip").load()
    assert _names(docs) == ["good.png"]
    assert sorted(str(w.message).split(":")[1].strip() for w in caught) == sorted([str(empty), str(truncated)])
    text = _write(tmp_path / "named.txt", b"plain text")
    with pytest.raises(MediaDecodeError):  # a file named explicitly is inspected whatever its extension
        ImageLoader(text).load()
    with pytest.raises(MediaSourceError, match="no such file"):
        ImageLoader(tmp_path / "missing.png").load()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads every file; POSIX permissions only")
def test_permission_denied_is_reported(tmp_path: Path) -> None:
    locked = _write(tmp_path / "locked.png", image_bytes())
    locked.chmod(0)
    try:
        with pytest.raises(MediaSourceError, match="permission denied"):
            ImageLoader(tmp_path).load()
        with pytest.warns(UserWarning, match="permission denied"):
            assert ImageLoader(tmp_path, on_error="skip").load() == []
    finally:
        locked.chmod(0o644)


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="POSIX symlinks")
def test_symlinks_leaving_the_root_are_not_followed(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    _write(root / "real.png", image_bytes())
    _write(outside / "secret.png", image_bytes())
    (root / "inside_link.png").symlink_to(root / "real.png")
    (root / "outside_link.png").symlink_to(outside / "secret.png")
    (root / "outside_dir").symlink_to(outside, target_is_directory=True)
    (root / "loop").mkdir()
    (root / "loop" / "back").symlink_to(root, target_is_directory=True)  # a loop back to the root
    (root / "self").symlink_to(root / "self")  # a symlink to itself
    docs = ImageLoader(root).load()
    assert _names(docs) == ["inside_link.png", "real.png"]
    assert docs[0].metadata["sha256"] == docs[1].metadata["sha256"]


async def test_alazy_load_yields_the_same_documents(folder: Path) -> None:
    _write(folder / "broken.png", b"\x89PNG garbage")
    loader = ImageLoader([folder, "https://example.com/x.png", image_bytes(3, 3)], on_error="skip")
    with pytest.warns(UserWarning, match=r"broken\.png"):
        expected = loader.load()
    with pytest.warns(UserWarning, match=r"broken\.png"):
        got = [doc async for doc in loader.alazy_load()]
    assert got == expected and len(got) == 8  # 6 files, the URL, the bytes
    with pytest.raises(MediaDecodeError, match=r"broken\.png"):
        [doc async for doc in ImageLoader(folder).alazy_load()]


def test_alazy_load_is_native() -> None:
    from langchain_core.document_loaders import BaseLoader

    assert ImageLoader.alazy_load is not BaseLoader.alazy_load
    assert AudioLoader.alazy_load is not BaseLoader.alazy_load


def test_memory_stays_flat_over_many_files(tmp_path: Path) -> None:
    data = wav_bytes(seconds=0.25, rate=8000)  # 4 kB each, 8 MB in all
    for index in range(2000):
        (tmp_path / f"{index:04d}.wav").write_bytes(data)
    tracemalloc.start()
    try:
        count = sum(1 for _ in AudioLoader(tmp_path).lazy_load())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 2000
    assert peak < len(data) * 2000 / 8  # Documents are made and dropped; no file's bytes are kept


# --- to_blob and the loaders feeding parsers ---------------------------------------------------------------------


def test_to_blob_of_a_file_is_path_backed_and_keeps_the_metadata(folder: Path) -> None:
    [doc] = ImageLoader(folder / "a.png", detail="high").load()
    blob = to_blob(doc)
    assert (blob.data, blob.path, blob.source, blob.mimetype) == (None, str(folder / "a.png"), doc.metadata["source"],
                                                                   "image/png")  # fmt: skip
    assert blob.metadata == doc.metadata  # sha256, width, height, detail...
    assert blob.as_bytes() == (folder / "a.png").read_bytes()


def test_to_blob_of_bytes_holds_the_data_and_not_in_its_metadata() -> None:
    wav = wav_bytes(seconds=0.25)
    [doc] = AudioLoader([wav]).load()
    blob = to_blob(doc)
    assert (blob.data, blob.path, blob.source, blob.mimetype) == (wav, None, "bytes[#0]", "audio/wav")
    assert "data" not in blob.metadata
    assert blob.metadata == {key: value for key, value in doc.metadata.items() if key != "data"}


def test_to_blob_of_a_url_carries_the_url_and_reads_nothing() -> None:
    [doc] = ImageLoader("https://example.com/cat.png").load()
    blob = to_blob(doc)
    assert (blob.data, blob.path, blob.source, blob.mimetype) == (None, doc.metadata["source"], doc.metadata["source"],
                                                                   "image/png")  # fmt: skip


def test_to_blob_refuses_a_foreign_document() -> None:
    with pytest.raises(MediaSourceError, match="ImageLoader or AudioLoader"):
        to_blob(Document(page_content="hi", metadata={"source": "x.txt"}))


class SizeParser(BaseBlobParser):
    """Any blob parser: one Document per blob, with the size of what it read."""

    def lazy_parse(self, blob: Blob) -> Iterator[Document]:
        yield Document(page_content=f"{len(blob.as_bytes())} bytes", metadata={**blob.metadata, "parsed": True})


async def test_any_blob_parser_is_fed_sync_and_async(folder: Path) -> None:
    loader = ImageLoader(folder, exclude=["drafts"], detail="low")
    docs = loader.load_and_parse(SizeParser())
    assert [doc.metadata["source"] for doc in docs] == [doc.metadata["source"] for doc in loader.load()]
    for doc in docs:
        data = Path(doc.metadata["source"]).read_bytes()
        assert doc.page_content == f"{len(data)} bytes" and doc.metadata["sha256"] == hashlib.sha256(data).hexdigest()
        assert doc.metadata["parsed"] and doc.metadata["detail"] == "low" and "width" in doc.metadata
    assert [doc async for doc in loader.alazy_load_and_parse(SizeParser())] == docs
    assert list(loader.lazy_load_and_parse(SizeParser())) == docs


def test_a_parser_must_be_a_blob_parser(folder: Path) -> None:
    with pytest.raises(TypeError, match="parser must be a BaseBlobParser, not function"):
        ImageLoader(folder).load_and_parse(lambda blob: [])  # type: ignore[arg-type]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match=r"exclude must be a sequence of patterns, not one string"):
        ImageLoader("x.png", exclude="*.tmp")  # read as '*', '.', ... it would exclude every file
    with pytest.raises(ValueError, match="glob is empty"):
        AudioLoader("x.wav", glob="")
    with pytest.raises(ValueError, match="on_error"):
        ImageLoader("x.png", on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="detail"):
        ImageLoader("x.png", detail="medium")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cannot load"):
        ImageLoader([3.5]).load()  # type: ignore[list-item]
