"""Ingest when the disk or the folders misbehave (issue 16): a full disk, a file-size limit or an I/O error while
saving a line stops the run (exit 2, one line saying what to do) and keeps every line saved before it whole, so the
next run resumes; symlink loops are skipped with a warning; a folder 1,500 deep is walked to the bottom."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from langchain_azure_multimodal import _ledger
from langchain_azure_multimodal.cli import main
from langchain_azure_multimodal.emulator import Emulator, Fault
from tests.conftest import API_KEY
from tests.integration_tests.test_ingest import CLI_ENV, lines_of, make_images
from tests.support.chat import chat_posts

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX errors, symlinks and resource limits")

FILES = 10
BOUND_S = 60  # a hung run fails the test instead of hanging the suite (there is no pytest-timeout here)


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_INFERENCE_CREDENTIAL", API_KEY)


def ingest(paths: list[Path], out: Path, emulator: Emulator, *extra: str) -> int:
    """The command, in this process, in a thread that must end within the bound (one request at a time, so that
    lines reach the disk in several writes)."""
    argv = ["ingest", *map(str, paths), "--task", "describe", "--out", str(out), "--no-progress",
            "--endpoint", emulator.endpoint, "--model", emulator.model, "--concurrency", "1", *extra]  # fmt: skip
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(main(argv)), daemon=True)
    thread.start()
    thread.join(BOUND_S)
    assert not thread.is_alive(), f"the run did not end within {BOUND_S} s"
    assert result, "the command raised instead of returning an exit code"
    return result[0]


def the_error(stderr: str) -> str:
    """The one error line; nothing like a traceback beside it."""
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("ingest: error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def saved_lines(out: Path) -> list[dict[str, Any]]:
    """Every line of the output, each whole and JSON, the identity first (a torn last line fails here)."""
    data = out.read_bytes()
    assert data == b"" or data.endswith(b"\n"), f"a partial last line was left: {data[-80:]!r}"
    return [json.loads(line) for line in data.splitlines()]


def failing(call: str, code: int, target: Path, *, after: int, partial: bool = True) -> Callable[..., Any]:
    """``os.write`` or ``os.fsync`` as a full or failing disk: calls on ``target``'s descriptor work ``after`` times;
    then (``partial``) a write takes half its bytes, as a disk that fills up part way does, and every call after
    fails with ``code``."""
    real = getattr(os, call)
    calls = 0

    def on_output(descriptor: int) -> bool:
        try:
            return os.path.samestat(os.fstat(descriptor), os.stat(target))
        except OSError:
            return False

    def faulty(descriptor: int, *args: Any) -> Any:
        nonlocal calls
        if not on_output(descriptor):
            return real(descriptor, *args)
        calls += 1
        if calls <= after:
            return real(descriptor, *args)
        if call == "write" and partial and calls == after + 1:
            return real(descriptor, bytes(args[0])[: len(args[0]) // 2])
        raise OSError(code, os.strerror(code))

    return faulty


def assert_the_next_run_resumes(emulator: Emulator, folder: Path, out: Path, kept: list[dict[str, Any]]) -> None:
    asked_before = len(chat_posts(emulator))
    assert ingest([folder], out, emulator) == 0
    # One request for each file not saved, none for a file saved before the fault.
    assert len(chat_posts(emulator)) - asked_before == FILES - len(kept)
    records = lines_of(out)
    assert len(records) == FILES and len({r["path"] for r in records}) == FILES
    assert all(r["status"] == "ok" for r in records)
    assert records[: len(kept)] == kept


@pytest.mark.parametrize(
    ("call", "code", "after", "said"),
    [
        ("write", errno.ENOSPC, 3, "the disk is full (No space left on device, ENOSPC). Fix: free some space"),
        ("write", errno.ENOSPC, 0, "the disk is full (No space left on device, ENOSPC). Fix: free some space"),
        ("fsync", errno.EIO, 3, "the disk reported an I/O error (Input/output error, EIO). Fix: check the disk"),
        ("write", errno.EIO, 2, "the disk reported an I/O error (Input/output error, EIO). Fix: check the disk"),
    ],
    ids=["enospc-write", "enospc-first-line", "eio-fsync", "eio-write"],
)
def test_a_failing_disk_stops_the_run_with_exit_2_and_the_next_run_resumes(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    call: str, code: int, after: int, said: str,
) -> None:  # fmt: skip
    make_images(tmp_path / "in", FILES)
    out = tmp_path / "out.jsonl"
    emulator.inject(Fault.slow(0.08), times=FILES)  # answers slower than the writer's 50 ms: about a line per write
    with monkeypatch.context() as patch:
        patch.setattr(_ledger.os, call, failing(call, code, out, after=after))  # the ledger's one OS call site
        assert ingest([tmp_path / "in"], out, emulator) == 2
    error = the_error(capsys.readouterr().err)
    assert error.startswith(f"ingest: error: {out}: cannot save results: ") and said in error
    assert error.endswith("then run the same command again to resume: the results already saved are kept, and not "
                          "asked for again.")  # fmt: skip
    assert len(chat_posts(emulator)) < FILES  # the run stopped at the fault, not at the end
    lines = saved_lines(out)
    if after == 0:
        assert lines == []  # the identity line itself did not fit: nothing half-written is left
    else:
        assert "ingest_run" in lines[0] and 1 <= len(lines[1:]) < FILES
    assert_the_next_run_resumes(emulator, tmp_path / "in", out, lines[1:])


def test_the_kernels_own_file_size_limit_stops_the_run_and_the_next_run_resumes(
    emulator: Emulator, tmp_path: Path
) -> None:
    # RLIMIT_FSIZE with SIGXFSZ ignored: the kernel takes part of the write that crosses the limit, then answers
    # EFBIG, as with a full disk; nothing here is simulated.
    make_images(tmp_path / "in", FILES)
    out = tmp_path / "out.jsonl"
    emulator.inject(Fault.slow(0.08), times=FILES)
    limit = 2_500  # the identity line (about 550 bytes) and a few result lines (about 500 each), not all ten
    program = (
        "import resource, signal, sys\n"
        "from langchain_azure_multimodal.cli import main\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    command = [sys.executable, "-c", program, "ingest", str(tmp_path / "in"), "--task", "describe",
               "--out", str(out), "--no-progress", "--endpoint", emulator.endpoint, "--model", emulator.model,
               "--concurrency", "1"]  # fmt: skip
    run = subprocess.run(command, env=CLI_ENV, capture_output=True, text=True, timeout=BOUND_S)
    assert run.returncode == 2, run.stderr
    error = the_error(run.stderr)
    assert (
        f"{out}: cannot save results: the file is as large as this process may write (File too large, EFBIG)" in error
    )
    assert "Fix: raise the file-size limit (ulimit -f), then run the same command again to resume" in error
    lines = saved_lines(out)
    assert out.stat().st_size <= limit and 1 <= len(lines[1:]) < FILES
    assert_the_next_run_resumes(emulator, tmp_path / "in", out, lines[1:])


def test_a_rerun_on_a_disk_still_full_stops_before_any_request(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_images(tmp_path / "in", FILES)
    out = tmp_path / "out.jsonl"
    lock = out.with_name(out.name + ".lock")  # the first thing a run writes
    with monkeypatch.context() as patch:
        patch.setattr(os, "write", failing("write", errno.ENOSPC, lock, after=0, partial=False))
        assert ingest([tmp_path / "in"], out, emulator) == 2
    assert f"ingest: error: {out}: cannot save results: the disk is full" in the_error(capsys.readouterr().err)
    assert chat_posts(emulator) == [] and not out.exists() and not lock.exists()
    assert_the_next_run_resumes(emulator, tmp_path / "in", out, [])


def test_a_full_disk_while_compacting_leaves_the_output_as_it_was(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_images(tmp_path / "in", FILES)
    out = tmp_path / "out.jsonl"
    emulator.inject(Fault.http_status(400), times=2)  # two files fail, for --retry-failed to drop their lines
    assert ingest([tmp_path / "in"], out, emulator) == 1
    before = out.read_bytes()
    staging = out.with_name(out.name + ".compact-tmp")
    with monkeypatch.context() as patch:
        patch.setattr(_ledger.os, "fsync", failing("fsync", errno.ENOSPC, staging, after=0))
        assert ingest([tmp_path / "in"], out, emulator, "--retry-failed") == 2
    assert f"ingest: error: {out}: cannot save results: the disk is full" in the_error(capsys.readouterr().err)
    assert out.read_bytes() == before and not staging.exists()
    asked_before = len(chat_posts(emulator))
    assert ingest([tmp_path / "in"], out, emulator, "--retry-failed") == 0
    assert len(chat_posts(emulator)) - asked_before == 2
    assert [r["status"] for r in lines_of(out)] == ["ok"] * FILES


def test_symlink_loops_in_the_folder_are_skipped_with_a_warning_each(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    make_images(folder / "sub", 2)
    (folder / "sub" / "back").symlink_to(folder, target_is_directory=True)  # leads back to a folder that holds it
    (folder / "a.png").symlink_to(folder / "b.png")
    (folder / "b.png").symlink_to(folder / "a.png")
    (folder / "gone.png").symlink_to(folder / "missing.png")
    out = tmp_path / "out.jsonl"
    assert ingest([folder], out, emulator) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "RuntimeError" not in err
    warned = [line for line in err.splitlines() if line.startswith("ingest: warning:")]
    assert warned == [  # once each, though the folder is walked twice (counted, then done)
        f"ingest: warning: skipped {folder / 'a.png'}: a symlink loop, its links lead back to each other and to no "
        "file",
        f"ingest: warning: skipped {folder / 'b.png'}: a symlink loop, its links lead back to each other and to no "
        "file",
        f"ingest: warning: skipped {folder / 'gone.png'}: a broken symlink, its target {folder / 'missing.png'} does "
        "not exist",
        f"ingest: warning: skipped {folder / 'sub' / 'back'}: a symlink loop, it leads back to {folder}, which holds "
        "it; it is not followed",
    ]
    assert sorted(Path(r["path"]).name for r in lines_of(out)) == ["img000.png", "img001.png"]


def test_a_symlink_loop_named_as_input_or_output_is_one_line_exit_2(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Once: Path.resolve's bare RuntimeError ("Symlink loop from ...") with a traceback, for the output.
    make_images(tmp_path / "in", 1)
    (tmp_path / "x.jsonl").symlink_to(tmp_path / "y.jsonl")
    (tmp_path / "y.jsonl").symlink_to(tmp_path / "x.jsonl")
    assert ingest([tmp_path / "in"], tmp_path / "x.jsonl", emulator) == 2
    assert "the output is a symlink loop" in the_error(capsys.readouterr().err)
    (tmp_path / "in" / "loop.png").symlink_to(tmp_path / "in" / "loop.png")
    assert ingest([tmp_path / "in" / "loop.png"], tmp_path / "out.jsonl", emulator) == 2
    assert f"{tmp_path / 'in' / 'loop.png'}: the path is a symlink loop" in the_error(capsys.readouterr().err)
    assert chat_posts(emulator) == []


def test_a_folder_1500_deep_is_ingested_to_the_bottom(emulator: Emulator, tmp_path: Path, deep: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert ingest([deep], out, emulator) == 0
    [record] = lines_of(out)
    assert record["status"] == "ok" and record["path"].endswith("/d" * 1_500 + "/deep.png")
