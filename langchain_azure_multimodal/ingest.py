"""Batch ingest: describe images, or transcribe or translate audio, for whole folders, and survive any crash.

The output JSONL file is also the record of what is done. Its first line is the run's *identity*: the endpoint (kind
and host), the model, the task and its prompt, the image detail, the normalisation and generation options, and the
package version. Every other line is one input file's result, keyed by its resolved path, naming the model and
endpoint that answered, and on disk (``O_APPEND`` write, ``fsync``) before the file counts as done.

- A rerun with the same identity resumes: it cuts off a half-written last line (a ``kill -9`` leaves at most one),
  skips every file already in the output, and does the rest, so none is lost and none is written twice. A file
  whose content changed since is done again, and its new line replaces the old one.
- A run with another identity on the same output stops before any request with :class:`RunIdentityError`, saying
  what differs; ``restart=True`` moves the old file aside (``<name>.<n>.bak``) and starts afresh.
- Identical content under two names is asked once; each file still gets its own line (``reused_from`` names the
  file whose answer it shares).
- One run at a time per output: the output is locked for the run (:class:`OutputLockedError` for a second one).
- Only the task's media are taken (by extension): images for ``describe``, audio for ``transcribe`` and
  ``translate``; other files are counted in :attr:`Summary.other`, not failed.
- A file that fails is recorded with its error, and the run goes on; ``retry_failed=True`` does the failures again.
  What no file can fix (a model that takes no such media, a failed sign-in, a 401/403/404) stops the run with
  :class:`EndpointRefusedError` instead: before the first request where it can be known, else at the first answer.
- An output the disk stops taking (full, a file-size limit, an I/O error) stops the run at once with
  :class:`OutputWriteError`; the lines saved before are kept whole, and the same run resumes once there is space.
- Symlink loops and broken symlinks under the folders are skipped with a ``UserWarning`` naming each (see
  :func:`~._walk.walk_folder`).

Example:
    >>> import asyncio, tempfile, pathlib
    >>> from PIL import Image
    >>> from langchain_azure_multimodal import ChatAzureMultimodal
    >>> from langchain_azure_multimodal.emulator import Emulator
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> Image.new("RGB", (32, 32), "red").save(folder / "a.png")
    >>> Image.new("RGB", (32, 32), "red").save(folder / "copy-of-a.png")
    >>> _ = (folder / "notes.txt").write_text("not an image")
    >>> with Emulator(api_key="k") as emu:
    ...     llm = ChatAzureMultimodal(endpoint=emu.endpoint, api_key="k", model=emu.model)
    ...     summary = asyncio.run(run_ingest([folder], task=Task.parse("describe"), out=folder / "out.jsonl",
    ...                                      llm=llm, progress=False))
    >>> summary.found, summary.other, summary.done, summary.reused, len(emu.requests)
    (2, 1, 2, 1, 1)
    >>> [(doc.metadata["status"], doc.metadata["model"]) for doc in load_results(folder / "out.jsonl")]
    [('ok', 'phi-4-multimodal-instruct'), ('ok', 'phi-4-multimodal-instruct')]
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from langchain_core.messages import BaseMessage, HumanMessage

from ._azure.statuses import ResponseStatuses, refusal_of
from ._concurrency import in_order
from ._ingest_files import Inputs, endpoint_label, run_identity
from ._ingest_task import Task
from ._ledger import Ledger, LedgerIndex, LedgerWriter, OutputWriteError, sha256_of
from ._lock import exclusive_output
from ._progress import Reporter, progress_reporter
from ._urls import to_data_url
from .chat_models import ChatAzureMultimodal
from .errors import EndpointRefusedError, IngestRefusedError, OutputLockedError, RunIdentityError
from .estimates import Prices
from .parts import image_part, split_audio
from .profiles import ImageDetail
from .ratelimit import RateLimiter

__all__ = [
    "EndpointRefusedError",
    "IngestRefusedError",
    "Ledger",
    "OutputLockedError",
    "OutputWriteError",
    "ResponseStatuses",
    "RunIdentityError",
    "Summary",
    "Task",
    "load_results",
    "process_batch",
    "process_item",
    "run_identity",
    "run_ingest",
]


@dataclass
class Summary:
    """How a run went.

    ``found``: files of the task's media; ``other``: files skipped as not the task's media (by extension, in
    ``other_by_extension``); ``skipped``: found files already done (``failed_earlier`` of them failed); ``done`` and
    ``failed``: finished now; ``reused``: of those done now, answered from an identical file's answer, with no
    request; ``retried``: earlier failures removed to be done again; tokens and the ``cost`` at the prices given
    (``None`` without prices); ``throttled``: 429 answers seen (every try, when ``statuses`` was given), of which
    ``throttled_gave_up`` were the last try of a file that then failed.
    """

    found: int = 0
    other: int = 0
    other_by_extension: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    done: int = 0
    failed: int = 0
    reused: int = 0
    tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    retried: int = 0
    failed_earlier: int = 0
    throttled: int = 0
    throttled_gave_up: int = 0
    restarted_from: Path | None = None


async def process_item(
    path: Path,
    sha256: str,
    task: Task,
    llm: ChatAzureMultimodal,
    limiter: RateLimiter,
    *,
    segment_seconds: float = 300.0,
    detail: ImageDetail | None = None,
    endpoint: str | None = None,
) -> dict[str, Any]:
    """The output record for one file: its text, or its error.

    Raises :class:`EndpointRefusedError` instead of recording an error that no file could avoid (sign-in, 401,
    403, 404), so that a run stops at the first one.
    """
    record: dict[str, Any] = {
        "source": str(path),
        "path": str(path.resolve()),
        "sha256": sha256,
        "task": task.name,
        "model": llm.model,
        "endpoint": endpoint or endpoint_label(llm),
        "size_bytes": path.stat().st_size,
    }
    try:
        if task.kind == "describe":
            image = _image_url_block(image_part(path, detail=detail))
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
    except Exception as error:  # recorded, and the run goes on, unless no other file could do better
        if (refusal := refusal_of(error)) is not None:
            raise EndpointRefusedError(refusal.what, where=record["endpoint"], fix=refusal.fix) from None
        record.update(status="error", error=f"{type(error).__name__}: {error}")
        if isinstance(status := getattr(error, "status_code", None), int):
            record["http_status"] = status
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
    url = block.get("url") or to_data_url(block["mime_type"], block["base64"])
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


def _copy_for(path: Path, sha256: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The line of a file whose content another file's line already answered."""
    copied = {key: value for key, value in answer.items() if key not in ("tokens", "input_tokens", "output_tokens")}
    copied.update(source=str(path), path=str(path.resolve()), sha256=sha256, reused_from=answer["path"])
    return copied


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
    restart: bool = False,
    glob: str = "**/*",
    exclude: Sequence[str] = (),
    detail: ImageDetail | None = None,
    segment_seconds: float = 300.0,
    endpoint_name: str | None = None,
    statuses: ResponseStatuses | None = None,
    progress: bool = True,
) -> Summary:
    """Run ``task`` over every file of its media under ``paths`` not yet in ``out``; see the module docstring.

    ``glob`` and ``exclude`` choose files in folders as the document loaders do (``exclude`` also applies to the
    files named). ``endpoint_name`` names the endpoint in the identity and the lines instead of its host (the CLI
    names its embedded emulator so, whose port changes each run). ``statuses``: the hook the model's client counts
    statuses with (``client_kwargs={"raw_response_hook": statuses}``), for the 429s in the summary. ``progress``: a
    bar on a terminal, else one line every few files.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    if detail is not None and task.media != "image":
        raise ValueError(f"detail={detail!r} is for images; the {task.name} task takes audio, so leave it out")
    ledger, limiter = Ledger(out), RateLimiter(rpm=rpm, tpm=tpm)
    identity = run_identity(llm, task, endpoint_name=endpoint_name, detail=detail, segment_seconds=segment_seconds)
    inputs = Inputs(paths, media=task.media, glob=glob, exclude=exclude, output=ledger.path)
    inputs.check_output()
    inputs.check_model(llm, task, where=identity["endpoint"])
    total = inputs.count()  # a missing path, or an unreadable folder, is found before the output is touched
    summary = Summary(cost=0.0 if prices else None, other=inputs.other, other_by_extension=inputs.other_by_extension)
    with exclusive_output(ledger.path):
        if restart:
            summary.restarted_from = ledger.set_aside()
        index = ledger.index()
        _check_identity(ledger.path, index.identity, identity)
        if retry_failed or index.superseded:
            summary.retried = ledger.compact(drop_failed=retry_failed)
            index = ledger.index()
        if index.identity is None:
            ledger.start(identity)
        seen_before = statuses.counts[429] if statuses is not None else 0
        endpoint = identity["endpoint"]

        async def ask(path: Path, sha256: str) -> dict[str, Any]:
            return await process_item(path, sha256, task, llm, limiter, segment_seconds=segment_seconds,
                                      detail=detail, endpoint=endpoint)  # fmt: skip

        report = progress_reporter(total, enabled=progress)
        run = _Run(ledger, index, summary, concurrency=concurrency, prices=prices, report=report, ask=ask)
        try:
            await run(inputs)
        finally:
            report.close(summary)
            if statuses is not None:
                summary.throttled = statuses.counts[429] - seen_before
        if run.superseded:
            ledger.compact()
    return summary


class _Run:
    """The work of one run that holds the output's lock: a producer walks the inputs, workers ask the model, and one
    writer puts the lines on disk."""

    def __init__(
        self,
        ledger: Ledger,
        index: LedgerIndex,
        summary: Summary,
        *,
        concurrency: int,
        prices: Prices | None,
        report: Reporter,
        ask: Callable[[Path, str], Awaitable[dict[str, Any]]],
    ) -> None:
        self.ledger, self.index, self.summary, self.prices, self.report = ledger, index, summary, prices, report
        self.concurrency, self.ask = concurrency, ask
        self.queue: asyncio.Queue[tuple[Path, str, asyncio.Future[dict[str, Any]] | None] | None]
        self.queue = asyncio.Queue(maxsize=2 * concurrency)
        self.in_flight: dict[bytes, asyncio.Future[dict[str, Any]]] = {}  # content asked about now -> its answer
        self.superseded = 0  # lines of files whose content changed since

    async def __call__(self, inputs: Inputs) -> None:
        async with self.ledger.writer(on_disk=self.on_disk) as writer:
            try:
                async with asyncio.TaskGroup() as group:
                    # The writer's failure (a full disk) fails the group, which cancels the producer and the workers
                    # now: waiting for their next line would ask the model for answers nobody can save, and a
                    # producer blocked on a full queue would wait for workers that are gone.
                    watch = group.create_task(writer.failure())
                    jobs = [group.create_task(self.produce(inputs, writer))]
                    jobs += [group.create_task(self.work(writer)) for _ in range(self.concurrency)]
                    await asyncio.wait(jobs)
                    watch.cancel()
            except BaseExceptionGroup as errors:
                raise _first_refusal(errors) from None

    def on_disk(self, record: dict[str, Any], offset: int) -> None:
        _count(self.summary, record, self.prices)
        digest = bytes.fromhex(record["sha256"])
        if record["status"] == "ok":
            self.index.answer_at.setdefault(digest, offset)
        if (answer := self.in_flight.get(digest)) is not None and answer.done():
            del self.in_flight[digest]
        self.report.advance(self.summary)

    async def produce(self, inputs: Inputs, writer: LedgerWriter) -> None:
        for path in inputs:
            self.summary.found += 1
            sha256 = sha256_of(path)
            digest, earlier = bytes.fromhex(sha256), self.index.by_path.get(str(path.resolve()))
            if earlier is not None and earlier[0] == digest:
                self.summary.skipped += 1
                self.summary.failed_earlier += not earlier[1]
                self.report.advance(self.summary)
                continue
            self.superseded += earlier is not None
            if (leader := self.in_flight.get(digest)) is not None:
                await self.queue.put((path, sha256, leader))
            elif (offset := self.index.answer_at.get(digest)) is not None:
                writer.append(_copy_for(path, sha256, self.ledger.read_at(offset)))
            else:
                self.in_flight[digest] = asyncio.get_running_loop().create_future()
                await self.queue.put((path, sha256, None))
        # Only when the walk ended: on an error the task group cancels the workers, and nobody would take these.
        for _ in range(self.concurrency):
            await self.queue.put(None)

    async def work(self, writer: LedgerWriter) -> None:
        while (item := await self.queue.get()) is not None:
            path, sha256, leader = item
            if leader is not None and (answer := await asyncio.shield(leader))["status"] == "ok":
                writer.append(_copy_for(path, sha256, answer))
                continue  # a failure is not copied: the file is asked about on its own
            record = await self.ask(path, sha256)
            if leader is None:
                self.in_flight[bytes.fromhex(sha256)].set_result(record)
            writer.append(record)


def _first_refusal(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """What stopped the run: a refusal before any other error (the others are its consequences)."""
    refusals, others = group.split(IngestRefusedError)
    chosen = refusals or others
    assert chosen is not None
    error: BaseException = chosen
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


def _check_identity(path: Path, held: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> None:
    if held is None or dict(held) == dict(wanted):
        return
    differs = [
        f"{key} {held.get(key)!r} (this run: {wanted.get(key)!r})"
        for key in sorted(set(held) | set(wanted))
        if held.get(key) != wanted.get(key)
    ]
    raise RunIdentityError(
        f"it holds results of another question: {'; '.join(differs)}",
        where=str(path),
        fix=f"write to a new --out, or pass --restart to start this one afresh (the old file is kept as "
        f"{path.name}.<n>.bak)",
    )


def _count(summary: Summary, record: dict[str, Any], prices: Prices | None) -> None:
    summary.failed += record["status"] != "ok"
    summary.done += record["status"] == "ok"
    summary.reused += "reused_from" in record
    summary.throttled_gave_up += record.get("http_status") == 429
    summary.tokens += record.get("tokens", 0)
    summary.input_tokens += record.get("input_tokens", 0)
    summary.output_tokens += record.get("output_tokens", 0)
    if prices is not None:
        summary.cost = prices.cost(summary.input_tokens, summary.output_tokens)


def load_results(path: str | os.PathLike[str]) -> Iterator[Document]:
    """The ingest output as Documents, one per input file: the text as content, everything else (source, path,
    model, endpoint, status, error...) as metadata. The identity line is not a result and is left out."""
    for record in Ledger(path).records():
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

    def job(path: Path) -> Callable[[], Awaitable[dict[str, Any]]]:
        return lambda: process_item(path, sha256_of(path), parsed, llm, limiter)

    async def run_all() -> list[dict[str, Any]]:
        try:
            return [r async for r in in_order((job(Path(str(p))) for p in batch["path"]), limit=concurrency)]
        finally:
            await llm.aclose()

    records = asyncio.run(run_all())
    columns = ("source", "path", "sha256", "task", "model", "endpoint", "status", "text", "error", "tokens")
    return {column: [record.get(column) for record in records] for column in columns}
