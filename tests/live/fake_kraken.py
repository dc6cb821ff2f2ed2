"""Fake Kraken: REST AssetPairs/Assets/Depth, websocket v2 book channel from v1 captures."""

from __future__ import annotations

import asyncio
import json
import re
import time
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.live.fake_venue import FakeVenue
from tests.live.recorded import KrakenBook, kraken_message_levels, kraken_unified, recorded


class FakeKraken(FakeVenue):
    """Kraken: REST AssetPairs, Assets, Depth; websocket v2 book channel from v1 captures."""

    venue = "kraken"

    def __init__(self, speed: float = 10.0, loop: bool = False) -> None:
        super().__init__(speed)
        self.loop = loop
        """After the recording, send the snapshot again and replay it again, at `speed`."""
        self.frames_sent = 0
        self._lost: set[tuple[str, int]] = set()
        self._pairs = {kraken_unified(p): p for p in recorded().kraken_frames}

    def ccxt_options(self) -> dict[str, Any]:
        """What a user writes in settings (venues.kraken.ccxt_options) to use this server."""
        return {
            "urls": {"api": {"public": self.http, "ws": {"publicV2": f"{self.ws}/v2"}}},
            "timeout": 1500,
            # Kraken allows a request a second; this server has no limit, so tests go faster.
            "rateLimit": 200,
        }

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/0/public/AssetPairs", self.asset_pairs)
        app.router.add_get("/0/public/Assets", self.assets)
        app.router.add_get("/0/public/Depth", self.depth)
        app.router.add_get("/v2", self.websocket)

    def rate_limited_body(self) -> Any:
        return {"error": ["EGeneral:Too many requests"]}

    def maintenance_body(self) -> Any:
        return {"error": ["EService:Unavailable"]}

    def maintenance_status(self) -> int:
        return 200  # Kraken reports errors inside a 200 answer

    def lose_frame(self, symbol: str, index: int) -> None:
        """Never send recorded frame `index` of `symbol` (unified) the next time it comes up:
        a lost message (the server's own book still takes it)."""
        self._lost.add((symbol, index))

    async def asset_pairs(self, request: web.Request) -> web.StreamResponse:
        body = recorded().kraken_asset_pairs.body
        return await self.answer(
            "AssetPairs", lambda: web.Response(text=body, content_type="application/json")
        )

    async def assets(self, request: web.Request) -> web.StreamResponse:
        # Not in the recording: derived from the pairs, in the shape Kraken's Assets has.
        result: dict[str, Any] = {}
        for pair in recorded().kraken_asset_pairs.json["result"].values():
            for asset in (pair["base"], pair["quote"]):
                altname = asset[1:] if len(asset) == 4 and asset[0] in "XZ" else asset
                fiat = asset.startswith("Z") or asset in ("CHF", "EUR", "USD")
                result[asset] = {
                    "aclass": "currency",
                    "altname": altname,
                    "decimals": 4 if fiat else 10,
                    "display_decimals": 2 if fiat else 5,
                    "status": "enabled",
                }
        body = {"error": [], "result": result}
        return await self.answer("Assets", lambda: web.json_response(body))

    def _book_at_snapshot(self, pair: str) -> KrakenBook:
        snapshot = recorded().kraken_frames[pair][0].data
        levels, _ = kraken_message_levels(snapshot)
        book = KrakenBook()
        book.apply("a", levels["as"])
        book.apply("b", levels["bs"])
        return book

    async def depth(self, request: web.Request) -> web.StreamResponse:
        wanted = request.query.get("pair", "")
        pairs = recorded().kraken_pairs
        pair = next((p for p, v in pairs.items() if wanted in (v["_id"], v["altname"])), None)
        if pair is None or pair not in recorded().kraken_frames:
            return web.json_response({"error": ["EQuery:Unknown asset pair"], "result": {}})
        count = int(request.query.get("count", "100"))
        book = self._book_at_snapshot(pair)
        ts = int(recorded().kraken_frames[pair][0].ts)

        def side(name: str) -> list[list[Any]]:
            return [[p, q, ts] for p, q in self._formatted(pair, book.top(name, count))]

        body = {"error": [], "result": {pairs[pair]["_id"]: {"asks": side("a"), "bids": side("b")}}}
        return await self.answer("Depth", lambda: web.json_response(body))

    def _formatted(self, pair: str, levels: list[tuple[str, str]]) -> list[tuple[str, str]]:
        info = recorded().kraken_pairs[pair]
        price_q = Decimal(1).scaleb(-info["pair_decimals"])
        qty_q = Decimal(1).scaleb(-info["lot_decimals"])
        return [
            (format(Decimal(p).quantize(price_q), "f"), format(Decimal(q).quantize(qty_q), "f"))
            for p, q in levels
        ]

    async def on_connect(self, ws: web.WebSocketResponse) -> None:
        status = {"api_version": "v2", "connection_id": 1, "system": "online", "version": "2.0.10"}
        await self.send(ws, json.dumps({"channel": "status", "type": "update", "data": [status]}))

    async def on_text(self, ws: web.WebSocketResponse, payload: Any) -> list[asyncio.Task[None]]:
        method = payload.get("method")
        now = _iso(time.time())
        if method == "ping":
            req_id = payload.get("req_id")
            pong = {"method": "pong", "req_id": req_id, "time_in": now, "time_out": now}
            await self.send(ws, json.dumps(pong))
            return []
        if method != "subscribe" or payload.get("params", {}).get("channel") != "book":
            return []
        self.subscriptions.append(payload)
        params = payload["params"]
        depth = int(params.get("depth", 10))
        tasks = []
        for symbol in params.get("symbol", []):
            result = {"channel": "book", "depth": depth, "snapshot": True, "symbol": symbol}
            answer = {"method": "subscribe", "result": result, "success": True,
                      "time_in": now, "time_out": now, "req_id": payload.get("req_id")}
            await self.send(ws, json.dumps(answer))
            if symbol in self._pairs:
                tasks.append(self.spawn(self._stream(ws, symbol, depth)))
        return tasks

    def _v2(self, kind: str, symbol: str, pair: str, sides: dict[str, list[tuple[str, str]]],
            checksum: int, ts: float) -> str:
        item: dict[str, Any] = {"symbol": symbol}
        for name in ("bids", "asks"):
            levels = self._formatted(pair, sides[name])
            item[name] = [{"price": f"#{p}#", "qty": f"#{q}#"} for p, q in levels]
        item["checksum"] = checksum
        if kind == "update":
            item["timestamp"] = _iso(ts)
        text = json.dumps({"channel": "book", "type": kind, "data": [item]})
        # v2 sends numbers written with the pair's precision: unquote the marked strings.
        return re.sub(r'"#([0-9.]+)#"', r"\1", text)

    def _checksum(self, pair: str, book: KrakenBook) -> int:
        top = KrakenBook()
        top.asks = {Decimal(p): (p, q) for p, q in self._formatted(pair, book.top("a", 10))}
        top.bids = {Decimal(p): (p, q) for p, q in self._formatted(pair, book.top("b", 10))}
        return top.checksum()

    async def _stream(self, ws: web.WebSocketResponse, symbol: str, depth: int) -> None:
        await self._replay(ws, symbol, depth)
        while self.loop:
            await asyncio.sleep(0.1 / self.speed)
            await self._replay(ws, symbol, depth)

    async def _replay(self, ws: web.WebSocketResponse, symbol: str, depth: int) -> None:
        pair = self._pairs[symbol]
        frames = recorded().kraken_frames[pair]
        book = self._book_at_snapshot(pair)
        shown = {"asks": book.top("a", depth), "bids": book.top("b", depth)}
        checksum = self._checksum(pair, book)
        await self.send(ws, self._v2("snapshot", symbol, pair, shown, checksum, frames[0].ts))
        self.frames_sent += 1
        start, origin = time.monotonic(), frames[0].ts
        for index, frame in enumerate(frames[1:], start=1):
            await self.pause_until(start + (frame.ts - origin) / self.speed)
            levels, _ = kraken_message_levels(frame.data)
            for side in ("a", "b"):
                book.apply(side, levels.get(side, []))
            book.truncate()
            now_shown = {"asks": book.top("a", depth), "bids": book.top("b", depth)}
            changes: dict[str, list[tuple[str, str]]] = {}
            for name, key in (("asks", "a"), ("bids", "b")):
                before = dict(shown[name])
                after = dict(now_shown[name])
                side_book = book.asks if key == "a" else book.bids
                changed = [(p, q) for p, q in now_shown[name] if before.get(p) != q]
                # A level deleted from the book is sent as qty 0; one merely pushed out
                # of the subscribed depth is not (clients truncate, as Kraken documents).
                removed = [
                    (p, "0") for p in before if p not in after and Decimal(p) not in side_book
                ]
                changes[name] = removed + changed
            shown = now_shown
            if not changes["asks"] and not changes["bids"]:
                continue
            if (symbol, index) in self._lost:
                self._lost.discard((symbol, index))
                continue
            checksum = self._checksum(pair, book)
            await self.send(ws, self._v2("update", symbol, pair, changes, checksum, frame.ts))
            self.frames_sent += 1


def _iso(ts: float) -> str:
    micros = round((ts - int(ts)) * 1e6)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(ts))) + f".{micros:06d}Z"
