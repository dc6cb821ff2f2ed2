"""Runs the scanner (feeds, market service, calculator) on its own thread and event loop.

The calculator can spend tens of milliseconds on one step when many books
change at once; on the UI's event loop that would delay every key and frame.
On a thread of its own it only competes for the interpreter lock.

The UI reads `snapshot` (an immutable object swapped in whole, so reading it
from another thread is safe) and sends changes with `set_config`, which runs
on the scanner's loop between two steps.

Python runs one thread at a time, handing over every few milliseconds, so a
busy scanner would still halve the speed of every frame. Two things keep
them apart:

* The UI `hold`s the scanner while it draws a frame or answers a key and
  `release`s it once the screen is updated: the scanner's loop waits at its
  next turn (never longer than `HOLD_LIMIT_S`) and catches up after, as the
  market service keeps only the latest book of each market.
* A step already running when a frame starts cannot be paused, so steps are
  timed around the frames the UI announces (`expect_frames`): one that would
  still be running when the next frame starts runs just before it instead.

This runner steps the scanner itself (the Scanner's own start() would step on
a plain timer): `scanner.service.start()`, then `scanner.step()` on its schedule.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future

from arbscope.engine.config import EngineConfig
from arbscope.market.scanner import Scanner
from arbscope.models import MarketSnapshot

HOLD_LIMIT_S = 0.25
"""A hold the UI forgot to release stops the scanner no longer than this."""
GATE_CHECK_S = 0.002
"""How often the scanner's loop looks whether the UI holds it."""
STEP_MARGIN_S = 0.004
"""Room left between the end of a step and the frame after it (timer jitter)."""
RECENT_STEPS = 32
"""Steps whose durations predict the next one's."""


class _LatestValuation:
    """The calculator's valuation as copied after the last step (readable from any thread)."""

    def __init__(self) -> None:
        self.values: Mapping[str, float] = {}

    def valuation(self) -> Mapping[str, float]:
        return self.values


def step_delay(
    now: float,
    interval: float,
    step_s: float,
    next_frame: float | None,
) -> float:
    """Seconds to wait before the next step, so that it is not running when a frame starts.

    The step would start at `now + interval` and take about `step_s`; if the frame
    at `next_frame` falls inside that, the step starts early enough to end just
    before the frame, or, if that moment has passed, right after the frame.
    """
    start = now + interval
    if next_frame is None or not start - STEP_MARGIN_S < next_frame < start + step_s:
        return interval
    early = next_frame - step_s - STEP_MARGIN_S
    if early >= now:
        return early - now
    return next_frame + STEP_MARGIN_S - now


class ScannerThread:
    """A `Scanner` started and stopped from the UI, stepping on a background thread."""

    def __init__(self, scanner: Scanner) -> None:
        self.scanner = scanner
        self._config = scanner.config
        self._valuation = _LatestValuation()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self.parked = threading.Event()
        """Set while the scanner's loop waits for a `release` (tests wait on it)."""
        self._failure: BaseException | None = None
        self._frame_period: float | None = None
        self._last_frame: float | None = None
        self._step_times: deque[float] = deque(maxlen=RECENT_STEPS)

    @property
    def snapshot(self) -> MarketSnapshot:
        return self.scanner.snapshot

    @property
    def config(self) -> EngineConfig:
        return self._config

    @property
    def calculator(self) -> _LatestValuation:
        return self._valuation

    def spread_z(self, route_id: str) -> float | None:
        """The calculator's z of a statistical route; safe from the UI thread because
        the calculator keeps each z as one immutable float in a dict (one GIL-atomic read)."""
        return self.scanner.spread_z(route_id)

    @property
    def failure(self) -> BaseException | None:
        """Why the scanner's thread stopped, if it did on its own."""
        return self._failure

    # -- what the UI tells the scanner -----------------------------------------------

    def expect_frames(self, period_s: float) -> None:
        """The UI draws a frame every `period_s` (it calls `hold(frame=True)` at each)."""
        self._frame_period = period_s

    def hold(self, frame: bool = False) -> None:
        """Pause the scanner at its next turn, so the UI has the interpreter to itself."""
        if frame:
            self._last_frame = time.monotonic()
        self._running.clear()

    def release(self) -> None:
        self._running.set()

    @property
    def held(self) -> bool:
        return not self._running.is_set()

    def set_config(self, config: EngineConfig) -> None:
        """Adopt new choices on the scanner's thread (the calculator is not thread-safe)."""
        self._config = config
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self.scanner.set_config, config)
        else:
            self.scanner.set_config(config)

    # -- the scanner's thread -------------------------------------------------------

    def _next_frame(self, now: float) -> float | None:
        if self._frame_period is None or self._last_frame is None:
            return None
        frames_since = max(0, int((now - self._last_frame) // self._frame_period) + 1)
        return self._last_frame + frames_since * self._frame_period

    def _park(self) -> None:
        self.parked.set()
        self._running.wait(HOLD_LIMIT_S)
        self.parked.clear()

    async def _gatekeeper(self) -> None:
        while True:
            if not self._running.is_set():
                # Blocks this whole loop (feeds and steps) without holding the GIL.
                self._park()
            await asyncio.sleep(GATE_CHECK_S)

    async def _step_forever(self) -> None:
        try:
            await self._steps()
        except Exception as error:  # the UI reports it (`failure`); the thread must not hang
            self._failure = error
            asyncio.get_running_loop().stop()

    async def _steps(self) -> None:
        interval = self.scanner.interval_s
        while True:
            if not self._running.is_set():
                self._park()
            started = time.monotonic()
            self.scanner.step()
            # Runs on this thread right after the step: a consistent copy for the UI.
            self._valuation.values = dict(self.scanner.calculator.valuation())
            now = time.monotonic()
            self._step_times.append(now - started)
            await asyncio.sleep(step_delay(now, interval, max(self._step_times),
                                           self._next_frame(now)))

    async def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="arbscope-scanner", daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._ready.wait, 5.0)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        tasks: list[asyncio.Task[None]] = []
        try:
            loop.run_until_complete(self.scanner.service.start())
            tasks = [loop.create_task(self._gatekeeper(), name="ui-gate"),
                     loop.create_task(self._step_forever(), name="scanner")]
            self._ready.set()
            loop.run_forever()
        except BaseException as error:  # the UI shows it; the thread must not die silently
            self._failure = error
        finally:
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._ready.set()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self.release()
        if loop.is_running():
            stopped: Future[None] = asyncio.run_coroutine_threadsafe(
                self.scanner.service.stop(), loop
            )
            await asyncio.wrap_future(stopped)
            loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, 5.0)
        self._thread = None
        self._loop = None
