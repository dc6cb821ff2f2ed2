"""A live venue's disconnects and resyncs reach the service as gaps, and a recording as
`disconnect` / `resync` lines (ccxt against the fake OKX, speaking its real protocol)."""

from __future__ import annotations

import json
from pathlib import Path

from arbscope.market.base import FeedGap
from arbscope.market.ccxt_feed import CcxtFeed
from arbscope.market.recorder import Recorder
from arbscope.models import IntegrityMethod
from tests.live.conftest import FAST, start_feed, stop_feed, until, venue_settings
from tests.live.fake_okx import FakeOKX


async def test_a_sequence_gap_and_a_dropped_connection_are_recorded(tmp_path: Path) -> None:
    server = await FakeOKX(speed=1.0, updates=400).start()
    tuning = FAST.model_copy(update={"silence_timeout_s": 30.0})
    settings = {"okx": venue_settings(server, transport="websocket")}
    running = await start_feed(CcxtFeed(["okx"], ["BTC/USDT", "ETH/BTC"], settings, tuning))
    service = running.service
    gaps: list[FeedGap] = []
    held_after: list[set[tuple[str, str]]] = []
    """The keys the service still held as each gap was reported."""

    def on_gap(gap: FeedGap) -> None:
        gaps.append(gap)
        held_after.append(set(service.books))

    service.add_gap_listener(on_gap)
    recorder = Recorder(tmp_path / "live.jsonl", "live", service.markets)
    service.add_listener(recorder.on_book)
    service.add_gap_listener(recorder.on_gap)
    try:
        await until(
            lambda: {("okx", "BTC/USDT"), ("okx", "ETH/BTC")} <= set(service.books),
            what="both books",
        )
        server.gap_next.add("BTC-USDT")
        await until(lambda: gaps, what="the sequence gap")
        await until(lambda: ("okx", "BTC/USDT") in service.books, what="the resync's snapshot")
        assert server.drop_websockets() >= 1
        await until(lambda: any(g.kind == "disconnect" for g in gaps), what="the disconnect")
    finally:
        await stop_feed(running)
        await server.stop()
        recorder.close()
    resync = gaps[0]
    assert (resync.kind, resync.venue, resync.symbol) == ("resync", "okx", "BTC/USDT")
    assert "InvalidNonce" in resync.reason  # ccxt's sequence check found the gap
    # The broken book went at once; the other symbol's stayed.
    assert held_after[0] == {("okx", "ETH/BTC")}
    # The cut connection: whichever symbol noticed first may resync on its own, but the
    # session's end is a disconnect, and no okx book is held past it.
    at = next(i for i, g in enumerate(gaps) if g.kind == "disconnect")
    assert (gaps[at].venue, gaps[at].symbol) == ("okx", None)
    assert held_after[at] == set()
    health = service.health()["okx"]
    assert health.integrity is IntegrityMethod.SEQUENCE  # ccxt checks OKX's prevSeqId
    assert health.resyncs_last_hour == len(gaps) >= 2
    lines = [json.loads(x) for x in (tmp_path / "live.jsonl").read_text().splitlines()]
    kinds = [line["type"] for line in lines if line["type"] in ("resync", "disconnect")]
    assert kinds[0] == "resync" and "disconnect" in kinds
    # Books from the OKX wire carry the venue's time beside ours.
    assert any("exchange_ts" in line for line in lines if line["type"] == "book")
