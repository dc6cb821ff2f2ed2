"""The scanner on its own thread: started, held by the UI, stepped around frames, stopped."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from arbscope.engine.config import EngineConfig
from arbscope.market.runner import STEP_MARGIN_S, ScannerThread, step_delay
from arbscope.market.scanner import Scanner
from arbscope.market.sim import SimFeed


def test_a_step_far_from_any_frame_waits_the_usual_interval() -> None:
    assert step_delay(now=10.0, interval=0.05, step_s=0.01, next_frame=None) == 0.05
    assert step_delay(now=10.0, interval=0.05, step_s=0.01, next_frame=10.09) == 0.05


def test_a_step_that_would_overlap_the_next_frame_ends_just_before_it() -> None:
    # Due at 10.05, it would run to 10.07; the frame is at 10.06: start at
    # 10.06 - 0.02 - margin instead, so it is over when the frame starts.
    delay = step_delay(now=10.0, interval=0.05, step_s=0.02, next_frame=10.06)
    assert delay == pytest.approx(0.06 - 0.02 - STEP_MARGIN_S)


def test_when_there_is_no_time_before_the_frame_the_step_follows_it() -> None:
    # A 70 ms step due at 10.05 would cover the frame at 10.06, and starting it
    # 70 ms before the frame is already past: it starts just after the frame.
    delay = step_delay(now=10.0, interval=0.05, step_s=0.07, next_frame=10.06)
    assert delay == pytest.approx(0.06 + STEP_MARGIN_S)


async def _until(condition: object, seconds: float = 90.0) -> None:
    """Poll `condition`; the bound is against hangs only."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_the_thread_steps_the_market_stops_while_held_and_takes_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("arbscope.market.runner.HOLD_LIMIT_S", 30.0)  # held means held, here
    scanner = Scanner([SimFeed(seed=7, symbols=["BTC/USDT", "ETH/USDT"])], EngineConfig())
    runner = ScannerThread(scanner)
    await runner.start()
    try:
        await _until(lambda: runner.snapshot.books and runner.calculator.valuation())
        runner.hold()
        # The scanner's thread says when it has stopped at its turn (a step under way ends first).
        assert await asyncio.to_thread(runner.parked.wait, 60.0)
        held_at = runner.snapshot
        await asyncio.sleep(0.15)  # three step intervals
        assert runner.snapshot is held_at
        runner.release()
        await _until(lambda: runner.snapshot is not held_at)
        runner.set_config(EngineConfig(trade_notional=2500.0))
        assert runner.config.trade_notional == 2500.0
        await _until(lambda: scanner.config.trade_notional == 2500.0)
    finally:
        await runner.stop()
    assert runner.failure is None
    assert not any(t.name == "arbscope-scanner" for t in threading.enumerate())
