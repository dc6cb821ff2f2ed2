"""Runs the scanner (feeds, market service, calculator) on its own thread and event loop.

The calculator can spend tens of milliseconds on one step when many books
change at once; on the UI's event loop that would delay every key and frame.
On a thread of its own it only competes for the interpreter lock, which Python
hands over every few milliseconds, so the screen stays responsive.

The UI reads `snapshot` (an immutable object swapped in whole, so reading it
from another thread is safe) and sends changes with `set_config`, which runs
on the scanner's loop between two steps.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from concurrent.futures import Future

from arbscope.engine.config import EngineConfig
from arbscope.market.scanner import Scanner
from arbscope.models import MarketSnapshot


class _LatestValuation:
    """The calculator's valuation as copied after the last step (readable from any thread)."""

    def __init__(self) -> None:
        self.values: Mapping[str, float] = {}

    def valuation(self) -> Mapping[str, float]:
        return self.values


class ScannerThread:
    """A `Scanner` started and stopped from the UI, stepping on a background thread."""

    def __init__(self, scanner: Scanner) -> None:
        self.scanner = scanner
        self._config = scanner.config
        self._valuation = _LatestValuation()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        scanner.add_listener(self._after_step)

    @property
    def snapshot(self) -> MarketSnapshot:
        return self.scanner.snapshot

    @property
    def config(self) -> EngineConfig:
        return self._config

    @property
    def calculator(self) -> _LatestValuation:
        return self._valuation

    @property
    def failure(self) -> BaseException | None:
        """Why the scanner's thread stopped, if it did on its own."""
        return self._failure

    def _after_step(self, snapshot: MarketSnapshot) -> None:
        # Runs on the scanner's thread, right after a step: a consistent copy.
        self._valuation.values = dict(self.scanner.calculator.valuation())

    def set_config(self, config: EngineConfig) -> None:
        """Adopt new choices on the scanner's thread (the calculator is not thread-safe)."""
        self._config = config
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self.scanner.set_config, config)
        else:
            self.scanner.set_config(config)

    async def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="arbscope-scanner", daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._ready.wait, 5.0)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self.scanner.start())
            self._ready.set()
            loop.run_forever()
        except BaseException as error:  # the UI shows it; the thread must not die silently
            self._failure = error
        finally:
            self._ready.set()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            done: Future[None] = asyncio.run_coroutine_threadsafe(self.scanner.stop(), loop)
            await asyncio.wrap_future(done)
            loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, 5.0)
        self._thread = None
        self._loop = None
