"""Fake OKX spot: REST instruments and books, and websocket v5 `books` as ccxt 4.5 speaks it.

ccxt loads OKX's spot markets from `/api/v5/public/instruments?instType=SPOT` (currencies
need keys, so ccxt derives them from the markets) and reads books from
`/api/v5/market/books`. Its websocket is `<ws>/public`: `{"op": "subscribe", "args":
[{"channel": "books", "instId": ...}]}` is acknowledged with `{"event": "subscribe"}`, then
a `snapshot` and `update`s follow, each with `seqId`/`prevSeqId` (ccxt drops a book whose
`prevSeqId` is not the last `seqId`) and OKX's crc32 `checksum` of the top 25 levels.
The keep-alive is the bare text `ping`, answered `pong`.

The BTC-USDT levels are the `fetchOrderBook` response recorded in ccxt's static test data
(ts/src/test/static/response/okx.json at ccxt commit 02140ad0, MIT License, Copyright (c)
2017 Igor Kroitor); the ETH-BTC ones are the REST `books` sample in ccxt's okx source.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.live.fake_streaming import Levels, StreamingFake, levels

RECORDED = {
    # ccxt's recorded OKX `/api/v5/market/books` answer for BTC-USDT (ts 1712265035051):
    # price, size, liquidated orders, orders.
    "BTC-USDT": (
        [["67973.3", "0.05", "0", "1"], ["67973.2", "0.00725939", "0", "1"]],
        [["67973.4", "1.40848059", "0", "7"], ["67975.9", "0.08292002", "0", "1"]],
    ),
    # ccxt's OKX REST `books` sample (a comment in its okx source).
    "ETH-BTC": (
        [["0.07221", "18.5", "0", "1"], ["0.0722", "18.5", "0", "1"],
         ["0.07219", "0.505407", "0", "1"]],
        [["0.07228", "4.211619", "0", "2"], ["0.0723", "299.880364", "0", "2"],
         ["0.07231", "3.72832", "0", "1"]],
    ),
}

INSTRUMENTS = {
    # market id: (base, quote, tick, lot, minimum size)
    "BTC-USDT": ("BTC", "USDT", "0.1", "0.00000001", "0.00001"),
    "ETH-BTC": ("ETH", "BTC", "0.00001", "0.000001", "0.001"),
}


def okx_checksum(bids: Levels, asks: Levels) -> int:
    """OKX's book checksum: crc32 of "bid:size:ask:size:..." over the top 25 levels of each
    side, interleaved, as a signed 32-bit integer."""
    parts: list[str] = []
    for i in range(25):
        if i < len(bids):
            parts += [str(bids[i][0]), str(bids[i][1])]
        if i < len(asks):
            parts += [str(asks[i][0]), str(asks[i][1])]
    crc = zlib.crc32(":".join(parts).encode())
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def _rows(side: Levels) -> list[list[str]]:
    return [[str(p), str(q), "0", "1"] for p, q in side]


class FakeOKX(StreamingFake):
    """OKX spot over REST and its v5 public websocket."""

    venue = "okx"
    ping_text = "ping"
    pong_text = "pong"

    def __init__(self, speed: float = 10.0, updates: int = 40) -> None:
        super().__init__(speed, updates)
        self._seq = 1000
        self.gap_next: set[str] = set()
        """Market ids whose next update skips a sequence id (a lost message)."""
        self._streams: dict[tuple[int, str, str], asyncio.Task[None]] = {}

    def seed(self) -> dict[str, tuple[Levels, Levels]]:
        return {m: (levels(bids), levels(asks)) for m, (bids, asks) in RECORDED.items()}

    def ccxt_options(self) -> dict[str, Any]:
        return {"urls": {"api": {"rest": self.http, "ws": f"{self.ws}/ws/v5"}}, "timeout": 1500}

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v5/public/instruments", self.instruments)
        app.router.add_get("/api/v5/market/books", self.books)
        app.router.add_get("/ws/v5/public", self.websocket)

    def rate_limited_body(self) -> Any:
        return {"msg": "Too Many Requests", "code": "50011"}

    def maintenance_body(self) -> Any:
        return {"msg": "Service temporarily unavailable. Try again later", "code": "50001"}

    @staticmethod
    def _ok(data: Any) -> web.Response:
        return web.json_response({"code": "0", "msg": "", "data": data})

    async def instruments(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("instType") != "SPOT":
            return await self.answer("instruments", lambda: self._ok([]))
        data = [
            {
                "alias": "", "baseCcy": base, "category": "1", "ctMult": "", "ctType": "",
                "ctVal": "", "ctValCcy": "", "expTime": "", "instFamily": "", "instId": market_id,
                "instType": "SPOT", "lever": "10", "listTime": "1606468572000", "lotSz": lot,
                "maxIcebergSz": "9999999999", "maxLmtSz": "9999999999", "maxMktSz": "1000000",
                "minSz": minimum, "optType": "", "quoteCcy": quote, "settleCcy": "",
                "state": "live", "stk": "", "tickSz": tick, "uly": "",
            }
            for market_id, (base, quote, tick, lot, minimum) in INSTRUMENTS.items()
        ]
        return await self.answer("instruments", lambda: self._ok(data))

    async def books(self, request: web.Request) -> web.StreamResponse:
        market_id = request.query.get("instId", "")
        if market_id not in RECORDED:
            return web.json_response({"code": "51001", "msg": "Instrument ID does not exist"})

        def make() -> web.Response:
            bids, asks = self.book_of(market_id)
            ts = str(int(self.exchange_clock() * 1000))
            return self._ok([{"asks": _rows(asks), "bids": _rows(bids), "ts": ts}])

        return await self.answer("books", make)

    # --- websocket -----------------------------------------------------------------------

    async def on_text(self, ws: web.WebSocketResponse, payload: Any) -> list[asyncio.Task[None]]:
        if payload.get("op") == "unsubscribe":
            # ccxt unsubscribes a channel whose book broke, then subscribes it again.
            for arg in payload.get("args", []):
                task = self._streams.pop((id(ws), arg.get("channel"), arg.get("instId")), None)
                if task is not None:
                    task.cancel()
                ack = {"event": "unsubscribe", "arg": arg, "connId": "a4d3ae55"}
                await self.send(ws, json.dumps(ack))
            return []
        if payload.get("op") != "subscribe":
            return []
        self.subscriptions.append(payload)
        tasks: list[asyncio.Task[None]] = []
        for arg in payload.get("args", []):
            channel, market_id = arg.get("channel"), arg.get("instId")
            self.topics.append(f"{channel}:{market_id}")
            ack = {"event": "subscribe", "arg": arg, "connId": "a4d3ae55"}
            await self.send(ws, json.dumps(ack))
            if channel == "books" and market_id in RECORDED:
                task = self.spawn(self._books_stream(ws, arg, market_id))
                self._streams[(id(ws), channel, market_id)] = task
                tasks.append(task)
        return tasks

    def _frame(self, arg: Any, action: str, market_id: str, bids: Levels, asks: Levels,
               prev: int) -> dict[str, Any]:
        all_bids, all_asks = self.book_of(market_id)
        self._seq += 1
        data = {
            "asks": _rows(asks), "bids": _rows(bids), "ts": str(int(self.exchange_clock() * 1000)),
            "checksum": okx_checksum(all_bids, all_asks), "prevSeqId": prev, "seqId": self._seq,
        }
        return {"arg": arg, "action": action, "data": [data]}

    async def _books_stream(self, ws: web.WebSocketResponse, arg: Any, market_id: str) -> None:
        bids, asks = self.book_of(market_id)
        snapshot = self._frame(arg, "snapshot", market_id, bids, asks, -1)
        await self.send(ws, json.dumps(snapshot))
        last = self._seq

        def update(side: str, price: Decimal, size: Decimal) -> dict[str, Any]:
            nonlocal last
            if market_id in self.gap_next:
                self.gap_next.discard(market_id)
                last -= 1  # prevSeqId no longer names the message before: a gap
            change = [(price, size)]
            frame = self._frame(arg, "update", market_id, change if side == "bids" else [],
                                change if side == "asks" else [], last)
            last = self._seq
            return frame

        await self.stream(ws, market_id, update)

