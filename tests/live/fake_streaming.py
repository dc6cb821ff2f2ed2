"""What the OKX, Bybit and Coinbase fakes share: books that start from recorded levels and
change one level per update, so a test can compare the client's book with `book_of`.

Each fake streams its venue's own frames from the same book: a snapshot when a channel is
subscribed, then `updates` single-level changes (sides alternate, the level walks 1..10
places from the top, every fifth change removes its level). A venue whose keep-alive is a
text `ping` (OKX) is answered `pong` here, before anything tries to read it as JSON.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from tests.live.fake_venue import FakeVenue

Levels = list[tuple[Decimal, Decimal]]


def levels(rows: list[list[str]]) -> Levels:
    return [(Decimal(price), Decimal(size)) for price, size, *_ in rows]


class StreamingFake(FakeVenue):
    """A fake venue whose books are seeded from `seed()` and changed by `change()`."""

    ping_text: str | None = None
    """A keep-alive the venue sends as bare text (not JSON), and the text it answers."""
    pong_text = ""

    def __init__(self, speed: float = 10.0, updates: int = 40) -> None:
        super().__init__(speed)
        self.updates = updates
        """Changes each subscription gets before its stream goes quiet."""
        self.frames_sent = 0
        self.topics: list[str] = []
        """Every channel subscribed, as "channel:market id"."""
        self.pings = 0
        self.streams_started = 0
        self.streams_ended = 0
        """Update streams begun, and those done or cut (all quiet when the two are equal)."""
        self._books: dict[str, dict[str, dict[Decimal, Decimal]]] = {}
        self._steps: dict[str, int] = {}
        for market_id, (bids, asks) in self.seed().items():
            self._books[market_id] = {"bids": dict(bids), "asks": dict(asks)}
            self._steps[market_id] = 0

    def seed(self) -> dict[str, tuple[Levels, Levels]]:
        """Each market id's starting bids and asks."""
        raise NotImplementedError

    # --- the books -----------------------------------------------------------------------

    def book_of(self, market_id: str) -> tuple[Levels, Levels]:
        """The server's book now: bids best first, asks best first."""
        book = self._books[market_id]
        return sorted(book["bids"].items(), reverse=True), sorted(book["asks"].items())

    def change(self, market_id: str) -> tuple[str, Decimal, Decimal]:
        """Apply the next change to `market_id`'s book: (side, price, new size; 0 removes)."""
        step = self._steps[market_id]
        self._steps[market_id] = step + 1
        side = "bids" if step % 2 == 0 else "asks"
        # Walk from the top of the seed, one place further each pair of changes.
        row = (step // 2) % 10
        seeded = self.seed()[market_id][0 if side == "bids" else 1]
        price = seeded[row % len(seeded)][0]
        size = Decimal(0) if step % 5 == 0 else Decimal(1 + step % 7) / 4
        book = self._books[market_id][side]
        if size == 0 and len(book) <= 1 and price in book:
            size = Decimal("0.25")  # a side keeps one level: an empty side is no market
        if size == 0:
            book.pop(price, None)
        else:
            book[price] = size
        return side, price, size

    def interval(self) -> float:
        return 0.05 / self.speed if self.speed != float("inf") else 0.0

    async def stream(
        self, ws: web.WebSocketResponse, market_id: str, frame: Any, encoded: bool = False
    ) -> None:
        """Send `frame(side, price, size)` for each of `updates` changes of `market_id`
        (`encoded`: the frame is already text)."""
        self.streams_started += 1
        try:
            for _ in range(self.updates):
                await asyncio.sleep(self.interval())
                made = frame(*self.change(market_id))
                await self.send(ws, made if encoded else json.dumps(made))
                self.frames_sent += 1
        finally:
            self.streams_ended += 1

    # --- websocket, with a bare-text keep-alive ------------------------------------------

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        if self.ping_text is None:
            return await super().websocket(request)
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
                await self._running.wait()
                message = await ws.receive()
                if message.type != WSMsgType.TEXT:
                    break
                self.seen.append(f"WS {message.data}")
                if message.data == self.ping_text:
                    self.pings += 1
                    await self.send(ws, self.pong_text)
                    continue
                streams += await self.on_text(ws, json.loads(message.data))
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            for task in streams:
                task.cancel()
            self._sockets.discard(ws)
        return ws
