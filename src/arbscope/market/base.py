"""The contract between feeds and the market service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from arbscope.models import IntegrityMethod, Market, TransferInfo, VenueState

RawLevels = Sequence[Sequence[float]]
"""Levels as a feed received them: [[price, size], ...], not yet validated."""


@dataclass(frozen=True, slots=True)
class FeedGap:
    """A break in a venue's books: what was held before it cannot be trusted after it.

    A `disconnect` covers every book of the venue (its connection ended); a `resync`
    one symbol (its book lost an update and is fetched afresh). Either way the books
    it covers are unusable until each one's next snapshot arrives."""

    kind: Literal["disconnect", "resync"]
    venue: str
    ts: float
    """When it happened (receive clock), seconds since the epoch."""
    symbol: str | None = None
    """The symbol resynchronised; None for a disconnect."""
    reason: str = ""


class BookSink(Protocol):
    """Where a feed sends what it receives. Implemented by MarketService."""

    def submit(
        self,
        venue: str,
        symbol: str,
        ts: float,
        bids: RawLevels,
        asks: RawLevels,
        *,
        exchange_ts: float | None = None,
    ) -> bool:
        """Validate and store a full book snapshot; False (and counted) if rejected.

        ts is when it was received (our clock); exchange_ts when the venue says it was
        current (its clock), None when the venue does not say."""
        ...

    def report_gap(self, gap: FeedGap) -> None:
        """The venue disconnected, or one of its symbols is resynchronising: drop what it
        covers until the next snapshot."""
        ...

    def set_integrity(self, venue: str, method: IntegrityMethod) -> None:
        """How the venue's books are known to be whole over the transport in use."""
        ...

    def set_state(self, venue: str, state: VenueState) -> None:
        """The feed's own view of a venue: connecting, live, down."""
        ...

    def report_error(self, venue: str, message: str, next_retry_ts: float | None = None) -> None:
        """Count an error on a venue; the feed keeps going (or retries at next_retry_ts)."""
        ...

    def set_down_symbols(self, venue: str, symbols: Sequence[str]) -> None:
        """The venue's symbols failing now while its others stay live; empty when none."""
        ...


class Feed(Protocol):
    """A source of order books for one or more venues (SimFeed, ReplayFeed, CcxtFeed)."""

    name: str
    """What the status bar shows as the source: "SIM", "REPLAY", "LIVE"."""

    @property
    def venues(self) -> tuple[str, ...]: ...

    def markets(self) -> list[Market]:
        """Trading rules of every (venue, symbol) this feed will publish."""
        ...

    async def run(self, sink: BookSink) -> None:
        """Publish books into sink until cancelled (or, for a finite source, until done)."""
        ...


@runtime_checkable
class TransferSource(Protocol):
    """A feed that also says what its venues allow for moving currencies (the live feed).

    The scanner copies it into each MarketSnapshot (`transfers`); feeds without it
    (sim, replay) leave that empty and the checklist uses settings' withdrawal fees.
    """

    def transfers(self) -> Mapping[tuple[str, str], TransferInfo]:
        """(venue, asset) -> withdrawal fee and open/closed flags; safe from another thread."""
        ...
