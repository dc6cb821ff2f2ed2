"""How the files in tests/data were cut from the cryptofeed recordings (see NOTICE).

Run from the repository root with the folder holding the original captures:
    python tests/data/make_excerpts.py PATH/TO/cryptofeed-sample
Lines keep the capture format (`URL -> TS: BODY`, `TS: FRAME`); only whole
symbols are kept or dropped, and no value is changed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
BINANCE_SYMBOLS = ("NKNUSDT", "BLZETH")
BINANCE_MARKETS = (*BINANCE_SYMBOLS, "LRCBTC", "RUNEEUR", "BTCUSDT", "ETHUSDT", "ETHBTC", "BNBUSDT")
KRAKEN_PAIRS = ("XMR/USD", "ETH/CHF")
KRAKEN_SECONDS = 15.0
"""Kraken frames kept: those received within this long of the subscription."""
KRAKEN_MARKETS = (*KRAKEN_PAIRS, "XBT/USD", "ETH/USD", "ETH/XBT", "XBT/CHF", "XMR/XBT")


def _split(line: str) -> tuple[str, str]:
    head, _, body = line.partition(": ")
    return head, body


def main(source: Path) -> None:
    head, body = _split((source / "binance-rest-exchangeinfo.txt").read_text().splitlines()[0])
    info = json.loads(body)
    info["symbols"] = [s for s in info["symbols"] if s["symbol"] in BINANCE_MARKETS]
    (HERE / "binance-rest-exchangeinfo.txt").write_text(
        f"{head}: {json.dumps(info, separators=(',', ':'))}\n"
    )

    depth = [
        line
        for line in (source / "binance-rest-depth.txt").read_text().splitlines()
        if any(f"symbol={s}&" in line for s in BINANCE_SYMBOLS)
    ]
    (HERE / "binance-rest-depth.txt").write_text("\n".join(depth) + "\n")

    streams = tuple(f"{s.lower()}@depth" for s in BINANCE_SYMBOLS)
    ws = []
    for line in (source / "binance-ws.txt").read_text().splitlines():
        if not line.strip():
            continue
        if " <-> " in line:
            ws.append(line)
            continue
        _, body = _split(line)
        if json.loads(body).get("stream", "").startswith(streams):
            ws.append(line)
    (HERE / "binance-ws.txt").write_text("\n".join(ws) + "\n")

    head, body = _split((source / "kraken-rest-assetpairs.txt").read_text().splitlines()[0])
    pairs = json.loads(body)
    pairs["result"] = {
        k: v for k, v in pairs["result"].items() if v.get("wsname") in KRAKEN_MARKETS
    }
    (HERE / "kraken-rest-assetpairs.txt").write_text(
        f"{head}: {json.dumps(pairs, separators=(',', ':'))}\n"
    )

    kept = []
    until = float("inf")
    for line in (source / "kraken-ws-book.txt").read_text().splitlines():
        if not line.strip():
            continue
        if " <-> " in line or " <- " in line:
            kept.append(line)
            if " <- " in line:
                until = float(_split(line)[0].rsplit(" ", 1)[1]) + KRAKEN_SECONDS
            continue
        head, body = _split(line)
        if float(head) > until:
            break
        frame = json.loads(body)
        if isinstance(frame, list):
            if frame[-1] in KRAKEN_PAIRS:
                kept.append(line)
        elif frame.get("event") != "subscriptionStatus" or frame.get("pair") in KRAKEN_PAIRS:
            kept.append(line)
    (HERE / "kraken-ws-book.txt").write_text("\n".join(kept) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
