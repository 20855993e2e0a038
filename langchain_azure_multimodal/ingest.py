"""Batch ingest: describe images, or transcribe or translate audio, for whole folders, and survive any crash.

The output JSONL file is also the ledger. Each finished item is one line, keyed by the content's SHA-256 and the
task, and on disk (``O_APPEND`` write, ``fsync``) before the item counts as done. A run that dies (``kill -9``
included) leaves at most one half-written last line. The next run cuts that line off, skips every item already in the
file, and does the rest, so no item is lost and none is written twice. An item that fails is recorded with its
error, and the run goes on; a failed item counts as done until a run with ``retry_failed=True`` (``--retry-failed``)
removes its line and does it again.

Example:
    >>> import asyncio, io, tempfile, pathlib
    >>> from PIL import Image
    >>> from langchain_azure_multimodal import ChatAzureMultimodal
    >>> from langchain_azure_multimodal.emulator import Emulator
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> Image.new("RGB", (32, 32), "red").save(folder / "a.png")
    >>> with Emulator(api_key="k") as emu:
    ...     llm = ChatAzureMultimodal(endpoint=emu.endpoint, api_key="k", model=emu.model)
    ...     summary = asyncio.run(run_ingest([folder], task=Task.parse("describe"), out=folder / "out.jsonl",
    ...                                      llm=llm, progress=False))
    >>> summary.done, summary.failed, [doc.metadata["status"] for doc in load_results(folder / "out.jsonl")]
    (1, 0, ['ok'])
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from langchain_core.documents import Document
from langchain_core.messages import BaseMessage, HumanMessage

from ._ledger import Ledger, LedgerWriter, discover, sha256_of
from .chat_models import ChatAzureMultimodal
from .estimates import Prices
from .parts import image_part, split_audio
from .ratelimit import RateLimiter

__all__ = ["Ledger", "Summary", "Task", "discover", "load_results", "process_batch", "process_item", "run_ingest"]


@dataclass(frozen=True)
class Task:
    """What to do with each file: ``describe`` (images), ``transcribe`` or ``translate:<language>`` (audio)."""

    kind: Literal["describe", "transcribe", "translate"]
    language: str | None = None

    @classmethod
    def parse(cls, text: str) -> Task:
        """``describe``, ``transcribe`` or ``translate:<language>``; a clear ``ValueError`` for anything else."""
        kind, _, language = text.strip().partition(":")
        if kind in ("describe", "transcribe") and not language:
            return cls(kind)  # type: ignore[arg-type]
        if kind == "translate" and language.strip():
            return cls("translate", language.strip())
        raise ValueError(f"unknown task {text!r}: use describe, transcribe or translate:<language> (translate:es)")

    @property
    def name(self) -> str:
        return f"translate:{self.language}" if self.kind == "translate" else self.kind

    @property
    def prompt(self) -> str:
        if self.kind == "describe":
            return "Describe this image in a few sentences, for a search index."
        if self.kind == "transcribe":
            return "Transcribe this audio."
        return f"Translate this audio into {self.language}."


@dataclass
class Summary:
    """How a run went: items found, skipped as already done, done now (ok), failed, tokens used, the cost at the
    prices given (``None`` without prices), how many earlier failures were removed to be done again (``retried``),
    and how many skipped items are failures of an earlier run (``failed_earlier``)."""

    found: int = 0
    skipped: int = 0
    done: int = 0
    failed: int = 0
    tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    retried: int = 0
    failed_earlier: int = 0


async def process_item(
    path: Path,
    sha256: str,
    task: Task,
    llm: ChatAzureMultimodal,
    limiter: RateLimiter,
    *,
    segment_seconds: float = 300.0,
) -> dict[str, Any]:
    """The ledger record for one file: its text, or its error."""
    record: dict[str, Any] = {
        "source": str(path),
        "sha256": sha256,
        "task": task.name,
        "size_bytes": path.stat().st_size,
    }
    try:
        if task.kind == "describe":
            image = _image_url_block(image_part(path))
            text, used = await _ask(llm, limiter, [HumanMessage([_text(task.prompt), image])])
            record.update(status="ok", text=text, **used)
            return record
        segments, total = [], {"tokens": 0, "input_tokens": 0, "output_tokens": 0}
        for part in split_audio(path, max_seconds=segment_seconds):
            text, used = await _ask(llm, limiter, [HumanMessage([_text(task.prompt), part])])
            extras = part["extras"]
            segments.append({"start_s": extras["start_s"], "end_s": extras["end_s"], "text": text})
            total = {key: total[key] + used[key] for key in total}
        record.update(status="ok", text="\n".join(s["text"] for s in segments), segments=segments, **total)
    except Exception as error:  # recorded, and the run goes on
        record.update(status="error", error=f"{type(error).__name__}: {error}")
    return record


def _text(text: str) -> dict[str, str]:
    return {"type": "text", "text": text}


def _image_url_block(block: dict[str, Any]) -> dict[str, Any]:
    """The image as an OpenAI-style ``image_url`` block, which the model takes like any other form.

    Why: for every v1 ``image`` block on every call, langchain-core 1.7-1.8 works out its list of data block types
    again with ``typing.get_type_hints`` before tracing (about 0.25 ms, a tenth of a small image's whole cost here);
    an ``image_url`` block is exactly what tracing would turn the v1 block into, and skips that.
    """
    detail = block.get("extras", {}).get("detail")
    url = block.get("url") or f"data:{block['mime_type']};base64,{block['base64']}"
    return {"type": "image_url", "image_url": {"url": url, **({"detail": detail} if detail else {})}}


async def _ask(
    llm: ChatAzureMultimodal, limiter: RateLimiter, messages: list[BaseMessage]
) -> tuple[str, dict[str, int]]:
    # The estimate normalises the media once more: only worth it when there is a token budget to keep.
    async with limiter.slot(tokens=llm.get_num_tokens_from_messages(messages) if limiter.tpm is not None else 0):
        reply = await llm.ainvoke(messages)
    usage = reply.usage_metadata
    used = {
        "tokens": usage["total_tokens"] if usage else 0,
        "input_tokens": usage["input_tokens"] if usage else 0,
        "output_tokens": usage["output_tokens"] if usage else 0,
    }
    return reply.text, used


async def run_ingest(
    paths: Sequence[str | os.PathLike[str]],
    *,
    task: Task,
    out: str | os.PathLike[str],
    llm: ChatAzureMultimodal,
    concurrency: int = 4,
    rpm: int | None = None,
    tpm: int | None = None,
    prices: Prices | None = None,
    retry_failed: bool = False,
    progress: bool = True,
) -> Summary:
    """Run ``task`` over every file under ``paths`` not yet in ``out``; see the module docstring.

    With ``retry_failed``, the failed items' lines are removed first, so they are done again.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    ledger, limiter = Ledger(out), RateLimiter(rpm=rpm, tpm=tpm)
    _check_output(ledger.path)
    # Counting first keeps the progress bar's total (and finds a missing path before the output is touched); the
    # work itself streams through a bounded queue to a fixed set of workers, so memory does not grow with the files.
    total = sum(1 for _ in discover(paths))
    summary = Summary(cost=0.0 if prices else None)
    if retry_failed:
        summary.retried = ledger.drop_failed()
    done = ledger.done_for(task.name)
    bar = _progress(total, enabled=progress)
    queue: asyncio.Queue[tuple[Path, str] | None] = asyncio.Queue(maxsize=2 * concurrency)
    own_output = ledger.path.resolve()

    async def produce() -> None:
        try:
            for path in discover(paths):
                if path.name == own_output.name and path.resolve() == own_output:
                    if bar is not None:
                        bar.total -= 1
                    continue
                summary.found += 1
                sha256 = sha256_of(path)
                key = bytes.fromhex(sha256)
                if key in done:
                    summary.skipped += 1
                    summary.failed_earlier += not done[key]
                    if bar is not None:
                        bar.update(1)
                    continue
                done[key] = True  # identical content named twice is done once
                await queue.put((path, sha256))
        finally:
            for _ in range(concurrency):
                await queue.put(None)

    def on_disk(record: dict[str, Any]) -> None:
        _count(summary, record, prices)
        if bar is not None:
            bar.update(1)
            shown: dict[str, object] = {"tokens": summary.tokens, "failed": summary.failed}
            if summary.cost is not None:
                shown["cost"] = f"{summary.cost:.4f} {prices.currency if prices else ''}".strip()
            bar.set_postfix(shown, refresh=False)

    async def work(writer: LedgerWriter) -> None:
        while (item := await queue.get()) is not None:
            writer.append(await process_item(item[0], item[1], task, llm, limiter))

    try:
        async with ledger.writer(on_disk=on_disk) as writer:
            await asyncio.gather(produce(), *(work(writer) for _ in range(concurrency)))
    finally:
        if bar is not None:
            bar.close()
    return summary


def _check_output(path: Path) -> None:
    if path.is_dir():
        raise IsADirectoryError(f"{path}: the output is a folder; name a .jsonl file in it, e.g. {path / 'out.jsonl'}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path}: the folder {path.parent} does not exist; create it, or write elsewhere")


def _count(summary: Summary, record: dict[str, Any], prices: Prices | None) -> None:
    summary.failed += record["status"] != "ok"
    summary.done += record["status"] == "ok"
    summary.tokens += record.get("tokens", 0)
    summary.input_tokens += record.get("input_tokens", 0)
    summary.output_tokens += record.get("output_tokens", 0)
    if prices is not None:
        summary.cost = (
            summary.input_tokens * prices.input_per_1k + summary.output_tokens * prices.output_per_1k
        ) / 1000


def _progress(total: int, *, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc="ingest")


def load_results(path: str | os.PathLike[str]) -> Iterator[Document]:
    """The ingest output as Documents: the text as content, everything else (source, status, error...) as metadata."""
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if line.endswith("\n"):
                record = json.loads(line)
                yield Document(page_content=record.pop("text", ""), metadata=record)


def process_batch(
    batch: Mapping[str, Sequence[Any]],
    *,
    task: str,
    endpoint: str,
    model: str,
    api_key: str | None = None,
    concurrency: int = 4,
) -> dict[str, list[Any]]:
    """The per-item work over a batch of paths (``batch["path"]``), as a plain function: a Ray Data ``map_batches``
    step, or any other batch runner. Returns one column per record field; failed items carry their ``error``.

    Example (Ray, local)::

        ray.data.from_items([{"path": str(p)} for p in files]).map_batches(
            process_batch, fn_kwargs={"task": "describe", "endpoint": url, "model": "gpt-4o", "api_key": key},
            batch_size=16, batch_format="numpy")
    """
    parsed = Task.parse(task)
    llm = ChatAzureMultimodal(endpoint=endpoint, model=model, api_key=api_key)
    limiter = RateLimiter()

    async def run_all() -> list[dict[str, Any]]:
        gate = asyncio.Semaphore(concurrency)

        async def one(path: Path) -> dict[str, Any]:
            async with gate:
                return await process_item(path, sha256_of(path), parsed, llm, limiter)

        try:
            return await asyncio.gather(*(one(Path(str(p))) for p in batch["path"]))
        finally:
            await llm.aclose()

    records = asyncio.run(run_all())
    columns = ("source", "sha256", "task", "status", "text", "error", "tokens")
    return {column: [record.get(column) for record in records] for column in columns}
