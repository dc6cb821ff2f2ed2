"""A replay survives bad lines (skipped and counted), never lets an older book replace a
newer one, and still refuses at once a file that is not a recording."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from arbscope.market.replay import SKIPPED_KEPT, ReplayError, ReplayFeed
from tests.market.test_replay import HEADER, book, replay_all, write_lines


def _level_book(ts: float, bids: Any, asks: Any, venue: str = "kraken") -> dict[str, Any]:
    return {"type": "book", "ts": ts, "venue": venue, "symbol": "BTC/USD", "bids": bids,
            "asks": asks}


# Each a line a third-party capture or a hostile file could hold, with why it is refused.
BAD_LINES: list[tuple[dict[str, Any] | str, str]] = [
    ("{oops", "not valid JSON"),
    (_level_book(2.0, [[60000]], [[60001.0, 1.0]]), "level 0 of bids needs [price, size]"),
    (_level_book(2.0, [[60000.0, "1.0"]], [[60001.0, 1.0]]), "size must be a number"),
    (_level_book(2.0, [[60000.0, True]], [[60001.0, 1.0]]), "size must be a number"),
    (_level_book(2.0, [[60000.0, 1.0]], [[1e-300, 1.0]]), "between 1e-12 and 1e+12"),
    (_level_book(2.0, [[1e308, 1.0]], [[60001.0, 1.0]]), "between 1e-12 and 1e+12"),
    (_level_book(1e20, [[60000.0, 1.0]], [[60001.0, 1.0]]), "from 1970 to 2200"),
    (_level_book(2.0, [[60002.0, 1.0]], [[60001.0, 1.0]]), "crossed book"),
]


async def test_bad_lines_are_skipped_counted_and_the_rest_replays(tmp_path: Path) -> None:
    lines: list[dict[str, Any] | str] = [HEADER, book(1.0, "kraken", "BTC/USD", 60000.0, 60001.0)]
    lines += [line for line, _ in BAD_LINES]
    lines.append(book(3.0, "kraken", "BTC/USD", 60010.0, 60011.0))
    recording = write_lines(tmp_path / "glitchy.jsonl", lines)
    feed = ReplayFeed(recording)
    service, seen = await replay_all(feed)
    # The good books on both sides of the glitches are replayed, nothing else.
    assert [b.ts for b in seen] == [1.0, 3.0]
    assert feed.skipped_count == len(BAD_LINES)
    # Lines 3.. are the bad ones (line 1 is the header, line 2 the first good book).
    kept = feed.skipped[:SKIPPED_KEPT]
    assert [line for line, _ in kept] == list(range(3, 3 + SKIPPED_KEPT))
    for (_, reason), (_, expected) in zip(kept, BAD_LINES, strict=False):
        assert expected in reason
    summary = feed.skipped_summary()
    assert summary is not None
    assert summary.startswith(f"skipped {len(BAD_LINES)} bad lines of {recording}: line 3: ")
    assert summary.endswith("; ...")  # more were skipped than are listed
    health = service.health()["kraken"]
    assert health.books_rejected + health.errors >= len(BAD_LINES) - 1  # "{oops" names no venue


async def test_strict_stops_at_the_first_bad_line(tmp_path: Path) -> None:
    recording = write_lines(tmp_path / "glitchy.jsonl", [HEADER, BAD_LINES[1][0]])
    with pytest.raises(ReplayError, match=r"line 2: level 0 of bids needs \[price, size\]"):
        ReplayFeed(recording, strict=True)


@pytest.mark.parametrize("first", ["not a recording at all", json.dumps({"type": "book"})])
def test_a_file_that_is_not_a_recording_stops_at_once(tmp_path: Path, first: str) -> None:
    recording = tmp_path / "other.jsonl"
    recording.write_text(first + "\n" + json.dumps(HEADER) + "\n", encoding="utf-8")
    with pytest.raises(ReplayError, match="line 1"):
        ReplayFeed(recording)


async def test_an_older_book_never_replaces_a_newer_one(tmp_path: Path) -> None:
    # beta at T, T+3, then T+1 whose bid crosses alpha's ask by far: the T+1 book must not
    # become beta's book (it built a +1975.6 bps route before).
    recording = write_lines(
        tmp_path / "late.jsonl",
        [
            HEADER,
            book(1.0, "alpha", "BTC/USD", 60000.0, 60001.0),
            book(1.0, "beta", "BTC/USD", 60000.0, 60001.0),
            book(4.0, "beta", "BTC/USD", 60000.5, 60001.5),
            book(2.0, "beta", "BTC/USD", 72000.0, 72001.0),
        ],
    )
    service, _ = await replay_all(ReplayFeed(recording))
    held = service.books[("beta", "BTC/USD")]
    assert (held.ts, held.bids[0][0]) == (4.0, 60000.5)
    assert service.health()["beta"].books_out_of_order == 1
