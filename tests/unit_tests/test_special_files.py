"""Only regular files are read (issue 16): a FIFO named like a photo or a recording, or a device such as
/dev/zero, is a typed MediaSourceError at once, from every reader, instead of a read that never ends."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from langchain_azure_multimodal.document_loaders import AudioLoader, ImageLoader
from langchain_azure_multimodal.errors import MediaSourceError
from langchain_azure_multimodal.parts import audio_part, image_part, split_audio

READERS: dict[str, tuple[Callable[[str], Any], str]] = {
    "image_part": (image_part, "photo.png"),
    "audio_part": (audio_part, "memo.wav"),
    "split_audio": (lambda path: list(split_audio(path)), "memo.wav"),
    "ImageLoader": (lambda path: ImageLoader([path]).load(), "photo.png"),
    "AudioLoader": (lambda path: AudioLoader([path]).load(), "memo.wav"),
}


@pytest.mark.parametrize("reader", READERS, ids=list(READERS))
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path, reader: str) -> None:
    read, name = READERS[reader]
    fifo = tmp_path / name
    os.mkfifo(fifo)
    with pytest.raises(MediaSourceError, match=r"named pipe \(FIFO\), not a regular file") as caught:
        read(str(fifo))
    assert str(fifo) in str(caught.value) and "Fix: pass a regular file" in str(caught.value)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
@pytest.mark.parametrize("reader", ["image_part", "split_audio"])
def test_an_endless_device_is_refused_before_any_read(reader: str) -> None:
    read, _ = READERS[reader]
    with pytest.raises(MediaSourceError, match="character device, not a regular file"):
        read("/dev/zero")


@pytest.mark.parametrize("kind", ["/dev/zero", "/dev/full", "fifo"])
def test_ingest_refuses_an_output_that_is_not_a_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    # Once: /dev/zero read back as one endless line (MemoryError), /dev/full hung the run on its first write.
    from langchain_azure_multimodal import cli

    if kind == "fifo":
        out = tmp_path / "out.jsonl"
        os.mkfifo(out)
    else:
        if not os.path.exists(kind):
            pytest.skip(f"no {kind} here")
        out = Path(kind)
    (tmp_path / "a.png").write_bytes(b"\x89PNG")
    assert cli.main(["ingest", str(tmp_path / "a.png"), "--task", "describe", "--out", str(out)]) == 2
    assert "the output is not a regular file" in capsys.readouterr().err
