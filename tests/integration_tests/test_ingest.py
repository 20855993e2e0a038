"""The ingest command: results, failures recorded, resume after a crash (kill -9 included), loading results back."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator, Fault
from langchain_azure_multimodal.ingest import Task, load_results, run_ingest
from tests.conftest import API_KEY
from tests.support.media import image_bytes, wav_bytes


def make_images(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"img{index:03d}.png"
        path.write_bytes(image_bytes(32 + index % 7, 24 + index // 7, "PNG", color=(index * 13 % 256, 40, 90)))
        paths.append(path)
    return paths


def lines_of(path: Path) -> list[dict]:
    """The result lines (the first line is the run's identity)."""
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def llm_for(emulator: Emulator) -> ChatAzureMultimodal:
    return ChatAzureMultimodal(endpoint=emulator.endpoint, api_key=API_KEY, model=emulator.model)


def cli_command(folder: Path, out: Path, emulator: Emulator, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "langchain_azure_multimodal.cli",
        "ingest",
        str(folder),
        "--task",
        "describe",
        "--out",
        str(out),
        "--endpoint",
        emulator.endpoint,
        "--model",
        emulator.model,
        "--no-progress",
        *extra,
    ]


CLI_ENV = {**os.environ, "AZURE_INFERENCE_CREDENTIAL": API_KEY}


def test_describe_a_folder_records_results_and_failures(emulator: Emulator, tmp_path: Path) -> None:
    make_images(tmp_path / "in", 5)
    (tmp_path / "in" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    out = tmp_path / "out.jsonl"
    summary = asyncio.run(
        run_ingest([tmp_path / "in"], task=Task.parse("describe"), out=out, llm=llm_for(emulator), progress=False)
    )
    assert (summary.found, summary.done, summary.failed, summary.skipped) == (6, 5, 1, 0)
    records = lines_of(out)
    assert len(records) == 6
    failed = [r for r in records if r["status"] == "error"]
    assert len(failed) == 1
    assert failed[0]["source"].endswith("broken.png")
    assert "MediaDecodeError" in failed[0]["error"]
    ok = [r for r in records if r["status"] == "ok"]
    assert all(r["text"].startswith("[emulator:phi-4-multimodal-instruct] Received 1 image") for r in ok)
    docs = list(load_results(out))
    assert [d.metadata["sha256"] for d in docs] == [r["sha256"] for r in records]
    assert docs[0].page_content == records[0].get("text", "")


def test_a_rerun_skips_what_is_done_and_cuts_a_half_written_line(emulator: Emulator, tmp_path: Path) -> None:
    make_images(tmp_path / "in", 4)
    out = tmp_path / "out.jsonl"
    llm = llm_for(emulator)
    asyncio.run(run_ingest([tmp_path / "in"], task=Task.parse("describe"), out=out, llm=llm, progress=False))
    complete = out.read_bytes()
    identity_and_two = b"".join(complete.splitlines(keepends=True)[:3])
    out.write_bytes(identity_and_two + b'{"source": "half-writ')  # what a kill during a write leaves
    requests_before = len(emulator.requests)
    summary = asyncio.run(run_ingest([tmp_path / "in"], task=Task.parse("describe"), out=out, llm=llm, progress=False))
    assert (summary.skipped, summary.done) == (2, 2)
    assert len(emulator.requests) - requests_before == 2
    records = lines_of(out)
    assert len(records) == 4
    assert len({r["sha256"] for r in records}) == 4


def test_transcribe_and_translate_audio_by_segments(emulator: Emulator, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "memo.wav").write_bytes(wav_bytes(2.0))
    out = tmp_path / "out.jsonl"
    summary = asyncio.run(
        run_ingest([tmp_path / "in"], task=Task.parse("translate:es"), out=out, llm=llm_for(emulator), progress=False)
    )
    assert summary.done == 1
    [record] = lines_of(out)
    assert record["task"] == "translate:es"
    assert record["segments"][0]["start_s"] == 0
    assert "Translate this audio to es." in json.dumps(emulator.requests[-1].body)


@pytest.mark.parametrize("text", ["summarise", "translate:", "translate", "describe:es"])
def test_unknown_tasks_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="use describe, transcribe or translate:<language>"):
        Task.parse(text)


@pytest.mark.parametrize(
    ("kills", "files", "landed"),
    [
        pytest.param(2, 40, 1, id="2 kills"),  # the default suite: a crash mid-run resumes (20 in the slow step)
        pytest.param(20, 120, 3, id="20 kills", marks=pytest.mark.slow),
    ],
)
def test_resume_after_kill_9s(emulator: Emulator, tmp_path: Path, kills: int, files: int, landed: int) -> None:
    inputs = make_images(tmp_path / "in", files)
    emulator.inject(Fault.slow(0.1), times=100_000)  # each answer takes a while, so kills land mid-run
    out = tmp_path / "out.jsonl"
    command = cli_command(tmp_path / "in", out, emulator, "--concurrency", "2")
    chance = random.Random(kills)
    progress = []

    def written() -> int:  # results, not the identity line
        return max(0, len(out.read_bytes().splitlines()) - 1) if out.exists() else 0

    for _ in range(kills):
        before = written()
        process = subprocess.Popen(command, env=CLI_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Kill once this run has written something, however slow the machine is to start it, then a little later,
        # so that kills land at random points of the work (a write half-done included).
        give_up = time.monotonic() + 120
        while process.poll() is None and written() <= before and time.monotonic() < give_up:
            time.sleep(0.02)
        time.sleep(chance.uniform(0.0, 0.4))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        progress.append(written())
        if progress[-1] == len(inputs):
            break
    final = subprocess.run(command, env=CLI_ENV, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    records = lines_of(out)
    assert len(records) == len(inputs)  # exactly one line per input: none lost, none written twice
    assert sorted(r["source"] for r in records) == sorted(str(p) for p in inputs)
    assert len({r["path"] for r in records}) == len(inputs)
    assert all(r["status"] == "ok" for r in records)
    interrupted = [n for n in progress if 0 < n < len(inputs)]
    assert len(interrupted) >= landed, progress  # the kills really landed part-way through the work
    assert progress == sorted(progress)  # and no run lost what an earlier one had written
    assert "already done" in final.stdout


def test_process_batch_is_a_plain_function_over_a_batch(emulator: Emulator, tmp_path: Path) -> None:
    from langchain_azure_multimodal.ingest import process_batch

    paths = make_images(tmp_path / "in", 3)
    (tmp_path / "in" / "notes.txt").write_text("not an image")
    batch = {"path": [str(p) for p in paths] + [str(tmp_path / "in" / "notes.txt")]}
    columns = process_batch(batch, task="describe", endpoint=emulator.endpoint, model=emulator.model, api_key=API_KEY)
    assert columns["status"] == ["ok", "ok", "ok", "error"]
    assert columns["source"] == batch["path"]
    assert all(text.startswith("[emulator:") for text in columns["text"][:3])
    assert "MediaDecodeError" in columns["error"][3]


def test_the_estimated_cost_follows_the_prices(emulator: Emulator, tmp_path: Path) -> None:
    from langchain_azure_multimodal.estimates import Prices

    make_images(tmp_path / "in", 3)
    summary = asyncio.run(
        run_ingest(
            [tmp_path / "in"],
            task=Task.parse("describe"),
            out=tmp_path / "out.jsonl",
            llm=llm_for(emulator),
            prices=Prices(input_per_1k=0.01, output_per_1k=0.03),
            progress=False,
        )
    )
    records = lines_of(tmp_path / "out.jsonl")
    spent_in = sum(r["input_tokens"] for r in records)
    spent_out = sum(r["output_tokens"] for r in records)
    assert spent_in + spent_out == summary.tokens
    assert summary.cost == pytest.approx(spent_in * 0.01 / 1000 + spent_out * 0.03 / 1000)


def test_retry_failed_does_the_failures_again_and_keeps_one_line_each(emulator: Emulator, tmp_path: Path) -> None:
    make_images(tmp_path / "in", 4)
    out = tmp_path / "out.jsonl"
    emulator.inject(Fault.http_status(400), times=2)  # two answers refused: recorded as failures
    first = subprocess.run(cli_command(tmp_path / "in", out, emulator), env=CLI_ENV, capture_output=True, text=True)
    assert first.returncode == 1
    assert "2 failed" in first.stdout and "--retry-failed" in first.stderr
    assert sorted(r["status"] for r in lines_of(out)) == ["error", "error", "ok", "ok"]

    again = subprocess.run(cli_command(tmp_path / "in", out, emulator), env=CLI_ENV, capture_output=True, text=True)
    assert again.returncode == 1  # failures left in the output keep the exit code at 1
    assert "4 already done (2 of them failed), 0 done now" in again.stdout

    requests_before = len(emulator.requests)
    retry = subprocess.run(
        cli_command(tmp_path / "in", out, emulator, "--retry-failed"), env=CLI_ENV, capture_output=True, text=True
    )
    assert retry.returncode == 0, retry.stderr
    assert "2 already done, 2 done now (2 earlier failures retried), 0 failed" in retry.stdout
    assert len(emulator.requests) - requests_before == 2  # only the failed ones were sent again
    records = lines_of(out)
    assert len(records) == 4 and {r["status"] for r in records} == {"ok"}
    assert len({r["sha256"] for r in records}) == 4


@pytest.mark.slow  # a real minute: the limiter's logic is also tested on a fake clock in test_ratelimit.py
def test_rpm_60_holds_at_the_service_through_the_command(emulator: Emulator, tmp_path: Path) -> None:
    # 70 files at 60 a minute: one a second (Azure also checks short windows), never more than 60 in any minute.
    make_images(tmp_path / "in", 70)
    out = tmp_path / "out.jsonl"
    run = subprocess.run(
        cli_command(tmp_path / "in", out, emulator, "--rpm", "60", "--concurrency", "16"),
        env=CLI_ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    arrivals = sorted(r.received_at for r in emulator.requests if r.path.endswith("/chat/completions"))
    assert len(arrivals) == 70 and len(lines_of(out)) == 70
    busiest = max(sum(1 for t in arrivals if start <= t < start + 60.0) for start in arrivals)
    assert busiest == 60  # the quota used in full, and never more, as the service counts (on arrival)
    assert arrivals[60] - arrivals[0] >= 60.0
    tens = max(sum(1 for t in arrivals if start <= t < start + 10.0) for start in arrivals)
    assert tens <= 11  # spread evenly: a 10 s window holds its share (+1 where it holds both ends), not a burst


def test_tpm_counts_each_request_by_its_estimate(emulator: Emulator, tmp_path: Path) -> None:
    make_images(tmp_path / "in", 2)
    llm = llm_for(emulator)
    roomy = asyncio.run(
        run_ingest([tmp_path / "in"], task=Task.parse("describe"), out=tmp_path / "a.jsonl", llm=llm, tpm=100_000,
                   progress=False)
    )  # fmt: skip
    assert (roomy.done, roomy.failed) == (2, 0)
    # A budget smaller than one image's estimate can never be met: each item fails at once, saying why.
    tight = asyncio.run(
        run_ingest([tmp_path / "in"], task=Task.parse("describe"), out=tmp_path / "b.jsonl", llm=llm, tpm=50,
                   progress=False)
    )  # fmt: skip
    assert (tight.done, tight.failed) == (0, 2)
    assert all("can never fit a limit of 50 tokens per 60 s" in r["error"] for r in lines_of(tmp_path / "b.jsonl"))


def test_ctrl_c_keeps_what_is_finished_and_a_rerun_completes(emulator: Emulator, tmp_path: Path) -> None:
    inputs = make_images(tmp_path / "in", 60)
    emulator.inject(Fault.slow(0.1), times=100_000)
    out = tmp_path / "out.jsonl"
    command = cli_command(tmp_path / "in", out, emulator, "--concurrency", "2")
    process = subprocess.Popen(command, env=CLI_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out.exists() and len(out.read_bytes().splitlines()) > 1) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the first lines are written, however slow the machine is to start
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "interrupted; what was finished is saved in" in stderr and "Traceback" not in stderr
    finished = lines_of(out)  # whole lines only: every one of them parses
    assert 0 < len(finished) < len(inputs)
    final = subprocess.run(command, env=CLI_ENV, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    assert f"{len(finished)} already done" in final.stdout
    assert sorted(r["source"] for r in lines_of(out)) == sorted(str(p) for p in inputs)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing-folder"], "missing-folder: no such file or folder; check the path"),
        (["{in}", "--out", "{tmp}/no/such/dir/out.jsonl"], "does not exist; create it, or write elsewhere"),
        (["{in}", "--out", "{tmp}"], "the output is a folder; name a .jsonl file in it"),
        (["{in}", "--rpm", "0"], "argument --rpm: expected a whole number of at least 1, got '0'"),
        (["{in}", "--concurrency", "many"], "argument --concurrency: expected a whole number of at least 1"),
    ],
)
def test_bad_command_lines_say_what_is_wrong_without_a_traceback(
    emulator: Emulator, tmp_path: Path, args: list[str], message: str
) -> None:
    make_images(tmp_path / "in", 1)
    filled = [a.format(**{"in": tmp_path / "in", "tmp": tmp_path}) for a in args]
    command = [sys.executable, "-m", "langchain_azure_multimodal.cli", "ingest", *filled, "--task", "describe"]
    if "--out" not in filled:
        command += ["--out", str(tmp_path / "out.jsonl")]
    command += ["--endpoint", emulator.endpoint, "--model", emulator.model, "--no-progress"]
    run = subprocess.run(command, env=CLI_ENV, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr
    assert len(emulator.requests) == 0  # refused before any network
    assert "ingest: using" not in run.stderr  # ... and before a chat model is made for the endpoint
