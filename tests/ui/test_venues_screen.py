"""`v`: the venue detail view says why a venue is down and when it is tried again."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App
from textual.widgets import Static

from arbscope.models import IntegrityMethod, MarketSnapshot, VenueHealth, VenueState
from arbscope.ui.screens.venues import VenuesScreen, health_rows
from tests.ui.conftest import SIZE, make_app
from tests.ui.sim_driver import SteppedMarket

NOW = 1_732_400_100.0


def _snapshot() -> MarketSnapshot:
    return MarketSnapshot(
        ts=NOW,
        source="LIVE",
        opportunities=(),
        books={},
        markets={},
        health={
            "kraken": VenueHealth(
                venue="kraken", state=VenueState.DOWN, last_update_ts=NOW - 42.0,
                errors=3, retries=2, next_retry_ts=NOW + 3.5,
                last_error="HTTP 429 Too Many Requests",
            ),
            "binance": VenueHealth(
                venue="binance", state=VenueState.LIVE, last_update_ts=NOW - 0.25,
                updates_per_second=12.0, books_accepted=900, books_rejected=1,
            ),
        },
    )


def test_rows_give_age_retry_countdown_and_last_error() -> None:
    rows = health_rows(_snapshot())
    assert [r[0] for r in rows] == ["binance", "kraken"]
    binance, kraken = rows
    # binance: last book 0.25 s before the snapshot, no retry pending.
    assert binance[1:11] == ("live", "0.2s", "12.0", "—", "—", "900", "1", "0", "0", "—")
    # kraken: down, last book 42 s ago, next retry at NOW + 3.5 -> "3.5s".
    assert kraken[1] == "down" and kraken[2] == "42.0s"
    assert kraken[8:11] == ("3", "2", "3.5s")
    assert kraken[-1] == "HTTP 429 Too Many Requests"


def _shown_text(app: App[None]) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(app.screen.query_one("#venue-health", Static).content)
    return console.export_text()


class _Host(App[None]):
    def on_mount(self) -> None:
        self.push_screen(VenuesScreen(_snapshot))


async def test_screen_shows_each_venue_and_closes_on_escape() -> None:
    app = _Host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, VenuesScreen)
        text = _shown_text(app)
        assert "HTTP 429 Too Many Requests" in text and "binance" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, VenuesScreen)


async def test_v_in_the_monitor_opens_the_venue_view(market: SteppedMarket) -> None:
    app = make_app(market)
    async with app.run_test(size=SIZE) as pilot:
        app.refresh_panes()
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, VenuesScreen)
        text = _shown_text(app)
        for venue in market.scanner.snapshot.health:
            assert venue in text


def test_symbols_down_on_a_live_venue_are_listed_before_its_last_error() -> None:
    health = VenueHealth(
        venue="binance", state=VenueState.LIVE, last_update_ts=NOW - 0.25,
        errors=2, last_error="BLZ/ETH: BadSymbol: Invalid symbol.",
        down_symbols=("BLZ/ETH",),
    )
    snapshot = _snapshot().model_copy(update={"health": {"binance": health}})
    (row,) = health_rows(snapshot)
    assert row[1] == "live"
    assert row[-1] == "down: BLZ/ETH · BLZ/ETH: BadSymbol: Invalid symbol."


def test_rows_show_feed_latency_and_clock_skew() -> None:
    health = VenueHealth(
        venue="okx", state=VenueState.LIVE, last_update_ts=NOW - 0.25,
        latency_p50_s=0.0421, latency_p95_s=0.1875, clock_skew_s=-0.012,
    )
    snapshot = _snapshot().model_copy(update={"health": {"okx": health}})
    (row,) = health_rows(snapshot)
    # 0.0421 s -> 42 ms, 0.1875 s -> 188 ms (rounded half to even), -0.012 s -> -12 ms.
    assert row[4:6] == ("42ms / 188ms", "-12ms")


def test_rows_show_the_integrity_method_resyncs_per_hour_and_the_last_gap() -> None:
    health = VenueHealth(
        venue="okx", state=VenueState.LIVE, last_update_ts=NOW - 0.25,
        integrity=IntegrityMethod.SEQUENCE, resyncs_last_hour=3,
        last_gap_ts=NOW - 12.0, last_gap="resync BTC/USDT: InvalidNonce",
        last_error="BTC/USDT: InvalidNonce; retried in 0.1 s",
    )
    snapshot = _snapshot().model_copy(update={"health": {"okx": health}})
    (row,) = health_rows(snapshot)
    # The gap was 12 s before the snapshot.
    assert row[11:14] == ("sequence numbers", "3", "12.0s")
    assert row[-1] == (
        "last gap: resync BTC/USDT: InvalidNonce · BTC/USDT: InvalidNonce; retried in 0.1 s"
    )


def test_notes_name_the_stale_symbol_and_count_the_warming_ones() -> None:
    warming = tuple(f"C{n}/USDT" for n in range(8))
    health = VenueHealth(
        venue="okx", state=VenueState.LIVE, last_update_ts=NOW - 0.25,
        stale_symbols=("BTC/USDT",), warming_symbols=warming,
    )
    snapshot = _snapshot().model_copy(update={"health": {"okx": health}})
    (row,) = health_rows(snapshot)
    # Eight warming: five named, 8 - 5 = 3 counted.
    assert row[-1] == (
        "stale: BTC/USDT · warming: C0/USDT, C1/USDT, C2/USDT, C3/USDT, C4/USDT and 3 more"
    )
