"""The ingest command's trust: one line per file, never an old answer for a new question, one run per output,
the task's media only, and a fast stop (exit 2) on what no file can fix."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from langchain_azure_multimodal import __version__
from langchain_azure_multimodal.cli import build_parser, main
from langchain_azure_multimodal.emulator import Emulator, Fault
from langchain_azure_multimodal.ingest import Task, load_results, run_ingest
from tests.conftest import API_KEY
from tests.integration_tests.test_ingest import CLI_ENV, cli_command, lines_of, llm_for, make_images
from tests.support.chat import chat_posts
from tests.support.media import wav_bytes


def ingest(folder: Path, out: Path, emulator: Emulator | None, *extra: str) -> int:
    """The command, in this process (``emulator=None``: the embedded one the command starts itself)."""
    where = ["--endpoint", emulator.endpoint, "--model", emulator.model] if emulator else []
    return main(["ingest", str(folder), "--out", str(out), "--no-progress", *where, *extra])


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_INFERENCE_CREDENTIAL", API_KEY)


def test_identical_files_get_a_line_each_from_one_request(emulator: Emulator, tmp_path: Path) -> None:
    originals = make_images(tmp_path / "in", 3)
    (tmp_path / "in" / "sub").mkdir()
    for copy in (tmp_path / "in" / "copy-a.png", tmp_path / "in" / "sub" / "copy-b.png"):
        copy.write_bytes(originals[0].read_bytes())
    out, llm = tmp_path / "out.jsonl", llm_for(emulator)

    def run() -> object:
        return asyncio.run(run_ingest([tmp_path / "in"], task=Task.parse("describe"), out=out, llm=llm,
                                      progress=False))  # fmt: skip

    summary = run()
    assert (summary.found, summary.done, summary.reused) == (5, 5, 2)
    assert len(chat_posts(emulator)) == 3  # the copies cost no request
    records = lines_of(out)
    assert sorted(Path(r["path"]).name for r in records) == sorted(
        ["copy-a.png", "copy-b.png", *(p.name for p in originals)]
    )
    copied = originals[0].name
    same = [r for r in records if r["sha256"] == next(x for x in records if x["path"].endswith(copied))["sha256"]]
    # Lines come in the order answers finish; of one content's lines, the asked one is written first.
    asked, *copies = same
    assert len(copies) == 2 and "reused_from" not in asked
    assert all(r["reused_from"] == asked["path"] and r["text"] == asked["text"] for r in copies)
    assert len(list(load_results(out))) == 5

    rerun = run()
    assert (rerun.skipped, rerun.done) == (5, 0) and len(chat_posts(emulator)) == 3

    (tmp_path / "in" / "copy-c.png").write_bytes(originals[0].read_bytes())  # a new copy, answered from the file
    later = run()
    assert (later.skipped, later.done, later.reused) == (5, 1, 1) and len(chat_posts(emulator)) == 3
    assert len(lines_of(out)) == 6


def test_a_changed_file_is_asked_again_and_its_line_replaced(emulator: Emulator, tmp_path: Path) -> None:
    paths = make_images(tmp_path / "in", 3)
    out, llm = tmp_path / "out.jsonl", llm_for(emulator)
    asyncio.run(run_ingest([tmp_path / "in"], task=Task.parse("describe"), out=out, llm=llm, progress=False))
    paths[1].write_bytes(make_images(tmp_path / "other", 6)[5].read_bytes())  # new content under the same name
    summary = asyncio.run(run_ingest([tmp_path / "in"], task=Task.parse("describe"), out=out, llm=llm, progress=False))
    assert (summary.skipped, summary.done) == (2, 1)
    records = lines_of(out)
    assert len(records) == 3  # the old line is gone, not kept beside the new one
    changed = next(r for r in records if r["path"] == str(paths[1].resolve()))
    assert "33x24" not in changed["text"] and "37x24" in changed["text"]  # the answer is for the new content


@pytest.mark.parametrize(
    ("second", "differs"),
    [
        (["--model", "gpt-4o"], "model 'phi-4-multimodal-instruct' (this run: 'gpt-4o')"),
        (["--prompt", "List the colours."], "prompt 'Describe this image"),
        (["--detail", "low"], "detail None (this run: 'low')"),
        (["--max-tokens", "50"], "options {} (this run: {'max_tokens': 50})"),
        (["--task", "transcribe"], "task 'describe' (this run: 'transcribe')"),
    ],
)
def test_another_question_on_the_same_output_is_refused_before_any_request(
    emulator: Emulator, tmp_path: Path, key: None, capsys: pytest.CaptureFixture[str], second: list[str], differs: str
) -> None:
    make_images(tmp_path / "in", 2)
    out = tmp_path / "out.jsonl"
    assert ingest(tmp_path / "in", out, emulator, "--task", "describe") == 0
    before, held = len(emulator.requests), out.read_bytes()
    capsys.readouterr()
    task = [] if "--task" in second else ["--task", "describe"]
    assert ingest(tmp_path / "in", out, emulator, *task, *second) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith(f"ingest: error: {out}: it holds results of another question: ")
    assert differs in error and "write to a new --out, or pass --restart" in error
    assert len(emulator.requests) == before and out.read_bytes() == held


def test_the_embedded_emulator_and_an_endpoint_are_different_questions(
    emulator: Emulator, tmp_path: Path, key: None, capsys: pytest.CaptureFixture[str]
) -> None:
    make_images(tmp_path / "in", 3)
    out = tmp_path / "out.jsonl"
    assert ingest(tmp_path / "in", out, None, "--task", "describe") == 0  # the default: the embedded emulator
    assert {r["endpoint"] for r in lines_of(out)} == {"embedded-emulator"}
    assert ingest(tmp_path / "in", out, emulator, "--task", "describe") == 2
    assert "endpoint 'embedded-emulator' (this run: '127.0.0.1:" in capsys.readouterr().err
    assert chat_posts(emulator) == []

    assert ingest(tmp_path / "in", out, emulator, "--task", "describe", "--restart") == 0
    assert "the earlier results are kept in" in capsys.readouterr().err
    assert len(chat_posts(emulator)) == 3
    records = lines_of(out)
    assert len(records) == 3 and {(r["model"], r["endpoint"]) for r in records} == {
        (emulator.model, emulator.endpoint.removeprefix("http://"))
    }
    assert {r["endpoint"] for r in lines_of(tmp_path / "out.jsonl.1.bak")} == {"embedded-emulator"}


def test_a_second_run_on_the_same_output_exits_2_at_once(
    emulator: Emulator, tmp_path: Path, key: None, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = make_images(tmp_path / "in", 12)
    emulator.inject(Fault.slow(0.15), times=100)
    out = tmp_path / "out.jsonl"
    first = subprocess.Popen(cli_command(tmp_path / "in", out, emulator, "--concurrency", "1"), env=CLI_ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while len(lines_of(out) if out.exists() else []) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    assert ingest(tmp_path / "in", out, emulator, "--task", "describe") == 2
    assert time.monotonic() - started < 5  # at once, not after waiting for the lock
    error = capsys.readouterr().err
    assert f"another ingest run (pid {first.pid}) is writing to this output" in error
    assert first.wait(timeout=120) == 0, first.communicate()[1]
    assert len(lines_of(out)) == len(inputs)  # all the work done once, by the first run
    assert len(chat_posts(emulator)) == len(inputs)


def test_inputs_are_chosen_by_the_task_and_the_rest_counted(
    emulator: Emulator, tmp_path: Path, key: None, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    make_images(folder, 3)
    (folder / "memo.wav").write_bytes(wav_bytes(0.5))
    (folder / "call.wav").write_bytes(wav_bytes(0.5))
    (folder / "notes.txt").write_text("not media")
    assert ingest(folder, tmp_path / "images.jsonl", emulator, "--task", "describe") == 0
    assert "3 found, 3 other files skipped (not images: 2 .wav, 1 .txt)" in capsys.readouterr().out
    assert ingest(folder, tmp_path / "audio.jsonl", emulator, "--task", "transcribe") == 0
    assert "2 found, 4 other files skipped (not audio: 3 .png, 1 .txt)" in capsys.readouterr().out
    assert sorted(Path(r["path"]).name for r in lines_of(tmp_path / "audio.jsonl")) == ["call.wav", "memo.wav"]

    assert ingest(folder, tmp_path / "some.jsonl", emulator, "--task", "describe", "--exclude", "img001*") == 0
    assert sorted(Path(r["path"]).name for r in lines_of(tmp_path / "some.jsonl")) == ["img000.png", "img002.png"]
    assert ingest(folder, tmp_path / "one.jsonl", emulator, "--task", "transcribe", "--glob", "memo.*") == 0
    assert [Path(r["path"]).name for r in lines_of(tmp_path / "one.jsonl")] == ["memo.wav"]


@pytest.mark.parametrize(
    ("model", "task", "message"),
    [
        ("mistral-large-2411", "describe", "the model 'mistral-large-2411' takes no image input"),
        ("gpt-4o", "translate:fr", "the model 'gpt-4o' takes no audio input"),
    ],
)
def test_a_model_without_the_media_stops_before_any_request(
    emulator: Emulator, tmp_path: Path, key: None, capsys: pytest.CaptureFixture[str], model: str, task: str,
    message: str,
) -> None:  # fmt: skip
    make_images(tmp_path / "in", 2)
    (tmp_path / "in" / "memo.wav").write_bytes(wav_bytes(0.5))
    out = tmp_path / "out.jsonl"
    code = main(["ingest", str(tmp_path / "in"), "--task", task, "--out", str(out), "--no-progress",
                 "--endpoint", emulator.endpoint, "--model", model])  # fmt: skip
    assert code == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert message in error[-1] and "choose a model that takes" in error[-1]
    assert emulator.requests == [] and not out.exists()


@pytest.mark.parametrize(
    ("route", "key", "message"),
    [
        (
            "",
            "wrong-key",
            "the endpoint refused the credential (401 Unauthorized). Fix: set AZURE_INFERENCE_CREDENTIAL",
        ),
        (
            "/openai/deployments/no-such",
            API_KEY,
            "no such route or deployment (404 Not Found). Fix: check the endpoint",
        ),
    ],
)
def test_a_refused_key_or_a_missing_deployment_stops_the_run_at_the_first_answer(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    route: str, key: str, message: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("AZURE_INFERENCE_CREDENTIAL", key)
    make_images(tmp_path / "in", 10)
    out = tmp_path / "out.jsonl"
    code = main(["ingest", str(tmp_path / "in"), "--task", "describe", "--out", str(out), "--no-progress",
                 "--endpoint", emulator.endpoint + route, "--model", emulator.model, "--concurrency", "2"])  # fmt: skip
    assert code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ingest: error:")]
    assert len(errors) == 1 and message in errors[0]
    assert len(chat_posts(emulator)) <= 2  # the requests already in flight, no more
    assert lines_of(out) == []  # no file is marked failed for what no file could fix


def test_a_failed_sign_in_is_one_line(tmp_path: Path) -> None:
    make_images(tmp_path / "in", 3)
    env = {k: v for k, v in CLI_ENV.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_"))}
    run = subprocess.run(
        [sys.executable, "-m", "langchain_azure_multimodal.cli", "ingest", str(tmp_path / "in"), "--task", "describe",
         "--out", str(tmp_path / "out.jsonl"), "--no-progress", "--model", "gpt-4o",
         "--endpoint", "https://my-resource.services.ai.azure.com/openai/v1"],
        env={**env, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 2, run.stderr  # where it went, and why it stopped: not azure-identity's chain of attempts
    assert lines[1].startswith("ingest: error: my-resource.services.ai.azure.com/openai/v1: signing in failed")
    assert "AZURE_INFERENCE_CREDENTIAL" in lines[1] and "az login" in lines[1]


def test_help_says_how_the_key_is_passed_and_what_the_exit_codes_mean() -> None:
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    text = " ".join(commands.choices["ingest"].format_help().split())  # type: ignore[union-attr]
    assert "set AZURE_INFERENCE_CREDENTIAL to the endpoint's key" in text
    assert "it is never taken on the command line" in text
    for code in ("0 every file done", "1 some files failed", "2 refused before any work", "130 interrupted"):
        assert code in text
    for option in ("--prompt", "--detail", "--glob", "--exclude", "--max-tokens", "--max-retries", "--restart"):
        assert option in text


def test_prompt_detail_and_max_tokens_reach_the_request(emulator: Emulator, tmp_path: Path, key: None) -> None:
    make_images(tmp_path / "in", 1)
    extra = ("--task", "describe", "--prompt", "Name the colour.", "--detail", "low", "--max-tokens", "77")
    assert ingest(tmp_path / "in", tmp_path / "out.jsonl", emulator, *extra) == 0
    [post] = chat_posts(emulator)
    text, image = post.body["messages"][0]["content"]
    assert (text["text"], image["image_url"]["detail"], post.body["max_tokens"]) == ("Name the colour.", "low", 77)


def test_throttled_answers_are_counted_and_max_retries_is_kept(
    emulator: Emulator, tmp_path: Path, key: None, capsys: pytest.CaptureFixture[str]
) -> None:
    make_images(tmp_path / "in", 3)
    emulator.inject(Fault.throttle(retry_after=0.01), times=2)
    assert ingest(tmp_path / "in", tmp_path / "a.jsonl", emulator, "--task", "describe", "--concurrency", "1") == 0
    assert "2 throttled answers (429): 2 retried, 0 gave up" in capsys.readouterr().out

    emulator.inject(Fault.throttle(retry_after=0.01), times=1)
    code = ingest(tmp_path / "in", tmp_path / "b.jsonl", emulator, "--task", "describe", "--concurrency", "1",
                  "--max-retries", "0")  # fmt: skip
    assert code == 1
    assert (
        "1 failed" in (summary := capsys.readouterr().out)
        and "1 throttled answers (429): 0 retried, 1 gave up" in summary
    )
    assert [r["http_status"] for r in lines_of(tmp_path / "b.jsonl") if r["status"] == "error"] == [429]


def test_progress_in_a_log_is_plain_lines(emulator: Emulator, tmp_path: Path, key: None,
                                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    make_images(tmp_path / "in", 40)
    code = main(["ingest", str(tmp_path / "in"), "--task", "describe", "--out", str(tmp_path / "out.jsonl"),
                 "--endpoint", emulator.endpoint, "--model", emulator.model])  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    progress = [line for line in err.splitlines() if " files (" in line]
    assert "\r" not in err and len(progress) == 20  # one line per 2 files, not a redraw per file
    assert progress[-1].startswith("ingest: 40/40 files (100%): 40 done")
    assert all(json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines())


def test_an_output_inside_the_folder_is_never_an_input(emulator: Emulator, tmp_path: Path, key: None,
                                                        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    folder = tmp_path / "in"
    make_images(folder, 2)
    out = folder / "out.jsonl"
    assert ingest(folder, out, emulator, "--task", "describe") == 0
    assert ingest(folder, out, emulator, "--task", "describe", "--restart") == 0  # leaves out.jsonl.1.bak beside it
    assert ingest(folder, out, emulator, "--task", "describe") == 0
    summaries = [line for line in capsys.readouterr().out.splitlines() if line.startswith("ingest: ")]
    # The output, its lock and its backup are neither inputs nor "other files".
    assert [line.split(", 0 failed")[0] for line in summaries] == [
        "ingest: 2 found, 0 already done, 2 done now",
        "ingest: 2 found, 0 already done, 2 done now",
        "ingest: 2 found, 2 already done, 0 done now",
    ]


def test_results_of_another_package_version_are_not_reused(emulator: Emulator, tmp_path: Path, key: None,
                                                           capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    make_images(tmp_path / "in", 1)
    out = tmp_path / "out.jsonl"
    assert ingest(tmp_path / "in", out, emulator, "--task", "describe") == 0
    identity, *results = out.read_text().splitlines()
    older = json.loads(identity)
    older["ingest_run"]["package_version"] = "0.0.9"
    out.write_text("\n".join([json.dumps(older), *results]) + "\n")
    assert ingest(tmp_path / "in", out, emulator, "--task", "describe") == 2
    assert f"package_version '0.0.9' (this run: '{__version__}')" in capsys.readouterr().err
