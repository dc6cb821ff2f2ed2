"""Fake Binance spot: REST exchangeInfo and depth, websocket diff-depth streams (recorded)."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.live.fake_venue import FakeVenue
from tests.live.recorded import recorded


class FakeBinance(FakeVenue):
    """Binance spot: REST exchangeInfo and depth, websocket diff-depth streams."""

    venue = "binance"

    def __init__(
        self, speed: float = 10.0, loop: bool = False, price_factor: Decimal | None = None
    ) -> None:
        super().__init__(speed)
        self.loop = loop
        """After the recording, keep streaming its diffs again (renumbered), at `speed`."""
        self.price_factor = price_factor
        """Every price times this (a second venue quoting the same market a little apart)."""
        self.frames_sent = 0
        self._served: dict[str, asyncio.Event] = {}
        self._served_at: dict[str, float] = {}
        self._skip: Counter[str] = Counter()
        self._corrupt: dict[str, list[list[str]]] = {}
        self.delisted: set[str] = set()
        """Market ids whose depth answers 404 (a suspended or delisted pair)."""

    def ccxt_options(self) -> dict[str, Any]:
        """What a user writes in settings (venues.binance.ccxt_options) to use this server."""
        return {
            "urls": {"api": {"public": f"{self.http}/api/v3", "ws": {"spot": f"{self.ws}/ws"}}},
            "timeout": 1500,
        }

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/api/v3/exchangeInfo", self.exchange_info)
        app.router.add_get("/api/v3/depth", self.depth)
        app.router.add_get("/ws/{stream}", self.websocket)

    def rate_limited_body(self) -> Any:
        return {"code": -1003, "msg": "Too many requests; current limit is 1200 per minute."}

    def maintenance_body(self) -> Any:
        return {"code": -1001, "msg": "Internal error; unable to process your request."}

    def corrupt_next_diff(self, market_id: str, bids: list[list[str]]) -> None:
        """Add these bid levels to the next diff of `market_id`: bad data from the venue."""
        self._corrupt[market_id] = bids

    def skip_next_diff(self, market_id: str) -> None:
        """Leave out the next diff of `market_id` on every stream: a sequence gap."""
        self._skip[market_id] += 1

    async def exchange_info(self, request: web.Request) -> web.StreamResponse:
        body = recorded().binance_exchange_info.body
        return await self.answer(
            "exchangeInfo", lambda: web.Response(text=body, content_type="application/json")
        )

    async def depth(self, request: web.Request) -> web.StreamResponse:
        market_id = request.query.get("symbol", "")
        if market_id in self.delisted:
            self.requests[f"depth {market_id} 404"] += 1
            return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=404)
        self.requests[f"depth {market_id}"] += 1
        capture = recorded().binance_depth.get(market_id)
        if capture is None:
            return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
        limit = int(request.query.get("limit", "100"))  # Binance's default is 100 levels
        body = capture.json

        def make() -> web.Response:
            bids, asks = self._priced(body["bids"][:limit]), self._priced(body["asks"][:limit])
            return web.json_response({**body, "bids": bids, "asks": asks})

        response = await self.answer("depth", make)
        if response.status == 200 and response.content_type == "application/json":
            self._served_at[market_id] = time.monotonic()
            self._served.setdefault(market_id, asyncio.Event()).set()
        return response

    async def on_text(self, ws: web.WebSocketResponse, payload: Any) -> list[asyncio.Task[None]]:
        if payload.get("method") != "SUBSCRIBE":
            return []
        self.subscriptions.append(payload)
        tasks = []
        for stream in payload.get("params", []):
            market_id = stream.split("@")[0].upper()
            if market_id in recorded().binance_diffs:
                # A new subscription waits for a snapshot served after it.
                self._served[market_id] = asyncio.Event()
                tasks.append(self.spawn(self._stream(ws, market_id)))
        await self.send(ws, json.dumps({"result": None, "id": payload.get("id")}))
        return tasks

    async def _stream(self, ws: web.WebSocketResponse, market_id: str) -> None:
        snapshot_ts = recorded().binance_depth[market_id].ts
        frames = recorded().binance_diffs[market_id]
        start = time.monotonic()
        first_ts = frames[0].ts
        for frame in frames:
            if frame.ts > snapshot_ts:
                await self._served[market_id].wait()
                anchor, origin = self._served_at[market_id], snapshot_ts
            else:
                anchor, origin = start, first_ts
            await self.pause_until(anchor + (frame.ts - origin) / self.speed)
            await self._send_diff(ws, market_id, frame.data)
        if self.loop:
            await self._loop(ws, market_id, frames)

    def _priced(self, levels: list[list[str]]) -> list[list[str]]:
        if self.price_factor is None:
            return levels
        quantum, factor = Decimal("0.00000001"), self.price_factor
        return [[format((Decimal(p) * factor).quantize(quantum), "f"), q] for p, q in levels]

    async def _send_diff(self, ws: web.WebSocketResponse, market_id: str, data: Any) -> None:
        if self._skip[market_id]:
            self._skip[market_id] -= 1
            return
        if self.price_factor is not None:
            data = {**data, "b": self._priced(data["b"]), "a": self._priced(data["a"])}
        if market_id in self._corrupt and self._served[market_id].is_set():
            data = {**data, "b": data["b"] + self._corrupt.pop(market_id)}
        await self.send(ws, json.dumps(data))
        self.frames_sent += 1

    async def _loop(self, ws: web.WebSocketResponse, market_id: str, frames: list[Any]) -> None:
        # Each round first sends one diff that puts the book back to the snapshot, then
        # the recorded diffs again, renumbered: the client's book stays a real one.
        snapshot = recorded().binance_depth[market_id].json
        later = [f for f in frames if f.data["u"] > snapshot["lastUpdateId"]]
        initial = {"b": dict(snapshot["bids"]), "a": dict(snapshot["asks"])}
        held = {side: dict(levels) for side, levels in initial.items()}
        for frame in later:
            _apply(held, frame.data)
        last = frames[-1].data["u"]
        anchor = time.monotonic()
        count = 0
        while True:
            reset = {
                side: [[p, "0.00000000"] for p in held[side] if p not in initial[side]]
                + [[p, q] for p, q in initial[side].items() if held[side].get(p) != q]
                for side in ("b", "a")
            }
            rounds = [(None, {"e": "depthUpdate", "s": market_id, **reset})] + [
                (f.ts, f.data) for f in later
            ]
            previous = later[0].ts
            for ts, payload in rounds:
                count += 1
                span = payload.get("u", 0) - payload.get("U", 0)
                data = {**payload, "U": last + 1, "u": last + 1 + span}
                last = data["u"]
                _apply(held, data)
                if self.speed != float("inf"):
                    anchor += (0.1 if ts is None else max(0.0, ts - previous)) / self.speed
                    previous = ts if ts is not None else previous
                    await self.pause_until(anchor)
                elif count % 64 == 0:
                    await asyncio.sleep(0)  # as fast as possible, still letting reads and pings in
                await self._send_diff(ws, market_id, data)


def _apply(book: dict[str, dict[str, str]], diff: dict[str, Any]) -> None:
    for side in ("b", "a"):
        for price, qty in diff.get(side, []):
            if Decimal(qty) == 0:
                book[side].pop(price, None)
            else:
                book[side][price] = qty
