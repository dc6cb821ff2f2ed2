"""UI fixtures: the app on a deterministic simulated market, stepped by the test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from textual.app import App
from textual.widgets import Input

from arbscope.storage.settings import unknown_keys, with_changes
from arbscope.ui.app import ArbscopeApp
from tests.ui.sim_driver import SteppedMarket

SIZE = (160, 48)
"""Terminal size of every UI test and snapshot."""

SNAPSHOT_AT_S = 6.0
"""Seconds of simulated market before the shared snapshot: spatial and
cross-currency routes are open and profitable at that moment (seed 7)."""


@dataclass(frozen=True, slots=True)
class Notified:
    """One `App.notify` call, as the user saw it."""

    title: str
    message: str
    severity: str


_NOTIFIED: WeakKeyDictionary[App[Any], list[Notified]] = WeakKeyDictionary()


def notifications(app: App[Any]) -> list[Notified]:
    """Everything `app` notified (screens and widgets notify through their app), oldest first."""
    return _NOTIFIED.get(app, [])


@pytest.fixture(autouse=True)
def record_notifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Wraps Textual's public `App.notify`, so tests read what was said without Textual's
    private `_notifications` (which also forgets a notification once it times out)."""
    notify = App.notify

    def recording(self: App[Any], message: str, **options: Any) -> None:
        _NOTIFIED.setdefault(self, []).append(Notified(
            options.get("title", ""), message, options.get("severity", "information")))
        notify(self, message, **options)

    monkeypatch.setattr(App, "notify", recording)
    yield


@pytest.fixture(autouse=True)
def steady_cursors(monkeypatch: pytest.MonkeyPatch) -> None:
    """An Input's cursor blinks on a 0.5 s wall-clock timer: on a busy machine a snapshot
    taken a little later caught it hidden. Here every Input keeps it shown while focused
    (`cursor_blink` is Input's public switch), so the screen does not depend on speed."""
    init = Input.__init__

    def steady(self: Input, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.cursor_blink = False

    monkeypatch.setattr(Input, "__init__", steady)


@pytest.fixture(scope="session")
def shared_market() -> SteppedMarket:
    """One market advanced once per test process; tests that read it must not step it."""
    market = SteppedMarket(seed=7)
    market.advance(SNAPSHOT_AT_S)
    return market


@pytest.fixture
def market() -> SteppedMarket:
    """A market of the test's own, to step as it likes."""
    market = SteppedMarket(seed=7)
    market.advance(2.0)
    return market


def make_app(market: SteppedMarket, **ui: Any) -> ArbscopeApp:
    """The monitor on `market` with its timer off: the test decides when it refreshes.

    `ui` sets fields of the `[ui]` section (`theme="nord"`), validated.
    """
    changes = {f"ui.{name}": value for name, value in ui.items()}
    assert not unknown_keys(changes), unknown_keys(changes)
    return ArbscopeApp(
        market.scanner,
        with_changes(market.settings, changes),
        clock=market.clock,
        refresh_timer=False,
        start_scanner=False,
    )
