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
  reproduces every checksum Kraken recorded (see test_fake_exchange.py).

Faults are injected per server: REST answers (429, 500, an HTML page,
malformed JSON, maintenance, no answer), dropped websockets, a malformed
frame, a skipped diff (a sequence gap) and a stall (no data, no pongs).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import Counter
from decimal import Decimal
from enum import Enum
from typing import Any

from aiohttp import WSMsgType, web

from tests.live.recorded import KrakenBook, kraken_message_levels, kraken_unified, recorded


class Fault(Enum):
    RATE_LIMITED = "429"
    SERVER_ERROR = "500"
    HTML_PAGE = "html"
    MALFORMED_JSON = "malformed"
    MAINTENANCE = "maintenance"
    NO_ANSWER = "hang"


HTML_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>down</body></html>"


class FakeVenue:
    """What both fake servers share: the HTTP server, faults, counters, stall."""

    venue = ""

    def __init__(self, speed: float = 10.0) -> None:
        self.speed = speed
        """Recorded seconds replayed per real second (inf: as fast as possible)."""
        self.port = 0
        self.requests: Counter[str] = Counter()
        """Requests answered per route name."""
        self.ws_connections = 0
        self.subscriptions: list[Any] = []
        self._faults: dict[str, list[Fault]] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = asyncio.Event()
        self._running.set()
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self, port: int = 0) -> FakeVenue:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        self._released.set()
        self._running.set()
        for task in list(self._tasks):
            task.cancel()
        for ws in list(self._sockets):
            self._abort(ws)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    # --- faults --------------------------------------------------------------------------

    def fail(self, route: str, fault: Fault, times: int = 1) -> None:
        """Answer the next `times` requests of `route` with `fault`."""
        self._faults.setdefault(route, []).extend([fault] * times)

    def drop_websockets(self) -> int:
        """Cut every open websocket as a network failure would (no close frame)."""
        sockets = list(self._sockets)
        for ws in sockets:
            self._abort(ws)
        return len(sockets)

    async def send_raw(self, text: str) -> None:
        """Send `text` as it is on every open websocket (a malformed frame)."""
        for ws in list(self._sockets):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(text)

    def stall(self) -> None:
        """Stop answering: no frames, no pongs, no REST answers, no new handshakes."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def _abort(self, ws: web.WebSocketResponse) -> None:
        writer = ws._writer
        transport = writer.transport if writer is not None else None
        if transport is not None:
            transport.abort()

    def spawn(self, coro: Any) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- shared handlers -----------------------------------------------------------------

    def fault_response(self, fault: Fault) -> web.Response:
        if fault is Fault.RATE_LIMITED:
            return web.json_response(self.rate_limited_body(), status=429)
        if fault is Fault.SERVER_ERROR:
            return web.Response(status=500, text="Internal Server Error")
        if fault is Fault.HTML_PAGE:
            return web.Response(status=200, text=HTML_PAGE, content_type="text/html")
        if fault is Fault.MALFORMED_JSON:
            broken = '{"result": {"bids": [['
            return web.Response(status=200, text=broken, content_type="application/json")
        return web.json_response(self.maintenance_body(), status=self.maintenance_status())

    def rate_limited_body(self) -> Any:
        raise NotImplementedError

    def maintenance_body(self) -> Any:
        raise NotImplementedError

    def maintenance_status(self) -> int:
        return 503

    async def answer(self, route: str, make: Any) -> web.StreamResponse:
        """Serve `route` with `make()`, unless a fault is queued or the server is stalled."""
        await self._running.wait()
        queued = self._faults.get(route)
        if queued:
            fault = queued.pop(0)
            if fault is Fault.NO_ANSWER:
                await self._released.wait()
                raise web.HTTPServiceUnavailable()
            return self.fault_response(fault)
        response: web.StreamResponse = make()
        self.requests[route] += 1
        return response

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        await self._running.wait()
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.ws_connections += 1
        self._sockets.add(ws)
        streams: list[asyncio.Task[None]] = []
        try:
            await self.on_connect(ws)
            while True:
                # A stalled server stops reading too, so pings go unanswered.
                await self._running.wait()
                message = await ws.receive()
                if message.type != WSMsgType.TEXT:
                    break
                streams += await self.on_text(ws, json.loads(message.data))
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            for task in streams:
                task.cancel()
            self._sockets.discard(ws)
        return ws

    async def on_connect(self, ws: web.WebSocketResponse) -> None:
        pass

    async def on_text(self, ws: web.WebSocketResponse, payload: Any) -> list[asyncio.Task[None]]:
        raise NotImplementedError

    async def send(self, ws: web.WebSocketResponse, text: str) -> None:
        await self._running.wait()
        await ws.send_str(text)

    async def pause_until(self, when: float) -> None:
        delay = when - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


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


async def _serve(venue: str, speed: float, loop: bool) -> None:
    server: FakeVenue = FakeBinance(speed, loop) if venue == "binance" else FakeKraken(speed, loop)
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
    parser.add_argument("venue", choices=("binance", "kraken"))
    parser.add_argument("--speed", type=float, default=1.0, help="0: as fast as possible")
    parser.add_argument("--loop", action="store_true", help="replay the recording forever")
    args = parser.parse_args(argv)
    speed = args.speed if args.speed > 0 else float("inf")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.venue, speed, args.loop))


if __name__ == "__main__":
    main()
