"""What the fake venues share: an aiohttp server on 127.0.0.1, faults, a stall switch."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable
from enum import Enum
from typing import Any

from aiohttp import WSMsgType, web


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
        self.ws_refused = 0
        """Websocket handshakes answered 403 while `refuse_websockets` is set."""
        self.refuse_websockets = False
        """Answer websocket handshakes 403 (a proxy that does not pass websockets)."""
        self.retry_after: str | None = None
        """Retry-After header sent with every 429."""
        self.exchange_clock: Callable[[], float] = time.time
        """The venue's own clock, stamped on the books it sends (tests set a fixed one)."""
        self.subscriptions: list[Any] = []
        self.seen: list[str] = []
        """Every request as it arrived: method, path with query, headers, body, and every
        websocket frame received (tests look for secrets in them)."""
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
        app = web.Application(middlewares=[self._record])
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

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.text() if request.can_read_body else ""
        headers = "\n".join(f"{name}: {value}" for name, value in request.headers.items())
        self.seen.append(f"{request.method} {request.path_qs}\n{headers}\n\n{body}")
        response: web.StreamResponse = await handler(request)
        return response

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
            headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
            return web.json_response(self.rate_limited_body(), status=429, headers=headers)
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
        if self.refuse_websockets:
            self.ws_refused += 1
            raise web.HTTPForbidden(text="websockets are not passed here")
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
                self.seen.append(f"WS {message.data}")
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
