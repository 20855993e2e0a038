"""The ingest ledger: an identity line, one result per path, whole lines only, compaction in one step, writes
grouped; and the output's lock."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from langchain_azure_multimodal import _ledger
from langchain_azure_multimodal._ledger import Ledger
from langchain_azure_multimodal._lock import exclusive_output, lock_path
from langchain_azure_multimodal.errors import OutputLockedError

IDENTITY = {"model": "gpt-4o", "task": "describe"}


def digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def record(name: str, status: str = "ok", content: str | None = None) -> dict[str, str]:
    return {"path": f"/in/{name}", "sha256": digest(content or name), "status": status, "source": name}


def sources(path: Path) -> list[str]:
    return [json.loads(line)["source"] for line in path.read_text().splitlines()[1:]]


def started(tmp_path: Path) -> Ledger:
    ledger = Ledger(tmp_path / "out.jsonl")
    ledger.start(IDENTITY)
    return ledger


def test_the_index_reads_identity_and_statuses_and_cuts_a_half_written_last_line(tmp_path: Path) -> None:
    ledger = started(tmp_path)
    ledger.append(record("a"))
    ledger.append(record("b", "error"))
    with ledger.path.open("ab") as handle:
        handle.write(b'{"path": "/in/c", "sha2')  # what a kill during a write leaves
    index = ledger.index()
    assert index.identity == IDENTITY
    assert index.by_path == {"/in/a": (bytes.fromhex(digest("a")), True), "/in/b": (bytes.fromhex(digest("b")), False)}
    assert list(index.answer_at) == [bytes.fromhex(digest("a"))]  # failures are never answers to reuse
    assert ledger.read_at(index.answer_at[bytes.fromhex(digest("a"))])["source"] == "a"
    assert ledger.path.read_bytes().endswith(b"\n")


def test_a_file_started_twice_is_refused(tmp_path: Path) -> None:
    ledger = started(tmp_path)
    with pytest.raises(FileExistsError, match="already started"):
        ledger.start(IDENTITY)


def test_compact_drops_failures_and_superseded_lines_in_one_step(tmp_path: Path) -> None:
    ledger = started(tmp_path)
    for name, status in [("a", "ok"), ("b", "error"), ("c", "ok"), ("d", "error")]:
        ledger.append(record(name, status))
    ledger.append(record("c", "ok", content="c, edited"))  # c's content changed: its new line replaces the old
    assert ledger.index().superseded == 1
    assert [r["sha256"] for r in ledger.records() if r["source"] == "c"] == [digest("c, edited")]
    before = ledger.path.stat().st_ino
    assert ledger.compact(drop_failed=True) == 2
    assert sources(ledger.path) == ["a", "c"]
    assert json.loads(ledger.path.read_text().splitlines()[0]) == {"ingest_run": IDENTITY}
    assert ledger.path.stat().st_ino != before  # a new file put in place in one step, not an edit in place
    assert not list(tmp_path.glob("*-tmp"))
    assert ledger.compact(drop_failed=True) == 0
    assert ledger.index().superseded == 0


def test_compact_leaves_the_file_whole_if_it_dies_half_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = started(tmp_path)
    ledger.append(record("a"))
    ledger.append(record("b", "error"))
    original = ledger.path.read_bytes()

    def crash(*_: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(_ledger.os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        ledger.compact(drop_failed=True)
    assert ledger.path.read_bytes() == original


def test_set_aside_keeps_the_old_file_under_a_free_name(tmp_path: Path) -> None:
    ledger = started(tmp_path)
    (tmp_path / "out.jsonl.1.bak").write_text("an older backup")
    assert ledger.set_aside() == tmp_path / "out.jsonl.2.bak"
    assert not ledger.path.exists() and ledger.set_aside() is None
    assert (tmp_path / "out.jsonl.1.bak").read_text() == "an older backup"


def test_the_writer_groups_lines_into_few_fsyncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = started(tmp_path)
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(_ledger.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    counted: list[str] = []

    async def main() -> None:
        async def finish(i: int) -> None:
            await asyncio.sleep(i / 1000)  # 200 items finishing over 0.2 s
            writer.append(record(f"{i:03d}"))

        async with ledger.writer(interval_s=0.05, on_disk=lambda r, _: counted.append(r["source"])) as writer:
            await asyncio.gather(*(finish(i) for i in range(200)))

    asyncio.run(main())
    assert sorted(sources(ledger.path)) == [f"{i:03d}" for i in range(200)]
    assert sorted(counted) == [f"{i:03d}" for i in range(200)]  # each counted once, after it was written
    assert 2 <= len(synced) <= 10  # 200 lines over 0.2 s, a write every 50 ms


def test_an_item_counts_only_once_its_line_is_on_disk_at_the_offset_given(tmp_path: Path) -> None:
    ledger = started(tmp_path)
    seen_on_disk: list[bool] = []
    offsets: list[int] = []

    def on_disk(written: dict[str, str], offset: int) -> None:
        seen_on_disk.append(written["source"] in sources(ledger.path))
        offsets.append(offset)

    async def main() -> None:
        async with ledger.writer(on_disk=on_disk) as writer:
            writer.append(record("a"))
            writer.append(record("b"))
            assert seen_on_disk == []  # queued, not yet written

    asyncio.run(main())
    assert seen_on_disk == [True, True]
    assert [ledger.read_at(offset)["source"] for offset in offsets] == ["a", "b"]


def test_a_failed_write_stops_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_ledger, "_write_durably", full_disk)

    async def main() -> None:
        async with Ledger(tmp_path / "out.jsonl").writer(interval_s=0.0) as writer:
            writer.append(record("a"))
            await asyncio.sleep(0.05)
            writer.append(record("b"))

    with pytest.raises(OSError, match="No space left"):
        asyncio.run(main())


def test_the_writer_must_be_opened_first(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"async with ledger\.writer"):
        Ledger(tmp_path / "out.jsonl").writer().append(record("a"))


def test_a_line_that_is_not_a_record_is_named(tmp_path: Path) -> None:
    ledger = started(tmp_path)
    ledger.append(record("a"))
    with ledger.path.open("a") as handle:
        handle.write("a note someone typed\n")
    with pytest.raises(ValueError, match=r"out\.jsonl, line 3: not an ingest record .* write to a new --out"):
        ledger.index()


def test_a_file_without_an_identity_is_refused_with_the_way_out(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "out.jsonl")
    ledger.append({"sha256": digest("a"), "task": "describe", "status": "ok", "source": "a"})  # an older format
    with pytest.raises(ValueError, match=r"line 1: not an ingest record \(no run identity .*pass --restart"):
        ledger.index()


def test_the_lock_refuses_a_second_holder_at_once_and_names_the_first(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with exclusive_output(out):
        assert lock_path(out).read_text().strip() == str(os.getpid())
        refused = rf"pid {os.getpid()}\) is writing to this output.*another --out"
        with pytest.raises(OutputLockedError, match=refused), exclusive_output(out):
            pass
    with exclusive_output(out):  # released: free again
        pass
    assert not lock_path(out).exists()


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    holder = (
        "import os, sys; from pathlib import Path; from langchain_azure_multimodal._lock import exclusive_output\n"
        "with exclusive_output(Path(sys.argv[1])):\n    os.kill(os.getpid(), 9)\n"
    )
    run = subprocess.run([sys.executable, "-c", holder, str(out)], capture_output=True, timeout=60)
    assert run.returncode == -9
    assert lock_path(out).exists()  # left behind, with the dead run's pid in it
    with exclusive_output(out):
        assert lock_path(out).read_text().strip() == str(os.getpid())
