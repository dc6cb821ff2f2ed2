"""Fake Coinbase Advanced Trade: REST products and product books, the public currency
lists, and the websocket `level2` channel, as ccxt 4.5 speaks them.

ccxt loads Coinbase's markets from `/api/v3/brokerage/market/products` (spot, then
`product_type=FUTURE`), its currencies from `/v2/currencies`, `/v2/currencies/crypto`
and `/v2/exchange-rates`, and reads books from `/api/v3/brokerage/market/product_book`.
Its websocket takes `{"type": "subscribe", "channel": "level2", "product_ids": [...]}`,
answers on the `subscriptions` channel, then sends `l2_data` events: a `snapshot`, then
`update`s whose `new_quantity` "0" removes a level.

The starting levels are those of the Coinbase `pricebook` sample in ccxt's own coinbase
source, as are the product fields (ccxt, MIT License, Copyright (c) 2017 Igor Kroitor):
ccxt's recorded coinbase test data (ts/src/test/static/response/coinbase.json) holds no
order book.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.live.fake_streaming import Levels, StreamingFake, levels

RECORDED = {
    # ccxt's REST `pricebook` sample for BTC-USDT.
    "BTC-USDT": ([["30757.85", "0.115"]], [["30759.07", "0.04877659"]]),
}

PRODUCTS = {
    # product id: (base, base name, quote, quote name)
    "BTC-USDT": ("BTC", "Bitcoin", "USDT", "Tether"),
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FakeCoinbase(StreamingFake):
    """Coinbase Advanced Trade over REST and its public websocket."""

    venue = "coinbase"

    def __init__(self, speed: float = 10.0, updates: int = 40) -> None:
        super().__init__(speed, updates)
        self._sequence = 0

    def seed(self) -> dict[str, tuple[Levels, Levels]]:
        return {m: (levels(bids), levels(asks)) for m, (bids, asks) in RECORDED.items()}

    def ccxt_options(self) -> dict[str, Any]:
        return {"urls": {"api": {"rest": self.http, "ws": f"{self.ws}/ws"}}, "timeout": 1500}

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v3/brokerage/market/products", self.products)
        app.router.add_get("/api/v3/brokerage/market/product_book", self.product_book)
        app.router.add_get("/v2/currencies", self.fiat)
        app.router.add_get("/v2/currencies/crypto", self.crypto)
        app.router.add_get("/v2/exchange-rates", self.rates)
        app.router.add_get("/ws", self.websocket)

    def rate_limited_body(self) -> Any:
        return {"errors": [{"id": "rate_limit_exceeded", "message": "Too many requests"}]}

    def maintenance_body(self) -> Any:
        return {"error": "UNAVAILABLE", "message": "Service unavailable", "details": []}

    # --- REST ----------------------------------------------------------------------------

    async def products(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("product_type", "SPOT") != "SPOT":
            empty = {"products": [], "num_products": 0}
            return await self.answer("products", lambda: web.json_response(empty))
        rows = [
            {
                "product_id": product_id, "price": "30758", "price_percentage_change_24h": "0",
                "volume_24h": "10967.87426597", "volume_percentage_change_24h": "0",
                "base_increment": "0.00000001", "quote_increment": "0.01",
                "quote_min_size": "1", "quote_max_size": "150000000",
                "base_min_size": "0.00000001", "base_max_size": "3400",
                "base_name": base_name, "quote_name": quote_name, "watched": False,
                "is_disabled": False, "new": False, "status": "online", "cancel_only": False,
                "limit_only": False, "post_only": False, "trading_disabled": False,
                "auction_mode": False, "product_type": "SPOT", "quote_currency_id": quote,
                "base_currency_id": base, "fcm_trading_session_details": None,
                "mid_market_price": "", "alias": "", "alias_to": [],
                "base_display_symbol": base, "quote_display_symbol": quote,
                "view_only": False, "price_increment": "0.01", "display_name": product_id,
                "product_venue": "CBE",
            }
            for product_id, (base, base_name, quote, quote_name) in PRODUCTS.items()
        ]
        body = {"products": rows, "num_products": len(rows)}
        return await self.answer("products", lambda: web.json_response(body))

    async def fiat(self, request: web.Request) -> web.StreamResponse:
        body = {"data": [{"id": "USD", "name": "US Dollar", "min_size": "0.01"}]}
        return await self.answer("currencies", lambda: web.json_response(body))

    async def crypto(self, request: web.Request) -> web.StreamResponse:
        codes = sorted({(base, name) for base, name, _, _ in PRODUCTS.values()}
                       | {(quote, name) for _, _, quote, name in PRODUCTS.values()})
        data = [
            {"asset_id": f"00000000-0000-0000-0000-{i:012d}", "code": code, "name": name,
             "color": "#F7931A", "sort_index": str(100 + i), "exponent": "8",
             "type": "crypto", "address_regex": "^[0-9a-zA-Z]{25,62}$"}
            for i, (code, name) in enumerate(codes)
        ]
        return await self.answer("currencies/crypto", lambda: web.json_response({"data": data}))

    async def rates(self, request: web.Request) -> web.StreamResponse:
        body = {"data": {"currency": "USD", "rates": {"BTC": "0.0000325", "USDT": "1.0"}}}
        return await self.answer("exchange-rates", lambda: web.json_response(body))

    async def product_book(self, request: web.Request) -> web.StreamResponse:
        product_id = request.query.get("product_id", "")
        if product_id not in RECORDED:
            body = {"error": "NOT_FOUND", "message": "ProductID is invalid"}
            return web.json_response(body, status=404)

        def make() -> web.Response:
            bids, asks = self.book_of(product_id)
            book = {"product_id": product_id, "bids": _rows(bids), "asks": _rows(asks),
                    "time": _now()}
            return web.json_response({"pricebook": book})

        return await self.answer("product_book", make)

    # --- websocket -----------------------------------------------------------------------

    def _message(self, channel: str, events: list[Any]) -> str:
        self._sequence += 1
        return json.dumps({"channel": channel, "client_id": "", "timestamp": _now(),
                           "sequence_num": self._sequence, "events": events})

    async def on_text(self, ws: web.WebSocketResponse, payload: Any) -> list[asyncio.Task[None]]:
        if payload.get("type") != "subscribe":
            return []
        self.subscriptions.append(payload)
        channel = str(payload.get("channel", ""))
        ids = [str(i) for i in payload.get("product_ids", [])]
        self.topics += [f"{channel}:{i}" for i in ids]
        await self.send(ws, self._message("subscriptions", [{"subscriptions": {channel: ids}}]))
        if channel != "level2":
            return []
        return [self.spawn(self._books_stream(ws, i)) for i in ids if i in RECORDED]

    async def _books_stream(self, ws: web.WebSocketResponse, product_id: str) -> None:
        bids, asks = self.book_of(product_id)
        updates = _updates("bid", bids) + _updates("offer", asks)
        snapshot = {"type": "snapshot", "product_id": product_id, "updates": updates}
        await self.send(ws, self._message("l2_data", [snapshot]))

        def update(side: str, price: Decimal, size: Decimal) -> str:
            side_id = "bid" if side == "bids" else "offer"
            event = {"type": "update", "product_id": product_id,
                     "updates": _updates(side_id, [(price, size)])}
            return self._message("l2_data", [event])

        await self.stream(ws, product_id, update, encoded=True)


def _rows(side: Levels) -> list[dict[str, str]]:
    return [{"price": str(p), "size": str(q)} for p, q in side]


def _updates(side_id: str, side: Levels) -> list[dict[str, str]]:
    return [{"side": side_id, "event_time": _now(), "price_level": str(p),
             "new_quantity": str(q)} for p, q in side]
