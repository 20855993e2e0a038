"""Starting and stopping the emulator: in a background thread, or on the caller's event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from types import TracebackType
from typing import Any

from aiohttp import web

from ..endpoints import ROUTES, EndpointKind
from ..profiles import ModelProfile, resolve_profile
from .app import DEFAULT_BODY_READ_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_MEDIA_WORKERS, EmulatorApp, ServedModel
from .script import DEFAULT_MAX_RECORDED, DEFAULT_MAX_RECORDED_BYTES, Fault, RecordedRequest, Script, ScriptedResponse
from .speaking import DEFAULT_AUDIO_TTL_SECONDS

DEFAULT_MODEL = "phi-4-multimodal-instruct"
#: Large enough for any header a real client sends; anything longer gets a 400, not a crash.
MAX_HEADER_FIELD_BYTES = 16 * 1024


class _EmulatorBase:
    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        api_key: str | None = None,
        models: Sequence[str] = (),
        profile: ModelProfile | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        record: bool = True,
        max_recorded: int = DEFAULT_MAX_RECORDED,
        max_recorded_bytes: int = DEFAULT_MAX_RECORDED_BYTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        audio_ttl_seconds: float = DEFAULT_AUDIO_TTL_SECONDS,
        body_read_timeout: float = DEFAULT_BODY_READ_TIMEOUT,
        media_workers: int = DEFAULT_MEDIA_WORKERS,
    ) -> None:
        """``max_recorded``/``max_recorded_bytes``: how many requests ``requests`` keeps, and how many body bytes
        between them (the oldest are forgotten first). ``audio_ttl_seconds``: how long the audio of a spoken answer
        may be referred to by its id (its ``expires_at``); 0 makes every id expire at once, for tests of expiry.
        ``body_read_timeout``: seconds a request's whole body may take to arrive after its headers; a slower one is
        answered 408 and its connection closed (30 by default). ``media_workers``: how many requests may have their
        images and audio decoded at once, in worker threads beside the event loop (2 by default).

        A request refused for its key or api-version is answered before its body is read, and recorded in
        ``requests`` with ``body=None`` and ``body_bytes=0``, as is one whose body was too large or too slow."""
        names = [model, *(m for m in models if m.lower() != model.lower())]
        served = [ServedModel(name, resolve_profile(name)) for name in names]
        if profile is not None:
            served[0] = ServedModel(model, profile)
        self.script = Script(max_recorded, max_recorded_bytes)
        self.app = EmulatorApp(
            served,
            api_key=api_key,
            script=self.script,
            record=record,
            max_body_bytes=max_body_bytes,
            audio_ttl_seconds=audio_ttl_seconds,
            body_read_timeout=body_read_timeout,
            media_workers=media_workers,
        )
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    @property
    def model(self) -> str:
        """The main model: the one the bare root serves, and the default elsewhere."""
        return self.app.models[0].name

    @property
    def base_url(self) -> str:
        """``http://host:port``, with no route."""
        if self.port is None:
            raise RuntimeError("the emulator is not running; use it as a context manager or call start()")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        """The serverless-style endpoint (the bare root), which the SDK takes as it is."""
        return self.base_url

    def endpoint_for(self, kind: str, deployment: str | None = None) -> str:
        """The endpoint URL of one endpoint kind: ``serverless``, ``foundry``, ``azure-openai`` or ``openai-v1``.

        Example:
            >>> with Emulator() as emu:  # doctest: +SKIP
            ...     emu.endpoint_for("azure-openai")  # 'http://127.0.0.1:PORT/openai/deployments/phi-4-...'
        """
        try:
            route = ROUTES[EndpointKind(kind)]
        except (ValueError, KeyError):  # not a kind, or a kind with no Azure route (github-models)
            raise ValueError(f"unknown endpoint kind {kind!r}; use one of {', '.join(ROUTES)}") from None
        return self.base_url + route.paths[0].format(deployment=deployment or self.model)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        return self.script.requests

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Apply ``fault`` to each of the next ``times`` requests."""
        self.script.inject(fault, times)

    def enqueue(self, response: ScriptedResponse) -> None:
        """Answer a later chat request with ``response`` (queued responses are used in order)."""
        self.script.enqueue(response)

    def reset(self) -> None:
        """Forget recorded requests, queued responses and pending faults."""
        self.script.reset()

    async def _start_site(self) -> None:
        runner = web.AppRunner(
            self.app.build(),
            access_log=None,
            handle_signals=False,
            max_field_size=MAX_HEADER_FIELD_BYTES,
            **self.app.server_options,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        self._runner = runner

    async def _stop_site(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class Emulator(_EmulatorBase):
    """The Azure AI Model Inference API on loopback, in a background thread.

    Any HTTP client will do (the SDK too: ``tests/integration_tests/test_sdk_roundtrip.py``); here the standard
    library's:

    Example:
        >>> import json, urllib.request
        >>> with Emulator(model="phi-4-multimodal-instruct", api_key="k") as emu:
        ...     request = urllib.request.Request(
        ...         f"{emu.endpoint}/chat/completions?api-version=2024-05-01-preview",
        ...         data=json.dumps({"messages": [{"role": "user", "content": "Hello"}]}).encode(),
        ...         headers={"api-key": "k", "Content-Type": "application/json"})
        ...     with urllib.request.urlopen(request) as response:
        ...         reply = json.load(response)
        >>> reply["choices"][0]["message"]["content"].startswith("[emulator:phi-4-multimodal-instruct]")
        True
    """

    def __init__(self, model: str = DEFAULT_MODEL, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Emulator:
        """Start serving; returns once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        started: Future[None] = Future()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._start_site())
            except BaseException as error:
                started.set_exception(error)
                return
            started.set_result(None)
            self._loop.run_forever()
            self._loop.run_until_complete(self._stop_site())
            # A connection still busy (a client that stopped mid-body) has its task cancelled by the cleanup; let it
            # end before the loop closes, as asyncio.run does, rather than leave it "destroyed but pending".
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.close()

        self._thread = threading.Thread(target=run, name=f"azure-emulator-{self.model}", daemon=True)
        self._thread.start()
        try:
            started.result(timeout=30)
        except BaseException:
            self._thread.join()
            self._thread = None
            raise
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._thread, self._loop, self.port = None, None, None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class AsyncEmulator(_EmulatorBase):
    """The emulator on the running event loop, for async tests and apps.

    Example:
        >>> async def main() -> None:  # doctest: +SKIP
        ...     async with AsyncEmulator(api_key="k") as emu:
        ...         print(emu.endpoint)
    """

    async def start(self) -> AsyncEmulator:
        await self._start_site()
        return self

    async def stop(self) -> None:
        await self._stop_site()
        self.port = None

    async def __aenter__(self) -> AsyncEmulator:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
