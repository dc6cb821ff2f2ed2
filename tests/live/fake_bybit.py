"""Fake Bybit spot: REST v5 instruments and order books, and the v5 public spot websocket,
as ccxt 4.5 speaks them.

ccxt loads Bybit's spot markets from `/v5/market/instruments-info?category=spot`
(currencies need keys) and reads books from `/v5/market/orderbook`. Its websocket is
`<ws>/v5/public/spot` (ccxt tells spot from contract frames by that path):
`{"op": "subscribe", "args": ["orderbook.50.BTCUSDT"]}` is acknowledged with
`{"success": true, "op": "subscribe"}`, then a `snapshot` and `delta`s follow, each with
an update id `u`. The keep-alive is `{"op": "ping"}`, answered with `ret_msg: "pong"`.

The starting levels are the spot `fetchOrderBook` response recorded in ccxt's static test
data (ts/src/test/static/response/bybit.json at ccxt commit 04890d69, MIT License,
Copyright (c) 2017 Igor Kroitor).
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.live.fake_streaming import Levels, StreamingFake, levels

RECORDED = {
    # ccxt's recorded Bybit `/v5/market/orderbook` spot answer (ts 1706803989954).
    "BTCUSDT": (
        [["29861", "0.00101"], ["29829.3", "0.000667"]],
        [["29971.81", "0.001161"], ["29988.93", "0.112648"]],
    ),
}

INSTRUMENTS = {
    # market id: (base, quote, tick, base precision, minimum quantity)
    "BTCUSDT": ("BTC", "USDT", "0.01", "0.000001", "0.000048"),
}

CONN_ID = "db3158a0-8960-44b9-a9de-ac350ee13158"


class FakeBybit(StreamingFake):
    """Bybit spot over REST and its v5 public websocket."""

    venue = "bybit"

    def __init__(self, speed: float = 10.0, updates: int = 40) -> None:
        super().__init__(speed, updates)
        self._update_id = 4313234

    def seed(self) -> dict[str, tuple[Levels, Levels]]:
        return {m: (levels(bids), levels(asks)) for m, (bids, asks) in RECORDED.items()}

    def ccxt_options(self) -> dict[str, Any]:
        ws = {"public": {"spot": f"{self.ws}/v5/public/spot"}}
        return {"urls": {"api": {"public": self.http, "ws": ws}}, "timeout": 1500}

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/v5/market/instruments-info", self.instruments)
        app.router.add_get("/v5/market/orderbook", self.orderbook)
        app.router.add_get("/v5/public/spot", self.websocket)

    def rate_limited_body(self) -> Any:
        return {"retCode": 10006, "retMsg": "Too many visits!", "result": {}, "time": 0}

    def maintenance_body(self) -> Any:
        return {"retCode": 10016, "retMsg": "Service is under maintenance.", "result": {}}

    def _ok(self, result: Any) -> web.Response:
        body = {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {},
                "time": int(self.exchange_clock() * 1000)}
        return web.json_response(body)

    async def instruments(self, request: web.Request) -> web.StreamResponse:
        spot = request.query.get("category") == "spot"
        rows = [
            {
                "symbol": market_id, "baseCoin": base, "quoteCoin": quote, "innovation": "0",
                "status": "Trading", "marginTrading": "both",
                "lotSizeFilter": {"basePrecision": precision, "quotePrecision": "0.00000001",
                                  "minOrderQty": minimum, "maxOrderQty": "71.73956243",
                                  "minOrderAmt": "1", "maxOrderAmt": "2000000"},
                "priceFilter": {"tickSize": tick},
            }
            for market_id, (base, quote, tick, precision, minimum) in INSTRUMENTS.items()
        ] if spot else []
        result = {"category": request.query.get("category", ""), "list": rows}
        return await self.answer("instruments-info", lambda: self._ok(result))

    async def orderbook(self, request: web.Request) -> web.StreamResponse:
        market_id = request.query.get("symbol", "")
        if market_id not in RECORDED:
            return web.json_response({"retCode": 10001, "retMsg": "Not supported symbols"})

        def make() -> web.Response:
            bids, asks = self.book_of(market_id)
            return self._ok({
                "s": market_id, "b": _rows(bids), "a": _rows(asks),
                "ts": int(self.exchange_clock() * 1000), "u": self._update_id,
            })

        return await self.answer("orderbook", make)

    # --- websocket -----------------------------------------------------------------------

    async def on_text(self, ws: web.WebSocketResponse, payload: Any) -> list[asyncio.Task[None]]:
        op = payload.get("op")
        if op == "ping":
            self.pings += 1
            pong = {"success": True, "ret_msg": "pong", "conn_id": CONN_ID, "op": "ping",
                    "req_id": payload.get("req_id")}
            await self.send(ws, json.dumps(pong))
            return []
        if op != "subscribe":
            return []
        self.subscriptions.append(payload)
        ack = {"success": True, "ret_msg": "", "conn_id": CONN_ID, "op": "subscribe",
               "req_id": payload.get("req_id")}
        await self.send(ws, json.dumps(ack))
        tasks: list[asyncio.Task[None]] = []
        for topic in payload.get("args", []):
            channel, _, market_id = str(topic).rpartition(".")
            self.topics.append(f"{channel}:{market_id}")
            if channel.startswith("orderbook.") and market_id in RECORDED:
                tasks.append(self.spawn(self._books_stream(ws, str(topic), market_id)))
        return tasks

    def _frame(self, topic: str, kind: str, market_id: str, bids: Levels,
               asks: Levels) -> dict[str, Any]:
        self._update_id += 1
        now = int(self.exchange_clock() * 1000)
        data = {"s": market_id, "b": _rows(bids), "a": _rows(asks), "u": self._update_id,
                "seq": 7961638724 + self._update_id}
        return {"topic": topic, "type": kind, "ts": now, "data": data, "cts": now}

    async def _books_stream(self, ws: web.WebSocketResponse, topic: str, market_id: str) -> None:
        bids, asks = self.book_of(market_id)
        await self.send(ws, json.dumps(self._frame(topic, "snapshot", market_id, bids, asks)))

        def delta(side: str, price: Decimal, size: Decimal) -> dict[str, Any]:
            change = [(price, size)]
            return self._frame(topic, "delta", market_id, change if side == "bids" else [],
                               change if side == "asks" else [])

        await self.stream(ws, market_id, delta)


def _rows(side: Levels) -> list[list[str]]:
    return [[str(p), str(q)] for p, q in side]
