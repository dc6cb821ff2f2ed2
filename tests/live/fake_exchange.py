"""Local fake Binance and Kraken servers (aiohttp, 127.0.0.1, random port) serving recorded data.

They speak the venues' real formats, so ccxt's own code parses them:
* Binance spot REST (`/api/v3/exchangeInfo`, `/api/v3/depth`) answers with the
  recorded bodies; its websocket (`/ws/<n>`) takes `SUBSCRIBE` requests and
  replays the recorded `depthUpdate` diffs. Diffs recorded after the REST
  snapshot are held until that snapshot has been served, then keep their
  recorded spacing (divided by `speed`), as they reached the recorder.
* Kraken REST (`/0/public/AssetPairs`, `/Assets`, `/Depth`) and websocket v2
  (`/v2`): ccxt 4.5 speaks v2, the recording is v1, so frames are re-wrapped
  in v2's shape with prices and quantities written with the pair's precision
  and the checksum computed over them as Kraken documents; the same book code
  reproduces every checksum Kraken recorded (test_live_feed.py).

Faults are injected per server: REST answers (429, 500, an HTML page,
malformed JSON, maintenance, no answer), dropped websockets, a malformed
frame, a skipped diff (a sequence gap) and a stall (no data, no pongs).
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from tests.live.fake_binance import FakeBinance
from tests.live.fake_kraken import FakeKraken
from tests.live.fake_kucoin import FakeKuCoin
from tests.live.fake_venue import HTML_PAGE, FakeVenue, Fault

__all__ = ["HTML_PAGE", "FakeBinance", "FakeKraken", "FakeKuCoin", "FakeVenue", "Fault"]


async def _serve(venue: str, speed: float, loop: bool) -> None:
    server: FakeVenue
    if venue == "kucoin":
        server = FakeKuCoin(speed, updates=10**9 if loop else 40)
    else:
        server = FakeBinance(speed, loop) if venue == "binance" else FakeKraken(speed, loop)
    await server.start()
    print(json.dumps({"port": server.port, "ccxt_options": server.ccxt_options()}), flush=True)
    try:
        await asyncio.Event().wait()  # until the process is ended
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.live.fake_exchange binance [--speed X] [--loop]`: serve until killed;
    prints one JSON line with the port and the ccxt options to use it."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.live.fake_exchange")
    parser.add_argument("venue", choices=("binance", "kraken", "kucoin"))
    parser.add_argument("--speed", type=float, default=1.0, help="0: as fast as possible")
    parser.add_argument("--loop", action="store_true", help="replay the recording forever")
    args = parser.parse_args(argv)
    speed = args.speed if args.speed > 0 else float("inf")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.venue, speed, args.loop))


if __name__ == "__main__":
    main()
