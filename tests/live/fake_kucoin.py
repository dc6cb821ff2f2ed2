"""Fake KuCoin spot: REST markets and level-2 snapshots, the public bullet token, and its
websocket level-2 protocol, as ccxt 4.5 speaks them.

ccxt loads KuCoin's markets from `/api/v3/currencies`, `/api/v2/symbols` and
`/api/v1/market/allTickers`. Its websocket URL is not fixed: ccxt first asks
`POST /api/v1/bullet-public` for a token and an instance server, then opens
`<endpoint>?token=...&connectId=...`. The server greets with `welcome`,
acknowledges each `subscribe` with `ack` and answers `ping` with `pong`.
Level-2 updates (`trade.l2update`, `sequenceStart`/`sequenceEnd`, changes as
`[price, size, sequence]`) carry no snapshot: ccxt caches five of them, takes
a REST snapshot (`/api/v1/market/orderbook/level2_100`, with its `sequence`)
and applies the cached updates newer than it.

The books are generated, not recorded: each symbol's book starts from ten
levels a side and each update changes one level (or removes it), so a test can
compare the client's book with `book_of` at any time.
"""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.live.fake_venue import FakeVenue

MARKETS = {
    # market id: (base, quote, mid price, tick, lot)
    "BTC-USDT": ("BTC", "USDT", Decimal("67000.0"), Decimal("0.1"), Decimal("0.00000001")),
    "ETH-USDT": ("ETH", "USDT", Decimal("3500.00"), Decimal("0.01"), Decimal("0.0000001")),
}

TOKEN = "2neAiuYvAU61ZDXANAGAsiL4-public-token-for-tests"


class FakeKuCoin(FakeVenue):
    """KuCoin spot over REST and its bullet-token websocket."""

    venue = "kucoin"

    def __init__(self, speed: float = 10.0, updates: int = 40) -> None:
        super().__init__(speed)
        self.updates = updates
        """Level-2 updates each subscription gets before the stream goes quiet."""
        self.tokens_issued = 0
        self.frames_sent = 0
        self.topics: list[str] = []
        self._connect_id = ""
        self.delisted: set[str] = set()
        """Market ids whose level-2 snapshot answers 404 (a suspended pair)."""
        self.chains: dict[str, list[dict[str, Any]]] = {}
        """Currency code -> its `chains` in `/api/v3/currencies` (KuCoin's wire format;
        none by default, as a venue that publishes no networks)."""
        self._books: dict[str, dict[str, dict[Decimal, Decimal]]] = {}
        self._sequence: dict[str, int] = {}
        for market_id, (_, _, mid, tick, _) in MARKETS.items():
            self._books[market_id] = {
                "bids": {mid - tick * k: Decimal(k) for k in range(1, 11)},
                "asks": {mid + tick * k: Decimal(k) for k in range(1, 11)},
            }
            self._sequence[market_id] = 1000

    def ccxt_options(self) -> dict[str, Any]:
        """What a user writes in settings (venues.kucoin.ccxt_options) to use this server.

        Only the REST host: ccxt asks it for the websocket endpoint."""
        return {"urls": {"api": {"public": self.http}}, "timeout": 1500}

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v3/currencies", self.currencies)
        app.router.add_get("/api/v2/symbols", self.symbols)
        app.router.add_get("/api/v1/market/allTickers", self.all_tickers)
        app.router.add_get("/api/v1/market/orderbook/level2_100", self.level2)
        app.router.add_post("/api/v1/bullet-public", self.bullet_public)
        app.router.add_get("/endpoint", self.websocket)

    def rate_limited_body(self) -> Any:
        return {"code": "429000", "msg": "Too Many Requests"}

    def maintenance_body(self) -> Any:
        return {"code": "400100", "msg": "System maintenance"}

    # --- REST ----------------------------------------------------------------------------

    @staticmethod
    def _ok(data: Any) -> web.Response:
        return web.json_response({"code": "200000", "data": data})

    async def currencies(self, request: web.Request) -> web.StreamResponse:
        codes = sorted({code for base, quote, *_ in MARKETS.values() for code in (base, quote)})
        data = [
            {
                "currency": code,
                "name": code,
                "fullName": code,
                "precision": 8,
                "confirms": None,
                "contractAddress": None,
                "isMarginEnabled": True,
                "isDebitEnabled": True,
                "chains": self.chains.get(code, []),
            }
            for code in codes
        ]
        return await self.answer("currencies", lambda: self._ok(data))

    async def symbols(self, request: web.Request) -> web.StreamResponse:
        data = [
            {
                "symbol": market_id,
                "name": market_id,
                "baseCurrency": base,
                "quoteCurrency": quote,
                "feeCurrency": quote,
                "market": "USDS",
                "baseMinSize": "0.00001",
                "quoteMinSize": "0.1",
                "baseMaxSize": "10000000000",
                "quoteMaxSize": "99999999",
                "baseIncrement": str(lot),
                "quoteIncrement": "0.000001",
                "priceIncrement": str(tick),
                "priceLimitRate": "0.1",
                "minFunds": "0.1",
                "isMarginEnabled": True,
                "enableTrading": True,
            }
            for market_id, (base, quote, _, tick, lot) in MARKETS.items()
        ]
        return await self.answer("symbols", lambda: self._ok(data))

    async def all_tickers(self, request: web.Request) -> web.StreamResponse:
        ticker = [
            {
                "symbol": market_id,
                "symbolName": market_id,
                "buy": str(mid - tick),
                "sell": str(mid + tick),
                "last": str(mid),
                "takerFeeRate": "0.001",
                "makerFeeRate": "0.001",
                "takerCoefficient": "1",
                "makerCoefficient": "1",
            }
            for market_id, (_, _, mid, tick, _) in MARKETS.items()
        ]
        data = {"time": int(time.time() * 1000), "ticker": ticker}
        return await self.answer("allTickers", lambda: self._ok(data))

    async def level2(self, request: web.Request) -> web.StreamResponse:
        market_id = request.query.get("symbol", "")
        if market_id in self.delisted:
            self.requests[f"level2 {market_id} 404"] += 1
            return web.json_response({"code": "400100", "msg": "symbol suspended"}, status=404)
        if market_id not in MARKETS:
            return web.json_response({"code": "400100", "msg": "symbol not exists"}, status=400)

        def make() -> web.Response:
            bids, asks = self.book_of(market_id)
            return self._ok(
                {
                    "time": int(time.time() * 1000),
                    "sequence": str(self._sequence[market_id]),
                    "bids": [[str(p), str(q)] for p, q in bids],
                    "asks": [[str(p), str(q)] for p, q in asks],
                }
            )

        return await self.answer("level2", make)

    async def bullet_public(self, request: web.Request) -> web.StreamResponse:
        def make() -> web.Response:
            self.tokens_issued += 1
            server = {
                "endpoint": f"{self.ws}/endpoint",
                "encrypt": False,
                "protocol": "websocket",
                "pingInterval": 18000,
                "pingTimeout": 10000,
            }
            return self._ok({"token": TOKEN, "instanceServers": [server]})

        return await self.answer("bullet-public", make)

    # --- websocket -------------------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        # KuCoin refuses a connection without the token it handed out.
        if request.query.get("token") != TOKEN:
            raise web.HTTPUnauthorized(text="invalid token")
        self._connect_id = request.query.get("connectId", "")
        return await super().websocket(request)

    async def on_connect(self, ws: web.WebSocketResponse) -> None:
        await self.send(ws, json.dumps({"id": self._connect_id, "type": "welcome"}))

    async def on_text(self, ws: web.WebSocketResponse, payload: Any) -> list[asyncio.Task[None]]:
        kind = payload.get("type")
        if kind == "ping":
            await self.send(ws, json.dumps({"id": payload.get("id"), "type": "pong"}))
            return []
        if kind != "subscribe":
            return []
        topic = str(payload.get("topic", ""))
        self.topics.append(topic)
        self.subscriptions.append(payload)
        channel, _, ids = topic.partition(":")
        await self.send(ws, json.dumps({"id": payload.get("id"), "type": "ack"}))
        if channel != "/market/level2":
            return []
        return [self.spawn(self._stream(ws, topic, m)) for m in ids.split(",") if m in MARKETS]

    async def _stream(self, ws: web.WebSocketResponse, topic: str, market_id: str) -> None:
        interval = 0.05 / self.speed if self.speed != float("inf") else 0.0
        for step in range(self.updates):
            await asyncio.sleep(interval)
            await self.send(ws, json.dumps(self._update(topic, market_id, step)))
            self.frames_sent += 1

    def _update(self, topic: str, market_id: str, step: int) -> dict[str, Any]:
        """One level changes: sides alternate, the level walks 1..10 away from mid, and
        every fifth change removes its level (size 0)."""
        _, _, mid, tick, _ = MARKETS[market_id]
        side = "bids" if step % 2 == 0 else "asks"
        away = (step // 2) % 10 + 1
        price = mid - tick * away if side == "bids" else mid + tick * away
        size = Decimal(0) if step % 5 == 0 else Decimal(1 + step % 7) / 4
        sequence = self._sequence[market_id] = self._sequence[market_id] + 1
        book = self._books[market_id][side]
        if size == 0:
            book.pop(price, None)
        else:
            book[price] = size
        change = [str(price), str(size), str(sequence)]
        return {
            "type": "message",
            "topic": topic,
            "subject": "trade.l2update",
            "data": {
                "sequenceStart": sequence,
                "sequenceEnd": sequence,
                "symbol": market_id,
                "time": int(time.time() * 1000),
                "changes": {"bids" if side == "bids" else "asks": [change],
                            "asks" if side == "bids" else "bids": []},
            },
        }

    def book_of(self, market_id: str) -> tuple[list[tuple[Decimal, Decimal]], ...]:
        """The server's book now: bids best first, asks best first."""
        book = self._books[market_id]
        bids = sorted(book["bids"].items(), reverse=True)
        asks = sorted(book["asks"].items())
        return bids, asks
