"""The recorded exchange data in tests/data, parsed, and the Kraken book arithmetic on it.

Capture format (tests/data/NOTICE, shared data README): REST lines are
`URL -> TS: BODY`, websocket lines `TS: FRAME` after a `URL <-> TS` line.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).resolve().parent.parent / "data"

# Kraken's v1 feed names bitcoin XBT; ccxt's unified symbols (and Kraken v2) say BTC.
KRAKEN_UNIFIED = {"XBT": "BTC", "XDG": "DOGE"}


def _split(line: str) -> tuple[str, str]:
    head, _, body = line.partition(": ")
    return head, body


@dataclass(frozen=True)
class RestCapture:
    url: str
    ts: float
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.url).query).items()}


def _rest(name: str) -> list[RestCapture]:
    captures = []
    for line in (DATA / name).read_text().splitlines():
        if line.strip():
            head, body = _split(line)
            url, _, ts = head.partition(" -> ")
            captures.append(RestCapture(url, float(ts), body))
    return captures


@dataclass(frozen=True)
class Frame:
    ts: float
    data: Any


def _frames(name: str) -> list[Frame]:
    frames = []
    for line in (DATA / name).read_text().splitlines():
        if not line.strip() or " <-> " in line or " <- " in line:
            continue
        head, body = _split(line)
        frames.append(Frame(float(head), json.loads(body)))
    return frames


@dataclass
class Recorded:
    binance_exchange_info: RestCapture
    binance_depth: dict[str, RestCapture]
    """Binance market id (NKNUSDT) -> its REST depth capture."""
    binance_diffs: dict[str, list[Frame]]
    """Binance market id -> its `depthUpdate` payloads in order."""
    kraken_asset_pairs: RestCapture
    kraken_frames: dict[str, list[Frame]]
    """Kraken v1 pair name (XMR/USD) -> its book frames (snapshot first) in order."""
    kraken_subscribed_ts: float
    kraken_pairs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Kraken v1 pair name -> its AssetPairs entry (with the pair id under "_id")."""


@cache
def recorded() -> Recorded:
    info = _rest("binance-rest-exchangeinfo.txt")[0]
    depth = {c.query["symbol"]: c for c in _rest("binance-rest-depth.txt")}
    diffs: dict[str, list[Frame]] = {}
    for frame in _frames("binance-ws.txt"):
        payload = frame.data["data"]
        diffs.setdefault(payload["s"], []).append(Frame(frame.ts, payload))
    pairs = _rest("kraken-rest-assetpairs.txt")[0]
    by_ws = {
        v["wsname"]: {**v, "_id": k} for k, v in pairs.json["result"].items() if "wsname" in v
    }
    frames: dict[str, list[Frame]] = {}
    subscribed = 0.0
    for line in (DATA / "kraken-ws-book.txt").read_text().splitlines():
        if " <- " in line:
            subscribed = float(_split(line)[0].rsplit(" ", 1)[1])
    for frame in _frames("kraken-ws-book.txt"):
        if isinstance(frame.data, list):
            frames.setdefault(frame.data[-1], []).append(frame)
    return Recorded(info, depth, diffs, pairs, frames, subscribed, by_ws)


def kraken_unified(pair: str) -> str:
    """`XBT/CHF` -> `BTC/CHF` (ccxt unified, Kraken v2 naming)."""
    base, quote = pair.split("/")
    return f"{KRAKEN_UNIFIED.get(base, base)}/{KRAKEN_UNIFIED.get(quote, quote)}"


def binance_book(market_id: str) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """The recorded REST snapshot as (bids, asks) of floats, best first."""
    body = recorded().binance_depth[market_id].json
    return (
        [(float(p), float(q)) for p, q in body["bids"]],
        [(float(p), float(q)) for p, q in body["asks"]],
    )


def apply_binance_diffs(
    market_id: str, count: int | None = None
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """The REST snapshot with the recorded diffs applied by Binance's own rule (drop u <=
    lastUpdateId, then set each level's absolute size, 0 removes): the book a correct
    client holds after the first `count` diffs that apply."""
    body = recorded().binance_depth[market_id].json
    bids = {Decimal(p): Decimal(q) for p, q in body["bids"]}
    asks = {Decimal(p): Decimal(q) for p, q in body["asks"]}
    applied = 0
    for frame in recorded().binance_diffs[market_id]:
        if frame.data["u"] <= body["lastUpdateId"]:
            continue
        if count is not None and applied >= count:
            break
        for side, levels in ((bids, frame.data["b"]), (asks, frame.data["a"])):
            for price, qty in levels:
                if Decimal(qty) == 0:
                    side.pop(Decimal(price), None)
                else:
                    side[Decimal(price)] = Decimal(qty)
        applied += 1
    return (
        [(float(p), float(q)) for p, q in sorted(bids.items(), reverse=True)],
        [(float(p), float(q)) for p, q in sorted(asks.items())],
    )


class KrakenBook:
    """One Kraken pair's book kept as Kraken's feed defines it: levels by price string,
    truncated to the subscribed depth after each message."""

    def __init__(self, depth: int = 1000) -> None:
        self.depth = depth
        self.asks: dict[Decimal, tuple[str, str]] = {}
        self.bids: dict[Decimal, tuple[str, str]] = {}

    def apply(self, side: str, levels: list[list[str]]) -> None:
        book = self.asks if side == "a" else self.bids
        for level in levels:
            price, qty = level[0], level[1]
            if Decimal(qty) == 0:
                book.pop(Decimal(price), None)
            else:
                book[Decimal(price)] = (price, qty)

    def truncate(self) -> None:
        for book, reverse in ((self.asks, False), (self.bids, True)):
            for price in sorted(book, reverse=reverse)[self.depth :]:
                del book[price]

    def top(self, side: str, n: int) -> list[tuple[str, str]]:
        book = self.asks if side == "a" else self.bids
        return [book[p] for p in sorted(book, reverse=side == "b")[:n]]

    def checksum(self) -> int:
        """Kraken's CRC32 over the top ten levels, from the strings as received."""

        def digits(text: str) -> str:
            return text.replace(".", "").lstrip("0")

        payload = "".join(digits(p) + digits(q) for p, q in self.top("a", 10))
        payload += "".join(digits(p) + digits(q) for p, q in self.top("b", 10))
        return zlib.crc32(payload.encode())


def kraken_message_levels(frame: list[Any]) -> tuple[dict[str, list[list[str]]], str | None]:
    """A v1 book frame's levels by side ('a', 'b', or 'as'/'bs' for a snapshot) and checksum."""
    levels: dict[str, list[list[str]]] = {}
    checksum = None
    for part in frame[1:-2]:
        for key in ("as", "bs", "a", "b"):
            if key in part:
                levels.setdefault(key, []).extend(part[key])
        checksum = part.get("c", checksum)
    return levels, checksum


def kraken_lasting_change(pair: str) -> int:
    """Index of the first recorded update that changes a top-ten level no later frame
    touches again: lose it, and the client's book stays wrong, whatever the timing."""
    frames = recorded().kraken_frames[pair]
    touched = []
    for frame in frames:
        levels, _ = kraken_message_levels(frame.data)
        touched.append({Decimal(level[0]) for side in levels.values() for level in side})
    book = KrakenBook()
    levels, _ = kraken_message_levels(frames[0].data)
    book.apply("a", levels["as"])
    book.apply("b", levels["bs"])
    for index in range(1, len(frames)):
        levels, _ = kraken_message_levels(frames[index].data)
        for side in ("a", "b"):
            book.apply(side, levels.get(side, []))
        book.truncate()
        top = {Decimal(p) for p, _ in book.top("a", 10) + book.top("b", 10)}
        later = touched[index + 1 :]
        if touched[index] & top and not any(touched[index] & after for after in later):
            return index
    raise AssertionError(f"no lasting change in the {pair} recording")
