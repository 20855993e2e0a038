"""Each fact in one place: every module that applies a fact reads it from its one source, and agrees with it.

A test here fails when a copy comes back, or when a module's rule drifts out of step with the source:

* image detail values (``profiles.IMAGE_DETAILS``), audio formats and their MIME types (``profiles.AUDIO_MIME_TYPES``),
  Pillow's format names (``profiles.PILLOW_IMAGE_FORMATS``);
* data URLs and http(s) URLs (``_urls``), secret headers (``endpoints.SECRET_HEADERS``), the cost formula
  (``estimates.Prices.cost``), the bounded-concurrency helper (``_concurrency.in_order``);
* and a scan of the package's code (docstrings aside) for literal copies of those facts.

The client-and-emulator agreements that need a running emulator (the audio api-version rule, the routes of each
endpoint kind) are in ``tests/integration_tests/test_emulator_agrees_with_client.py``.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import io
import pathlib
import urllib.parse
import wave
from collections.abc import Iterator
from contextlib import aclosing
from typing import Any, get_args, get_type_hints

import pytest
from langchain_core.messages import HumanMessage

import langchain_azure_multimodal
from langchain_azure_multimodal import _audio, _images, _messages, cli, parsers, profiles, tools
from langchain_azure_multimodal._concurrency import in_order
from langchain_azure_multimodal._urls import DataUrlError, is_http_url, parse_data_url
from langchain_azure_multimodal.document_loaders import ImageLoader
from langchain_azure_multimodal.emulator import media, wire
from langchain_azure_multimodal.emulator.script import RecordedRequest
from langchain_azure_multimodal.endpoints import SECRET_HEADERS
from langchain_azure_multimodal.errors import MediaError
from langchain_azure_multimodal.estimates import Prices, estimate_cost
from langchain_azure_multimodal.parts import image_part
from langchain_azure_multimodal.profiles import (
    AUDIO_FORMATS,
    AUDIO_MIME_TYPES,
    IMAGE_DETAILS,
    MEDIA_TYPES_BY_EXTENSION,
    PILLOW_IMAGE_FORMATS,
    AudioFormat,
    ImageDetail,
    TileTokenRule,
    audio_mime_type,
    check_image_detail,
    resolve_profile,
)
from tests.support.media import b64, image_bytes

PACKAGE = pathlib.Path(langchain_azure_multimodal.__file__).parent
URL = "https://example.com/cat.png"
NOT_DETAILS = ["ultra", "medium", "LOW", "", " high", 1]


def image_url_message(url: str, detail: Any = None) -> list[HumanMessage]:
    image: dict[str, Any] = {"url": url} if detail is None else {"url": url, "detail": detail}
    return [HumanMessage([{"type": "image_url", "image_url": image}])]


def accepts(check: Any) -> bool:
    try:
        check()
    except (ValueError, TypeError, SystemExit):  # ValidationError and the package's errors are ValueErrors
        return False
    return True


# ------------------------------------------------------------------------------------------------- detail values


def _detail_checks(tmp_path: pathlib.Path) -> dict[str, Any]:
    out = str(tmp_path / "out.jsonl")
    return {
        "profiles.check_image_detail": check_image_detail,
        "parts.image_part": lambda d: image_part(URL, detail=d),
        "ImageLoader": lambda d: ImageLoader(URL, detail=d),
        "TileTokenRule.view_size": lambda d: TileTokenRule().view_size(100, 100, d),
        "_images.target_size": lambda d: _images.target_size(100, 100, d, TileTokenRule()),
        "emulator wire ImageUrl": lambda d: wire.ImageUrl(url=URL, detail=d),
        "parse_messages(default_image_detail)": lambda d: _messages.parse_messages(
            image_url_message(URL), default_image_detail=d
        ),
        "parse_messages(block detail)": lambda d: _messages.parse_messages(image_url_message(URL, d)),
        "cli ingest --detail": lambda d: cli.build_parser().parse_args(
            ["ingest", "x.png", "--task", "describe", "--out", out, *([] if d is None else ["--detail", str(d)])]
        ),
    }


@pytest.mark.parametrize("check", list(_detail_checks(pathlib.Path("."))))
def test_every_detail_check_takes_exactly_the_detail_values(check: str, tmp_path: pathlib.Path) -> None:
    run = _detail_checks(tmp_path)[check]
    assert [value for value in [None, *IMAGE_DETAILS] if not accepts(lambda value=value: run(value))] == []
    assert [value for value in NOT_DETAILS if accepts(lambda value=value: run(value))] == []


@pytest.mark.parametrize(
    "function",
    [image_part, ImageLoader.__init__, parsers.ImageDescriptionParser.__init__, tools.describe_image_tool,
     _messages.parse_messages],
    ids=["image_part", "ImageLoader", "ImageDescriptionParser", "describe_image_tool", "parse_messages"],
)  # fmt: skip
def test_detail_parameters_are_typed_by_the_one_literal(function: Any) -> None:
    parameters = inspect.signature(function).parameters
    annotation = (parameters.get("detail") or parameters["default_image_detail"]).annotation
    # Only this parameter's annotation is evaluated: others name types imported for type checking only.
    assert eval(annotation, function.__globals__) == ImageDetail | None


def test_the_detail_values_are_the_spec_s_and_the_literal_s() -> None:
    assert IMAGE_DETAILS == get_args(ImageDetail) == ("auto", "low", "high")
    assert get_type_hints(wire.ImageUrl)["detail"] == ImageDetail | None


# ------------------------------------------------------------------------------------------- audio formats, MIME


def test_audio_formats_come_from_one_table() -> None:
    assert AUDIO_FORMATS == set(AUDIO_MIME_TYPES) == set(get_args(AudioFormat))
    assert get_type_hints(wire.InputAudio)["format"] == AudioFormat
    assert _audio.WireFormat == AudioFormat  # pinned until _audio.py imports AudioFormat
    for fmt in AUDIO_FORMATS:
        assert _audio._describe(fmt)[1] == audio_mime_type(fmt)  # PyAV's wav/mp3 containers
        assert MEDIA_TYPES_BY_EXTENSION[f".{fmt}"] == audio_mime_type(fmt)


@pytest.mark.parametrize(("fmt", "mime"), [(f, m) for f, names in AUDIO_MIME_TYPES.items() for m in names])
def test_the_client_names_each_audio_mime_type_by_the_table(fmt: str, mime: str) -> None:
    part = _messages.ParsedMedia("audio", _messages.BlockLocation(0, 0), data="UklGRg==", mime_type=mime)
    assert part.audio_format == fmt
    assert _messages.to_content_item(part)["input_audio"]["format"] == fmt  # type: ignore[index]
    block = {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": fmt}}
    [parsed] = _messages.parsed_media(_messages.parse_messages([HumanMessage([block])]))
    assert parsed.mime_type == audio_mime_type(fmt)  # type: ignore[arg-type]


def test_the_audio_module_writes_the_canonical_mime_type() -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(8000)
        clip.writeframes(bytes(2 * 8000 * 2))
    [first, _] = _audio.split_audio_bytes(buffer.getvalue(), max_seconds=1)
    assert first.mime_type == audio_mime_type(first.format)
    assert _audio.inspect_audio(buffer.getvalue()).mime_type == audio_mime_type("wav")


def test_pillow_format_names_come_from_one_table() -> None:
    assert media.PILLOW_IMAGE_FORMATS is PILLOW_IMAGE_FORMATS
    assert dict(PILLOW_IMAGE_FORMATS) == _images._FORMATS  # pinned until _images.py imports the table
    assert {canonical for canonical, _ in PILLOW_IMAGE_FORMATS.values()} >= profiles.IMAGE_FORMATS


# ----------------------------------------------------------------------------------------- data URLs, http URLs

DATA_URLS = {
    "base64": "data:image/png;base64,{b64}",
    "upper-case scheme and parameter": "DATA:IMAGE/PNG;BASE64,{b64}",
    "parameters": "data:image/png;charset=binary;base64,{b64}",
    "spaces around the parts": "data: image/png ; base64 ,{b64}",
    "percent-encoded": "data:image/png,{quoted}",
    "no MIME type": "data:;base64,{b64}",
    "a MIME type without a slash": "data:png;base64,{b64}",
    "base64 but no MIME type": "data:base64,{b64}",
    "no comma": "data:image/png;base64",
}


def _data_url(shape: str) -> str:
    data = image_bytes(8, 6)
    return DATA_URLS[shape].format(b64=b64(data), quoted=urllib.parse.quote_from_bytes(data))


def _parses(url: str, **options: bool) -> bool:
    try:
        parse_data_url(url, **options)
    except DataUrlError:
        return False
    return True


@pytest.mark.parametrize("shape", list(DATA_URLS))
def test_every_data_url_reader_follows_the_one_parser(shape: str) -> None:
    url = _data_url(shape)
    # Local input may be percent-encoded (RFC 2397); what goes on the wire must be base64, as the service decodes.
    assert accepts(lambda: image_part(url)) is _parses(url)
    assert accepts(lambda: media.read_data_url("t", url)) is _parses(url, require_base64=True)
    assert accepts(lambda: _messages.parse_messages(image_url_message(url))) is _parses(url, require_base64=True)


def test_data_url_errors_say_what_the_parser_says() -> None:
    url = _data_url("no MIME type")
    with pytest.raises(MediaError, match="the data URL has no MIME type"):
        image_part(url)
    with pytest.raises(media.RefusedMediaError, match="the data URL has no MIME type"):
        media.read_data_url("t", url)


HTTP_LIKE = ["http://example.com/a.png", "HTTPS://EXAMPLE.COM/A.PNG", "Http://x/y.png", "ftp://example.com/a.png",
             "http:/example.com/a.png", "example.com/a.png", "file:///tmp/a.png"]  # fmt: skip


@pytest.mark.parametrize("url", HTTP_LIKE)
def test_every_module_takes_the_same_urls_as_urls(url: str) -> None:
    profile = resolve_profile("gpt-4o")
    assert accepts(lambda: image_part(url)["url"]) is is_http_url(url)
    assert accepts(lambda: ImageLoader(url).load()[0].metadata["source"]) is is_http_url(url)
    assert accepts(lambda: media.inspect_image("t", url, None, profile)) is is_http_url(url)
    assert accepts(lambda: _messages.parse_messages(image_url_message(url))) is is_http_url(url)


# ------------------------------------------------------------------------------------------------- secret headers


def test_the_emulator_masks_every_secret_header_the_client_redacts() -> None:
    headers = {name.title(): f"secret-{name}" for name in SECRET_HEADERS} | {"Content-Type": "application/json"}
    shown = repr(RecordedRequest("POST", "/chat/completions", {}, headers, None, 0))
    assert "secret-" not in shown and "application/json" in shown
    assert {"api-key", "authorization", "proxy-authorization", "ocp-apim-subscription-key"} <= SECRET_HEADERS


# ------------------------------------------------------------------------------------------------- cost formula


def test_the_estimate_costs_what_the_one_formula_says() -> None:
    prices = Prices(input_per_1k=0.01, output_per_1k=0.03)
    estimate = estimate_cost([HumanMessage("x" * 4000)], prices, model="gpt-4o", output_tokens=250)
    assert estimate.total == prices.cost(estimate.tokens.total, 250)
    assert (estimate.input_cost, estimate.output_cost) == (prices.input_cost(1000), prices.output_cost(250))


class _SpyPrices(Prices):
    def cost(self, input_tokens: int, output_tokens: int = 0) -> float:
        return -1.0  # a value no formula gives


def test_the_ingest_summary_costs_what_the_one_formula_says() -> None:
    from langchain_azure_multimodal import ingest

    summary = ingest.Summary(cost=0.0)
    record = {"status": "ok", "sha256": "00", "tokens": 3, "input_tokens": 2, "output_tokens": 1}
    ingest._count(summary, record, _SpyPrices(input_per_1k=0.01))
    assert summary.cost == -1.0


# ------------------------------------------------------------------------------------------ bounded concurrency


def test_in_order_yields_in_input_order_with_at_most_limit_in_flight() -> None:
    running = peak = pulled = 0

    async def job(n: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.002 * (5 - n % 5))
        running -= 1
        return n

    def jobs() -> Iterator[Any]:
        nonlocal pulled
        for n in range(20):
            pulled += 1
            assert pulled - len(seen) <= 4  # the window (2 * limit) bounds what is taken ahead
            yield lambda n=n: job(n)

    seen: list[int] = []

    async def main() -> None:
        async for n in in_order(jobs(), limit=2):
            seen.append(n)

    asyncio.run(main())
    assert seen == list(range(20)) and peak == 2


def _jobs_until_cancelled(count: int, cancelled: list[int], *, failing: int | None = None) -> Iterator[Any]:
    """Jobs 0..count-1: job 0 ends at once, ``failing`` raises, the others wait until cancelled (noted in
    ``cancelled``)."""

    async def job(n: int) -> int:
        if n == failing:
            raise RuntimeError(f"job {n} failed")
        try:
            await asyncio.sleep(0 if n == 0 else 10)
        except asyncio.CancelledError:
            cancelled.append(n)
            raise
        return n

    return (lambda n=n: job(n) for n in range(count))


def test_in_order_raises_at_the_failed_job_s_turn_and_cancels_the_rest() -> None:
    cancelled: list[int] = []

    async def main() -> list[int]:
        return [n async for n in in_order(_jobs_until_cancelled(6, cancelled, failing=1), limit=3)]

    with pytest.raises(RuntimeError, match="job 1 failed"):
        asyncio.run(main())
    assert cancelled and 0 not in cancelled


def test_in_order_leaves_nothing_running_when_the_caller_stops() -> None:
    cancelled: list[int] = []

    async def main() -> int:
        async with aclosing(in_order(_jobs_until_cancelled(8, cancelled), limit=2, window=4)) as results:
            async for _ in results:
                break
        return len(asyncio.all_tasks())

    assert asyncio.run(main()) == 1  # only main itself: the started jobs were cancelled and awaited
    assert 1 in cancelled  # job 1 was running


def test_in_order_checks_its_bounds() -> None:
    async def main(**bounds: int) -> None:
        async for _ in in_order([], **bounds):
            pass

    with pytest.raises(ValueError, match="limit must be at least 1"):
        asyncio.run(main(limit=0))
    with pytest.raises(ValueError, match="window must be at least the limit"):
        asyncio.run(main(limit=4, window=2))


# ------------------------------------------------------------------------------ no copies left in the package code

#: Each fact: how a copy of it is recognised in the code (docstrings aside), and the module that is its one source.
FACTS: dict[str, tuple[Any, set[str]]] = {
    "the Azure OpenAI audio api-version": (lambda s: s == "2025-01-01-preview", {"endpoints.py"}),
    "the secret header names": (lambda s: s in ("proxy-authorization", "ocp-apim-subscription-key"), {"endpoints.py"}),
    "the audio MIME names": (lambda s: s in ("audio/mpeg", "audio/mp3", "audio/x-wav", "audio/wave"), {"profiles.py"}),
    "the media-extra install hint": (lambda s: "langchain-azure-multimodal[media]" in s, {"errors.py"}),
    "the data: scheme": (lambda s: s == "data:", {"_urls.py"}),
    "the http(s) URL test": (lambda s: s in ("https?://", r"https?://"), {"_urls.py"}),
    "the chat route": (lambda s: "/chat/completions" in s, {"endpoints.py"}),
    "the detail values": ({"auto", "low", "high"}, {"profiles.py"}),
    "the audio formats": ({"wav", "mp3"}, {"profiles.py"}),
    "the http(s) prefixes": ({"http://", "https://"}, {"_urls.py"}),
    "a bounded-concurrency semaphore": ("Semaphore", {"_concurrency.py"}),
}
#: Copies in modules other engineers own, which the report lists to switch; delete an entry once it is switched
#: (a stale entry fails the test too, so that this list always says what is left).
PENDING: dict[str, set[str]] = {}


def _code_facts(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """``(fact, line)`` for each copy of a fact in one module's code."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    for node in ast.walk(tree):
        for fact, (probe, _) in FACTS.items():
            if callable(probe) and isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) not in docstrings and probe(node.value):
                    yield fact, node.lineno
            elif isinstance(probe, set) and isinstance(node, ast.Tuple | ast.Set | ast.List):
                if probe <= {e.value for e in node.elts if isinstance(e, ast.Constant)}:
                    yield fact, node.lineno
            elif isinstance(probe, str) and isinstance(node, ast.Attribute) and node.attr == probe:
                yield fact, node.lineno


def test_each_fact_is_written_in_its_one_module_only() -> None:
    found: dict[str, dict[str, list[int]]] = {fact: {} for fact in FACTS}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        for fact, line in _code_facts(ast.parse(path.read_text(encoding="utf-8"))):
            found[fact].setdefault(module, []).append(line)
    problems = []
    for fact, (_, home) in FACTS.items():
        expected = home | PENDING.get(fact, set())
        if extra := {m: lines for m, lines in found[fact].items() if m not in expected}:
            problems.append(f"{fact} is written again in {extra}: read it from {', '.join(sorted(home))}")
        if stale := PENDING.get(fact, set()) - set(found[fact]):
            problems.append(f"{fact}: no copy in {sorted(stale)} any more; remove it from PENDING")
    assert problems == []
