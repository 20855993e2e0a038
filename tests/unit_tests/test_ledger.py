"""The ingest ledger: whole lines only, statuses read back, failures dropped in one step, writes grouped."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from pathlib import Path

import pytest

from langchain_azure_multimodal import _ledger
from langchain_azure_multimodal._ledger import Ledger, discover


def digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def record(name: str, status: str = "ok") -> dict[str, str]:
    return {"sha256": digest(name), "task": "describe", "status": status, "source": name}


def sources(path: Path) -> list[str]:
    return [json.loads(line)["source"] for line in path.read_text().splitlines()]


def test_done_reads_statuses_and_cuts_a_half_written_last_line(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "out.jsonl")
    ledger.append(record("a"))
    ledger.append(record("b", "error"))
    with ledger.path.open("ab") as handle:
        handle.write(b'{"sha256": "c", "ta')  # what a kill during a write leaves
    assert ledger.done() == {f"{digest('a')}:describe": "ok", f"{digest('b')}:describe": "error"}
    assert ledger.done_for("describe") == {bytes.fromhex(digest("a")): True, bytes.fromhex(digest("b")): False}
    assert ledger.done_for("transcribe") == {}
    assert ledger.path.read_bytes().endswith(b"\n")


def test_drop_failed_keeps_the_ok_lines_only(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "out.jsonl")
    for name, status in [("a", "ok"), ("b", "error"), ("c", "ok"), ("d", "error")]:
        ledger.append(record(name, status))
    before = ledger.path.stat().st_ino
    assert ledger.drop_failed() == 2
    assert sources(ledger.path) == ["a", "c"]
    assert ledger.path.stat().st_ino != before  # a new file put in place in one step, not an edit in place
    assert not list(tmp_path.glob("*.retry-tmp"))
    assert ledger.drop_failed() == 0


def test_drop_failed_leaves_the_file_whole_if_it_dies_half_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = Ledger(tmp_path / "out.jsonl")
    ledger.append(record("a"))
    ledger.append(record("b", "error"))
    original = ledger.path.read_bytes()

    def crash(*_: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(_ledger.os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        ledger.drop_failed()
    assert ledger.path.read_bytes() == original


def test_the_writer_groups_lines_into_few_fsyncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(_ledger.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    ledger = Ledger(tmp_path / "out.jsonl")
    counted: list[str] = []

    async def main() -> None:
        async def finish(i: int) -> None:
            await asyncio.sleep(i / 1000)  # 200 items finishing over 0.2 s
            writer.append(record(f"{i:03d}"))

        async with ledger.writer(interval_s=0.05, on_disk=lambda r: counted.append(r["source"])) as writer:
            await asyncio.gather(*(finish(i) for i in range(200)))

    asyncio.run(main())
    lines = ledger.path.read_text().splitlines()
    assert sorted(json.loads(line)["source"] for line in lines) == [f"{i:03d}" for i in range(200)]
    assert sorted(counted) == [f"{i:03d}" for i in range(200)]  # each counted once, after it was written
    assert 2 <= len(synced) <= 10  # 200 lines over 0.2 s, a write every 50 ms


def test_an_item_counts_only_once_its_line_is_on_disk(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "out.jsonl")
    seen_on_disk: list[bool] = []

    def on_disk(written: dict[str, str]) -> None:
        seen_on_disk.append(written["source"] in sources(ledger.path))

    async def main() -> None:
        async with ledger.writer(on_disk=on_disk) as writer:
            writer.append(record("a"))
            assert seen_on_disk == []  # queued, not yet written

    asyncio.run(main())
    assert seen_on_disk == [True]


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


def test_discover_follows_links_that_stay_inside_and_no_others(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "a.png").write_bytes(b"a")
    (root / "sub" / "b.png").write_bytes(b"b")
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"s")
    (root / "inside-link.png").symlink_to(root / "sub" / "b.png")
    (root / "outside-link.png").symlink_to(outside)
    (root / "linked-dir").symlink_to(tmp_path, target_is_directory=True)
    found = [str(p.relative_to(root)) for p in discover([root])]
    assert found == ["a.png", "inside-link.png", "sub/b.png"]
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        list(discover([tmp_path / "missing"]))


def test_a_line_that_is_not_a_record_is_named(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "out.jsonl")
    ledger.append(record("a"))
    with ledger.path.open("a") as handle:
        handle.write("a note someone typed\n")
    with pytest.raises(ValueError, match=r"out\.jsonl, line 2: not an ingest record .* write to a new --out file"):
        ledger.done_for("describe")
